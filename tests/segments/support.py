"""Shared helpers of the continuation tests: segment witnesses of scripted runs and a
dishonest prover that proves any list of them with every prover-side check off."""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

from engine.api import claim_bytes
from engine.circuit.image import MachineImage
from engine.circuit.witness import MachineWitness
from engine.prover.local import prove_segments
from engine.receipt import ProgramImage, Receipt, SegmentSeal
from engine.segments import plan_segments
from engine.segments.witness import SegmentWitnesses
from engine.stark.params import DEFAULT_PARAMS
from engine.vm import load_elf
from tests.guest_scripts import BOUNDARY_ELF

#: Segments of 2^11 rows: the boundary guest's code (about 1,100 words) needs more
#: than 2^10's 926 real rows in every segment's program ROM.
LOG_HEIGHT = 11
ROWS = (1 << LOG_HEIGHT) - DEFAULT_PARAMS.zk_rows
#: One secret for every run, so that runs of the same length hand over the same masks.
SECRET = bytes(range(32))


@functools.cache
def boundary_program():
    return load_elf(str(BOUNDARY_ELF))


def segment_witnesses(program, data: bytes, log_height: int = LOG_HEIGHT,
                      secret: bytes = SECRET) -> tuple[SegmentWitnesses, list[MachineWitness]]:
    """The planned run's witness source and its witnesses, in order."""
    plan = plan_segments(program, data, (1 << log_height) - DEFAULT_PARAMS.zk_rows)
    source = SegmentWitnesses(plan, MachineImage.from_program(program), log_height, secret)
    return source, list(source)


def reground(receipt: Receipt) -> Receipt:
    """``receipt`` with the global proof of work ground again for its segments' stage-0
    roots and its claim, as a forger who edited the segment list would: the edit must
    then be caught by what the proofs check, not by the nonce."""
    from engine.circuit.machine import build_air
    from engine.stark import decode_proof
    from engine.stark.shape import proof_shape
    from engine.stark.stage0 import grind_global_challenges

    air = build_air()
    roots = [decode_proof(s.seal, proof_shape(air, receipt.params, s.log_trace_height)
                          .limits()).stage0_root for s in receipt.segments]
    claim = claim_bytes(receipt.image_id, receipt.exit_code, receipt.journal)
    nonce, _ = grind_global_challenges(air, claim, roots, receipt.params.global_pow_bits)
    return dataclasses.replace(receipt, global_pow_nonce=nonce)


def forged_receipt(program, witnesses: Sequence[MachineWitness], *, exit_code: int,
                   journal: bytes, secret: bytes = SECRET,
                   edit: Callable[[int, MachineWitness], dict] | None = None) -> Receipt:
    """A receipt for ``witnesses`` made by a prover that checks nothing (no row check,
    no balance check): the two phases run over exactly these traces. ``edit(k, w)``
    may return public values to prove segment ``k`` with instead of its own."""
    image = MachineImage.from_program(program)
    claim = claim_bytes(program.image_id, exit_code, journal)
    chosen = []
    for k, w in enumerate(witnesses):
        publics = dict(w.publics)
        if edit is not None:
            publics.update(edit(k, w))
        chosen.append(_Presented(w, publics))
    spans = [(0, 1)] * len(chosen)
    proved = prove_segments(lambda: iter(chosen), spans, image, claim=claim,
                            params=DEFAULT_PARAMS, check=False, secret=secret)
    return Receipt(image_id=program.image_id, exit_code=exit_code, journal=journal,
                   params=DEFAULT_PARAMS, security_bits=proved.security_bits,
                   image=ProgramImage.from_program(program),
                   segments=tuple(SegmentSeal(p.log_height, c.publics["j_out"], p.seal)
                                  for p, c in zip(proved.segments, chosen)),
                   global_pow_nonce=proved.global_pow_nonce)


class _Presented:
    """A witness proved with other public values (the prover's own choice)."""

    def __init__(self, witness: MachineWitness, publics: dict):
        self.main = witness.main
        self.publics = publics
        self.public_messages = witness.public_messages
        self.state_out = witness.state_out
