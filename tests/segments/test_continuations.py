"""Runs proved as several segments: every way state crosses a boundary proves and
verifies with the executor's journal and exit code (docs/continuations.md)."""
from __future__ import annotations

import functools

import pytest

from engine import prove, verify
from engine.errors import InputError
from engine.events import Progress
from engine.receipt import decode_receipt, encode_receipt
from engine.vm import execute
from tests.guest_scripts import BoundaryScript, buffer_address
from tests.segments.support import LOG_HEIGHT, ROWS, boundary_program


def _proved(script: BoundaryScript):
    run = script.build()
    program = boundary_program()
    result = prove(program, run.input, log_segment_height=LOG_HEIGHT)
    executed = execute(program, run.input)
    assert (executed.cycles, executed.journal, executed.exit_code) == (
        run.cycles, run.journal, run.exit_code)
    return run, executed, result


@functools.cache
def memory_and_registers():
    """A store in the last row of segment 0 read in segment 2; a register written in
    the last row of segment 1 and read in segment 2; a read whose copy rows span the
    boundary between segments 2 and 3; journal bytes written in segments 2 and 3; the
    exit in the first row of segment 4."""
    s = BoundaryScript()
    s.store(buffer_address(0), 0xCAFE_F00D, at=ROWS - 1)
    s.set_reg(3, 0x1234_5678, at=2 * ROWS - 1)
    s.load_commit(buffer_address(0), at=2 * ROWS + 40)
    s.commit_reg(3)
    s.read(buffer_address(256), 600, at=3 * ROWS - 60)
    s.write(buffer_address(256), 600, at=3 * ROWS + 300)
    s.exit(7, at=4 * ROWS)
    return _proved(s)


@functools.cache
def writes_across_and_exit_last():
    """A journal write whose copy rows span a boundary, a byte store in a segment's
    first row (segment 2), and the exit in the last row of the last segment."""
    s = BoundaryScript()
    s.read(buffer_address(1024), 400)
    s.write(buffer_address(1024), 400, at=ROWS - 30)
    s.store_byte(buffer_address(1030), 0x5A, at=2 * ROWS)
    s.load_commit(buffer_address(1028))
    s.exit(3, at=3 * ROWS - 1)
    return _proved(s)


@pytest.mark.parametrize("case", [memory_and_registers, writes_across_and_exit_last],
                         ids=["memory_and_registers", "writes_across_and_exit_last"])
def test_a_run_across_boundaries_proves_and_verifies(case):
    run, executed, result = case()
    receipt = result.receipt
    assert receipt.segment_count == -(-run.cycles // ROWS) >= 3
    assert (receipt.journal, receipt.exit_code) == (executed.journal, executed.exit_code)
    assert [s.journal_end for s in receipt.segments][-1] == len(executed.journal)
    verdict = verify(decode_receipt(encode_receipt(receipt)), program=boundary_program())
    assert verdict.valid, verdict.reason
    assert verdict.segments == receipt.segment_count
    assert verdict.journal == executed.journal and verdict.exit_code == executed.exit_code


def test_exit_rows_sit_where_the_cases_say():
    run, _, _ = memory_and_registers()
    assert run.last("exit").ecall == 4 * ROWS           # segment 4's first row
    run, _, _ = writes_across_and_exit_last()
    assert run.last("exit").ecall == 3 * ROWS - 1       # the last segment's last row
    assert run.cycles == 3 * ROWS


def test_journal_is_written_in_several_segments():
    _, _, result = memory_and_registers()
    ends = [s.journal_end for s in result.receipt.segments]
    starts = [0] + ends[:-1]
    assert sum(1 for a, b in zip(starts, ends) if b > a) >= 2
    assert ends == sorted(ends)


def test_phase_one_reports_the_segments_committed():
    s = BoundaryScript()
    s.exit(0, at=2 * ROWS + 10)
    events = []
    result = prove(boundary_program(), s.build().input, log_segment_height=LOG_HEIGHT,
                   on_event=events.append)
    assert result.receipt.segment_count == 3
    fractions = [e.fraction for e in events if isinstance(e, Progress) and e.phase == "stage0"]
    assert fractions == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_a_run_that_fits_one_segment_is_one_segment():
    s = BoundaryScript()
    s.store(buffer_address(0), 9)
    s.load_commit(buffer_address(0))
    result = prove(boundary_program(), s.build().input, log_segment_height=LOG_HEIGHT + 2)
    assert result.receipt.segment_count == 1
    assert result.receipt.log_trace_height == LOG_HEIGHT     # the smallest that fits
    assert verify(result.receipt, program=boundary_program()).valid


@pytest.mark.parametrize("log_height", [9, 21, 18.0, True])
def test_unsupported_segment_heights_are_refused(log_height):
    with pytest.raises(InputError, match="segments are 2\\^10 to 2\\^20 rows"):
        prove(boundary_program(), b"", log_segment_height=log_height)


# Guests proved in many small segments against qemu-riscv32: reads, writes, the heap
# and the exit cross boundaries wherever the cut falls.
QEMU_RUNS = {
    "sha256": (b"multi-segment " * 4, 10),
    "sort": (b"9 3 7 1 8 2 6 4 5 0 11 15 13 12 14 10\n", 10),
    "hello": (b"segments! " * 300, 11),
}


@pytest.mark.parametrize("guest", QEMU_RUNS)
def test_multi_segment_proofs_claim_what_qemu_does(guest):
    from engine.vm import load_elf
    from tests.vm.qemu import GUESTS_DIR, run_qemu

    data, log_height = QEMU_RUNS[guest]
    reference = run_qemu(GUESTS_DIR / f"{guest}.elf", data)
    program = load_elf(GUESTS_DIR / f"{guest}.elf")
    receipt = prove(program, data, log_segment_height=log_height).receipt
    assert receipt.segment_count >= 2
    assert receipt.journal == reference.stdout
    assert receipt.exit_code & 0xFF == reference.exit_code
    verdict = verify(receipt, program=program)
    assert verdict.valid, verdict.reason


def test_a_receipt_that_does_not_verify_is_never_returned(monkeypatch):
    """engine.prove verifies what it proved: a prover bug (here, one cell of every
    segment's trace changed after the witness was built), proved with the prover-side
    checks off, raises ProvingError instead of returning a receipt."""
    from engine.prover import local
    from engine.errors import ProvingError
    from engine.segments.witness import SegmentWitnesses

    class Broken(SegmentWitnesses):
        def __iter__(self):
            for witness in super().__iter__():
                pc = witness.air.main_names.index("cpu.pc")
                witness.main[pc, 5] = (int(witness.main[pc, 5]) + 4) % (2**31 - 2**27 + 1)
                yield witness

    monkeypatch.setattr(local, "SegmentWitnesses", Broken)
    run = BoundaryScript().exit(0, at=ROWS + 10).build()
    with pytest.raises(ProvingError, match="the receipt just proved does not verify: "
                                           "segment 0: .*zkwb prove --check"):
        prove(boundary_program(), run.input, log_segment_height=LOG_HEIGHT, check=False)
