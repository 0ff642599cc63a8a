"""LogUp (Haböck, ePrint 2022/1530) in AIR form: batching, aux columns, constraints.

Every interaction contributes ``m / d(v)`` per real row, where ``m`` is its signed
multiplicity (sends ``+``, receives ``-``) and

    d(v) = gamma + bus_id + sum_{j=1..width} beta^j · v_j

with ``gamma, beta`` extension challenges drawn after the main trace is committed.
Interactions (or exclusive groups, counted as one fraction ``N / D`` with
``N = sum_k flag_k m_k`` and ``D = 1 + sum_k flag_k (d_k - 1)``) are packed into
batches; aux extension column ``h_t`` holds the sum of batch ``t``'s fractions:

    h_t · prod_{u in B_t} D_u = sum_{u in B_t} N_u prod_{v != u} D_v     (every real row)

and the running sum ``phi`` adds them up:

    phi[0] = sum_t h_t[0]                    (FIRST)
    phi[r+1] - phi[r] = sum_t h_t[r+1]       (TRANSITION)
    phi[R-1] = S                             (LAST; S is published with the aux trace)

Batches are filled first-fit in declaration order while the constraint's degree stays
within the AIR's maximum: pairs for degree-1 messages and multiplicities at degree 3.
The verifier checks ``S + public_interaction_sum(...) = 0``.

**Global buses** (:class:`engine.stark.declaration.Bus` ``is_global``) balance across a
set of proofs: their fingerprints use the challenges ``gamma_g, beta_g`` that the
caller supplies (drawn after every proof's stage-0 columns are committed), their
fractions fill batches of their own after the local ones, and a second running sum
``phi_g`` ends at the published ``S_g``: the caller checks that the ``S_g`` of all the
proofs and its own public messages on global buses add up to zero.

The numerics (the prover's aux trace, the verifier's public sum) live in
:mod:`engine.stark.logup_trace` and are re-exported here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.stark import symbolic
from engine.stark.declaration import EVERY, FIRST, LAST, TRANSITION, Constraint, Interaction
from engine.stark.logup_trace import (
    PublicMessages,
    build_aux_trace,
    interaction_sum,
    public_interaction_sum,
    total_interactions,
)
from engine.stark.symbolic import Expr

GAMMA = symbolic.challenge(0, "logup.gamma")
BETA = symbolic.challenge(1, "logup.beta")
CHALLENGE_NAMES = ("logup.gamma", "logup.beta")
SUM = symbolic.aux_public(0, "logup.sum")
GLOBAL_GAMMA = symbolic.challenge(2, "logup.global_gamma")
GLOBAL_BETA = symbolic.challenge(3, "logup.global_beta")
GLOBAL_CHALLENGE_NAMES = ("logup.global_gamma", "logup.global_beta")
GLOBAL_SUM = symbolic.aux_public(1, "logup.global_sum")

__all__ = ["BETA", "CHALLENGE_NAMES", "GAMMA", "GLOBAL_BETA", "GLOBAL_CHALLENGE_NAMES",
           "GLOBAL_GAMMA", "GLOBAL_SUM", "SUM", "Fraction", "LogupPlan",
           "PublicMessages", "build_aux_trace", "fingerprint", "interaction_sum",
           "plan_logup", "public_interaction_sum", "total_interactions"]


@dataclass(frozen=True)
class Fraction:
    """``numerator / denominator`` summed into one ``h`` column: one interaction, or
    one exclusive group. ``interactions`` are indices into ``Air.interactions``."""

    interactions: tuple[int, ...]
    numerator: Expr
    denominator: Expr


@dataclass(frozen=True)
class LogupPlan:
    """How an AIR's interactions map to aux columns, and the constraints that check them.

    Aux extension columns are ``h_0 .. h_{T-1}`` (one per batch: the local buses'
    batches first, ``n_local`` of them, then the global buses'), then ``phi`` and, with
    global buses, ``phi_g``. ``batch_numerators[t] / batch_denominators[t]`` is the
    value ``h_t`` must take.
    """

    fractions: tuple[Fraction, ...]
    batches: tuple[tuple[int, ...], ...]
    batch_numerators: tuple[Expr, ...]
    batch_denominators: tuple[Expr, ...]
    constraints: tuple[Constraint, ...]
    flag_constraints: tuple[Constraint, ...]
    n_local: int
    has_global: bool

    @property
    def aux_names(self) -> tuple[str, ...]:
        return (tuple(f"logup.h{t}" for t in range(len(self.batches))) + ("logup.phi",)
                + (("logup.phi_g",) if self.has_global else ()))

    @property
    def challenge_names(self) -> tuple[str, ...]:
        return CHALLENGE_NAMES + (GLOBAL_CHALLENGE_NAMES if self.has_global else ())

    @property
    def aux_public_names(self) -> tuple[str, ...]:
        return ("logup.sum",) + (("logup.global_sum",) if self.has_global else ())

    @property
    def phi_index(self) -> int:
        """Index of ``phi`` among the aux extension columns (``phi_g`` follows it)."""
        return len(self.batches)


def fingerprint(bus_id: int, values: Sequence[Expr], is_global: bool = False) -> Expr:
    """``gamma + bus_id + sum_{j>=1} beta^j · values[j-1]`` as an expression (with the
    global challenges for a global bus)."""
    gamma, beta = (GLOBAL_GAMMA, GLOBAL_BETA) if is_global else (GAMMA, BETA)
    d = gamma + bus_id
    for j, v in enumerate(values, start=1):
        d = d + beta ** j * v
    return d


def plan_logup(interactions: Sequence[Interaction], max_degree: int) -> LogupPlan:
    """Batch ``interactions`` into aux columns and write the LogUp constraints.

    Raises ``ValueError`` if one interaction (or exclusive group) alone exceeds
    ``max_degree``: its messages or multiplicity have too high a degree.
    """
    fractions, flag_constraints = _fractions(interactions)
    is_global = [interactions[f.interactions[0]].bus.is_global for f in fractions]
    batches: list[list[int]] = []
    n_local = 0
    for scope in (False, True):
        scoped: list[list[int]] = []
        for f, fraction in enumerate(fractions):
            if is_global[f] != scope:
                continue
            for batch in scoped:
                if _batch_degree([fractions[u] for u in batch + [f]]) <= max_degree:
                    batch.append(f)
                    break
            else:
                degree = _batch_degree([fraction])
                if degree > max_degree:
                    names = [interactions[i].name for i in fraction.interactions]
                    raise ValueError(f"interaction(s) {names} need degree {degree} > "
                                     f"{max_degree}: lower the degree of the message or "
                                     "multiplicity with a helper column")
                scoped.append([f])
        if not scope:
            n_local = len(scoped)
        batches.extend(scoped)
    has_global = any(is_global)
    numerators, denominators = [], []
    for batch in batches:
        num, den = _combine([fractions[u] for u in batch])
        numerators.append(num)
        denominators.append(den)
    constraints = _constraints(numerators, denominators, n_local, has_global)
    return LogupPlan(tuple(fractions), tuple(tuple(b) for b in batches),
                     tuple(numerators), tuple(denominators), constraints,
                     tuple(flag_constraints), n_local, has_global)


# --- helpers -------------------------------------------------------------------------

def _fractions(interactions: Sequence[Interaction]):
    """One fraction per ungrouped interaction and per exclusive group, in order of
    first appearance; plus the constraints that keep each group's flags exclusive."""
    fractions: list[Fraction] = []
    flag_constraints: list[Constraint] = []
    groups: dict[str, list[int]] = {}
    order: list[str | int] = []
    for i, inter in enumerate(interactions):
        if inter.group is None:
            order.append(i)
        else:
            if inter.group not in groups:
                groups[inter.group] = []
                order.append(inter.group)
            groups[inter.group].append(i)
    for item in order:
        if isinstance(item, int):
            inter = interactions[item]
            fractions.append(Fraction((item,), inter.signed_multiplicity,
                                      fingerprint(inter.bus.id, inter.values,
                                                  inter.bus.is_global)))
            continue
        members = [interactions[i] for i in groups[item]]
        if len({m.bus.is_global for m in members}) > 1:
            raise ValueError(f"exclusive group {item!r} mixes local and global buses")
        numerator = sum((m.signed_multiplicity for m in members), symbolic.constant(0))
        denominator = 1 + sum((m.flag * (fingerprint(m.bus.id, m.values, m.bus.is_global) - 1)
                               for m in members), symbolic.constant(0))
        fractions.append(Fraction(tuple(groups[item]), numerator, denominator))
        for m in members:
            flag_constraints.append(Constraint(f"{m.name}.flag_boolean",
                                               m.flag * (m.flag - 1), EVERY))
        if len(members) > 1:
            total = sum((m.flag for m in members), symbolic.constant(0))
            flag_constraints.append(Constraint(f"{item}.flags_exclusive",
                                               total * (total - 1), EVERY))
    return fractions, flag_constraints


def _combine(fractions: Sequence[Fraction]) -> tuple[Expr, Expr]:
    """``(sum_u N_u prod_{v != u} D_v, prod_u D_u)`` of a batch."""
    numerator: Expr = symbolic.constant(0)
    denominator: Expr = symbolic.constant(1)
    for fraction in fractions:
        numerator = numerator * fraction.denominator + fraction.numerator * denominator
        denominator = denominator * fraction.denominator
    return numerator, denominator


def _batch_degree(fractions: Sequence[Fraction]) -> int:
    """Degree of ``h · D - N`` for the batch (the aux column has degree 1)."""
    num_degree = max(f.numerator.degree + sum(g.denominator.degree for g in fractions)
                     - f.denominator.degree for f in fractions)
    return max(1 + sum(f.denominator.degree for f in fractions), num_degree)


def _constraints(numerators: list[Expr], denominators: list[Expr], n_local: int,
                 has_global: bool) -> tuple[Constraint, ...]:
    n = len(numerators)
    h = [symbolic.column("aux", t, f"logup.h{t}") for t in range(n)]
    out = [Constraint(f"logup.h{t}", h[t] * denominators[t] - numerators[t], EVERY, "aux")
           for t in range(n)]
    sums = [("phi", h[:n_local], SUM)]
    if has_global:
        sums.append(("phi_g", h[n_local:], GLOBAL_SUM))
    for k, (name, terms, total) in enumerate(sums):
        phi = symbolic.column("aux", n + k, f"logup.{name}")
        row_sum = sum(terms, symbolic.constant(0))
        out.append(Constraint(f"logup.{name}_first", phi - row_sum, FIRST, "aux"))
        out.append(Constraint(f"logup.{name}_step", phi.next - phi - row_sum.next,
                              TRANSITION, "aux"))
        out.append(Constraint(f"logup.{name}_last", phi - total, LAST, "aux"))
    return tuple(out)
