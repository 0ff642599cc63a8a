"""Honest witnesses satisfy the machine AIR: sample guests and every instruction."""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine.circuit.image import MachineImage
from engine.circuit.machine import build_air
from engine.circuit.memory import KIND_CODE, KIND_RAM, KIND_REG
from engine.circuit.program import ROM_FIELDS, rom_table
from engine.circuit.image import image_messages
from engine.circuit.syscalls import journal_messages
from engine.circuit.witness import segment_publics
from engine.segments.witness import generate_witness
from engine.field.babybear import P
from engine.stark.params import ProofParams
from engine.stark.protocol import min_trace_height
from engine.vm import execute, load_elf
from tests.circuit import programs
from tests.circuit.support import GUESTS, asm_witness, guest_witness
from tests.vm.asm import DATA_BASE, Asm

SAMPLES = [("hello", b"Hello, circuit!"), ("fibonacci", b"25"), ("primes", b"200"),
           ("sort", b"9 8 7 1 2 3 100 -5"), ("sha256", b"abc")]


def test_machine_air_has_degree_three_and_a_modest_size():
    air = build_air()
    assert air.degree == 3
    assert air.n_main <= 260
    assert len(air.constraints) < 400
    assert {b.name for b in air.buses} == {"program", "program_image", "range", "memory", "byte",
                                           "journal", "state", "words"}
    assert {b.name for b in air.buses if b.is_global} == {"state", "words"}
    assert tuple(air.public_names) == ("entry", "exit_lo", "exit_hi", "heap_lo", "heap_hi",
                                       "segment", "is_first", "is_last", "j_in", "j_out",
                                       "first_cycle")


def test_the_rom_region_holds_the_image_then_zeros():
    witness = guest_witness("hello", b"Hello, circuit!")
    table = rom_table(witness.image)
    n, real = table.shape[1], witness.shape.real_rows
    rom = np.stack([witness.column(f"rom.{f}") for f in ROM_FIELDS])
    assert np.array_equal(rom[:, :n], table)
    assert not rom[:, n:real].any()
    assert "rom.pc" not in witness.air.prep_names


@pytest.mark.parametrize("name,data", SAMPLES)
def test_sample_guest_witness_satisfies_the_air(name, data):
    witness = guest_witness(name, data)
    report = witness.check()
    assert report.ok, str(report)


def test_every_instruction_program_satisfies_the_air():
    witness = asm_witness(programs.every_instruction(), b"input bytes for the reads!!")
    report = witness.check()
    assert report.ok, str(report)
    assert witness.publics["exit_hi"] >> 15 == 1          # the exit code's top bit


def test_small_guest_needs_only_the_minimum_height():
    witness = guest_witness("fibonacci", b"25")
    assert witness.shape.height == min_trace_height(ProofParams())


def test_witness_has_one_row_per_cycle_then_padding():
    prog = Asm()
    prog.li(5, 7)
    prog.exit(5)
    program = load_elf(prog.elf())
    result = execute(program, record_trace=True)
    witness = generate_witness(MachineImage.from_program(program), result)
    exit_flag = witness.column("op.exit")[:witness.shape.real_rows]
    assert np.flatnonzero(exit_flag).tolist() == [result.cycles - 1]
    flags = sum(witness.column(f"op.{f}").astype(np.int64) for f in ("add", "const", "exit"))
    assert flags[:result.cycles].tolist() == [1] * result.cycles
    assert not flags[result.cycles:witness.shape.real_rows].any()
    assert witness.publics["exit_lo"] == 7
    assert witness.check().ok


def test_zero_knowledge_rows_are_random_field_elements():
    witness = guest_witness("fibonacci", b"25")
    tail = witness.main[:, witness.shape.real_rows:]
    assert tail.max() < P
    assert len(np.unique(tail)) > tail.size // 2


