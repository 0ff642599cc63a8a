"""Build RISC-V test programs with the cross compiler and run them under qemu-riscv32.

qemu-user is the reference machine of the differential tests: a guest's stdin is its
private input, stdout its journal, stderr its host log, and qemu's exit status the low
byte of the guest's exit code. Every helper skips the test when its tool is missing
(and fails it in CI, see ``tests.conftest.require_tool``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
from elftools.elf.elffile import ELFFile

from tests.conftest import IN_CI, require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
GUESTS_DIR = REPO_ROOT / "resources" / "guests"
SDK_DIR = GUESTS_DIR / "sdk"
SAMPLES = ("hello", "fibonacci", "sha256", "sort", "primes")

CROSS_GCC = "riscv64-unknown-elf-gcc"
QEMU = "qemu-riscv32"
# Bare assembly programs: rv32im only, and no linker relaxation, which would assume
# that gp holds __global_pointer$.
ASM_FLAGS = ("-march=rv32im", "-mabi=ilp32", "-mno-relax", "-nostdlib", "-nostartfiles",
             "-T", str(SDK_DIR / "link.ld"), "-Wl,--build-id=none")
TOOL_TIMEOUT_S = 120


class QemuRun(NamedTuple):
    """How a program ended under qemu: ``exit_code`` is the process exit status (the
    guest's exit code & 0xFF), or minus the signal number if qemu died of a signal."""

    exit_code: int
    stdout: bytes
    stderr: bytes


def run_qemu(elf_path: str | os.PathLike, input_bytes: bytes = b"",
             timeout_s: float = TOOL_TIMEOUT_S) -> QemuRun:
    """Run ``elf_path`` under qemu-riscv32 with ``input_bytes`` on stdin."""
    qemu = require_tool(QEMU)
    done = subprocess.run([qemu, os.fspath(elf_path)], input=input_bytes, capture_output=True,
                          timeout=timeout_s, check=False)
    return QemuRun(done.returncode, done.stdout, done.stderr)


def build_asm(source: str, workdir: str | os.PathLike, name: str = "program") -> Path:
    """Assemble and link a self-contained program (its own ``_start``) with the SDK's
    linker script, without the SDK or a C library; returns ``workdir/name.elf``."""
    gcc = require_tool(CROSS_GCC)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    asm = workdir / f"{name}.S"
    asm.write_text(source)
    elf = workdir / f"{name}.elf"
    _check_call([gcc, *ASM_FLAGS, "-o", str(elf), str(asm)], what=f"assembling {asm}")
    return elf


def build_c(source: str, workdir: str | os.PathLike, name: str = "program") -> Path:
    """Compile one C guest against the SDK; returns ``workdir/name.elf``."""
    return build_c_programs({name: source}, workdir)[name]


def build_c_programs(sources: dict[str, str], workdir: str | os.PathLike) -> dict[str, Path]:
    """Compile C guests (name -> source) against the SDK with the guests' Makefile, so
    they get exactly the samples' flags, in one make run; returns name -> ELF path."""
    require_tool(CROSS_GCC)
    make = require_tool("make")
    workdir = Path(workdir)
    src = workdir / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        (src / f"{name}.c").write_text(source)
    make_guests(make, GUESTS_DIR, f"SAMPLES={' '.join(sources)}", f"SRC_DIR={src}",
                f"OUT_DIR={workdir}", f"BUILD_DIR={workdir / 'build'}")
    return {name: workdir / f"{name}.elf" for name in sources}


def rebuild_guests(workdir: str | os.PathLike, *arguments: str) -> Path:
    """Copy resources/guests (sources only, no build outputs or ELFs) to
    ``workdir/guests`` and run its Makefile there with ``arguments``; returns the copy."""
    require_tool(CROSS_GCC)
    make = require_tool("make")
    copy = Path(workdir) / "guests"
    shutil.copytree(GUESTS_DIR, copy, ignore=shutil.ignore_patterns("build", "*.elf"))
    make_guests(make, copy, *arguments)
    return copy


def assert_same_build(fresh: Path, committed: Path) -> None:
    """The rebuilt ELF ``fresh`` is byte for byte the committed one. Another compiler
    version legitimately produces other code: on a user's machine the test then skips,
    naming both versions; in CI, whose setup installs the compiler that built the
    committed ELFs, it fails, as the reproducible-build check would check nothing."""
    built_by, committed_by = _compiler_of(fresh), _compiler_of(committed)
    if built_by != committed_by:
        message = (f"{committed.name}: the committed ELF was built by {_versions(committed_by)}"
                   f", this machine's compiler is {_versions(built_by)}")
        if IN_CI:
            pytest.fail(f"{message}; CI must build with the compiler of the committed ELFs "
                        "(or they must be rebuilt with it: make guests)")
        pytest.skip(message)
    assert fresh.read_bytes() == committed.read_bytes(), f"{fresh.name} differs when rebuilt"


def make_guests(make: str, guests_dir: str | os.PathLike, *arguments: str) -> None:
    """Run the guests' Makefile in ``guests_dir``; a failure shows the compiler's output."""
    _check_call([make, "-s", "-C", os.fspath(guests_dir), *arguments],
                what=f"make in {guests_dir}")


def _compiler_of(path: Path) -> bytes:
    with open(path, "rb") as f:
        section = ELFFile(f).get_section_by_name(".comment")
        return section.data() if section is not None else b""


def _versions(comment: bytes) -> str:
    """The compilers a .comment section names, e.g. 'GCC: (12.2.0-14) 12.2.0'."""
    names = [part.decode(errors="replace") for part in comment.split(b"\0") if part]
    return " + ".join(names) or "an unknown compiler (no .comment section)"


def _check_call(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S,
                          check=False)
    if done.returncode != 0:
        raise AssertionError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
