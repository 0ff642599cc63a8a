"""ELF loading: what is accepted, and every rejection with its message."""
from __future__ import annotations

import os
import struct
import subprocess
import zlib

import numpy as np
import pytest

from engine.errors import ElfError
from engine.vm import load_elf
from engine.vm.image import image_id
from tests.conftest import require_tool
from tests.vm.asm import DATA_BASE, TEXT_BASE, Asm, build_elf

GUESTS = os.path.join(os.path.dirname(__file__), "..", "..", "resources", "guests")


def tiny_program() -> Asm:
    prog = Asm()
    prog.data += b"\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00"
    prog.exit(code=3)
    return prog


def test_loads_segments_entry_and_initial_words():
    program = load_elf(tiny_program().elf())
    assert program.entry == TEXT_BASE
    assert [s.vaddr for s in program.load_segments] == [TEXT_BASE, DATA_BASE]
    assert program.code_ranges == ((TEXT_BASE, TEXT_BASE + 12),)
    data_words = {int(a): int(v) for a, v in zip(program.word_addresses, program.word_values)
                  if a >= DATA_BASE >> 2}
    assert data_words == {DATA_BASE >> 2: 1, (DATA_BASE >> 2) + 2: 2}   # zero words omitted
    assert program.heap_start == DATA_BASE + 0x1000


def test_image_id_matches_its_documented_definition():
    program = load_elf(tiny_program().elf())
    assert program.image_id == image_id(program.entry, list(program.code_ranges),
                                        program.heap_start, program.word_addresses,
                                        program.word_values)
    assert len(program.image_id) == 32


def test_image_id_ignores_how_zero_memory_is_expressed():
    """Explicit zero bytes in a segment and bss give the same loaded memory."""
    prog = tiny_program()
    explicit = prog.elf(extra_segments=[(0x30000, bytes(64), 64, 6)])
    bss = prog.elf(extra_segments=[(0x30000, b"", 64, 6)])
    assert load_elf(explicit).image_id == load_elf(bss).image_id


def test_image_id_changes_with_code_data_and_entry():
    base = load_elf(tiny_program().elf()).image_id
    other_data = tiny_program()
    other_data.data[0] = 9
    assert load_elf(other_data.elf()).image_id != base
    other_code = tiny_program()
    other_code.words[0] ^= 1 << 20
    assert load_elf(other_code.elf()).image_id != base
    assert load_elf(tiny_program().elf(entry=TEXT_BASE + 4)).image_id != base


def test_image_id_of_samples_is_stable_across_loads():
    path = os.path.join(GUESTS, "hello.elf")
    assert load_elf(path).image_id == load_elf(open(path, "rb").read()).image_id


def test_sample_guests_have_function_symbols():
    program = load_elf(os.path.join(GUESTS, "hello.elf"))
    names = {s.name for s in program.symbols}
    assert "main" in names
    main = next(s for s in program.symbols if s.name == "main")
    assert program.symbol_at(main.address).name == "main"
    # absolute and undefined symbols (picolibc defines some at 0) are not functions here
    assert all(any(lo <= s.address < hi for lo, hi in program.code_ranges)
               for s in program.symbols)


@pytest.mark.parametrize("make,message", [
    (lambda: b"", "is empty"),
    (lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), "looks like a PNG image"),
    (lambda: b"hello world, not a program", "is not an ELF program"),
    (lambda: b"\x7fELF\x01\x01\x01", "truncated"),
    (lambda: tiny_program().elf()[:40], "truncated"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, machine=62), "x86-64"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, machine=183), "AArch64"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, elf_class=2), "64-bit"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, data_enc=2), "big-endian"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, e_type=1), "relocatable"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, e_type=3), "shared object"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, flags=1), "compressed"),
    (lambda: build_elf([(TEXT_BASE, b"\x00" * 4, 4, 5)], TEXT_BASE, flags=4), "hard-float"),
    (lambda: build_elf([(0x800, b"\x73\x00\x00\x00", 4, 5)], 0x800), "outside guest memory"),
    (lambda: build_elf([(0x0BFFFFF0, b"\x73\x00\x00\x00", 0x20, 5)], 0x0BFFFFF0),
     "outside guest memory"),
    (lambda: build_elf([(TEXT_BASE, b"\x73\x00\x00\x00", 4, 5), (TEXT_BASE + 8, b"", 0x100, 6),
                        (TEXT_BASE + 0x40, b"", 0x10, 6)], TEXT_BASE), "overlap"),
    (lambda: build_elf([(TEXT_BASE, b"\x73\x00\x00\x00" * 2, 4, 5)], TEXT_BASE), "more bytes"),
    (lambda: build_elf([(DATA_BASE, b"\x01\x00\x00\x00", 4, 6)], DATA_BASE), "no executable"),
    (lambda: build_elf([(TEXT_BASE, b"\x73\x00\x00\x00", 4, 5)], TEXT_BASE + 2), "entry point"),
    (lambda: build_elf([(TEXT_BASE, b"\x73\x00\x00\x00", 4, 5)], DATA_BASE), "entry point"),
    (lambda: build_elf([], TEXT_BASE), "no loadable segments"),
])
def test_rejects_with_a_clear_message(make, message):
    with pytest.raises(ElfError, match=message):
        load_elf(make())


