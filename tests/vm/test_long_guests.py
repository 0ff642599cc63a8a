"""The guests for long runs and continuations: boundary, bigsort, compress, and primes
and digits_mlp at their large inputs.

Each runs in zkwb exactly as under qemu-riscv32 (same journal, same exit code), at
the input sizes whose cycle counts ``LONG_RUN_CYCLES`` records for tests that need
a run of a given length. The boundary guest's row costs, which
``tests/guest_scripts.py`` turns into the row of every event, are checked against the
executor's cycle count and against the recorded trace, row by row.
"""
from __future__ import annotations

import random
import struct

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from engine.ml.reference import predict
from engine.vm import execute, load_elf
from engine.vm.trace import KIND_SYSCALL_ARGS, KIND_SYSCALL_IO, SLOT_MEM, SLOT_RD, SLOT_RS1
from tests.guest_scripts import (
    BOUNDARY_ELF,
    EMPTY_SCRIPT_ROWS,
    FIRST_SCRIPT_REGISTER,
    MAGIC,
    MAX_COMMANDS,
    SPIN_ROWS,
    START_ROWS,
    BoundaryScript,
    bigsort_input,
    bigsort_journal,
    buffer_address,
    compress_input,
    primes_input,
    wide_mlp_input,
)
from tests.vm.qemu import GUESTS_DIR, assert_same_build, rebuild_guests, run_qemu

NEW_GUESTS = ("boundary", "bigsort", "compress")
SYS_READ, SYS_WRITE, SYS_EXIT, SYS_BRK = 63, 64, 93, 214
ECALL = 0x73

# zkwb's cycle counts of the documented inputs (guest_scripts builds them); a changed
# count means a changed ELF or executor, and the docs' table must follow.
# (guest, input, cycles): see docs/guest-abi.md for more sizes.
LONG_RUN_CYCLES = [
    ("bigsort", "200 000 words", lambda: bigsort_input(200_000), 23_103_161),
    ("compress", "256 KiB of text", lambda: compress_input(256 << 10), 29_521_359),
    ("primes", "N = 10^7", lambda: primes_input(10_000_000), 77_586_739),
    ("digits_mlp", "a 64-128-128-10 model", lambda: wide_mlp_input()[0], 2_415_908),
]


@pytest.fixture(scope="module")
def boundary():
    return load_elf(BOUNDARY_ELF)


def _run_script(program, script: BoundaryScript, record_trace: bool = False):
    built = script.build()
    return built, execute(program, built.input, record_trace=record_trace)


# -- the long runs agree with qemu, and take the recorded number of cycles


@pytest.mark.parametrize("name,what,make_input,cycles", [
    pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in LONG_RUN_CYCLES])
def test_long_guest_agrees_with_qemu_and_takes_the_recorded_cycles(name, what, make_input, cycles):
    input_bytes = make_input()
    elf = GUESTS_DIR / f"{name}.elf"
    reference = run_qemu(elf, input_bytes)
    result = execute(load_elf(elf), input_bytes)
    assert (result.exit_code, reference.exit_code) == (0, 0), result.log
    assert result.journal == reference.stdout
    assert result.cycles == cycles, f"{name} on {what}"


def test_bigsort_journal_is_count_sortedness_and_checksum_of_the_sorted_words():
    program = load_elf(GUESTS_DIR / "bigsort.elf")
    for count in (0, 1, 2, 255, 256, 257, 3000):
        input_bytes = bigsort_input(count, seed=count)
        result = execute(program, input_bytes)
        assert (result.exit_code, result.journal) == (0, bigsort_journal(input_bytes))


def test_bigsort_sorts_the_extreme_words_and_duplicates():
    words = [0xFFFFFFFF, 0, 7, 0x80000000, 7, 0x7FFFFFFF, 0]
    input_bytes = struct.pack(f"<{len(words)}I", *words)
    result = execute(load_elf(GUESTS_DIR / "bigsort.elf"), input_bytes)
    assert result.journal == bigsort_journal(input_bytes)


@pytest.mark.parametrize("bad", [b"\x01", b"\x01\x02\x03\x04\x05"])
def test_bigsort_rejects_input_that_is_not_whole_words(bad):
    elf = GUESTS_DIR / "bigsort.elf"
    result = execute(load_elf(elf), bad)
    assert (result.exit_code, result.journal) == (2, b"")
    assert result.log.startswith(b"bigsort: ")
    reference = run_qemu(elf, bad)
    assert (reference.exit_code, reference.stderr) == (2, result.log)


