"""Declaring an AIR: columns, public values, constraints, buses and lookups.

An AIR is written once with an :class:`AirBuilder` and frozen by
:meth:`AirBuilder.build` into an :class:`Air`. Every evaluator (the generated Numba
kernel of the prover, the NumPy one, the verifier's scalar one, the row checker) works
from that one declaration. Everything has a name, because the row checker and the
workbench show names::

    b = AirBuilder("fib")
    a, x = b.main("a"), b.main("b")
    first = b.public("first")
    b.constrain("a starts at first", a - first, when=FIRST)
    b.constrain("a steps", a.next - x, when=TRANSITION)
    air = b.build()

Rows and selectors: a trace has ``H = 2^k`` rows and its last ``zk_rows`` rows are
random (zero knowledge), exempt from every constraint. ``FIRST`` gates row 0, ``LAST``
the last real row ``H - zk_rows - 1``, ``TRANSITION`` every real row whose successor
is real, ``EVERY`` every real row. See ``docs/air.md``.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.field.babybear import P
from engine.stark import symbolic
# The declaration's pieces are re-exported: AIR authors import everything from here.
from engine.stark.declaration import (EVERY, FIRST, LAST, TRANSITION, Bus,  # noqa: F401
                                      Constraint, Interaction, Selector, TraceShape)
from engine.stark.symbolic import Expr, as_expr

# compute(shape, public_data) -> (k, height) array of canonical field elements; a
# fixed group's compute(shape) reads the shape only.
PreprocessedFn = Callable[..., np.ndarray]


@dataclass(frozen=True)
class PreprocessedGroup:
    """Preprocessed columns ``first .. first + len(names) - 1`` and the function that
    computes them: ``compute(shape, public_data)``, or ``compute(shape)`` for a
    ``fixed`` group, whose columns depend on the trace shape alone."""

    names: tuple[str, ...]
    first: int
    compute: PreprocessedFn
    fixed: bool = False


class ColumnGroup:
    """Named columns of one region: ``cpu.pc``, ``cpu["pc"]``, ``list(cpu)``."""

    def __init__(self, name: str, columns: Mapping[str, Expr]):
        self._name = name
        self._columns = dict(columns)

    def __getitem__(self, column: str) -> Expr:
        try:
            return self._columns[column]
        except KeyError:
            raise KeyError(f"group {self._name!r} has no column {column!r}") from None

    def __getattr__(self, column: str) -> Expr:
        if column.startswith("_"):
            raise AttributeError(column)
        try:
            return self._columns[column]
        except KeyError:
            raise AttributeError(f"group {self._name!r} has no column {column!r}") from None

    def __iter__(self) -> Iterator[Expr]:
        return iter(self._columns.values())

    def __len__(self) -> int:
        return len(self._columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._columns)


class Air:
    """A frozen AIR. Build it with :class:`AirBuilder`; do not construct directly.

    Columns are numbered in declaration order: main ``0..n_main-1`` (base field),
    preprocessed ``0..n_prep-1`` (base field), aux ``0..n_aux-1`` (extension field,
    committed as ``4·n_aux`` base columns). ``constraints`` lists the author's
    constraints then the LogUp ones; constraint ``i`` gets ``alpha^i`` in the quotient.
    """

    def __init__(self, *, name, main_names, main_groups, prep_groups, public_names,
                 constraints, buses, interactions, logup, max_degree, n_stage0=0,
                 key_file=None):
        self.name: str = name
        self.main_names: tuple[str, ...] = tuple(main_names)
        #: Main columns ``0 .. n_stage0 - 1`` are committed on their own, first (the
        #: messages of global buses may read only these, preprocessed columns and
        #: public values).
        self.n_stage0: int = int(n_stage0)
        self.main_groups: dict[str, tuple[int, ...]] = dict(main_groups)
        self.prep_groups: tuple[PreprocessedGroup, ...] = tuple(prep_groups)
        self.prep_names: tuple[str, ...] = tuple(n for g in prep_groups for n in g.names)
        self.public_names: tuple[str, ...] = tuple(public_names)
        self.constraints: tuple[Constraint, ...] = tuple(constraints)
        self.buses: tuple[Bus, ...] = tuple(buses)
        self.interactions: tuple[Interaction, ...] = tuple(interactions)
        self.logup = logup  # engine.stark.logup.LogupPlan, or None without buses
        self.max_degree: int = max_degree
        self.aux_names: tuple[str, ...] = logup.aux_names if logup else ()
        self.challenge_names: tuple[str, ...] = logup.challenge_names if logup else ()
        self.aux_public_names: tuple[str, ...] = logup.aux_public_names if logup else ()
        #: A file of preprocessed roots computed ahead of time for this AIR
        #: (:mod:`engine.stark.keys`), or None.
        self.key_file: str | None = None if key_file is None else str(key_file)

    n_main = property(lambda self: len(self.main_names))
    has_global_buses = property(lambda self: any(b.is_global for b in self.buses))
    n_prep = property(lambda self: len(self.prep_names))
    n_aux = property(lambda self: len(self.aux_names), doc="extension aux columns")
    n_aux_base = property(lambda self: 4 * len(self.aux_names),
                          doc="base columns that commit the aux trace")

    @property
    def fixed_preprocessed(self) -> bool:
        """Whether the AIR has preprocessed columns and every group is ``fixed``: they
        depend on the trace shape alone, so a proof's preprocessed root is a *key* of
        (AIR, parameters, height) (:mod:`engine.stark.keys`), not a function of public
        data."""
        return bool(self.prep_groups) and all(g.fixed for g in self.prep_groups)

    @property
    def degree(self) -> int:
        """The largest constraint degree (selectors not counted)."""
        return max((c.degree for c in self.constraints), default=0)

    def col(self, name: str) -> Expr:
        """The main or preprocessed column ``name`` at the current row."""
        if name in self.main_names:
            return symbolic.column("main", self.main_names.index(name), name)
        if name in self.prep_names:
            return symbolic.column("prep", self.prep_names.index(name), name)
        raise KeyError(f"AIR {self.name!r} has no column {name!r}")

    def public(self, name: str) -> Expr:
        """The public value ``name`` as an expression."""
        return symbolic.public(self.public_index(name), name)

    def public_index(self, name: str) -> int:
        try:
            return self.public_names.index(name)
        except ValueError:
            raise KeyError(f"AIR {self.name!r} has no public value {name!r}") from None

    def bus(self, name: str) -> Bus:
        for bus in self.buses:
            if bus.name == name:
                return bus
        raise KeyError(f"AIR {self.name!r} has no bus {name!r}")

    def constraint(self, name: str) -> Constraint:
        for c in self.constraints:
            if c.name == name:
                return c
        raise KeyError(f"AIR {self.name!r} has no constraint {name!r}")

    def publics_vector(self, values: Mapping[str, int]) -> np.ndarray:
        """The public values in declaration order as a ``(n_public,)`` uint32 array.

        Raises ``KeyError`` for a missing or unknown name, ``ValueError`` for a value
        outside ``[0, P)``.
        """
        unknown = set(values) - set(self.public_names)
        if unknown:
            raise KeyError(f"AIR {self.name!r} has no public values {sorted(unknown)}")
        missing = [n for n in self.public_names if n not in values]
        if missing:
            raise KeyError(f"public values missing: {missing}")
        out = [int(values[n]) for n in self.public_names]
        if any(not 0 <= v < P for v in out):
            raise ValueError("public values must lie in [0, P)")
        return np.array(out, dtype=np.uint32)

    def compute_preprocessed(self, shape: TraceShape, public_data: Any = None) -> np.ndarray:
        """Run every preprocessed group's function: ``(n_prep, H)`` uint32. Fixed
        groups are computed from ``shape`` alone (``public_data`` is not passed).

        Raises ``ValueError`` if a function returns the wrong shape or a value
        outside ``[0, P)``.
        """
        out = np.zeros((self.n_prep, shape.height), dtype=np.uint32)
        for group in self.prep_groups:
            k = len(group.names)
            values = np.asarray(group.compute(shape) if group.fixed
                                else group.compute(shape, public_data))
            if values.shape == (shape.height,) and k == 1:
                values = values[None, :]
            if values.shape != (k, shape.height):
                raise ValueError(f"preprocessed {group.names}: expected shape "
                                 f"{(k, shape.height)}, got {values.shape}")
            if values.dtype.kind not in "ui" or values.min() < 0 or values.max() >= P:
                raise ValueError(f"preprocessed {group.names}: values must be integers "
                                 "in [0, P)")
            out[group.first:group.first + k] = values
        return out

    def interaction_count(self, height: int) -> int:
        """LogUp terms a trace of ``height`` rows contributes (one per interaction per
        row). LogUp soundness needs this, plus the verifier's public messages, below P."""
        return height * len(self.interactions)

    def describe(self) -> str:
        """A short human summary: sizes, degree, buses."""
        lines = [(f"AIR {self.name}: {self.n_main} main, {self.n_prep} preprocessed, "
                  f"{self.n_aux} aux (extension) columns; {len(self.constraints)} "
                  f"constraints of degree <= {self.degree}; {len(self.public_names)} "
                  "public values")]
        for bus in self.buses:
            k = sum(1 for i in self.interactions if i.bus is bus)
            lines.append(f"  bus {bus.name} (id {bus.id}, width {bus.width}): "
                         f"{k} interactions")
        return "\n".join(lines)


