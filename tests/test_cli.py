"""The zkwb command line: execute, image-id, exit codes and JSON."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from engine.cli import main
from engine.text import printable_text
from engine.runtime.resources import guest_path
from engine.vm import load_elf
from tests.vm.asm import Asm


def zkwb(*args: str, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "engine", *args], input=stdin,
                          capture_output=True, timeout=300)


def test_execute_sha256_prints_the_same_digest_as_sha256sum(tmp_path):
    data = os.urandom(1000)
    f = tmp_path / "input.bin"
    f.write_bytes(data)
    out = zkwb("execute", guest_path("sha256"), "--input", str(f))
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split() == [hashlib.sha256(data).hexdigest()]


def test_execute_json_has_the_documented_fields(capsys):
    assert main(["execute", guest_path("hello"), "--input", os.devnull, "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    for key in ("exit_code", "cycles", "journal_hex", "log", "image_id", "seconds", "mhz"):
        assert key in obj
    assert obj["image_id"] == load_elf(guest_path("hello")).image_id_hex
    assert "Hello" in obj["log"]


def test_execute_reads_input_from_stdin():
    out = zkwb("execute", guest_path("hello"), "--input", "-", stdin=b"from stdin")
    assert out.returncode == 0
    assert out.stdout == b"from stdin\n"
    assert b"Hello" in out.stderr            # the guest's stderr reaches ours


def test_binary_journal_is_printed_as_hex(tmp_path, capsys):
    prog = Asm()
    prog.data += b"\x00\xff\x10\x80"
    prog.syscall(64, 1, 0x20000, 4)
    prog.exit(code=5)
    path = tmp_path / "bin.elf"
    path.write_bytes(prog.elf())
    assert main(["execute", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "00ff1080"


def test_journal_text_detection():
    assert printable_text(b"hello\n") == "hello\n"
    assert printable_text(b"\xff\xfe") is None
    assert printable_text(b"a\x00b") is None


def test_guest_fault_exits_3_with_the_reason(tmp_path, capsys):
    prog = Asm()
    prog.emit(0)
    path = tmp_path / "fault.elf"
    path.write_bytes(prog.elf())
    assert main(["execute", str(path)]) == 3
    assert "illegal instruction" in capsys.readouterr().err
    assert main(["execute", str(path), "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["fault"] == "illegal instruction"


def test_cycle_limit_is_a_fault(tmp_path, capsys):
    prog = Asm()
    prog.jal(0, 0)
    path = tmp_path / "loop.elf"
    path.write_bytes(prog.elf())
    assert main(["execute", str(path), "--max-cycles", "1000"]) == 3
    assert "--max-cycles" in capsys.readouterr().err


@pytest.mark.parametrize("args", [
    ["execute", "/nonexistent.elf"],
    ["execute", "README.md"],
    ["image-id", "/nonexistent.elf"],
])
def test_unreadable_or_bad_programs_exit_2(args, capsys):
    assert main(args) == 2
    assert "zkwb:" in capsys.readouterr().err


def test_missing_input_file_exits_2(capsys):
    assert main(["execute", guest_path("hello"), "--input", "/nonexistent/input"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_usage_errors_exit_2():
    assert zkwb().returncode == 2
    assert zkwb("execute").returncode == 2
    assert zkwb("execute", guest_path("hello"), "--max-cycles", "-5").returncode == 2


def test_image_id_matches_the_loader(capsys):
    assert main(["image-id", guest_path("sort")]) == 0
    assert capsys.readouterr().out.strip() == load_elf(guest_path("sort")).image_id_hex


def test_version_names_the_package_version(capsys):
    import engine

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"zkwb {engine.__version__}"


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """``zkwb image-id … | head -c 0``: the pipe closes under the command, which stops
    without a traceback (exit 141, as a shell reports SIGPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)            # nobody reads: the first write breaks the pipe
    done = subprocess.run([sys.executable, "-m", "engine", "image-id", guest_path("hello"),
                           "--json"], stdout=write_end, stderr=subprocess.PIPE, text=True,
                          timeout=120)
    os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