@pytest.mark.parametrize("input_bytes", [
    b"", b"a", b"aaa", b"abcabcabcabcabcabcabcabcabcabc", bytes(5000), bytes(range(256)) * 40,
    random.Random(1).randbytes(3000), compress_input(20_000, seed=3)], ids=lambda b: f"{len(b)}B")
def test_compress_round_trips_and_agrees_with_qemu(input_bytes):
    elf = GUESTS_DIR / "compress.elf"
    result = execute(load_elf(elf), input_bytes)
    length, _packed, checksum, round_trip = result.journal.split()
    assert (int(length), round_trip, result.exit_code) == (len(input_bytes), b"1", 0)
    assert len(checksum) == 8
    assert result.journal == run_qemu(elf, input_bytes).stdout


def test_compress_shrinks_text_and_repetition():
    result = execute(load_elf(GUESTS_DIR / "compress.elf"), compress_input(65536))
    _, packed, _, _ = result.journal.split()
    assert int(packed) < 65536 * 0.6
    zeros = execute(load_elf(GUESTS_DIR / "compress.elf"), bytes(18_000))
    assert int(zeros.journal.split()[1]) < 18_000 // 8


def test_digits_mlp_runs_a_wide_model_like_the_reference():
    input_bytes, model, image = wide_mlp_input()
    result = execute(load_elf(GUESTS_DIR / "digits_mlp.elf"), input_bytes)
    classes, scores = predict(model, image.reshape(1, -1))
    assert result.exit_code == 0, result.log
    assert result.journal[96] == classes[0]
    assert struct.unpack("<10i", result.journal[97:]) == tuple(scores[0].tolist())


# -- the boundary guest: costs of the documented rows


def test_boundary_empty_script_and_a_lone_exit_take_the_documented_rows(boundary):
    built, result = _run_script(boundary, BoundaryScript())
    assert (result.cycles, result.exit_code, built.cycles) == (EMPTY_SCRIPT_ROWS, 0, EMPTY_SCRIPT_ROWS)
    built, result = _run_script(boundary, BoundaryScript().exit(9))
    assert built.event(0).start == START_ROWS + 3
    assert (result.cycles, result.exit_code) == (built.cycles, 9) == (START_ROWS + 3 + 14, 9)


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 10, 11, 1000, 65_537])
def test_boundary_spin_takes_exactly_its_rows_plus_the_fixed_cost(boundary, rows):
    short = execute(boundary, BoundaryScript().spin(0).spin(0).build().input).cycles
    long = execute(boundary, BoundaryScript().spin(0).spin(rows).build().input).cycles
    assert long - short == rows
    built, result = _run_script(boundary, BoundaryScript().spin(rows))
    assert result.cycles == built.cycles == START_ROWS + 3 + SPIN_ROWS + rows + 4


@pytest.mark.parametrize("offset,size", [(0, 0), (0, 1), (0, 4), (1, 4), (3, 2), (2, 9), (0, 4096),
                                         (1, 4099)])
def test_boundary_read_and_write_cost_the_words_they_copy(boundary, offset, size):
    address = buffer_address(offset)
    script = BoundaryScript().read(address, size).write(address, size)
    built, result = _run_script(boundary, script)
    assert (result.cycles, result.journal, result.exit_code) == (built.cycles, built.journal, 0)
    assert result.journal == (built.input[-size:] if size else b"")


@pytest.mark.parametrize("size,available", [(8, 3), (8, 0), (0, 5), (100, 100), (100, 101)])
def test_boundary_read_cost_depends_on_the_input_left(boundary, size, available):
    script = BoundaryScript().read(buffer_address(1), size, data=bytes(range(available)))
    script.write(buffer_address(1), size)
    built, result = _run_script(boundary, script)
    assert (result.cycles, result.journal) == (built.cycles, built.journal)