class AirBuilder:
    """Collects the declaration of one AIR; :meth:`build` checks and freezes it.

    Errors in the declaration (duplicate names, degree too high, a message of the
    wrong width...) raise ``ValueError`` naming the offending item.
    """

    def __init__(self, name: str):
        self.name = name
        self._main: list[str] = []
        self._main_groups: dict[str, tuple[int, ...]] = {}
        self._prep: list[PreprocessedGroup] = []
        self._publics: list[str] = []
        self._constraints: list[Constraint] = []
        self._buses: dict[str, Bus] = {}
        self._interactions: list[Interaction] = []
        self._scope: list[str] = []
        self._exclusive: str | None = None
        self._names: set[str] = set()
        self._n_stage0 = 0
        self._stage0_open = True

    # --- columns and public values ----------------------------------------------

    def main(self, name: str) -> Expr:
        """Declare one main (witness) column; returns it at the current row."""
        self._stage0_open = False
        return self._add_main(self._claim(name, "column"))

    def main_group(self, group: str, names: Sequence[str]) -> ColumnGroup:
        """Declare main columns ``group.name`` for each name; returns the group."""
        self._stage0_open = False
        return self._add_main_group(group, names)

    def stage0_group(self, group: str, names: Sequence[str]) -> ColumnGroup:
        """Declare main columns committed in *stage 0*, on their own and before the
        rest of the main trace: the only main columns a global bus's messages may read.
        Stage-0 groups come before every other main column."""
        if not self._stage0_open:
            raise ValueError(f"stage-0 group {group!r} declared after other main columns: "
                             "stage-0 columns come first")
        columns = self._add_main_group(group, names)
        self._n_stage0 = len(self._main)
        return columns

    def preprocessed(self, name: str, compute: PreprocessedFn, *, fixed: bool = False) -> Expr:
        """Declare one preprocessed column; ``compute(shape, public_data)`` returns its
        ``(H,)`` values. The verifier recomputes it from public data.

        ``fixed=True``: the column depends on the trace shape alone and is computed
        by ``compute(shape)``. When every preprocessed column is fixed, the
        preprocessed commitment is a key of (AIR, parameters, height): the prover
        commits it once per process and height, the verifier compares a proof's root
        with the key's (:mod:`engine.stark.keys`) and recomputes nothing per proof."""
        return self._add_prep([self._claim(name, "column")], compute, fixed)[0]

    def preprocessed_group(self, group: str, names: Sequence[str],
                           compute: PreprocessedFn, *, fixed: bool = False) -> ColumnGroup:
        """Declare preprocessed columns ``group.name`` computed together by
        ``compute(shape, public_data) -> (len(names), H)`` (``compute(shape)`` with
        ``fixed``, as for :meth:`preprocessed`)."""
        full = [self._claim(f"{group}.{n}", "column") for n in names]
        return ColumnGroup(group, dict(zip(names, self._add_prep(full, compute, fixed))))

    def public(self, name: str) -> Expr:
        """Declare a public base-field value (part of the claim)."""
        self._publics.append(self._claim(name, "public value"))
        return symbolic.public(len(self._publics) - 1, name)

    # --- constraints ----------------------------------------------------------------

    @contextlib.contextmanager
    def scope(self, prefix: str):
        """Prefix the names of constraints and interactions declared inside with
        ``prefix.`` (scopes nest); a region module wraps its declarations in one."""
        self._scope.append(prefix)
        try:
            yield self
        finally:
            self._scope.pop()

    def constrain(self, name: str, expr, when: Selector = EVERY) -> None:
        """Require ``expr == 0`` on the rows ``when`` selects.

        Raises ``ValueError`` if the expression is a constant (always or never true),
        reads an aux column or a challenge (those belong to the LogUp phase).
        """
        expr = as_expr(expr)
        name = self._claim(self._scoped(name), "constraint")
        if expr.op == "const":
            raise ValueError(f"constraint {name!r} is the constant {expr.data[0]}")
        if expr.is_ext:
            raise ValueError(f"constraint {name!r} uses extension values; main "
                             "constraints are over main/preprocessed columns and publics")
        if when in (LAST, EVERY) and _reads_next_row(expr):
            raise ValueError(f"constraint {name!r} reads the next row but applies to the "
                             "last real row, whose next row is random: use TRANSITION")
        self._constraints.append(Constraint(name, expr, Selector(when)))

    # --- buses ------------------------------------------------------------------------

    def bus(self, name: str, width: int, *, is_global: bool = False) -> Bus:
        """Declare a bus carrying messages of ``width`` elements. Buses used without
        declaration are declared on first use (local); ids follow declaration order
        from 1. ``is_global``: the bus balances across proofs (see :class:`Bus`);
        declare a global bus before its first use."""
        if name in self._buses:
            if self._buses[name].width != width:
                raise ValueError(f"bus {name!r} carries {self._buses[name].width} "
                                 f"elements per message, not {width}")
            if is_global and not self._buses[name].is_global:
                raise ValueError(f"bus {name!r} was first used as a local bus")
            return self._buses[name]
        if width < 1:
            raise ValueError(f"bus {name!r}: messages need at least one element")
        self._buses[name] = Bus(name, len(self._buses) + 1, width, bool(is_global))
        return self._buses[name]

    def send(self, bus: str, values: Sequence, mult=1, *, flag=None,
             name: str | None = None) -> None:
        """Send ``values`` on ``bus`` with multiplicity ``mult`` (times ``flag``) on
        every real row."""
        self._interact(bus, values, mult, flag, name, is_send=True)

    def receive(self, bus: str, values: Sequence, mult=1, *, flag=None,
                name: str | None = None) -> None:
        """Receive ``values`` on ``bus`` with multiplicity ``mult`` (times ``flag``)."""
        self._interact(bus, values, mult, flag, name, is_send=False)

    @contextlib.contextmanager
    def exclusive(self, group: str):
        """Interactions declared inside share one LogUp column (docs/prior-art.md, "LogUp").

        Each needs a ``flag``; at most one flag may be 1 on any row. The builder adds
        the constraints that make this so (each flag boolean, their sum boolean).
        """
        if self._exclusive is not None:
            raise ValueError("exclusive groups do not nest")
        self._exclusive = self._claim(self._scoped(group), "exclusive group")
        try:
            yield self
        finally:
            self._exclusive = None

    @contextlib.contextmanager
    def carried(self, state: Mapping[str, Any], gate):
        """Make the transition constraints declared inside also hold from the last real
        row into a *state*: a set of proofs whose rows continue one another (the
        segments of one run, ``docs/continuations.md``) checks, on each proof's last
        row, the transition into the next proof's first row.

        ``state`` maps the name of every main column the constraints read at the next
        row to what stands for it there (an expression over current-row columns,
        usually a stage-0 copy; an int for a column known to be 0 there). On leaving
        the block, each ``TRANSITION`` constraint ``C`` declared inside gets a twin
        ``C@last``, ``gate · C[next-row columns -> state]`` on the ``LAST`` row.
        Raises ``ValueError`` for a next-row read of a column ``state`` does not name.
        """
        first = len(self._constraints)
        yield self
        gate = as_expr(gate)
        declared = self._constraints[first:]

        def at_state(leaf: Expr) -> Expr | None:
            if leaf.op not in symbolic.COLUMN_KINDS or not leaf.data[1]:
                return None
            if leaf.op != "main" or leaf.data[2] not in state:
                raise ValueError(f"a carried constraint reads {leaf.data[2]}' at the next "
                                 "row, which the state does not carry")
            return as_expr(state[leaf.data[2]])

        for c in declared:
            if c.when is TRANSITION or c.when == TRANSITION:
                twin = symbolic.substitute(c.expr, at_state) * gate
                name = self._claim(f"{c.name}@last", "constraint")
                self._constraints.append(Constraint(name, twin, Selector(LAST)))

    # --- build ------------------------------------------------------------------------

    def build(self, max_degree: int = 3, *, key_file=None) -> Air:
        """Check the declaration, plan the LogUp columns and return the :class:`Air`.

        ``key_file``: a file of preprocessed roots computed ahead of time for this
        AIR's fixed preprocessed columns (:func:`engine.stark.keys.write_key_file`);
        an entry is used only if it was made for this very declaration, parameters
        and height, so a stale or missing one means computing the root.

        Raises ``ValueError`` if a constraint or a LogUp batch exceeds ``max_degree``.
        """
        from engine.stark.logup import plan_logup

        logup = plan_logup(self._interactions, max_degree) if self._interactions else None
        constraints = list(self._constraints)
        if logup is not None:
            constraints = constraints + list(logup.flag_constraints) + list(logup.constraints)
        taken = {c.name for c in self._constraints}
        for c in constraints[len(self._constraints):]:
            if c.name in taken:
                raise ValueError(f"constraint name {c.name!r} is reserved for LogUp")
            taken.add(c.name)
        for c in constraints:
            if c.degree > max_degree:
                raise ValueError(f"constraint {c.name!r} has degree {c.degree} > "
                                 f"{max_degree}: {symbolic.format_expr(c.expr)}")
        for inter in self._interactions:
            if inter.bus.is_global:
                self._check_stage0_only(inter)
        return Air(name=self.name, main_names=self._main, main_groups=self._main_groups,
                   prep_groups=self._prep, public_names=self._publics,
                   constraints=constraints, buses=self._buses.values(),
                   interactions=self._interactions, logup=logup, max_degree=max_degree,
                   n_stage0=self._n_stage0, key_file=key_file)

    # --- helpers ------------------------------------------------------------------------

    def _check_stage0_only(self, inter: Interaction) -> None:
        """A global bus's message is committed before its challenges are drawn only if
        it reads nothing but stage-0 columns, preprocessed columns and public values."""
        exprs = list(inter.values) + [inter.mult] + ([inter.flag] if inter.flag is not None
                                                     else [])
        for leaf in symbolic.leaves(exprs):
            if leaf.op == "main" and leaf.data[0] >= self._n_stage0:
                raise ValueError(f"interaction {inter.name!r} on global bus "
                                 f"{inter.bus.name!r} reads main column "
                                 f"{self._main[leaf.data[0]]!r}, which is not in stage 0")

    def _claim(self, name: str, what: str) -> str:
        if not name:
            raise ValueError(f"a {what} needs a name")
        # Columns and public values share one namespace: Air.col/Air.public look them up.
        key = ("column/public" if what in ("column", "public value") else what, name)
        if key in self._names:
            raise ValueError(f"{what} {name!r} is declared twice in AIR {self.name!r}")
        self._names.add(key)
        return name

    def _scoped(self, name: str) -> str:
        return ".".join(self._scope + [name])

    def _add_main_group(self, group: str, names: Sequence[str]) -> ColumnGroup:
        first = len(self._main)
        cols = {n: self._add_main(self._claim(f"{group}.{n}", "column")) for n in names}
        self._main_groups[group] = tuple(range(first, len(self._main)))
        return ColumnGroup(group, cols)

    def _add_main(self, name: str) -> Expr:
        self._main.append(name)
        return symbolic.column("main", len(self._main) - 1, name)

    def _add_prep(self, names: list[str], compute: PreprocessedFn, fixed: bool) -> list[Expr]:
        if not callable(compute):
            raise TypeError(f"preprocessed {names}: compute must be a function")
        first = sum(len(g.names) for g in self._prep)
        self._prep.append(PreprocessedGroup(tuple(names), first, compute, bool(fixed)))
        return [symbolic.column("prep", first + k, n) for k, n in enumerate(names)]

    def _interact(self, bus_name, values, mult, flag, name, is_send) -> None:
        values = tuple(as_expr(v) for v in values)
        bus = self.bus(bus_name, len(values))
        mult = as_expr(mult)
        flag = None if flag is None else as_expr(flag)
        kind = "send" if is_send else "receive"
        count = sum(1 for i in self._interactions if i.bus is bus)
        name = self._claim(self._scoped(name or f"{bus.name}.{kind}{count}"), "interaction")
        for what, e in [("value", v) for v in values] + [("multiplicity", mult),
                                                         ("flag", flag)]:
            if e is None:
                continue
            if e.is_ext:
                raise ValueError(f"interaction {name!r}: the {what} uses extension values")
            if _reads_next_row(e):
                raise ValueError(f"interaction {name!r}: the {what} reads the next row; "
                                 "messages are per row")
        if self._exclusive is not None and flag is None:
            raise ValueError(f"interaction {name!r} is in exclusive group "
                             f"{self._exclusive!r} and needs a flag")
        self._interactions.append(Interaction(name, bus, values, mult, flag, is_send,
                                              self._exclusive))


def _reads_next_row(expr: Expr) -> bool:
    return any(leaf.op in symbolic.COLUMN_KINDS and leaf.data[1]
               for leaf in symbolic.leaves([expr]))
