"""Drops: .elf opens, .zkr verifies (once proving exists), anything else is refused."""
from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit

from engine.resources import guest_path
from tests.workbench.helpers import drop_files


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


def test_dropping_a_receipt_explains_verification_is_coming(window, tmp_path):
    receipt = tmp_path / "proof.zkr"
    receipt.write_bytes(b"ZKWB garbage")
    drop_files(window, str(receipt))
    assert "receipt verification arrives with proving" in window.verify_panel.message().lower()
    assert window.program is not None