def _elf_memory(path: str) -> tuple[int, list[tuple[int, int]], int, dict[int, int]]:
    """``(entry, executable ranges, heap start, {word address: value})`` read from the
    ELF's program headers with pyelftools: the image as the loader should build it,
    derived without the engine."""
    from elftools.elf.elffile import ELFFile
    memory: dict[int, int] = {}
    with open(path, "rb") as f:
        elf = ELFFile(f)
        loads = [s for s in elf.iter_segments() if s.header.p_type == "PT_LOAD"]
        for segment in loads:
            data = segment.data()
            for k, byte in enumerate(data):
                memory[segment.header.p_vaddr + k] = byte
        entry = elf.header.e_entry
    code = [(s.header.p_vaddr, s.header.p_vaddr + s.header.p_memsz) for s in loads
            if s.header.p_flags & 1]
    heap_start = (max(s.header.p_vaddr + s.header.p_memsz for s in loads) + 0xFFF) & ~0xFFF
    words: dict[int, int] = {}
    for address, byte in memory.items():
        words[address // 4] = words.get(address // 4, 0) | byte << 8 * (address % 4)
    return entry, code, heap_start, words


def test_public_inputs_match_the_witness():
    """The public values and messages of a witness (the prover's) and of the claim (what
    the verifier derives), against the claim and the image computed here from the run and
    the ELF file: the registers (sp = 0x0C00_0000), every word of the code and every other
    non-zero word sent once on the global words bus with tag 0, each journal byte
    received once on the journal bus."""
    path = os.path.join(GUESTS, "hello.elf")
    program = load_elf(path)
    run = execute(program, b"Hello, circuit!")
    assert run.journal.startswith(b"Hello, circuit!")
    entry, code, heap_start, words = _elf_memory(path)
    code_words = {w for lo, hi in code for w in range(lo // 4, (hi + 3) // 4)}
    initial = {r: (0x0C00_0000 if r == 2 else 0, KIND_REG) for r in range(32)}
    initial |= {w: (v, KIND_RAM) for w, v in words.items() if v and w not in code_words}
    initial |= {w: (words.get(w, 0), KIND_CODE) for w in code_words}
    expected_memory = [[w, kind, v & 0xFFFF, v >> 16, 0]
                       for w, (v, kind) in sorted(initial.items())]
    expected_publics = {"entry": entry, "exit_lo": run.exit_code & 0xFFFF,
                        "exit_hi": run.exit_code >> 16,
                        "heap_lo": heap_start & 0xFFFF, "heap_hi": heap_start >> 16,
                        "segment": 0, "is_first": 1, "is_last": 1, "j_in": 0,
                        "j_out": len(run.journal), "first_cycle": 0}
    witness = guest_witness("hello", b"Hello, circuit!")
    assert witness.journal == bytes(run.journal)
    image = MachineImage.from_program(program)
    claimed = (segment_publics(image, run.exit_code, 0, 1, 0, len(run.journal)),
               image_messages(image), journal_messages(run.journal))
    mine = (witness.publics, witness.global_messages[0], witness.public_messages[0])
    for publics, memory, journal in (mine, claimed):
        assert publics == expected_publics
        assert (memory.bus, journal.bus) == ("words", "journal")
        assert memory.values.tolist() == expected_memory
        assert set(memory.multiplicities.tolist()) == {1}
        assert journal.values.tolist() == [[k, b] for k, b in enumerate(run.journal)]
        assert set(journal.multiplicities.tolist()) == {-1}
    # The program ROM's rows on the program-image bus: each sent once, and the zero row
    # received once per code word (the ROM region sends one per real row).
    rom = witness.public_messages[1]
    assert rom.bus == "program_image"
    table = rom_table(image)
    n = table.shape[1]
    assert rom.values.tolist() == table.T.tolist() + [[0] * len(ROM_FIELDS)]
    assert rom.multiplicities.tolist() == [1] * n + [-n]
    assert len(witness.public_messages) == 2


def test_reading_past_the_input_and_empty_writes_are_proven():
    prog = Asm()
    prog.data += bytes(16)
    prog.syscall(63, 0, DATA_BASE + 3, 10)      # only 2 bytes of input remain
    prog.syscall(63, 0, DATA_BASE, 4)           # at the end: returns 0, copies nothing
    prog.syscall(64, 1, DATA_BASE + 3, 2)
    prog.syscall(64, 1, DATA_BASE, 0)
    prog.exit(10)
    witness = asm_witness(prog, b"hi")
    assert witness.journal == b"hi"
    assert witness.check().ok


def test_image_from_words_is_the_image_from_the_program():
    program = load_elf(programs.every_instruction().elf())
    a = MachineImage.from_program(program)
    b = MachineImage.from_words(program.entry, program.code_ranges, program.heap_start,
                                program.word_addresses, program.word_values)
    assert a.image_id == b.image_id == program.image_id
    assert np.array_equal(a.code, program.code)


@pytest.mark.parametrize("entry,ranges,addresses,values,match", [
    (0x10000, [], [], [], "no executable range"),
    (0x10000, [(0x10002, 0x10010)], [], [], "aligned"),
    (0x10000, [(0x10000, 0x20000), (0x18000, 0x30000)], [], [], "sorted"),
    (0x10000, [(0x10000, 0x0C00_0004)], [], [], "inside guest memory"),
    (0x10004 + 2, [(0x10000, 0x10010)], [], [], "entry"),
    (0x10000, [(0x10000, 0x10010)], [0x4000, 0x4000], [1, 2], "strictly increasing"),
    (0x10000, [(0x10000, 0x10010)], [0x4000], [0], "non-zero"),
    (0x10000, [(0x10000, 0x10010)], [0x10], [1], "outside guest memory"),
    (0x10000, [(0x10000, 0x10010)], [0x4000], [1, 2], "one value per word"),
])
def test_image_from_hostile_words_is_refused(entry, ranges, addresses, values, match):
    with pytest.raises(ValueError, match=match):
        MachineImage.from_words(entry, ranges, 0x20000, np.array(addresses, dtype=np.int64),
                                np.array(values, dtype=np.int64))


def test_witness_refuses_a_height_that_is_too_small():
    program = load_elf(programs.every_instruction().elf())
    result = execute(program, b"x" * 40, record_trace=True)
    with pytest.raises(ValueError, match="real rows"):
        generate_witness(MachineImage.from_program(program), result, height=1024)


def test_bit_scatter_kernel_matches_numpy():
    from engine.circuit.witness import _scatter_bits
    rng = np.random.default_rng(5)
    matrix = np.zeros((40, 300), dtype=np.uint32)
    rows = np.sort(rng.choice(300, 120, replace=False))
    values = rng.integers(0, 1 << 32, 120, dtype=np.int64)
    _scatter_bits(matrix, 4, 32, rows, values)
    expected = np.zeros_like(matrix)
    expected[4:36, rows] = (values[None, :] >> np.arange(32)[:, None]) & 1
    assert np.array_equal(matrix, expected)


@pytest.mark.parametrize("seed", range(8))
def test_random_program_witness_satisfies_the_air(seed, tmp_path):
    """The RV32IM program generator of the executor's differential tests (every
    instruction on interesting values, loops, jumps); needs the cross assembler."""
    from tests.circuit.support import witness_of
    from tests.vm import rvgen
    from tests.vm.qemu import build_asm

    elf = build_asm(rvgen.generate(seed).source, tmp_path, f"rvgen{seed}")
    report = witness_of(load_elf(str(elf))).check()
    assert report.ok, f"rvgen seed {seed}: {report}"
