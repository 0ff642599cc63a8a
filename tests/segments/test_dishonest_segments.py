"""Dishonest segments: every way of cutting, reordering, splicing or editing a run's
segments is rejected by the verifier, whether the receipt is edited after proving or
the forged set is proved from scratch by a prover that checks nothing
(docs/continuations.md, "Soundness")."""
from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np
import pytest

from engine import prove, verify
from engine.circuit.columns import ST_COLUMNS
from engine.receipt import Receipt
from engine.vm import execute
from tests.guest_scripts import BoundaryScript, buffer_address
from tests.rejection import assert_rejected
from tests.segments.support import (LOG_HEIGHT, ROWS, boundary_program, forged_receipt,
                                    reground, segment_witnesses)


def _script(stored: int, register: int) -> BoundaryScript:
    """Five segments: a word stored in segment 0's last row and a register set in
    segment 1's last row, both read (and committed to the journal) in segment 3."""
    s = BoundaryScript()
    s.store(buffer_address(0), stored, at=ROWS - 1)
    s.set_reg(2, register, at=2 * ROWS - 1)
    s.load_commit(buffer_address(0), at=3 * ROWS + 20)
    s.commit_reg(2)
    s.exit(0, at=5 * ROWS - 10)
    return s


@functools.cache
def _run(stored: int = 0xCAFE, register: int = 0x77):
    data = _script(stored, register).build().input
    executed = execute(boundary_program(), data)
    _, witnesses = segment_witnesses(boundary_program(), data)
    assert len(witnesses) == 5
    return executed, witnesses


@functools.cache
def _honest() -> Receipt:
    executed, _ = _run()
    receipt = prove(boundary_program(), _script(0xCAFE, 0x77).build().input,
                    log_segment_height=LOG_HEIGHT).receipt
    assert receipt.segment_count == 5 and receipt.journal == executed.journal
    return receipt


#: A receipt edited after proving, its global proof of work ground again: every
#: segment's transcript absorbed the global challenges drawn from the original set's
#: stage-0 roots, so the first segment's LogUp grinding no longer matches.
EDITED = "segment 0: the LogUp proof of work is invalid"
#: The same edit without grinding again: the global nonce does not pass.
NOT_REGROUND = "the receipt's global proof of work does not pass"
CONSTRAINTS = "the constraints do not hold"
UNBALANCED = "do not balance across their boundaries"


def _rejected(receipt: Receipt, *expected: str) -> str:
    return assert_rejected(verify(receipt, program=boundary_program()), *expected)


def _reindexed(count: int):
    """Prove each witness as the segment of its position in a set of ``count``."""
    return lambda k, w: {"segment": k, "is_first": int(k == 0), "is_last": int(k == count - 1),
                         "first_cycle": k * w.shape.real_rows}


def _forged(witnesses, *, journal=None, exit_code=0, edit=None):
    executed, _ = _run()
    return forged_receipt(boundary_program(), witnesses, exit_code=exit_code,
                          journal=executed.journal if journal is None else journal, edit=edit)


def test_the_honest_run_verifies():
    assert verify(_honest(), program=boundary_program()).valid


@pytest.mark.parametrize("order", [[0, 2, 3, 4], [0, 1, 1, 2, 3, 4], [0, 2, 1, 3, 4],
                                   [0, 1, 2, 3]],
                         ids=["dropped", "duplicated", "swapped", "count_changed"])
def test_edited_segment_lists_are_rejected(order):
    honest = _honest()
    segments = tuple(honest.segments[k] for k in order)
    if order == [0, 1, 2, 3]:           # the count: the last segment's journal end
        last = dataclasses.replace(segments[-1], journal_end=len(honest.journal))
        segments = segments[:-1] + (last,)
    edited = dataclasses.replace(honest, segments=segments)
    _rejected(edited, NOT_REGROUND)
    _rejected(reground(edited), EDITED)


@pytest.mark.parametrize("order", [[0, 2, 3, 4], [0, 1, 1, 2, 3, 4], [0, 2, 1, 3, 4]],
                         ids=["dropped", "duplicated", "swapped"])
def test_reordered_segments_proved_again_are_rejected(order):
    _, witnesses = _run()
    chosen = [witnesses[k] for k in order]
    # A moved segment's boundary words name segments that are not before it (or its
    # final-memory link is not the previous slice's): its own constraints fail.
    _rejected(_forged(chosen, edit=_reindexed(len(chosen))), CONSTRAINTS, UNBALANCED)


