"""The receipt: a claim, the parameters it was proven with, and one seal per segment."""
from __future__ import annotations

from dataclasses import dataclass

from engine.receipt.image import ProgramImage
from engine.stark.params import ProofParams


@dataclass(frozen=True, slots=True)
class SegmentSeal:
    """One segment's proof.

    ``log_trace_height``: the segment's trace has ``2^log_trace_height`` rows.
    ``journal_end``: how many journal bytes the run had written by the end of this
    segment (the next segment starts writing there; the last segment's is the whole
    journal's length). ``seal``: the segment's encoded STARK proof
    (``engine.stark.encode_proof``).
    """
    log_trace_height: int
    journal_end: int
    seal: bytes


@dataclass(frozen=True)
class Receipt:
    """A claim and its proof.

    The claim: the program with ``image_id`` halted with ``exit_code`` (a0 at exit,
    unsigned 32-bit) and wrote ``journal``. ``security_bits`` is the conjectured
    security the prover reported, the lowest over the segments (the tallest
    segment's) and the global buses that link them (the verifier recomputes it).
    ``image`` is None for a detached receipt. ``segments`` holds one
    :class:`SegmentSeal` per segment of the run, in order, at least one: their trace
    heights and journal boundaries are, besides the claim, all a receipt reveals.
    ``global_pow_nonce``: the proof of work ground before the global challenges
    (``engine.stark.stage0``), an unsigned 64-bit integer.

    Constructing a receipt checks only that there is a tuple of one or more
    segments; ``decode_receipt`` checks the rest of the form (heights, journal
    boundaries, sizes), the verifier everything else.
    """
    image_id: bytes
    exit_code: int
    journal: bytes
    params: ProofParams
    security_bits: float
    image: ProgramImage | None
    segments: tuple[SegmentSeal, ...]
    global_pow_nonce: int = 0

    def __post_init__(self) -> None:
        segments = tuple(self.segments)
        if not segments:
            raise ValueError("a receipt has at least one segment")
        if not all(isinstance(s, SegmentSeal) for s in segments):
            raise TypeError("a receipt's segments are SegmentSeal objects")
        object.__setattr__(self, "segments", segments)

    @property
    def detached(self) -> bool:
        return self.image is None

    @property
    def segment_count(self) -> int:
        return len(self.segments)

    @property
    def log_trace_height(self) -> int:
        """log2 of the tallest segment's trace height."""
        return max(s.log_trace_height for s in self.segments)

    @property
    def trace_rows(self) -> int:
        """The rows of every segment's trace together."""
        return sum(1 << s.log_trace_height for s in self.segments)

    @property
    def seal_bytes(self) -> int:
        """The seals' total size in bytes."""
        return sum(len(s.seal) for s in self.segments)
