"""Screenshots of the workbench's main states, for docs/screenshots/ and a check by eye.

    xvfb-run -a -s "-screen 0 1600x1000x24" \
        .venv/bin/python -m workbench.screenshots docs/screenshots

Each state is reached through the window's automation contract, as a user would reach
it, and saved with ``QWidget.grab`` (the window's own pixels, no desktop around it),
then reduced to 256 colours when ImageMagick's ``convert`` is installed.

The states of a proof in many segments (23-25) come from a real proof of the
``primes`` guest in three segments of 2^18 rows (a few minutes on two cores);
``--segments`` makes only those.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from PySide6.QtCore import QEventLoop, QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

SIZE = (1360, 860)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only_segments = "--segments" in argv
    argv = [a for a in argv if a != "--segments"]
    out = os.path.abspath(argv[0] if argv else "docs/screenshots")
    os.makedirs(out, exist_ok=True)
    # Screenshots must not depend on (or change) the user's settings.
    settings_dir = tempfile.mkdtemp(prefix="zkwb-settings-")
    from PySide6.QtCore import QSettings
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, settings_dir)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from workbench.views.main_window import MainWindow
    from workbench.views import theme
    from workbench.views.trace_plot import CLASSES, MEMORY, PC, REGISTER

    theme.apply_theme(theme.LIGHT)
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    settle(app, 300)

    def shot(name: str) -> None:
        settle(app, 250)
        path = os.path.join(out, f"{name}.png")
        window.grab().save(path, "PNG")
        shrink(path)
        print(path)

    if only_segments:
        segment_shots(app, window, shot, settings_dir)
        window.close()
        shutil.rmtree(settings_dir, ignore_errors=True)
        return 0
    shot("01-start-sample-loaded")

    window.open_sample("sort")
    window.set_private_input(" ".join(str((i * 7919) % 2000 - 1000) for i in range(400)).encode())
    wait(app, window.executeFinished, lambda: window.start_execute())
    window.tabs.setCurrentWidget(window.trace_plot)
    window.trace_plot.set_kind(PC)
    shot("02-executed-pc-over-cycles")
    window.trace_plot.set_kind(CLASSES)
    shot("03-opcode-class-heatmap")
    window.trace_plot.set_kind(MEMORY)
    shot("04-ram-addresses")
    window.tabs.setCurrentWidget(window.profile)
    shot("05-profile")
    window.tabs.setCurrentWidget(window.trace_plot)
    window.trace_plot.set_kind(PC)
    window.trace_plot.select_cycle(window.last_outcome.result.cycles // 2)
    window.tabs.setCurrentWidget(window.disassembly)
    shot("06-disassembly-at-a-cycle")

    window.tabs.setCurrentWidget(window.query_plot)
    junk = os.path.join(settings_dir, "holiday-photo.jpg")
    with open(junk, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 not a program")
    drop(window, junk)
    shot("07-queries-empty-state-and-refused-drop")

    window.open_sample("primes")
    window.set_private_input(b"300000000")
    window.start_execute()
    settle(app, 1500)
    window.tabs.setCurrentWidget(window.trace_plot)
    shot("08-long-run-in-progress")
    wait(app, window.executeFailed, window.cancel)
    shot("09-cancelled")

    window.set_theme(theme.DARK)
    window.open_sample("sha256")
    window.set_private_input(b"The quick brown fox jumps over the lazy dog" * 20)
    wait(app, window.executeFinished, lambda: window.start_execute())
    window.tabs.setCurrentWidget(window.trace_plot)
    window.trace_plot.set_kind(REGISTER, register=2)
    shot("10-dark-register-sp")
    window.trace_plot.set_kind(CLASSES)
    shot("11-dark-heatmap")
    window.set_theme(theme.LIGHT)
    bad_receipt = os.path.join(settings_dir, "from-a-stranger.zkr")
    with open(bad_receipt, "wb") as f:
        f.write(b"ZKWB-RCT\x01\x00\x00\x00\x01\x00\x00\x00\xff\xff")
    wait(app, window.verifyFinished, lambda: drop(window, bad_receipt))
    shot("12-truncated-receipt-is-invalid")

    # Prove a sample chosen from the menu (so it is the expected program), then drop
    # the receipt back: Valid.
    window.open_sample("sha256")
    window.set_private_input(b"The quick brown fox jumps over the lazy dog" * 8)
    receipt = os.path.join(settings_dir, "sha256.zkr")
    # Compiles first; a proof's receipt is then checked at once, so wait for that too.
    wait(app, window.verifyFinished, lambda: window.start_prove(receipt))
    window.start_prove(receipt)
    # The layers are drawn as soon as the height is known; the queries once FRI draws them.
    loop_until(app, lambda: len(window.query_plot.queries.positions) > 0
               or not window.runner.busy)
    shot("13-proved-queries-and-fri-layers")
    loop_until(app, lambda: not window.runner.busy)
    window.tabs.setCurrentWidget(window.proof_panel)
    shot("14-proved-phase-timings")
    window.tabs.setCurrentWidget(window.query_plot)
    wait(app, window.verifyFinished, lambda: drop(window, receipt))
    shot("15-receipt-dropped-back-valid")
    tampered = os.path.join(settings_dir, "tampered.zkr")
    with open(receipt, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x01
    with open(tampered, "wb") as f:
        f.write(data)
    wait(app, window.verifyFinished, lambda: drop(window, tampered))
    shot("16-tampered-receipt-invalid")
    window.tabs.setCurrentWidget(window.trace_plot)
    window.trace_plot.show_source("proof")
    shot("17-committed-trace")

    # The private digit example: a data-set image drawn, executed, the claim it makes.
    window.open_ml_example(7)
    wait(app, window.executeFinished, lambda: window.start_execute())
    window.tabs.setCurrentWidget(window.ml_example.panel)
    shot("18-ml-digit-claim")

    # The verdict states beside Valid: a receipt for another program than the one the
    # user loaded is Invalid; with no expected program (the sample shown at start), a
    # valid receipt is a neutral "valid proof of program X, not compared".
    window.tabs.setCurrentWidget(window.query_plot)
    window.open_sample("hello")
    wait(app, window.verifyFinished, lambda: drop(window, receipt))
    shot("19-receipt-for-another-program-invalid")
    window.open_sample("hello", expected=False)
    wait(app, window.verifyFinished, lambda: drop(window, receipt))
    shot("20-receipt-not-compared-neutral")
    window.set_theme(theme.DARK)
    wait(app, window.verifyFinished, lambda: drop(window, receipt))
    shot("21-dark-receipt-not-compared-neutral")
    window.open_sample("sha256")
    wait(app, window.verifyFinished, lambda: drop(window, receipt))
    shot("22-dark-receipt-valid")
    window.set_theme(theme.LIGHT)
    segment_shots(app, window, shot, settings_dir)
    window.close()
    shutil.rmtree(settings_dir, ignore_errors=True)
    return 0


# The long proof: the primes guest on 80,000, 562,237 cycles, three segments of 2^18 rows.
SEGMENT_GUEST, SEGMENT_INPUT = "primes", b"80000"


def segment_shots(app, window, shot, folder: str) -> None:
    """A real proof in three segments: in progress (the second segment proving), the
    receipt with its second segment's seal altered verified (rejected there), and a
    second proof cancelled in its second segment."""
    import dataclasses

    import engine
    from engine.receipt import encode_receipt
    from workbench.model.segments import PROVING
    from workbench.views import theme
    from workbench.views.trace_plot import PC
    segments = window.outcomes.segments

    def proving(index: int) -> bool:
        return (segments.current == index and len(segments.segments) > index
                and segments.segments[index].state == PROVING)

    window.open_sample(SEGMENT_GUEST)
    window.set_private_input(SEGMENT_INPUT)
    receipt = os.path.join(folder, "primes.zkr")
    window.start_prove(receipt)
    loop_until(app, lambda: proving(1) or not window.runner.busy)
    # Prove shows the Queries tab; the segment's own trace is on the Trace tab.
    window.tabs.setCurrentWidget(window.trace_plot)
    window.trace_plot.set_kind(PC)
    settle(app, 1500)
    shot("23-segments-proof-in-progress")
    # The proof ends with the receipt checked at once.
    loop_until(app, lambda: not window.runner.busy)

    proved = engine.read_receipt(receipt)
    seal = bytearray(proved.segments[1].seal)
    seal[len(seal) // 2] ^= 0x01
    altered = dataclasses.replace(proved, segments=(
        proved.segments[0], dataclasses.replace(proved.segments[1], seal=bytes(seal)),
        *proved.segments[2:]))
    tampered = os.path.join(folder, "primes-segment-2-altered.zkr")
    with open(tampered, "wb") as f:
        f.write(encode_receipt(altered))
    window.set_theme(theme.DARK)
    window.tabs.setCurrentWidget(window.query_plot)
    wait(app, window.verifyFinished, lambda: drop(window, tampered))
    shot("25-dark-segments-verify-one-rejected")
    window.set_theme(theme.LIGHT)

    window.start_prove(os.path.join(folder, "primes-again.zkr"))
    loop_until(app, lambda: proving(1) or not window.runner.busy)
    wait(app, window.proveFailed, window.cancel)
    window.tabs.setCurrentWidget(window.proof_panel)
    shot("24-segments-cancelled")


def shrink(path: str) -> None:
    """256 colours are plenty for a UI and a third of the bytes (ImageMagick, if present)."""
    convert = shutil.which("convert")
    if convert:
        subprocess.run([convert, path, "-colors", "256", f"PNG8:{path}"], check=False)


def settle(app, ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def loop_until(app, condition, timeout_s: float = 300.0) -> None:
    import time
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        settle(app, 20)


def wait(app, signal, start, timeout_ms: int = 600_000) -> None:
    loop = QEventLoop()
    signal.connect(lambda *args: loop.quit())
    QTimer.singleShot(timeout_ms, loop.quit)
    QTimer.singleShot(0, start)
    loop.exec()


def drop(window, path: str) -> None:
    """Drag ``path`` onto the window and drop it, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(os.path.abspath(path))])
    position = QPointF(200, 200)
    QApplication.sendEvent(window, QDragEnterEvent(position.toPoint(), Qt.CopyAction, mime,
                                                   Qt.LeftButton, Qt.NoModifier))
    QApplication.sendEvent(window, QDropEvent(position, Qt.CopyAction, mime, Qt.LeftButton,
                                              Qt.NoModifier))


if __name__ == "__main__":
    sys.exit(main())
