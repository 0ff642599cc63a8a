"""LogUp numerics: the prover's aux trace and the verifier's public contribution.

See :mod:`engine.stark.logup` for the argument and the column layout.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from engine.events import CancelToken
from engine.field.babybear import P, addmod, bb_random, mulmod
from engine.field.ext4 import e4_inv, e4_mul
from engine.field.scalar import Ext
from engine.stark import codegen
from engine.stark.declaration import TraceShape
from engine.stark.eval_inputs import as_base_vector, as_ext_rows, as_matrix
from engine.stark.windows import padded_window, window_buffer

_CHUNK = 1 << 16     # rows evaluated per kernel call (bounds the scratch memory)
_BLOCK = 1024        # rows per parallel task and per batch inversion
# The part of build_aux_trace's progress its blocks of fractions take (the running
# sums are the rest).
_FRACTIONS_SHARE = 0.9


@dataclass(frozen=True)
class PublicMessages:
    """Messages the verifier itself puts on ``bus``, computed from public data (the
    journal, the program image...). ``values`` is ``(n, width)``; ``multiplicities``
    ``(n,)`` signed integers: positive when the verifier sends, negative when it
    receives, as for the AIR's own interactions."""

    bus: str
    values: np.ndarray
    multiplicities: np.ndarray

    @classmethod
    def sends(cls, bus: str, values, count: int = 1) -> PublicMessages:
        """Each row of ``values`` sent ``count`` times."""
        values = np.asarray(values, dtype=np.int64).reshape(len(values), -1)
        return cls(bus, values, np.full(len(values), count, dtype=np.int64))

    @classmethod
    def receives(cls, bus: str, values, count: int = 1) -> PublicMessages:
        """Each row of ``values`` received ``count`` times."""
        return cls.sends(bus, values, -count)