def test_rejects_segment_data_beyond_end_of_file():
    elf = bytearray(tiny_program().elf())
    # point the first program header's p_offset past the end of the file
    struct.pack_into("<I", elf, 52 + 4, len(elf) + 100)
    with pytest.raises(ElfError, match="truncated"):
        load_elf(bytes(elf))


def test_every_truncation_of_a_real_guest_is_rejected_cleanly():
    """A cut anywhere (header, program headers, segments, section headers) is refused
    with an ElfError that says the file is empty, truncated or malformed."""
    data = open(os.path.join(GUESTS, "hello.elf"), "rb").read()
    for cut in list(range(0, 200, 7)) + list(range(200, len(data), max(1, len(data) // 60))):
        with pytest.raises(ElfError) as info:
            load_elf(data[:cut])
        message = str(info.value)
        assert any(word in message for word in ("empty", "truncated", "malformed")), (cut,
                                                                                    message)


def test_random_corruptions_never_raise_anything_but_elf_error():
    """Random bytes in the headers: either an ElfError naming the file, or a program the
    circuit takes (its image checks pass: code and words in guest memory, entry in the
    code)."""
    from engine.circuit.image import MachineImage
    data = open(os.path.join(GUESTS, "hello.elf"), "rb").read()
    rng = np.random.default_rng(1234)
    outcomes = {"refused": 0, "loaded": 0}
    for _ in range(300):
        mutated = bytearray(data)
        for pos in rng.integers(0, 256, size=rng.integers(1, 6)):
            mutated[int(pos)] = int(rng.integers(0, 256))
        try:
            program = load_elf(bytes(mutated))
        except ElfError as error:
            assert str(error).startswith("<memory>") and len(str(error)) > 12, str(error)
            outcomes["refused"] += 1
            continue
        image = MachineImage.from_program(program)
        assert image.image_id == program.image_id
        outcomes["loaded"] += 1
    assert min(outcomes.values()) > 0, outcomes     # both paths were taken


def test_a_png_renamed_to_elf_is_rejected(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    png += struct.pack(">I", zlib.crc32(png[12:29]))
    path = tmp_path / "picture.elf"
    path.write_bytes(png)
    with pytest.raises(ElfError, match="PNG"):
        load_elf(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ElfError, match="no such file"):
        load_elf(tmp_path / "missing.elf")
    with pytest.raises(ElfError, match="directory"):
        load_elf(tmp_path)


def test_host_executable_is_rejected_as_wrong_architecture():
    with pytest.raises(ElfError, match="not RISC-V|64-bit"):
        load_elf(os.path.realpath(require_tool("true")))


def _compile(tmp_path, march: str, mabi: str) -> bytes:
    gcc = require_tool("riscv64-unknown-elf-gcc")
    src = tmp_path / "prog.c"
    src.write_text("int main(void){return 0;}\nvoid _start(void){main();for(;;);}\n")
    out = tmp_path / "prog.elf"
    subprocess.run([gcc, f"-march={march}", f"-mabi={mabi}", "-nostdlib", "-nostartfiles",
                    "-static", "-O1", "-o", str(out), str(src)], check=True)
    return out.read_bytes()


def test_rejects_a_64_bit_risc_v_program(tmp_path):
    with pytest.raises(ElfError, match="64-bit"):
        load_elf(_compile(tmp_path, "rv64imac", "lp64"))


def test_rejects_a_program_compiled_with_compressed_instructions(tmp_path):
    with pytest.raises(ElfError, match="compressed"):
        load_elf(_compile(tmp_path, "rv32imc", "ilp32"))
