"""Drops: .elf opens, .zkr verifies (once proving exists), anything else is refused."""
from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit

from engine.runtime.resources import guest_path
from tests.workbench.helpers import assert_shown_rejection, drop_files


def test_dropping_an_elf_opens_it(window):
    assert drop_files(window, guest_path("sha256"))
    assert window.program.name == "sha256.elf"


def test_dropping_on_a_text_field_still_means_the_window(window):
    editor = window.findChild(QPlainTextEdit, "privateInput")
    before = window.private_input()
    drop_files(editor.viewport(), guest_path("primes"))
    assert window.program.name == "primes.elf"
    assert window.private_input() == before


def test_dropping_garbage_gives_a_message_and_keeps_the_program(window, tmp_path):
    before = window.program
    junk = tmp_path / "holiday.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not a program")
    drop_files(window, str(junk))
    assert window.program is before
    assert "holiday.jpg is neither a guest program (.elf) nor a receipt (.zkr)" in window.notice()
    assert window.actions.execute.isEnabled()


def test_dropping_a_broken_elf_says_why(window, tmp_path):
    before = window.program
    broken = tmp_path / "broken.elf"
    broken.write_bytes(b"\x7fELF" + b"\x00" * 12)
    drop_files(window, str(broken))
    assert window.program is before
    assert window.notice().startswith("Cannot open broken.elf:")


def test_dropping_a_folder_or_several_files_is_handled(window, tmp_path):
    drop_files(window, str(tmp_path))
    assert "is a folder" in window.notice()
    drop_files(window, guest_path("sort"), guest_path("primes"))
    assert window.program.name == "sort.elf"
    assert "one file at a time" in window.notice()


def _receipt_for(program, journal: bytes = b"hi\n") -> bytes:
    from engine.receipt import ProgramImage, Receipt, SegmentSeal, encode_receipt
    from engine.stark.params import ProofParams
    image = ProgramImage.from_program(program)
    return encode_receipt(Receipt(image_id=image.image_id(), exit_code=0, journal=journal,
                                  params=ProofParams(), security_bits=100.5,
                                  image=image,
                                  segments=(SegmentSeal(12, len(journal), b"\x00" * 64),)))


def test_dropping_a_garbage_receipt_shows_invalid_with_the_reason(window, qtbot, tmp_path):
    receipt = tmp_path / "proof.zkr"
    receipt.write_bytes(b"ZKWB garbage")
    with qtbot.waitSignal(window.verifyFinished, timeout=10_000) as blocker:
        drop_files(window, str(receipt))
    assert blocker.args[0] is False
    assert_shown_rejection(blocker.args[1], "this is not a zkwb receipt")
    assert window.verify_panel.headline() == "✘ Invalid: This file is not a zkwb receipt."
    assert_shown_rejection(window.verify_panel.message(), "this is not a zkwb receipt")
    assert window.program is not None and window.actions.execute.isEnabled()


def test_dropping_a_truncated_receipt_shows_invalid_with_the_reason(window, qtbot, tmp_path):
    whole = _receipt_for(window.program)
    receipt = tmp_path / "cut.zkr"
    receipt.write_bytes(whole[: len(whole) // 2])
    with qtbot.waitSignal(window.verifyFinished, timeout=10_000) as blocker:
        drop_files(window, str(receipt))
    assert blocker.args[0] is False
    # Cut inside the program image: its length field promises more than the file holds.
    reason = "length of the program image section"
    assert_shown_rejection(blocker.args[1], reason)
    assert window.verify_panel.headline().startswith("✘ Invalid: ")
    assert window.verify_panel.detail().startswith(f"Technical reason: the receipt: {reason}")


def test_a_receipt_with_a_forged_seal_shows_invalid_and_its_claim(window, qtbot, tmp_path):
    receipt = tmp_path / "hello.zkr"
    receipt.write_bytes(_receipt_for(window.program, b"Hello, ZK Workbench!"))
    with qtbot.waitSignal(window.verifyFinished, timeout=30_000) as blocker:
        drop_files(window, str(receipt))
    assert blocker.args[0] is False
    assert_shown_rejection(blocker.args[1], "the seal is malformed")
    panel = window.verify_panel
    assert panel.headline() == ("✘ Invalid: The proof inside the receipt is damaged: it "
                                "cannot be read.")
    assert panel.detail().startswith("Technical reason: the seal is malformed")
    # The sample shown at start is not an expected program: the image is not compared.
    assert "not compared with an expected program" in panel.field("image")
    assert panel.journal_text() == "Hello, ZK Workbench!"
    assert panel.field("height") == "4,096 rows"


def test_a_receipt_for_another_program_is_invalid_before_its_seal_is_read(window, qtbot,
                                                                          tmp_path):
    from engine.vm import load_elf
    from workbench.model.verdict import short_image_id
    assert drop_files(window, guest_path("hello"))             # a dropped ELF is expected
    hello, sort = window.program, load_elf(guest_path("sort"))
    receipt = tmp_path / "sort.zkr"
    receipt.write_bytes(_receipt_for(sort))                    # its seal is garbage too
    with qtbot.waitSignal(window.verifyFinished, timeout=30_000) as blocker:
        drop_files(window, str(receipt))
    reason = (f"the receipt is for sort.elf (image {short_image_id(sort.image_id_hex)}), "
              f"not the expected hello.elf (image {short_image_id(hello.image_id_hex)})")
    assert blocker.args == [False, f"sort.zkr: Invalid: {reason}"]
    assert window.verify_panel.message() == f"✘ Invalid: {reason}"