def build_aux_trace(air, main, preprocessed, publics, challenges, zk_rows: int,
                    rng: np.random.Generator | None = None, *,
                    progress: Callable[[float], None] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Compute the LogUp aux trace of a witness.

    ``main`` is ``(n_main, H)`` and ``preprocessed`` ``(n_prep, H)`` uint32; ``publics``
    ``(n_public,)``; ``challenges`` the ``(2, 4)`` extension values ``gamma, beta``
    (array or ``Ext`` sequence). The last ``zk_rows`` rows get random values from
    ``rng`` (``None``: the operating system's secure source).

    With global buses ``challenges`` also holds ``gamma_g, beta_g`` (``(4, 4)``).

    Returns ``(aux, logup_sum)``: ``aux`` is ``(4·air.n_aux, H)`` uint32 (extension
    column ``t`` is base columns ``4t..4t+3``), ``logup_sum`` the ``(4,)`` uint32 value
    ``S = phi[H - zk_rows - 1]`` (``(8,)``: ``S`` then ``S_g`` with global buses).
    Without interactions: a ``(0, H)`` matrix and ``S=0``. ``progress(fraction)``, when
    given, is called after each block of rows and with 1.0 at the end (it may raise to
    stop the work).
    Raises ``ValueError`` for malformed inputs or if a LogUp denominator is zero on a
    real row (a degenerate challenge, or flags of an exclusive group that are not).
    """
    main = np.asarray(main)
    height = main.shape[1] if main.ndim == 2 else 0
    plan = air.logup
    if plan is None:
        if progress is not None:
            progress(1.0)
        return np.zeros((0, height), dtype=np.uint32), np.zeros(4, dtype=np.uint32)
    n_batches = len(plan.batches)
    real = TraceShape(height, zk_rows).real_rows
    aux = np.empty((4 * air.n_aux, height), dtype=np.uint32)
    for row0, values in _fractions(air, main, preprocessed, publics, challenges, zk_rows):
        _check_denominators(_divide_into(values, n_batches, aux, row0))
        if progress is not None:
            # The running sums take about a tenth of the time (2^16 rows, sha256).
            progress(_FRACTIONS_SHARE * (row0 + values.shape[1]) / real)
    _running_sum(aux, 0, plan.n_local, 4 * n_batches, real)
    if plan.has_global:
        _running_sum(aux, plan.n_local, n_batches - plan.n_local, 4 * (n_batches + 1), real)
    aux[:, real:] = bb_random(rng, (aux.shape[0], height - real))
    if progress is not None:
        progress(1.0)
    return aux, aux[4 * n_batches:, real - 1].copy()


def interaction_sum(air, main, preprocessed, publics, challenges, zk_rows: int, *,
                    cancel: CancelToken | None = None,
                    progress: Callable[[float], None] | None = None) -> Ext:
    """``sum m / d(v)`` over every interaction on a local bus at every real row, as an
    ``Ext``: the ``S`` that :func:`build_aux_trace` would return, without building the
    aux trace (a global bus balances only over a set of proofs).

    With random challenges, ``interaction_sum(...) + public_interaction_sum(...)`` is
    zero if every bus balances and otherwise non-zero except with probability about
    ``(messages · width) / p^4`` (the row checker's test). Same inputs and errors as
    :func:`build_aux_trace`; ``cancel`` is polled between blocks of rows, and
    ``progress(fraction)`` called after each.
    """
    plan = air.logup
    if plan is None:
        return Ext.ZERO
    n_batches = len(plan.batches)
    main = np.asarray(main)
    real = main.shape[1] - zk_rows if main.ndim == 2 else 0
    total = np.zeros(4, dtype=np.uint64)
    scratch = np.empty((4 * n_batches, _CHUNK), dtype=np.uint32)
    for row0, values in _fractions(air, main, preprocessed, publics, challenges, zk_rows):
        if cancel is not None:
            cancel.raise_if_cancelled()
        h = scratch[:, :values.shape[1]]
        _check_denominators(_divide_into(values, n_batches, h, 0), row0)
        # Below 2^31 each: 2^33 of them fit in a uint64 sum.
        local = h.reshape(n_batches, 4, -1)[:plan.n_local]
        total = (total + local.sum(axis=(0, 2), dtype=np.uint64)) % P
        if progress is not None:
            progress((row0 + values.shape[1]) / max(real, 1))
    return Ext(*map(int, total))


def _fractions(air, main, preprocessed, publics, challenges, zk_rows: int):
    """``(row0, values)`` per block of real rows: the batch numerators then the batch
    denominators (4 rows each) at rows ``row0 ..``, from the generated row kernel."""
    main = np.asarray(main)
    height = main.shape[1] if main.ndim == 2 else 0
    real = TraceShape(height, zk_rows).real_rows
    plan = air.logup
    main = as_matrix(main, air.n_main, height, "main trace")
    prep = as_matrix(preprocessed, air.n_prep, height, "preprocessed trace")
    publics = as_base_vector(publics, len(air.public_names), "public values")
    challenges = as_ext_rows(challenges, len(air.challenge_names), "challenges")
    n_batches = len(plan.batches)
    kernel = codegen.row_kernel(plan.batch_numerators + plan.batch_denominators,
                                all_ext=True)
    no_aux_publics = np.zeros((0, 4), dtype=np.uint32)
    # The kernel reads row-padded copies of the rows (engine.stark.windows), each
    # block with its next row so that the kernel never wraps.
    buffers = [window_buffer(m.shape[0], min(_CHUNK, real) + 1) for m in (main, prep)]
    for row0 in range(0, real, _CHUNK):
        count = min(_CHUNK, real - row0)
        main_rows, prep_rows = (padded_window(m, row0, count + 1, buffer)
                                for m, buffer in zip((main, prep), buffers))
        values = np.empty((8 * n_batches, count), dtype=np.uint32)
        kernel(0, 1, count + 1, main_rows, prep_rows,
               np.zeros((0, main_rows.shape[1]), dtype=np.uint32), publics, challenges,
               no_aux_publics, values)
        yield row0, values


def _check_denominators(bad: np.ndarray, row0: int = 0) -> None:
    if (bad >= 0).any():
        row = row0 + int(bad[bad >= 0].min())
        raise ValueError(f"a LogUp denominator is zero at row {row}: the challenges "
                         "are degenerate or an exclusive group has several flags set")


def public_interaction_sum(air, messages: Sequence[PublicMessages], challenges) -> Ext:
    """``sum m / d(v)`` over the verifier's own messages, as an ``Ext``.

    A valid proof has ``S + public_interaction_sum(...) == 0``. ``challenges`` are
    ``gamma, beta`` (array or ``Ext`` sequence), then ``gamma_g, beta_g`` when a message
    is on a global bus. Raises ``ValueError`` for an unknown bus, a message of the
    wrong width or out of range, or a zero denominator.
    """
    count = len(challenges)
    if count not in (2, 4):
        raise ValueError(f"challenges: expected 2 or 4 extension elements, got {count}")
    drawn = [Ext(*map(int, c)) for c in as_ext_rows(challenges, count, "challenges")]
    total = Ext.ZERO
    for group in messages:
        try:
            bus = air.bus(group.bus)
        except KeyError:
            raise ValueError(f"public messages for unknown bus {group.bus!r}") from None
        if bus.is_global and count < 4:
            raise ValueError(f"public messages on global bus {bus.name!r} need the global "
                             "challenges")
        gamma, beta = drawn[2:4] if bus.is_global else drawn[0:2]
        values = np.asarray(group.values)
        if values.ndim != 2 or values.shape[1] != bus.width:
            raise ValueError(f"bus {bus.name!r} carries {bus.width} elements per "
                             f"message; got values of shape {values.shape}")
        values = as_matrix(values, values.shape[0], bus.width, f"bus {bus.name!r} values")
        mults = np.asarray(group.multiplicities, dtype=np.int64)
        if mults.shape != (values.shape[0],):
            raise ValueError(f"bus {bus.name!r}: one multiplicity per message needed")
        offset = (gamma + bus.id).to_array()
        powers = np.array([(beta ** j).to_array() for j in range(1, bus.width + 1)],
                          dtype=np.uint32).reshape(bus.width, 4)
        result = np.zeros(4, dtype=np.uint64)
        bad = _fraction_sum(values, np.mod(mults, P).astype(np.uint32), offset, powers,
                            result)
        if bad >= 0:
            raise ValueError(f"bus {bus.name!r}: public message {bad} has a zero "
                             "LogUp denominator")
        total = total + Ext(*map(int, result))
    return total


def total_interactions(air, height: int, messages: Sequence[PublicMessages] = ()) -> int:
    """LogUp terms of a proof: every interaction at every row plus the verifier's
    messages, each counted with its multiplicity. Soundness needs this below P."""
    return air.interaction_count(height) + sum(
        int(np.abs(np.asarray(m.multiplicities, dtype=np.int64)).sum()) for m in messages)


# --- kernels -------------------------------------------------------------------------

@njit(nogil=True, cache=True, parallel=True)
def _divide_into(values, n_batches, aux, row0):
    """``aux[h_t, row0 + i] = N_t[i] / D_t[i]``, with one inversion per block of rows
    (Montgomery's trick). ``values`` rows: ``N_0..N_{T-1}`` then ``D_0..D_{T-1}``, four
    rows each. Returns, per task, the first row with ``D = 0`` or -1."""
    n = values.shape[1]
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    bad = np.full(n_batches * n_blocks, -1, dtype=np.int64)
    for task in prange(n_batches * n_blocks):
        t = task // n_blocks
        start = (task % n_blocks) * _BLOCK
        end = min(n, start + _BLOCK)
        num, den, col = 4 * t, 4 * (n_batches + t), 4 * t
        # Prefix products go to the output columns, which serve as scratch.
        acc = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
        for i in range(start, end):
            for c in range(4):
                aux[col + c, row0 + i] = acc[c]
            acc = e4_mul(acc, (values[den, i], values[den + 1, i], values[den + 2, i],
                               values[den + 3, i]))
        if acc[0] == 0 and acc[1] == 0 and acc[2] == 0 and acc[3] == 0:
            for i in range(start, end):
                if (values[den, i] == 0 and values[den + 1, i] == 0
                        and values[den + 2, i] == 0 and values[den + 3, i] == 0):
                    bad[task] = row0 + i
                    break
            continue
        inv = e4_inv(acc)
        for i in range(end - 1, start - 1, -1):
            prefix = (aux[col, row0 + i], aux[col + 1, row0 + i], aux[col + 2, row0 + i],
                      aux[col + 3, row0 + i])
            inv_d = e4_mul(inv, prefix)
            inv = e4_mul(inv, (values[den, i], values[den + 1, i], values[den + 2, i],
                               values[den + 3, i]))
            h = e4_mul(inv_d, (values[num, i], values[num + 1, i], values[num + 2, i],
                               values[num + 3, i]))
            for c in range(4):
                aux[col + c, row0 + i] = h[c]
    return bad


@njit(nogil=True, cache=True, parallel=True)
def _running_sum(aux, first, n_batches, phi, n_rows):
    """``aux[phi..phi+3, r] = sum_{r' <= r} sum_t h_t[r']`` over the batches ``first ..
    first + n_batches - 1``, for ``r < n_rows``: block-local prefix sums in parallel,
    then each block shifted by the total of the blocks before it."""
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    totals = np.zeros((n_blocks, 4), dtype=np.uint64)
    for b in prange(n_blocks):
        acc = np.zeros(4, dtype=np.uint64)
        for r in range(b * _BLOCK, min(n_rows, (b + 1) * _BLOCK)):
            for t in range(first, first + n_batches):
                for c in range(4):
                    acc[c] = addmod(acc[c], aux[4 * t + c, r])
            for c in range(4):
                aux[phi + c, r] = acc[c]
        totals[b] = acc
    offsets = np.zeros((n_blocks, 4), dtype=np.uint64)
    for b in range(1, n_blocks):
        for c in range(4):
            offsets[b, c] = addmod(offsets[b - 1, c], totals[b - 1, c])
    for b in prange(1, n_blocks):
        for r in range(b * _BLOCK, min(n_rows, (b + 1) * _BLOCK)):
            for c in range(4):
                aux[phi + c, r] = addmod(aux[phi + c, r], offsets[b, c])


@njit(nogil=True, cache=True)
def _fraction_sum(values, mults, offset, powers, result):
    """``result = sum_k mults[k] / (offset + sum_j powers[j]·values[k, j])``; returns
    the index of a zero denominator, or -1."""
    n, width = values.shape
    dens = np.empty((n, 4), dtype=np.uint64)
    prefix = np.empty((n, 4), dtype=np.uint64)
    acc = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
    for k in range(n):
        d = np.empty(4, dtype=np.uint64)
        for c in range(4):
            s = np.uint64(offset[c])
            for j in range(width):
                s = addmod(s, mulmod(powers[j, c], values[k, j]))
            d[c] = s
        if d[0] == 0 and d[1] == 0 and d[2] == 0 and d[3] == 0:
            return k
        dens[k] = d
        prefix[k, 0], prefix[k, 1], prefix[k, 2], prefix[k, 3] = acc
        acc = e4_mul(acc, (d[0], d[1], d[2], d[3]))
    inv = e4_inv(acc)
    total = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for k in range(n - 1, -1, -1):
        inv_d = e4_mul(inv, (prefix[k, 0], prefix[k, 1], prefix[k, 2], prefix[k, 3]))
        inv = e4_mul(inv, (dens[k, 0], dens[k, 1], dens[k, 2], dens[k, 3]))
        m = mults[k]
        total = (addmod(total[0], mulmod(inv_d[0], m)), addmod(total[1], mulmod(inv_d[1], m)),
                 addmod(total[2], mulmod(inv_d[2], m)), addmod(total[3], mulmod(inv_d[3], m)))
    for c in range(4):
        result[c] = total[c]
    return -1