def test_a_segment_of_another_run_spliced_into_a_receipt_is_rejected():
    other = prove(boundary_program(), _script(0xBEEF, 0x77).build().input,
                  log_segment_height=LOG_HEIGHT).receipt
    honest = _honest()
    segments = honest.segments[:1] + other.segments[1:2] + honest.segments[2:]
    edited = dataclasses.replace(honest, segments=segments)
    _rejected(edited, NOT_REGROUND)
    _rejected(reground(edited), EDITED)


@pytest.mark.parametrize("changed", ["memory word", "register"])
def test_a_value_changed_at_a_boundary_is_rejected(changed):
    """Segments 0 (and 1) of one run, the rest of a run whose stored word (or
    register) differs: each segment is an honest trace, but the value the later
    segments start from is not the one the earlier ones left; the claim is the
    second run's journal."""
    _, honest = _run()
    executed, other = _run(0xBEEF, 0x77) if changed == "memory word" else _run(0xCAFE, 0x99)
    cut = 1 if changed == "memory word" else 2
    spliced = honest[:cut] + other[cut:]
    _rejected(_forged(spliced, journal=executed.journal), UNBALANCED)


def test_a_changed_boundary_pc_is_rejected():
    """Segment 0 hands over a pc 4 bytes further on, and segment 1 receives it: the
    state messages match, but segment 0's last row does not step to that pc."""
    _, witnesses = _run()
    first, second = (dataclasses.replace(w, main=w.main.copy()) for w in witnesses[:2])
    pc = first.air.main_names.index("st.pc")
    last = first.shape.real_rows - 1
    first.main[pc, last] += 4
    second.main[pc, 0] += 4
    second.main[second.air.main_names.index("cpu.pc"), 0] += 4
    _rejected(_forged([first, second] + witnesses[2:]), f"segment 0: {CONSTRAINTS}")


def test_a_run_cut_before_its_exit_is_rejected():
    """The first three segments claimed as the whole run, the third marked last."""
    _, witnesses = _run()
    prefix = witnesses[:3]
    journal = _run()[0].journal[:prefix[-1].publics["j_out"]]
    _rejected(_forged(prefix, journal=journal, edit=_reindexed(3)), f"segment 2: {CONSTRAINTS}")


def test_state_columns_are_all_handed_over():
    """Every st column a segment sends is what the next one receives (the masks too)."""
    _, witnesses = _run()
    for before, after in itertools.pairwise(witnesses):
        sent = before.main[:len(ST_COLUMNS), before.shape.real_rows - 1]
        received = after.main[:len(ST_COLUMNS), 0]
        assert np.array_equal(sent, received)
        assert np.array_equal(sent, before.state_out)


def test_the_stated_security_includes_the_global_sum():
    """The receipt states the lowest of its segments' figures and the global buses'
    (which falls with the total height): for the honest five segments the segments'
    figure binds; a receipt of thousands of 2^20-row segments is refused for the
    global sum's security before any seal is read."""
    from engine.circuit.image import MachineImage, image_messages
    from engine.circuit.machine import build_air
    from engine.receipt import SegmentSeal
    from engine.stark.protocol import security_centibits, security_report
    from engine.stark.stage0 import global_security_centibits

    honest = _honest()
    air = build_air()
    segment_bits = security_centibits(security_report(air, honest.params, 1 << LOG_HEIGHT))
    global_bits = global_security_centibits(
        air, honest.params, [1 << LOG_HEIGHT] * honest.segment_count,
        (image_messages(MachineImage.from_program(boundary_program())),))
    assert honest.security_bits == min(segment_bits, global_bits) / 100 == segment_bits / 100
    assert verify(honest, program=boundary_program()).security_bits == honest.security_bits

    count = 6000        # 99.84 bits for the global sum over 6000 · 2^20 rows
    tall = dataclasses.replace(honest, segments=tuple(
        SegmentSeal(20, len(honest.journal) if k == count - 1 else 0, b"not a seal")
        for k in range(count)))
    _rejected(tall, "bits of conjectured security for the global sum over 6,000 segments "
                    "is below the policy's floor of 100")