def _random_script(rng: random.Random) -> BoundaryScript:
    script = BoundaryScript()
    for _ in range(rng.randrange(1, 40)):
        kind = rng.randrange(9)
        offset = rng.randrange(0, 4096) & ~3
        if kind == 0:
            script.spin(rng.randrange(0, 300))
        elif kind == 1:
            script.store(buffer_address(offset), rng.getrandbits(32))
        elif kind == 2:
            script.store_byte(buffer_address(rng.randrange(4096)), rng.getrandbits(8))
        elif kind == 3:
            script.load_commit(buffer_address(offset))
        elif kind == 4:
            size = rng.randrange(0, 64)
            script.read(buffer_address(rng.randrange(4096)), size,
                        data=rng.randbytes(rng.choice((size, size, rng.randrange(0, 70)))))
        elif kind == 5:
            script.write(buffer_address(rng.randrange(4096)), rng.randrange(0, 64))
        elif kind == 6:
            script.set_reg(rng.randrange(8), rng.getrandbits(32))
        elif kind == 7:
            script.commit_reg(rng.randrange(8))
        else:
            script.spin(rng.randrange(0, 5))
    if rng.random() < 0.5:
        script.exit(rng.getrandbits(32))
    return script


@pytest.mark.parametrize("seed", range(40))
def test_boundary_predicted_run_matches_the_executor(boundary, seed):
    built, result = _run_script(boundary, _random_script(random.Random(seed)))
    assert (result.cycles, result.journal, result.exit_code) == \
        (built.cycles, built.journal, built.exit_code)


@pytest.mark.parametrize("seed", range(6))
def test_boundary_events_land_on_their_predicted_rows_of_the_trace(boundary, seed):
    built, result = _run_script(boundary, _random_script(random.Random(100 + seed)), record_trace=True)
    trace = result.trace
    insn, kind = trace.column("insn"), trace.column("kind")
    mem_addr = trace.slot(SLOT_MEM, "addr")
    commands = struct.unpack_from(f"<{3 * len(built.events)}I", built.input, 8)
    for event in built.events:
        op, arg0, arg1 = commands[3 * event.index:3 * event.index + 3]
        row = event.row
        if event.name in ("store", "store_byte"):
            assert insn[row] & 0x7F == 0x23 and trace.written(SLOT_MEM)[row]
            assert mem_addr[row] == arg0 >> 2
        elif event.name == "load_commit":
            assert insn[row] & 0x7F == 0x03 and mem_addr[row] == arg0 >> 2
        elif event.name == "set_reg":
            assert trace.slot(SLOT_RD, "addr")[row] == FIRST_SCRIPT_REGISTER + op - 16
            assert trace.slot(SLOT_RD, "val")[row] == arg1
        elif event.name == "commit_reg":
            assert trace.slot(SLOT_RS1, "addr")[row] == FIRST_SCRIPT_REGISTER + op - 24
        if event.ecall is not None:
            number = {"read": SYS_READ, "exit": SYS_EXIT, "brk": SYS_BRK}.get(event.name, SYS_WRITE)
            assert insn[event.ecall] == ECALL and trace.slot(SLOT_RS1, "val")[event.ecall] == number
        if event.name in ("read", "write", "load_commit", "commit_reg"):
            ecall = event.ecall
            assert kind[ecall + 1] == KIND_SYSCALL_ARGS
            assert list(kind[ecall + 2:ecall + 2 + event.words]) == [KIND_SYSCALL_IO] * event.words
            assert kind[ecall + 2 + event.words] != KIND_SYSCALL_IO
        if event.name == "write" and event.words:
            assert mem_addr[event.ecall + 2] == arg0 >> 2
        if event.name == "spin":
            assert ECALL not in insn[event.start:event.end].tolist()
    assert insn[result.cycles - 1] == ECALL and trace.slot(SLOT_RS1, "val")[-1] == SYS_EXIT


@pytest.mark.parametrize("last_row", [4095, 4096, 4097])
def test_boundary_at_puts_the_exit_on_a_chosen_row(boundary, last_row):
    """The exit in a segment's last row, in the next one's first, or just after."""
    built, result = _run_script(boundary, BoundaryScript().exit(1, at=last_row))
    assert built.last("exit").ecall == last_row
    assert result.cycles == last_row + 1


