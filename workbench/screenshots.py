"""Screenshots of the workbench's main states, for docs/screenshots/ and a check by eye.

    xvfb-run -a -s "-screen 0 1600x1000x24" \
        .venv/bin/python -m workbench.screenshots docs/screenshots

Each state is reached through the window's automation contract, as a user would reach
it, and saved with ``QWidget.grab`` (the window's own pixels, no desktop around it),
then reduced to 256 colours when ImageMagick's ``convert`` is installed.

The engine proves one segment today, so the states of a proof in many segments
(23-25) are staged: a task in the window's runner reports the events such a proof
emits (``engine.events``, "Segments"), each segment's trace cut from a real run of the
``primes`` guest. ``--segments`` makes only those (seconds, no proving).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading

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
        segment_shots(app, window, shot)
        window.close()
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
    loop_until(app, lambda: window.query_plot.queries.drawable or not window.runner.busy)
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
    segment_shots(app, window, shot)
    window.close()
    return 0


# The staged long proof: the primes guest's run, cut into segments of 2^16 rows.
SEGMENT_GUEST, SEGMENT_INPUT, SEGMENT_LOG_ROWS = "primes", b"400000", 16


def segment_shots(app, window, shot) -> None:
    """A proof in many segments in progress, cancelled, and a verification of its
    segments with one rejected (staged events, see the module's docstring)."""
    from workbench.views import theme
    from workbench.views.trace_plot import PC
    window.open_sample(SEGMENT_GUEST)
    window.set_private_input(SEGMENT_INPUT)
    hold = threading.Event()
    staged = StagedSegments(window.program)
    window.proof_panel.begin(f"Proof of {window.program.name}")
    window.query_plot.reset()
    window.progress.begin("Starting")
    window.session.begin("prove", window.program.name)    # as window.start_prove does
    window.view.render()
    window.runner.start("prove", staged.prove, hold)
    window.update_actions()
    window.tabs.setCurrentWidget(window.trace_plot)
    loop_until(app, lambda: staged.holding.is_set())
    settle(app, 1200)
    window.trace_plot.set_kind(PC)
    shot("23-segments-proof-in-progress")
    wait(app, window.proveFailed, window.cancel)
    window.tabs.setCurrentWidget(window.proof_panel)
    shot("24-segments-cancelled")
    window.set_theme(theme.DARK)
    window.tabs.setCurrentWidget(window.query_plot)
    window.session.begin("verify", "long.zkr")            # as window.verify_file does
    window.view.render()
    window.progress.begin("Starting")
    wait(app, window.runner.succeeded,
         lambda: window.runner.start("staged verify", staged.verify, frozenset({4})))
    # The verdict is the strip's to tell (and the panel's, for a real receipt): once.
    shot("25-dark-segments-verify-one-rejected")
    window.set_theme(theme.LIGHT)


class StagedSegments:
    """The events of proving and verifying a run in segments: ``prove`` and ``verify``
    are tasks for the window's runner (``report``, ``cancel``)."""

    def __init__(self, program) -> None:
        import numpy as np

        import engine
        from engine import ProofParams
        from workbench.model.tasks import fri_layer_sizes
        self.params = ProofParams()
        self.rows = 1 << SEGMENT_LOG_ROWS
        run = engine.execute(program, SEGMENT_INPUT, record_trace=True)
        self.pc = np.ascontiguousarray(run.trace.rows[:, 0])
        self.cycles = int(run.cycles)
        per = self.rows - self.params.zk_rows - 1
        self.sizes = [min(per, self.cycles - i) for i in range(0, self.cycles, per)]
        self.layers = fri_layer_sizes(SEGMENT_LOG_ROWS, self.params)
        self.rng = np.random.default_rng(7)
        self.holding = threading.Event()

    def prove(self, hold: threading.Event, report, cancel) -> None:
        """Segments proven up to a third of the run, the next one in its quotient phase;
        then waits until cancelled (or ``hold`` is set)."""
        from engine import events
        count = len(self.sizes)
        report(events.PhaseStarted("execute"))
        report(events.PhaseFinished("execute", 1.1))
        report(events.SegmentsPlanned(count, self.rows, self.cycles))
        first = 0
        for index, cycles in enumerate(self.sizes):
            report(events.SegmentStarted(index, count, first, cycles))
            report(self._trace(first, cycles))
            for phase, seconds in (("witness", 0.4), ("commit main", 1.2), ("logup", 0.5),
                                   ("quotient", 1.4), ("fri", 0.9)):
                report(events.PhaseStarted(phase))
                if index == count // 3 and phase == "quotient":
                    report(events.Progress(phase, 0.6))
                    self.holding.set()
                    while not hold.wait(0.02):
                        cancel.raise_if_cancelled()
                    return
                if phase in ("commit main", "quotient"):
                    report(events.Committed(phase.split()[-1], self.rng.bytes(32)))
                if phase == "fri":
                    report(events.FriLayers(self.layers))
                    report(self._positions())
                report(events.PhaseFinished(phase, seconds * (1 + 0.05 * (index % 3))))
            report(events.SegmentFinished(index, count, 4.4 * (1 + 0.05 * (index % 3))))
            first += cycles

    def verify(self, rejected: frozenset[int], report, cancel) -> None:
        """Every segment's queries checked, those of the ``rejected`` segments failing."""
        from engine import events
        count = len(self.sizes)
        report(events.FriLayers(self.layers))
        for index in range(count):
            positions = self._positions()
            report(positions)
            bad = index in rejected
            for q, position in enumerate(positions.positions.tolist()):
                report(events.QueryChecked(q, position, not (bad and q % 5 == 2)))
            report(events.SegmentVerified(index, count, not bad))

    def _trace(self, first: int, cycles: int):
        """The segment's committed pc column: its cycles of the run, the halt row
        repeated, then random rows (zero knowledge)."""
        import numpy as np

        from engine import events
        pc = np.empty(self.rows, dtype=np.uint32)
        pc[:cycles] = self.pc[first:first + cycles]
        pc[cycles:] = pc[cycles - 1]
        pc[self.rows - self.params.zk_rows:] = self.rng.integers(
            0, 0x78000001, self.params.zk_rows, dtype=np.uint32)
        columns = pc.reshape(1, -1)
        columns.flags.writeable = False
        return events.TraceReady(("cpu.pc",), columns)

    def _positions(self):
        from engine import events
        domain = self.layers[0]
        return events.QueryPositions(self.rng.integers(0, domain, self.params.num_queries),
                                     domain)


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
