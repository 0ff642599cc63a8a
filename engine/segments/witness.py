"""A run's segments as witnesses of the machine AIR, one after another.

``SegmentWitnesses(plan, image, log_height, secret)`` walks a :class:`SegmentPlan`:
segment ``k`` is window ``k`` of the run with window-local timestamps, its boundary
table, its slice of the final memory (the final table cut into slices of the
trace's real rows, in address order) and the state segment ``k - 1`` handed over
(``engine.circuit.witness.segment_witness``). The state's four mask elements come
from the prover's 32-byte ``secret`` and the segment index (SHA-256), so the two
phases of proving (``docs/continuations.md``) build the same traces. Memory holds
one window, one witness and the arrays indexed by word, whatever the run's length.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np

from engine.circuit.image import MachineImage
from engine.circuit.witness import MachineWitness, SegmentRows, segment_witness
from engine.errors import ProvingError
from engine.field.babybear import P
from engine.circuit.tables import BYTE_TABLE_ROWS
from engine.segments.boundary import BoundaryTableBuilder, local_trace
from engine.segments.final import FinalTable, final_table_of
from engine.segments.plan import SegmentPlan
from engine.stark.params import ProofParams
from engine.stark.protocol import trace_height_for


def generate_witness(image: MachineImage, result, *,
                     params: ProofParams = ProofParams(),  # noqa: B008
                     height: int | None = None,
                     rng: np.random.Generator | None = None) -> MachineWitness:
    """The witness of a whole recorded run as one segment (a run that fits one trace).

    ``result``: an ``ExecutionResult`` with a trace. ``height``: the trace height
    (default: the smallest that fits the run, its memory and the tables). Raises
    ``ValueError`` if the run is not a recorded, exited run of this image or does not
    fit ``height``.
    """
    if result.trace is None:
        raise ValueError("the run was not recorded: execute with record_trace=True")
    rows = result.trace.rows
    boundary = BoundaryTableBuilder(image, max(len(rows), 1)).table_of(0, rows)
    final = final_table_of(image, boundary.addr, boundary.out_value,
                           np.ones(len(boundary), dtype=np.int64))
    if height is None:
        needed = max(len(rows), len(final), len(image.code_words), BYTE_TABLE_ROWS)
        height = trace_height_for(needed, params)
    journal = bytes(result.journal)
    segment = SegmentRows(index=0, count=1, rows=rows, next_row=None, state_in=None,
                          input_length=result.input_length, boundary=boundary, final=final,
                          link_in=-1, journal=journal, j_in=0, j_out=len(journal),
                          exit_code=int(result.exit_code))
    return segment_witness(image, segment, params=params, height=height, rng=rng)


def state_random(secret: bytes, index: int) -> tuple[int, int, int, int]:
    """The four field elements masking the state segment ``index`` hands over."""
    digest = hashlib.sha256(b"zkwb/state-mask/v1" + bytes(secret)
                            + int(index).to_bytes(8, "little")).digest()
    return tuple(int.from_bytes(digest[8 * k:8 * k + 8], "little") % P for k in range(4))


def final_slice(final: FinalTable, index: int, rows: int) -> FinalTable:
    """Rows ``[index·rows, (index + 1)·rows)`` of the final table."""
    part = slice(index * rows, (index + 1) * rows)
    return FinalTable(final.addr[part], final.kind[part], final.final_value[part],
                      final.t_final[part], final.zinit[part])


class SegmentWitnesses:
    """The witnesses of a planned run's segments, in order (``__iter__``; each call
    records the run again). ``capacity_problem()`` says why the run cannot be proven in
    segments of this height before anything is recorded."""

    def __init__(self, plan: SegmentPlan, image: MachineImage, log_height: int,
                 secret: bytes, params: ProofParams = ProofParams()):  # noqa: B008
        self.plan, self.image, self.params = plan, image, params
        self.height = 1 << log_height
        self.real_rows = self.height - params.zk_rows
        if plan.run.rows_per_segment != self.real_rows:
            raise ValueError(f"the plan cuts {plan.run.rows_per_segment} rows per segment; "
                             f"a trace of 2^{log_height} rows holds {self.real_rows}")
        self.secret = bytes(secret)

    @property
    def count(self) -> int:
        return self.plan.segment_count

    def capacity_problem(self) -> str | None:
        words = len(self.plan.final)
        if words > self.count * self.real_rows:
            return (f"the run's memory has {words:,} words, more than its {self.count} "
                    f"segments of {self.real_rows:,} rows hold")
        if len(self.image.code_words) > self.real_rows:
            return (f"the program's code spans {len(self.image.code_words):,} words, more "
                    f"than a segment's {self.real_rows:,} rows")
        return None

    def __iter__(self) -> Iterator[MachineWitness]:
        state = None
        link = -1
        run = self.plan.run
        for segment in self.plan.segments():
            window, k = segment.window, segment.window.index
            final = final_slice(self.plan.final, k, self.real_rows)
            rows = SegmentRows(
                index=k, count=self.count, rows=local_trace(window).rows,
                next_row=None if window.next_row is None else window.next_row.copy(),
                state_in=state, input_length=run.input_length, boundary=segment.boundary,
                final=final, link_in=link, journal=run.journal,
                j_in=window.start.journal_position, j_out=window.end.journal_position,
                exit_code=run.exit_code, state_random=state_random(self.secret, k))
            try:
                witness = segment_witness(self.image, rows, params=self.params,
                                          height=self.height)
            except ValueError as e:
                raise ProvingError(f"segment {k} of {self.count} cannot be proven in a trace "
                                   f"of {self.height:,} rows: {e}; prove the run with taller "
                                   "segments") from None
            state = witness.state_out
            if len(final):
                link = int(final.addr[-1])
            yield witness


