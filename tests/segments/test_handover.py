"""The state one segment hands the next, computed from the boundary alone
(``engine.segments.handover``), is the state the segment's witness hands over, at
every boundary of runs whose boundaries fall on every row of every kind of syscall;
and such runs prove and verify (docs/continuations.md)."""
from __future__ import annotations

import functools

import numpy as np
import pytest

from engine import prove, verify
from engine.circuit.image import MachineImage
from engine.errors import ProvingError
from engine.segments import plan_segments
from engine.segments.handover import Handover
from engine.segments.witness import SegmentWitnesses, final_slice, state_random
from engine.stark.params import DEFAULT_PARAMS
from engine.vm import execute, load_elf
from tests.segments.support import SECRET
from tests.vm.asm import DATA_BASE, Asm

LOG_HEIGHT = 10
ROWS = (1 << LOG_HEIGHT) - DEFAULT_PARAMS.zk_rows
SYS_READ, SYS_WRITE, SYS_BRK = 63, 64, 214
BUFFER = DATA_BASE
#: The long read: more words than a segment has rows, so one window is copy rows only.
LONG = 4 * ROWS + 200
SHORT_ASKED, SHORT_LEFT = 100, 30
INPUT = bytes(range(256)) * ((12 + LONG + SHORT_LEFT) // 256 + 1)
INPUT = INPUT[:12 + LONG + SHORT_LEFT]


def _syscalls(a: Asm) -> None:
    """One of every kind of syscall row the circuit has, back to back."""
    a.syscall(SYS_READ, 0, BUFFER + 1, 12)          # a read of fd 0 (unaligned: 4 words)
    a.syscall(SYS_WRITE, 1, BUFFER + 1, 9)          # a journal write
    a.syscall(SYS_WRITE, 2, BUFFER, 5)              # the host log
    a.syscall(SYS_WRITE, 7, BUFFER, 3)              # another fd: EBADF
    a.syscall(SYS_READ, 3, BUFFER, 4)               # a read of another fd: EBADF
    a.syscall(SYS_READ, 0, BUFFER, 0)               # a read of nothing
    a.syscall(SYS_WRITE, 1, 0x10, 4)                # a bad buffer: EFAULT
    a.syscall(SYS_BRK, 0)                           # the break, then 64 bytes above it
    a.op("addi", 10, 10, 64)
    a.li(17, SYS_BRK)
    a.ecall()
    a.syscall(500)                                  # an unknown syscall: ENOSYS
    a.syscall(SYS_READ, 0, BUFFER + 2, LONG)        # copy rows across a whole window
    a.syscall(SYS_WRITE, 1, BUFFER + 3, 2 * ROWS)   # and a journal write as long
    a.syscall(SYS_READ, 0, BUFFER, SHORT_ASKED)     # a short read: 30 bytes are left


#: The pads: they move the boundary after segment 0 over every row from a few before
#: the first syscall to the first copy rows of the long read.
SWEEP = 85


@functools.cache
def _guest(pad: int):
    """The syscalls placed ``pad`` rows later than at ``pad = 0``, where the long
    read starts right at the end of segment 0."""
    a = Asm()
    a.data = bytearray(LONG + 2 * ROWS + 16)
    a.li(5, (ROWS - SWEEP + 5) // 2)                # a countdown loop: 2 rows a turn
    a.op("addi", 5, 5, -1)
    a.branch("bne", 5, 0, -4)
    for _ in range(pad):
        a.op("addi", 0, 0, 0)
    _syscalls(a)
    a.exit(code=3)
    return load_elf(a.elf(), name=f"syscalls-{pad}")


def _states(program):
    """Each boundary's state from the handover and from the witnesses; None when a
    window touches more words than a segment has rows (see the test)."""
    image = MachineImage.from_program(program)
    plan = plan_segments(program, INPUT, ROWS)
    source = SegmentWitnesses(plan, image, LOG_HEIGHT, SECRET)
    if any(len(segment.boundary.addr) > ROWS for segment in plan.segments()):
        with pytest.raises(ProvingError, match="boundary table needs .* taller segments"):
            list(source)
        return None
    handover = Handover(image, plan.run.input_length,
                        lambda k: final_slice(plan.final, k, source.real_rows),
                        lambda k: state_random(SECRET, k))
    computed = [handover.next(segment.window) for segment in plan.segments()]
    return computed, [w.state_out for w in source]


@pytest.mark.parametrize("pads", [range(k, SWEEP, 6) for k in range(6)],
                         ids=lambda pads: f"pads{pads.start}")
def test_the_state_handed_over_is_the_witness_state_at_every_row_of_every_syscall(pads):
    for pad in pads:
        states = _states(_guest(pad))
        if states is None:
            # The long read's ecall in a window's first rows and its copy past the
            # window's end: the window touches its rows' words and the syscall's
            # registers, more words than rows (docs/continuations.md, "Capacity").
            assert 9 <= pad <= 12
            continue
        computed, witnessed = states
        assert len(computed) == len(witnessed) >= 3
        assert computed[-1] is None and witnessed[-1] is None
        for k, (ours, theirs) in enumerate(zip(computed[:-1], witnessed[:-1])):
            assert np.array_equal(ours, theirs), f"pad {pad}, boundary after segment {k}"


@pytest.mark.parametrize("pad", [0, 25, 45, 52, 62, 73])
def test_runs_with_syscalls_on_the_boundary_prove_and_verify(pad):
    """Pad 0: a window of copy rows only. 25..73: a syscall's ecall in a segment's
    last row and its arguments row first in the next (a write to a bad buffer, to fd
    7, to the host log, to the journal; a read): the witness refused the last two."""
    program = _guest(pad)
    executed = execute(program, INPUT)
    result = prove(program, INPUT, log_segment_height=LOG_HEIGHT)
    verdict = verify(result.receipt, program=program)
    assert verdict.valid, verdict.reason
    assert verdict.segments >= 3
    assert (verdict.journal, verdict.exit_code) == (executed.journal, executed.exit_code)
    assert len(verdict.journal) == 9 + 2 * ROWS and verdict.exit_code == 3
