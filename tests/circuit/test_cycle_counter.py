"""The cycle counter: rdcycle, rdtime and rdinstret execute as the run's row index and
are constrained in the circuit (engine.circuit.cpu); their high halves read 0.

The executor's values are checked against the recorded trace (the row the instruction
sits on), the circuit's with honest proofs of one and of several segments, and a
dishonest prover is rejected for a wrong value, for the value plus p (which satisfies
the field equation), and for a later segment proved as if it started the run.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import engine
from engine.circuit.capacity import COUNTER_BITS
from engine.field.babybear import P
from engine.receipt import SegmentSeal
from engine.vm import execute, load_elf
from engine.vm.decode import Op, decode
from engine.vm.memory_map import MAX_RUN_ROWS
from engine.vm.trace import C_PC
from tests.circuit.support import Edit, asm_witness
from tests.circuit.test_dishonest import assert_rejected
from tests.rejection import assert_rejected as assert_refused
from tests.segments.support import forged_receipt, segment_witnesses
from tests.vm.asm import DATA_BASE, Asm

CSR = {"cycle": 0xC00, "time": 0xC01, "instret": 0xC02,
       "cycleh": 0xC80, "timeh": 0xC81, "instreth": 0xC82}


def read_csr(prog: Asm, rd: int, name: str, rs1: int = 0) -> int:
    """``csrrs rd, name, rs1`` (``rdcycle rd`` & co. when rs1 is x0); returns its pc."""
    return prog.emit((CSR[name] << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x73)


def counter_program(loop: int = 0) -> tuple[Asm, dict[str, int]]:
    """Counts ``loop`` iterations, writes 10 journal bytes (a multi-row syscall), reads
    every counter, and exits with rdinstret - rdcycle (the rows between them): the
    program and the pc of each read."""
    prog = Asm()
    prog.data += b"0123456789"
    if loop:
        prog.li(5, loop)
        prog.op("addi", 5, 5, -1)
        prog.branch("bne", 5, 0, -4)
    prog.syscall(64, 1, DATA_BASE, 10)
    pcs = {"cycle": read_csr(prog, 6, "cycle")}
    pcs["cycleh"] = read_csr(prog, 7, "cycleh")
    pcs["time"] = read_csr(prog, 28, "time")
    pcs["instret"] = read_csr(prog, 29, "instret")
    pcs["timeh"] = read_csr(prog, 30, "timeh")
    pcs["x0"] = read_csr(prog, 0, "cycle")
    prog.op("sub", 10, 29, 6)
    prog.op("add", 10, 10, 7)       # + rdcycleh (0)
    prog.op("add", 10, 10, 30)      # + rdtimeh (0)
    prog.op("add", 10, 10, 0)       # + x0, which rdcycle x0 left 0
    prog.exit(reg=10)
    return prog, pcs


def row_of(result, pc: int) -> int:
    return int(np.flatnonzero(result.trace.rows[:, C_PC] == pc)[0])


def test_decoding_accepts_only_counter_reads():
    words = [(0xC00 << 20) | (6 << 7) | (2 << 12) | 0x73,             # rdcycle x6
             (0xC82 << 20) | (6 << 7) | (2 << 12) | 0x73,             # rdinstreth x6
             (0xC00 << 20) | (5 << 15) | (6 << 7) | (2 << 12) | 0x73,  # csrrs x6, cycle, x5
             (0xC00 << 20) | (6 << 7) | (1 << 12) | 0x73,             # csrrw x6, cycle, x0
             (0x300 << 20) | (6 << 7) | (2 << 12) | 0x73]             # csrr x6, mstatus
    ops = decode(np.array(words, dtype=np.uint32))[:, 0]
    assert list(ops) == [Op.RDCYCLE, Op.LUI, Op.ILLEGAL, Op.ILLEGAL, Op.ILLEGAL]


def test_the_executor_reads_the_row_index():
    prog, pcs = counter_program(loop=40)
    program = load_elf(prog.elf())
    result = execute(program, b"", record_trace=True)
    cycle, instret = row_of(result, pcs["cycle"]), row_of(result, pcs["instret"])
    # The loop and the write's rows (ecall, arguments, three copy rows) all count.
    assert cycle > 2 * 40 + 5
    assert result.exit_code == instret - cycle == 3
    assert int(result.registers[6]) == cycle
    assert int(result.registers[28]) == row_of(result, pcs["time"])
    assert int(result.registers[7]) == int(result.registers[30]) == 0
    assert int(result.registers[0]) == 0


def test_a_run_with_the_counters_proves_and_verifies():
    prog, _ = counter_program()
    program = load_elf(prog.elf())
    proved = engine.prove(program, b"")
    assert proved.receipt.exit_code == 3
    assert engine.verify(proved.receipt, program=program).valid


def test_the_counter_continues_across_segments():
    # About 3,000 rows: the reads sit in the fourth segment of 2^10 rows.
    prog, pcs = counter_program(loop=1400)
    program = load_elf(prog.elf())
    result = execute(program, b"", record_trace=True)
    assert row_of(result, pcs["cycle"]) > 3 * ((1 << 10) - 128)
    proved = engine.prove(program, b"", log_segment_height=10)
    assert proved.receipt.segment_count >= 4
    assert proved.receipt.exit_code == result.exit_code == 3
    assert engine.verify(proved.receipt, program=program).valid


# --- dishonest provers ---------------------------------------------------------------

def counter_row() -> tuple[Edit, int]:
    """A witness whose rdcycle result is overwritten right after, and rdcycle's row."""
    prog = Asm()
    prog.li(5, 3)
    pc = read_csr(prog, 7, "cycle")
    prog.op("addi", 7, 0, 0)
    prog.exit(code=0)
    edit = Edit(asm_witness(prog))
    return edit, edit.row_at(pc)


