"""The committed digit guest ELFs: the guest ABI, the same behaviour under qemu, and a
reproducible build from the sources."""
from __future__ import annotations

import struct

import pytest

from engine.ml.interface import image_bytes
from engine.vm import execute, load_elf
from tests.ml.conftest import GUESTS
from tests.vm.qemu import GUESTS_DIR, assert_same_build, rebuild_guests, run_qemu

NAMES = tuple(GUESTS.values())


@pytest.mark.parametrize("name", NAMES)
def test_committed_guest_is_rv32im_without_compressed_instructions(name):
    header = (GUESTS_DIR / f"{name}.elf").read_bytes()[:52]
    assert header[:6] == b"\x7fELF\x01\x01"
    assert struct.unpack_from("<HH", header, 16) == (2, 243)  # static executable, RISC-V
    assert struct.unpack_from("<I", header, 36)[0] == 0       # no RVC, soft float


@pytest.mark.parametrize("name", NAMES)
def test_committed_guest_keeps_symbols_for_the_cycle_profile(name):
    names = {s.name for s in load_elf(GUESTS_DIR / f"{name}.elf").symbols}
    assert {"_start", "main", "compress"} <= names


@pytest.mark.parametrize("kind", GUESTS)
def test_guest_behaves_the_same_under_qemu(models, digits, kind):
    """qemu-riscv32 is the reference machine: same journal, exit code and log."""
    blob, _ = models[kind]
    elf = GUESTS_DIR / f"{GUESTS[kind]}.elf"
    program = load_elf(elf)
    image = image_bytes(digits.images[3])
    for data in (blob + image, blob[:100] + image, blob + b"\x11" * 64):
        ours = execute(program, data)
        theirs = run_qemu(elf, data)
        assert (theirs.exit_code, theirs.stdout, theirs.stderr) == \
            (ours.exit_code, ours.journal, ours.log)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    return rebuild_guests(tmp_path_factory.mktemp("rebuild"), f"SAMPLES={' '.join(NAMES)}")


@pytest.mark.parametrize("name", NAMES)
def test_rebuilt_guest_is_byte_identical_with_the_same_compiler(rebuilt, name):
    assert_same_build(rebuilt / f"{name}.elf", GUESTS_DIR / f"{name}.elf")
