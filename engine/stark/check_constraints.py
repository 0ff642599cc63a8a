"""The row checker: why would proving this witness fail?

:func:`check_constraints` evaluates every constraint on the real rows of a witness and
reports, by name, the first failing row of each failing constraint, with the values
the constraint read there. It then balances every bus: each distinct message's net
multiplicity (sends minus receives, the verifier's public messages included) must be
zero, and every message that is not is listed with its count and where it first
appears. With the aux trace and challenges it also checks the LogUp columns.

Two ways to find the failures, with the same report:

* **compiled** (the prover's choice, and the default from 2^16 rows): the AIR's
  generated constraint kernel (:mod:`engine.stark.codegen`, the one the prover needs
  anyway, cached on disk) evaluates ``Σ_i c_i·sel_i(r)·C_i(r)`` at every real row ``r``
  with independent random extension coefficients ``c_i`` and 0/1 selectors. That is
  zero on a row where every constraint holds and, where one fails, non-zero except
  with probability ``p^-4 ≈ 2^-124``. Only the rows it flags are then evaluated
  constraint by constraint with NumPy, which names the failures. When no constraint
  fails, one LogUp sum under random challenges
  (:func:`engine.stark.logup_trace.interaction_sum`) is zero exactly when every bus
  balances (again up to a ``p^-4``-sized error), and only when it is not are the
  messages grouped one by one to list the unmatched ones;
* **NumPy** (``compiled=False``, the default for smaller traces, which need no
  compilation): every constraint over every real row, blocks of 2^14 rows at a time,
  and every message grouped by value.

A :class:`engine.events.CancelToken` is polled between blocks of rows, and a
``progress`` callback is told the fraction of the check done after each.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.events import CancelToken
from engine.field.babybear import P, bb_random
from engine.field.scalar import Ext, Fp
from engine.stark import symbolic
from engine.stark.air import Selector, TraceShape
from engine.stark.constraints import evaluate_constraints
from engine.stark.eval_inputs import as_base_vector, as_ext_rows, as_matrix
from engine.stark.logup_trace import PublicMessages, interaction_sum, public_interaction_sum
from engine.stark.numpy_eval import evaluate_numpy

_CHUNK = 1 << 14                 # rows per NumPy evaluation
_COMPILED_MIN_ROWS = 1 << 16     # traces this tall take the compiled path by default
# The part of the check's progress the constraints take (the buses are the rest): near
# their shares of the compiled check's time at 2^16 rows (sha256), and of the NumPy one's.
_CONSTRAINTS_SHARE = {True: 0.6, False: 0.5}


class ConstraintsNotSatisfied(Exception):
    """Raised by :meth:`CheckReport.raise_if_failed`; the message is the report."""


@dataclass(frozen=True)
class ConstraintFailure:
    """Constraint ``constraint`` is non-zero on ``count`` selected rows, first at
    ``row`` where it evaluates to ``value`` (an int, or 4 coefficients for an aux
    constraint) after reading ``inputs`` (column or public name -> value)."""

    constraint: str
    index: int
    when: Selector
    row: int
    count: int
    value: int | tuple[int, ...]
    inputs: dict
    expression: str

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.inputs.items())
        return (f"constraint {self.constraint!r} ({self.when.name}) fails at row "
                f"{self.row} ({self.count} rows in all): {self.expression} = "
                f"{self.value} with {shown}")


@dataclass(frozen=True)
class UnmatchedMessage:
    """``values`` on a bus with net multiplicity ``net`` (sends minus receives, mod P,
    shown in ``(-P/2, P/2]``), first carried at ``row`` by ``source`` (an interaction
    name, or ``"public"`` for the verifier's messages, with ``row`` None)."""

    values: tuple[int, ...]
    net: int
    row: int | None
    source: str


@dataclass(frozen=True)
class BusBalance:
    """The balance of one bus: ``unmatched`` lists up to the requested number of
    unmatched messages (earliest first); ``n_unmatched`` counts them all."""

    bus: str
    unmatched: tuple[UnmatchedMessage, ...]
    n_unmatched: int

    @property
    def balanced(self) -> bool:
        return self.n_unmatched == 0


@dataclass(frozen=True)
class CheckReport:
    """Failures sorted by (row, constraint order); buses in declaration order."""

    air: str
    failures: tuple[ConstraintFailure, ...]
    buses: tuple[BusBalance, ...]
    aux_checked: bool

    @property
    def ok(self) -> bool:
        return not self.failures and all(b.balanced for b in self.buses)

    @property
    def first_failure(self) -> ConstraintFailure | None:
        return self.failures[0] if self.failures else None

    def bus(self, name: str) -> BusBalance:
        return next(b for b in self.buses if b.bus == name)

    def raise_if_failed(self) -> None:
        """Raise :class:`ConstraintsNotSatisfied` with this report unless ``ok``."""
        if not self.ok:
            raise ConstraintsNotSatisfied(str(self))

    def __str__(self) -> str:
        if self.ok:
            return f"AIR {self.air}: every constraint holds and every bus balances"
        lines = [f"AIR {self.air}: the witness does not satisfy the AIR"]
        lines += ["  " + str(f) for f in self.failures]
        for b in self.buses:
            if not b.balanced:
                lines.append(f"  bus {b.bus!r}: {b.n_unmatched} unmatched messages")
                for m in b.unmatched:
                    where = "from the verifier" if m.row is None else \
                        f"first at row {m.row} by {m.source!r}"
                    lines.append(f"    {m.values}: net {m.net:+d} ({where})")
        return "\n".join(lines)


def check_constraints(air, main, preprocessed=None, publics=None, *, zk_rows: int,
                      public_messages: Sequence[PublicMessages] = (), aux=None,
                      challenges=None, aux_publics=None, max_unmatched: int = 10,
                      compiled: bool | None = None,
                      cancel: CancelToken | None = None,
                      progress: Callable[[float], None] | None = None) -> CheckReport:
    """Check a witness row by row (real rows only) and balance its buses.

    ``main`` ``(n_main, H)`` and ``preprocessed`` ``(n_prep, H)`` are uint32 traces,
    ``publics`` the public values, ``public_messages`` the verifier's own messages.
    Give ``aux`` ``(4·n_aux, H)`` with ``challenges`` and ``aux_publics`` (``[S]``) to
    check the LogUp constraints too. ``compiled``: screen the rows with the AIR's
    generated kernel (compiled on first use, then cached on disk) rather than NumPy;
    ``None`` chooses it for traces of ``2^16`` rows or more (module docstring). ``cancel``
    is polled between blocks of rows; ``progress(fraction)`` is called after each block
    (the fractions only grow, the last is 1.0; it may raise to stop the check). Raises ``ValueError`` for malformed inputs,
    ``engine.errors.Cancelled`` when cancelled.
    """
    main = np.asarray(main)
    shape = TraceShape(main.shape[1] if main.ndim == 2 else 0, zk_rows)
    inputs = {
        "main": as_matrix(main, air.n_main, shape.height, "main trace"),
        "prep": as_matrix(preprocessed, air.n_prep, shape.height, "preprocessed trace"),
        "publics": as_base_vector(publics, len(air.public_names), "public values"),
    }
    unknown = {m.bus for m in public_messages} - {b.name for b in air.buses}
    if unknown:
        raise ValueError(f"public messages for unknown buses {sorted(unknown)}")
    aux_checked = aux is not None
    if aux_checked:
        inputs["aux"] = as_matrix(aux, air.n_aux_base, shape.height, "aux trace")
        inputs["challenges"] = as_ext_rows(challenges, len(air.challenge_names), "challenges")
        inputs["aux_publics"] = as_ext_rows(aux_publics, len(air.aux_public_names),
                                            "aux publics")
    if compiled is None:
        compiled = shape.height >= _COMPILED_MIN_ROWS
    checked = [(i, c) for i, c in enumerate(air.constraints)
               if aux_checked or c.phase == "main"]
    split = _CONSTRAINTS_SHARE[bool(compiled)]
    constraints, buses_part = _Part(progress, 0.0, split), _Part(progress, split, 1.0)
    rows = (_flagged_rows(air, checked, inputs, shape, cancel, constraints)
            if compiled and checked else None)
    failures = (_constraint_failures(checked, inputs, shape, rows, cancel,
                                     None if compiled else constraints)
                if rows is None or rows.size else ())
    # A global bus balances only across the proofs of a set: one trace cannot check it.
    local = [bus for bus in air.buses if not bus.is_global]
    if compiled and not failures and _buses_balance(air, inputs, shape, public_messages,
                                                    cancel, buses_part):
        buses = tuple(BusBalance(bus.name, (), 0) for bus in local)
    else:
        buses = tuple(_bus_balance(air, bus, [(inputs, shape)], public_messages,
                                   max_unmatched, cancel,
                                   None if compiled else buses_part.part(k / len(local),
                                                                         (k + 1) / len(local)))
                      for k, bus in enumerate(local))
    if progress is not None:
        progress(1.0)
    return CheckReport(air.name, failures, buses, aux_checked)


class _Part:
    """The span ``start .. end`` of a check's progress: ``part(f)`` reports ``f`` of it
    to ``progress`` (nothing when there is no callback)."""

    def __init__(self, progress, start: float, end: float) -> None:
        self._progress, self._start, self._end = progress, start, end

    def part(self, start: float, end: float) -> _Part:
        width = self._end - self._start
        return _Part(self._progress, self._start + width * start, self._start + width * end)

    def __call__(self, fraction: float) -> None:
        if self._progress is not None:
            self._progress(self._start + (self._end - self._start) * min(max(fraction, 0.0),
                                                                         1.0))


# --- constraints ------------------------------------------------------------------------

def _flagged_rows(air, checked, inputs, shape: TraceShape, cancel, progress) -> np.ndarray:
    """The real rows (ascending) where ``Σ_i c_i·sel_i·C_i`` with random extension
    ``c_i`` is non-zero, by the generated constraint kernel."""
    height, real = shape.height, shape.real_rows
    coeffs = np.zeros((len(air.constraints), 4), dtype=np.uint32)
    coeffs[[i for i, _ in checked]] = bb_random(None, (len(checked), 4))
    every_row = np.arange(height)
    selectors = np.stack([_selected(kind, every_row, shape) for kind in Selector])
    args = {"main": inputs["main"], "prep": inputs["prep"], "aux": inputs.get("aux"),
            "selectors": selectors.astype(np.uint32), "publics": inputs["publics"],
            "challenges": inputs.get("challenges"), "aux_publics": inputs.get("aux_publics")}
    if "aux" not in inputs:   # the aux constraints get coefficient 0: any values do
        args["aux"] = np.zeros((air.n_aux_base, height), dtype=np.uint32)
        args["challenges"] = np.zeros((len(air.challenge_names), 4), dtype=np.uint32)
        args["aux_publics"] = np.zeros((len(air.aux_public_names), 4), dtype=np.uint32)
    def done(points: int) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(points / max(real, 1))

    values = evaluate_constraints(
        air, **args, coefficients=coeffs, stride=1, stop=real, check_values=False,
        progress=done)
    return np.flatnonzero(values.any(axis=1))


def _row_blocks(inputs: dict, shape: TraceShape, rows: np.ndarray | None):
    """``(rows, block_inputs, stride)`` for NumPy evaluation: consecutive blocks of the
    real rows (``rows=None``; each block carries one extra row so that next-row reads
    inside it are right, the last real row having no next-row constraint), or blocks of
    the given rows, gathered with their successors ``stride`` columns further."""
    if rows is None:
        for start in range(0, shape.real_rows, _CHUNK):
            stop = min(start + _CHUNK, shape.real_rows)
            sub = dict(inputs)
            for key in ("main", "prep", "aux"):
                if key in inputs:
                    sub[key] = inputs[key][:, start:stop + 1]
            yield np.arange(start, stop), sub, 1
        return
    for first in range(0, rows.size, _CHUNK):
        block = rows[first:first + _CHUNK]
        successors = (block + 1) % shape.height
        sub = dict(inputs)
        for key in ("main", "prep", "aux"):
            if key in inputs:
                matrix = inputs[key]
                sub[key] = np.concatenate([matrix[:, block], matrix[:, successors]], axis=1)
        yield block, sub, block.size


def _selected(when: Selector, rows: np.ndarray, shape: TraceShape) -> np.ndarray:
    last = shape.real_rows - 1
    if when == Selector.FIRST:
        return rows == 0
    if when == Selector.LAST:
        return rows == last
    if when == Selector.TRANSITION:
        return rows < last
    return rows <= last


def _constraint_failures(checked, inputs, shape, rows, cancel,
                         progress=None) -> tuple[ConstraintFailure, ...]:
    """Every checked constraint at ``rows`` (every real row if None), by NumPy;
    ``progress`` told the fraction of the rows done."""
    first: dict[int, int] = {}
    counts: dict[int, int] = {}
    for block, sub, stride in _row_blocks(inputs, shape, rows):
        values = evaluate_numpy([c.expr for _, c in checked], stride=stride, **sub)
        k = block.size
        for (index, c), v in zip(checked, values):
            nonzero = v[:k] != 0 if v.ndim == 1 else (v[:, :k] != 0).any(axis=0)
            bad = np.flatnonzero(nonzero & _selected(c.when, block, shape))
            if bad.size:
                first.setdefault(index, int(block[bad[0]]))
                counts[index] = counts.get(index, 0) + int(bad.size)
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress((int(block[-1]) + 1) / max(shape.real_rows if rows is None
                                                else int(rows[-1]) + 1, 1))
    by_index = dict(checked)
    failures = [_describe(index, by_index[index], row, counts[index], inputs)
                for index, row in first.items()]
    return tuple(sorted(failures, key=lambda f: (f.row, f.index)))


def _describe(index: int, constraint, row: int, count: int, inputs: dict) -> ConstraintFailure:
    leaves = symbolic.leaves([constraint.expr])
    value = symbolic.evaluate([constraint.expr], lambda l: _leaf_value(l, inputs, row))[0]
    shown = {}
    for leaf in leaves:
        if leaf.op == "challenge":
            continue
        name = leaf.data[-1] + ("'" if leaf.op in symbolic.COLUMN_KINDS and leaf.data[1]
                                else "")
        shown[name] = _plain(_leaf_value(leaf, inputs, row))
    return ConstraintFailure(constraint.name, index, constraint.when, row, count,
                             _plain(value), shown, symbolic.format_expr(constraint.expr))


def _leaf_value(leaf, inputs: dict, row: int):
    if leaf.op in symbolic.COLUMN_KINDS:
        index, next_row, _ = leaf.data
        matrix = inputs[leaf.op]
        r = (row + 1) % matrix.shape[1] if next_row else row
        if leaf.op == "aux":
            return Ext(*(int(matrix[4 * index + c, r]) for c in range(4)))
        return Fp(int(matrix[index, r]))
    if leaf.op == "public":
        return Fp(int(inputs["publics"][leaf.data[0]]))
    key = "challenges" if leaf.op == "challenge" else "aux_publics"
    return Ext(*(int(c) for c in inputs[key][leaf.data[0]]))


def _plain(value) -> int | tuple[int, ...]:
    if isinstance(value, Ext):
        return value.coeffs if not value.is_base() else value.coeffs[0]
    return int(value)


# --- buses ------------------------------------------------------------------------------

def _buses_balance(air, inputs, shape, public_messages, cancel, progress) -> bool:
    """True if one LogUp sum with random challenges says every bus balances; False if
    some bus may not (or a denominator vanished): then the messages are grouped."""
    if not any(not bus.is_global for bus in air.buses):
        return True
    challenges = bb_random(None, (len(air.challenge_names), 4))
    try:
        total = (interaction_sum(air, inputs["main"], inputs["prep"], inputs["publics"],
                                 challenges, shape.zk_rows, cancel=cancel,
                                 progress=progress)
                 + public_interaction_sum(air, public_messages, challenges))
    except ValueError:
        return False
    return total == Ext.ZERO


def check_global_buses(air, traces: Sequence, *, public_messages: Sequence[PublicMessages] = (),
                       max_unmatched: int = 10) -> tuple[BusBalance, ...]:
    """Balance the global buses over a set of traces (the segments of a run), with the
    verifier's own messages on them. ``traces``: ``(main, preprocessed, publics,
    zk_rows)`` per proof. An unmatched message's ``source`` names its proof."""
    sets = []
    for main, preprocessed, publics, zk_rows in traces:
        shape = TraceShape(np.asarray(main).shape[1], zk_rows)
        sets.append(({"main": as_matrix(main, air.n_main, shape.height, "main trace"),
                      "prep": as_matrix(preprocessed, air.n_prep, shape.height,
                                        "preprocessed trace"),
                      "publics": as_base_vector(publics, len(air.public_names),
                                                "public values")}, shape))
    return tuple(_bus_balance(air, bus, sets, public_messages, max_unmatched, None)
                 for bus in air.buses if bus.is_global)


def _bus_balance(air, bus, traces, public_messages, max_unmatched, cancel,
                 progress=None) -> BusBalance:
    """Group the bus's messages over ``traces`` (``(inputs, shape)`` each) by a 62-bit
    key (two random linear combinations of the values mod P: equal messages share a
    key, distinct ones collide with negligible probability) and sum each group's
    multiplicities mod P."""
    members = [(k, i) for k, i in enumerate(air.interactions) if i.bus is bus]
    coeffs = np.random.default_rng(bus.id).integers(1, P, (2, bus.width)).astype(np.uint64)
    keys, mults, rows, sources, proofs = [], [], [], [], []
    width = bus.width
    exprs = [e for _, i in members for e in (*i.values, i.signed_multiplicity)]
    for t, (inputs, shape) in enumerate(traces):
        for block, sub, _ in _row_blocks(inputs, shape, None):
            start, n = int(block[0]), block.size
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress((t + start / max(shape.real_rows, 1)) / len(traces))
            values = evaluate_numpy(exprs, **{k: v for k, v in sub.items()
                                              if k in ("main", "prep", "publics")})
            for m, (k, _) in enumerate(members):
                block = values[m * (width + 1):(m + 1) * (width + 1)]
                mult = block[width][:n]
                used = np.flatnonzero(mult)
                keys.append(_keys(np.stack([v[:n] for v in block[:width]])[:, used], coeffs))
                mults.append(mult[used].astype(np.int64))
                rows.append(start + used)
                sources.append(np.full(used.size, k))
                proofs.append(np.full(used.size, t))
    public_values = []
    for pm in public_messages:
        if pm.bus != bus.name:
            continue
        values = as_matrix(np.asarray(pm.values), len(pm.values), width,
                           f"public messages on bus {bus.name!r}")
        keys.append(_keys(values.T, coeffs))
        mults.append(np.mod(np.asarray(pm.multiplicities, dtype=np.int64), P))
        rows.append(np.full(len(values), 1 << 40))
        sources.append(-1 - len(public_values) - np.arange(len(values)))
        proofs.append(np.full(len(values), -1))
        public_values.extend(tuple(int(x) for x in v) for v in values)
    keys, mults, rows, sources, proofs = (np.concatenate(a) if a else np.zeros(0, dtype=np.int64)
                                          for a in (keys, mults, rows, sources, proofs))
    if keys.size == 0:
        return BusBalance(bus.name, (), 0)
    order = np.lexsort((rows, proofs, keys))
    keys, mults, rows, sources, proofs = (a[order] for a in (keys, mults, rows, sources, proofs))
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    net = np.add.reduceat(mults, starts) % P
    bad = starts[net != 0]
    net = net[net != 0]
    unmatched = []
    for first, total in sorted(zip(bad, net), key=lambda t: (proofs[t[0]], rows[t[0]]))[
            :max_unmatched]:
        total = int(total) if total <= P // 2 else int(total) - P
        source = int(sources[first])
        if source < 0:
            unmatched.append(UnmatchedMessage(public_values[-1 - source], total, None,
                                              "public"))
            continue
        row, proof = int(rows[first]), int(proofs[first])
        inputs = traces[proof][0]
        inter = air.interactions[source]
        values = symbolic.evaluate(list(inter.values),
                                   lambda leaf, row=row, inputs=inputs: _leaf_value(leaf, inputs, row))
        name = inter.name if len(traces) == 1 else f"{inter.name} (proof {proof})"
        unmatched.append(UnmatchedMessage(tuple(int(v) for v in values), total, row, name))
    return BusBalance(bus.name, tuple(unmatched), int(bad.size))


def _keys(values: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """``(width, n)`` message values to ``(n,)`` uint64 keys."""
    key = np.zeros((2, values.shape[1]), dtype=np.uint64)
    for j in range(values.shape[0]):
        v = values[j].astype(np.uint64)
        key = (key + coeffs[:, j:j + 1] * v[None, :] % P) % P
    return key[0] * np.uint64(P) + key[1]