def test_a_wrong_count_is_rejected():
    edit, row = counter_row()
    assert edit.value("mem.c", row) == row
    wrong = row + 1
    edit.set_rd(row, wrong)
    edit.set_bits("x", row, wrong)
    assert_rejected(edit, constraint="cpu.cycle_value", row=row)


def test_the_count_plus_p_is_rejected():
    # row + p fits in 32 bits and equals the count in the field: only the bound on X's
    # top bits tells it from the count.
    edit, row = counter_row()
    wrong = row + P
    assert wrong < 1 << 32 and wrong >> COUNTER_BITS
    edit.set_rd(row, wrong)
    edit.set_bits("x", row, wrong)
    report = assert_rejected(edit, constraint="cpu.cycle_below_2_29", row=row)
    assert "cpu.cycle_value" not in {f.constraint for f in report.failures}


def counter_segments():
    """A run of three segments of 2^11 rows with rdcycle (overwritten next) in the
    last: the program, its witnesses, and that row's segment and local row."""
    prog = Asm()
    prog.li(5, 2000)
    prog.op("addi", 5, 5, -1)
    prog.branch("bne", 5, 0, -4)
    pc = read_csr(prog, 7, "cycle")
    prog.op("addi", 7, 0, 0)
    prog.exit(code=0)
    program = load_elf(prog.elf())
    _, witnesses = segment_witnesses(program, b"")
    assert len(witnesses) == 3
    edit = Edit(witnesses[2])
    return program, witnesses, edit, edit.row_at(pc)


def test_a_later_segment_cannot_count_from_zero():
    # The prover makes the last segment's rdcycle read its local row, as if the run
    # started there: a witness consistent with first_cycle = 0.
    program, witnesses, edit, row = counter_segments()
    first = witnesses[2].publics["first_cycle"]
    assert first == 2 * witnesses[2].shape.real_rows
    assert edit.value("mem.c", row) == first + row
    edit.set_rd(row, row)
    edit.set_bits("x", row, row)
    edit.publics["first_cycle"] = 0
    assert edit.check().ok
    # Proved with first_cycle = 0: the verifier computes first_cycle itself (the
    # transcript binds the public values, so the proof is for other inputs) ...
    forged = list(witnesses[:2]) + [edit.result()]
    receipt = forged_receipt(program, forged, exit_code=0, journal=b"")
    assert_refused(engine.verify(receipt, program=program), "segment 2: ")
    # ... and proved with this run's first_cycle, the counter's constraint fails.
    forged[2] = edit.result(publics=dict(witnesses[2].publics))
    receipt = forged_receipt(program, forged, exit_code=0, journal=b"")
    assert_refused(engine.verify(receipt, program=program),
                   "segment 2: the constraints do not hold")


def test_receipts_of_more_rows_than_the_counter_holds_are_refused():
    assert MAX_RUN_ROWS + (1 << 20) <= 1 << COUNTER_BITS   # every honest run fits
    program, witnesses, _, _ = counter_segments()
    honest = forged_receipt(program, witnesses, exit_code=0, journal=b"")
    count = (1 << COUNTER_BITS) // ((1 << 20) - honest.params.zk_rows) + 1
    tall = SegmentSeal(20, 0, b"\x00" * 64)
    receipt = dataclasses.replace(honest, segments=(tall,) * count)
    assert_refused(engine.verify(receipt, program=program), "the cycle counter's range")


@pytest.mark.parametrize("name", ["cycle", "instret", "time"])
def test_every_counter_is_one_rom_operation(name):
    from engine.circuit.program import CIRCUIT_CODE
    from engine.circuit.columns import OP_CODE
    word = (CSR[name] << 20) | (6 << 7) | (2 << 12) | 0x73
    op = decode(np.array([word], dtype=np.uint32))[0, 0]
    assert CIRCUIT_CODE[op] == OP_CODE["rdcycle"]