def test_boundary_places_events_around_segment_boundaries(boundary):
    """The events continuations need: a store read back a segment later, a register
    set in a segment's last row and used two segments later, a read and a write whose
    copied words straddle a boundary, and journal bytes written in several segments."""
    segment = 1 << 12
    script = BoundaryScript()
    script.store(buffer_address(0), 0x01234567, at=segment - 1)
    script.load_commit(buffer_address(0), at=segment + 100)
    script.set_reg(7, 0xA5A5A5A5, at=2 * segment - 1)
    script.read(buffer_address(13), 40, at=3 * segment - 5)
    script.write(buffer_address(13), 40, at=4 * segment - 4)
    script.commit_reg(7)
    script.exit(0, at=5 * segment)
    built, result = _run_script(boundary, script, record_trace=True)
    assert (result.cycles, result.journal) == (built.cycles, built.journal)
    read, write = built.last("read"), built.last("write")
    assert read.ecall + 2 < 3 * segment < read.ecall + 2 + read.words
    assert write.ecall + 2 < 4 * segment < write.ecall + 2 + write.words
    assert built.journal == (struct.pack("<I", 0x01234567) + built.input[-40:]
                             + struct.pack("<I", 0xA5A5A5A5))
    assert result.trace.slot(SLOT_RD, "addr")[2 * segment - 1] == FIRST_SCRIPT_REGISTER + 7


def test_boundary_at_refuses_a_row_it_cannot_reach():
    with pytest.raises(ValueError, match="earliest"):
        BoundaryScript().spin(100).exit(0, at=150).build()


def test_boundary_agrees_with_qemu_including_the_heap(boundary):
    heap = boundary.heap_start
    script = BoundaryScript().brk(heap + 8192).store(heap + 4, 0xBEEF).load_commit(heap + 4)
    script.read(buffer_address(3), 5000).write(buffer_address(2), 5003).set_reg(0, 42).spin(77)
    script.commit_reg(0).store_byte(buffer_address(1), 0x99).load_commit(buffer_address(0))
    script.exit(0x1FF)
    built, result = _run_script(boundary, script)
    reference = run_qemu(BOUNDARY_ELF, built.input)
    assert result.journal == reference.stdout == built.journal
    assert result.exit_code == 0x1FF and reference.exit_code == 0xFF


@pytest.mark.parametrize("bad_input,message", [
    (b"", b"magic"),
    (struct.pack("<II", MAGIC ^ 1, 0), b"magic"),
    (struct.pack("<II", MAGIC, MAX_COMMANDS + 1), b"at most"),
    (struct.pack("<II", MAGIC, 2) + bytes(12), b"truncated"),
    (struct.pack("<IIIII", MAGIC, 1, 0, 0, 0), b"unknown op"),
    (struct.pack("<IIIII", MAGIC, 1, 9, 0, 0), b"unknown op"),
    (struct.pack("<IIIII", MAGIC, 1, 32, 0, 0), b"unknown op"),
    (struct.pack("<IIIII", MAGIC, 1, 6, 0x0BFF_FFF0, 100), b"write of command 0 failed"),
])
def test_boundary_refuses_malformed_scripts_like_qemu(boundary, bad_input, message):
    result = execute(boundary, bad_input)
    assert (result.exit_code, result.journal) == (2, b"")
    assert result.log.startswith(b"boundary: ") and message in result.log
    reference = run_qemu(BOUNDARY_ELF, bad_input)
    assert (reference.exit_code, reference.stdout, reference.stderr) == (2, b"", result.log)


# -- the committed ELFs: the guest ABI, and what the Makefile builds


@pytest.mark.parametrize("name", NEW_GUESTS)
def test_new_guest_is_rv32im_without_compressed_instructions_and_keeps_symbols(name):
    with open(GUESTS_DIR / f"{name}.elf", "rb") as f:
        elf = ELFFile(f)
        assert (elf.elfclass, elf.little_endian, elf.header.e_machine) == (32, True, "EM_RISCV")
        assert elf.header.e_type == "ET_EXEC" and elf.header.e_flags == 0
    names = {symbol.name for symbol in load_elf(GUESTS_DIR / f"{name}.elf").symbols}
    assert {"_start", "main"} <= names


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    return rebuild_guests(tmp_path_factory.mktemp("rebuild"), f"SAMPLES={' '.join(NEW_GUESTS)}")


@pytest.mark.parametrize("name", NEW_GUESTS)
def test_new_guest_rebuilds_byte_identical(rebuilt, name):
    assert_same_build(rebuilt / f"{name}.elf", GUESTS_DIR / f"{name}.elf")


def test_long_run_inputs_are_deterministic():
    assert bigsort_input(1000, seed=5) == bigsort_input(1000, seed=5)
    assert compress_input(5000, seed=2) == compress_input(5000, seed=2)
    assert wide_mlp_input(1)[0] == wide_mlp_input(1)[0]
    assert np.frombuffer(bigsort_input(10), "<u4").shape == (10,)
