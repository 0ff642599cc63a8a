"""The witness bundle every example produces."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from engine.field.babybear import bb_random
from engine.stark.air import Air, TraceShape
from engine.stark.logup_trace import PublicMessages


@dataclass(frozen=True)
class ExampleWitness:
    """A witness and the public data that goes with it.

    ``main`` is ``(n_main, H)`` uint32 with random last ``shape.zk_rows`` rows;
    ``publics`` the public values in declaration order; ``public_data`` the input of
    the preprocessed columns' functions; ``public_messages`` what the verifier puts
    on the buses itself.
    """

    shape: TraceShape
    main: np.ndarray
    publics: np.ndarray
    public_data: Any = None
    public_messages: tuple[PublicMessages, ...] = field(default_factory=tuple)

    def preprocessed(self, air: Air) -> np.ndarray:
        """The ``(n_prep, H)`` preprocessed columns for this witness."""
        return air.compute_preprocessed(self.shape, self.public_data)

    def with_cell(self, column: int, row: int, value: int) -> ExampleWitness:
        """A copy with ``main[column, row] = value``."""
        main = self.main.copy()
        main[column, row] = value
        return replace(self, main=main)


@dataclass(frozen=True)
class Tampered:
    """A wrong witness and the failure the row checker must report: constraint
    ``constraint`` failing first at ``row``; or, when ``constraint`` is None, an
    unbalanced ``bus`` with an unmatched message first carried at ``row`` by
    ``interaction``."""

    witness: ExampleWitness
    row: int
    constraint: str | None = None
    bus: str | None = None
    interaction: str | None = None


def random_rows(main: np.ndarray, shape: TraceShape, rng: np.random.Generator | None) -> None:
    """Fill the zero-knowledge rows of ``main`` with random field elements, in place."""
    main[:, shape.real_rows:] = bb_random(rng, (main.shape[0], shape.zk_rows))
