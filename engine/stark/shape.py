"""The shape of an honest proof: every count that the AIR, the parameters and the
trace height fix, known before reading a byte of the proof.

A proof is untrusted, and the expensive part of verifying one (recomputing the
preprocessed columns and their commitment, ``O(H·blowup)``) comes early in the
transcript. Everything the verifier can check without it is checked first:
:func:`proof_shape` says what an honest proof for ``(air, params, log_height)`` holds,
:meth:`ProofShape.limits` turns that into caps for :func:`engine.stark.proof.decode_proof`
(so a seal is never decoded into more than an honest one holds, and a longer seal is
refused before decoding), and :meth:`ProofShape.check` compares a decoded
:class:`~engine.stark.proof.Proof` with it field by field: the number of committed
groups and their widths, the opening points, the mask, the query openings (one
matrix per commitment, the same number of distinct rows in each, at most
``num_queries``, Merkle paths no longer than the tree is deep), the FRI layers (their
number, leaf widths, rows and paths) and the final polynomial's length.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.stark.air import Air
from engine.stark.fri import FriProof, OpenedRows, fri_shape
from engine.stark.params import OPENING_POINTS_PER_COLUMN, ProofParams
from engine.stark.pcs import PcsProof
from engine.stark.proof import Proof, ProofLimits
from engine.stark.protocol import trace_shape
from engine.stark.quotient import chunk_count

__all__ = ["ProofShape", "proof_shape"]

_DIGEST = 32


@dataclass(frozen=True)
class ProofShape:
    """What an honest proof holds (see the module docstring).

    ``groups``: per committed group in commitment order (preprocessed, main, aux,
    quotient: those the AIR has), ``(points, width)``. ``opening_widths``: the width
    of each query opening (the groups', then the mask's with zero knowledge).
    ``max_rows``: distinct query rows at most (``num_queries``). ``log_domain``: log2
    of the LDE size (the depth of the trace trees). ``fri_layers``: per FRI layer,
    ``(leaf width in u32, log2 of its leaf count)``. ``final_len``: coefficients of
    FRI's final polynomial.
    """

    log_height: int
    has_preprocessed: bool
    has_logup: bool
    has_stage0: bool
    logup_sums: int
    groups: tuple[tuple[int, int], ...]
    zk: bool
    opening_widths: tuple[int, ...]
    max_rows: int
    log_domain: int
    fri_layers: tuple[tuple[int, int], ...]
    final_len: int

    def limits(self) -> ProofLimits:
        """Caps for :func:`~engine.stark.proof.decode_proof`: nothing beyond this shape."""
        widths = [w for _, w in self.groups] + list(self.opening_widths) + \
            [w for w, _ in self.fri_layers]
        return ProofLimits(max_bytes=self.max_bytes(), max_groups=len(self.groups),
                           max_points=max(p for p, _ in self.groups),
                           max_columns=max(widths), max_rows=self.max_rows,
                           max_nodes=self.max_rows * self.log_domain,
                           max_fri_layers=len(self.fri_layers), max_final_len=self.final_len)

    def max_bytes(self) -> int:
        """The longest encoding (``docs/stark.md``) a proof of this shape can have."""
        size = 4 + 1 + 1 + 4 + 1                                   # magic .. flags
        size += _DIGEST * (2 + self.has_preprocessed + self.has_stage0)  # prep?, stage0?,
        if self.has_logup:                                         # main, quotient
            size += _DIGEST + 8 + 4 + 16 * self.logup_sums         # aux root, nonce, sums
        size += 1 + sum(1 + 4 + 4 + 16 * points * width for points, width in self.groups)
        size += 1 + (_DIGEST if self.zk else 0)                    # mask flag, root
        size += 1 + sum(self._rows_bytes(width, self.log_domain)
                        for width in self.opening_widths)
        size += 1 + sum(_DIGEST + self._rows_bytes(width, log_leaves)
                        for width, log_leaves in self.fri_layers)
        size += 4 + 4 + 16 * self.final_len + 8                    # final poly, nonce
        return size

    def _rows_bytes(self, width: int, depth: int) -> int:
        rows = min(self.max_rows, 1 << depth)
        return 1 + 4 + 4 + 4 + 4 * rows * width + 4 + _DIGEST * rows * depth

    def check(self, proof: Proof) -> str | None:
        """Why ``proof`` does not have this shape (a reason for a person), else None.
        Never raises: any field may be of any type."""
        try:
            return self._check(proof)
        except (TypeError, AttributeError, ValueError) as error:
            return f"the proof is malformed: {error}"

    def _check(self, proof: Proof) -> str | None:
        if not isinstance(proof, Proof):
            return "the proof is not a Proof"
        if proof.log_height != self.log_height:
            return (f"the proof is for a trace of 2^{proof.log_height!r} rows, not the "
                    f"claimed 2^{self.log_height}")
        if not isinstance(proof.preprocessed_root, bytes) or \
                bool(proof.preprocessed_root) != self.has_preprocessed:
            return ("the proof's preprocessed root does not match the AIR (it has "
                    f"{'' if self.has_preprocessed else 'no '}preprocessed columns)")
        if not isinstance(proof.stage0_root, bytes) or \
                bool(proof.stage0_root) != self.has_stage0:
            return ("the proof's stage-0 root does not match the AIR (it has "
                    f"{'' if self.has_stage0 else 'no '}stage-0 columns)")
        if not isinstance(proof.aux_root, bytes) or bool(proof.aux_root) != self.has_logup:
            return ("the proof's LogUp data does not match the AIR (it has "
                    f"{'' if self.has_logup else 'no '}buses)")
        pcs = proof.opening
        if not isinstance(pcs, PcsProof):
            return "the proof has no opening proof"
        values = pcs.opened_values
        if not isinstance(values, tuple) or len(values) != len(self.groups):
            return (f"the proof opens {_count(values)} committed groups; this AIR commits "
                    f"{len(self.groups)}")
        for g, (v, (points, width)) in enumerate(zip(values, self.groups)):
            if not isinstance(v, np.ndarray) or v.shape != (points, width, 4):
                return (f"opened values of group {g} have shape {_shape_of(v)}, not "
                        f"({points}, {width}, 4)")
        if not isinstance(pcs.mask_root, bytes) or bool(pcs.mask_root) != self.zk:
            return ("the proof lacks the zero-knowledge mask its parameters call for"
                    if self.zk else "the proof has a zero-knowledge mask but its parameters "
                    "have no zk")
        openings = pcs.query_openings
        if not isinstance(openings, tuple) or len(openings) != len(self.opening_widths):
            return (f"the proof has {_count(openings)} query openings; its parameters and "
                    f"AIR call for {len(self.opening_widths)}")
        rows = None
        for i, (opening, width) in enumerate(zip(openings, self.opening_widths)):
            problem, k = _check_rows(opening, width, self.max_rows, self.log_domain)
            if problem:
                return f"query opening {i}: {problem}"
            if rows is not None and k != rows:
                return (f"query opening {i} opens {k} rows, query opening 0 opens {rows}: "
                        "every commitment is opened at the same rows")
            rows = k
        fri = pcs.fri
        if not isinstance(fri, FriProof):
            return "the proof has no FRI proof"
        layers = len(self.fri_layers)
        for name, items in (("layer roots", fri.layer_roots),
                            ("layer openings", fri.layer_openings)):
            if not isinstance(items, tuple) or len(items) != layers:
                return (f"the FRI proof has {_count(items)} {name}; a trace of "
                        f"2^{self.log_height} rows with these parameters folds in {layers}")
        for i, (opening, (width, log_leaves)) in enumerate(zip(fri.layer_openings,
                                                               self.fri_layers)):
            problem, _ = _check_rows(opening, width, min(self.max_rows, 1 << log_leaves),
                                     log_leaves)
            if problem:
                return f"FRI layer {i}: {problem}"
        final = fri.final_poly
        if not isinstance(final, np.ndarray) or final.shape != (self.final_len, 4):
            return (f"the FRI final polynomial has shape {_shape_of(final)}, not "
                    f"({self.final_len}, 4)")
        return None


def proof_shape(air: Air, params: ProofParams, log_height: int) -> ProofShape:
    """The shape of an honest proof of ``air`` at ``2^log_height`` rows with ``params``.

    Raises ``ValueError`` for a height outside the supported range
    (:func:`engine.stark.protocol.trace_shape`).
    """
    if type(log_height) is not int or not 0 < log_height < 64:
        raise ValueError(f"the trace height 2^{log_height!r} is not supported")
    shape = trace_shape(1 << log_height, params)
    points = OPENING_POINTS_PER_COLUMN
    groups = []
    if air.n_prep:
        groups.append((points, air.n_prep))
    if air.n_stage0:
        groups.append((points, air.n_stage0))
    groups.append((points, air.n_main - air.n_stage0))
    if air.logup is not None:
        groups.append((points, air.n_aux_base))
    groups.append((1, 4 * chunk_count(air, shape)))
    log_domain = log_height + params.log_blowup
    fri = fri_shape(log_domain, params)
    sizes = fri.layer_log_sizes()
    layers = tuple((4 << log_arity, sizes[i + 1]) for i, log_arity in enumerate(fri.log_arities))
    opening_widths = tuple(w for _, w in groups) + ((4,) if params.zk else ())
    return ProofShape(log_height=log_height, has_preprocessed=bool(air.n_prep),
                      has_logup=air.logup is not None, has_stage0=bool(air.n_stage0),
                      logup_sums=len(air.aux_public_names), groups=tuple(groups), zk=params.zk,
                      opening_widths=opening_widths,
                      max_rows=min(params.num_queries, 1 << log_domain),
                      log_domain=log_domain, fri_layers=layers,
                      final_len=1 << fri.log_final_len)


def _check_rows(opening: object, width: int, max_rows: int,
                depth: int) -> tuple[str | None, int]:
    """(reason or None, rows) for one Merkle opening of one ``width``-wide matrix."""
    if not isinstance(opening, OpenedRows) or not isinstance(opening.values, tuple):
        return "the opening is missing", 0
    if len(opening.values) != 1:
        return f"it holds {len(opening.values)} matrices, not 1", 0
    values = opening.values[0]
    if not isinstance(values, np.ndarray) or values.ndim != 2 or values.shape[1] != width:
        return f"its rows have shape {_shape_of(values)}, not (k, {width})", 0
    rows = values.shape[0]
    if not 1 <= rows <= max_rows:
        return f"it opens {rows} rows; at most {max_rows} (one per query) can be opened", 0
    nodes = opening.nodes
    if not isinstance(nodes, np.ndarray) or nodes.ndim != 2:
        return "its Merkle nodes are malformed", 0
    if nodes.shape[0] > rows * depth:
        return (f"it has {nodes.shape[0]} Merkle nodes; {rows} rows of a tree of depth "
                f"{depth} need at most {rows * depth}"), 0
    return None, rows


def _count(items: object) -> str:
    return str(len(items)) if isinstance(items, tuple) else "no"


def _shape_of(value: object) -> str:
    return str(value.shape) if isinstance(value, np.ndarray) else type(value).__name__
