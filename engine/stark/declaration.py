"""The pieces an AIR declaration is made of: row selectors, the trace shape, constraints,
buses and their interactions (``engine.stark.air`` composes them into an ``Air``, and
re-exports them; ``engine.stark.logup`` plans its columns from them)."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from engine.stark.symbolic import Expr

__all__ = ["EVERY", "FIRST", "LAST", "TRANSITION", "Bus", "Constraint", "Interaction",
           "Selector", "TraceShape"]


class Selector(enum.IntEnum):
    """Which rows a constraint applies to; the value is the row of the selector stack
    that :func:`engine.stark.selectors.selector_vectors` returns."""

    FIRST = 0
    LAST = 1
    TRANSITION = 2
    EVERY = 3


FIRST, LAST, TRANSITION, EVERY = Selector


@dataclass(frozen=True)
class TraceShape:
    """Height ``H = 2^k`` of a trace and its number of random (exempt) last rows.

    Raises ``ValueError`` unless ``H`` is a power of two and at least two rows are real.
    """

    height: int
    zk_rows: int

    def __post_init__(self):
        h, z = self.height, self.zk_rows
        if h < 2 or h & (h - 1):
            raise ValueError(f"trace height must be a power of two >= 2, not {h}")
        if not 0 <= z <= h - 2:
            raise ValueError(f"zk_rows must lie in [0, {h - 2}] for height {h}, not {z}")

    @property
    def real_rows(self) -> int:
        """Rows ``0 .. real_rows - 1`` carry the witness; the rest are random."""
        return self.height - self.zk_rows

    @property
    def log_height(self) -> int:
        return self.height.bit_length() - 1


@dataclass(frozen=True)
class Constraint:
    """``expr == 0`` on the rows ``when`` selects. ``phase`` is ``"main"`` for the
    AIR author's constraints, ``"aux"`` for the generated LogUp ones."""

    name: str
    expr: Expr
    when: Selector
    phase: str = "main"

    @property
    def degree(self) -> int:
        return self.expr.degree


@dataclass(frozen=True)
class Bus:
    """A LogUp bus: every message on it has ``width`` field elements; ``id`` enters
    the fingerprint ``gamma + id + sum_j beta^j v_j``.

    A *global* bus balances not within one proof but across a set of proofs (the
    segments of one run): its fingerprints use challenges the caller supplies, drawn
    after every proof's stage-0 columns are committed, and each proof publishes its
    own share of the sum (``docs/air.md``, "Global buses")."""

    name: str
    id: int
    width: int
    is_global: bool = False


@dataclass(frozen=True)
class Interaction:
    """One message per real row on ``bus``: sends count ``+mult·flag``, receives
    ``-mult·flag``. ``group`` names the exclusive group sharing one LogUp column."""

    name: str
    bus: Bus
    values: tuple[Expr, ...]
    mult: Expr
    flag: Expr | None
    is_send: bool
    group: str | None

    @property
    def signed_multiplicity(self) -> Expr:
        """The multiplicity the LogUp sum counts, sign included."""
        m = self.mult if self.flag is None else self.flag * self.mult
        return m if self.is_send else -m
