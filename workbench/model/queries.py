"""The query sampling the Queries tab draws: the LDE domain, the FRI layers, the queries.

``QuerySampling`` holds what the prover's and verifier's events said (the layer sizes,
the positions Fiat–Shamir drew, each query's status) and computes where everything
goes. Every layer spans the full width, x = position / layer size, so a query's path
down the layers shows it folding: position q of the LDE domain is read at q mod size_i
in layer i (natural order, docs/fri.md). Layer i sits at y = -i.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PENDING, PASSED, FAILED, NOT_CHECKED = 0, 1, 2, 3

#: How each status reads in the legend; the plot gives each its own shape too, so that
#: pass and fail are told apart without colour.
STATUS_WORDS = {PENDING: "drawn, not checked yet", PASSED: "✔ passed", FAILED: "✘ failed",
                NOT_CHECKED: "not checked (the check stopped before it)"}


@dataclass(frozen=True)
class Marks:
    """One mark per query per layer, layer by layer (layer 0's queries first): its
    ``x``, ``y``, ``layer`` and the query's ``status``."""
    x: np.ndarray
    y: np.ndarray
    layer: np.ndarray
    status: np.ndarray


class QuerySampling:
    """The LDE domain, the FRI layer sizes, the query positions and their status."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (nothing to draw)."""
        self.domain_size = 0
        self.layer_sizes: list[int] = []
        self.positions = np.zeros(0, dtype=np.int64)
        self.status = np.zeros(0, dtype=np.int8)
        #: The layer whose opening broke (0: the LDE domain, where the trace's
        #: commitments are opened), and what broke there; None while nothing did.
        self.broken_layer: int | None = None
        self.broken_label = ""

    @property
    def drawable(self) -> bool:
        """Whether there is a domain to draw."""
        return self.domain_size > 0

    def show_domain(self, size: int) -> None:
        """The LDE domain has ``size`` points (layer 0 of FRI)."""
        self.domain_size = int(size)
        if not self.layer_sizes:
            self.layer_sizes = [self.domain_size]

    def show_fri_layers(self, sizes) -> None:
        """FRI committed layers of these sizes (the first is the LDE domain)."""
        self.layer_sizes = [int(s) for s in sizes]
        if self.layer_sizes and not self.domain_size:
            self.domain_size = self.layer_sizes[0]

    def set_positions(self, positions, domain_size: int) -> None:
        """The query positions drawn in the LDE domain of ``domain_size`` points, all
        pending (they replace any before). Layers of another domain are forgotten."""
        self.domain_size = int(domain_size)
        if not self.layer_sizes or self.layer_sizes[0] != self.domain_size:
            self.layer_sizes = [self.domain_size]
        self.positions = np.asarray(positions, dtype=np.int64).ravel().copy()
        self.status = np.zeros(self.positions.shape[0], dtype=np.int8)

    def mark(self, index: int, passed: bool) -> bool:
        """The verifier checked query ``index``: ``PASSED`` or ``FAILED``. False (and
        nothing marked) for an index no query has."""
        if not 0 <= index < self.status.shape[0]:
            return False
        self.status[index] = PASSED if passed else FAILED
        return True

    def finish_check(self, valid: bool, explanation=None) -> None:
        """The verification ended. Rejected: the queries it did not get to are shown as
        not checked, and the layer that broke (``explanation``, a
        ``workbench.model.explain.Explanation``) is marked. A Merkle opening checks
        every query at once, so when one breaks no query is to blame: all are shown as
        not checked rather than failed."""
        if valid:
            return
        batch = explanation is not None and explanation.batch
        self.status[self.status == PENDING] = NOT_CHECKED
        if batch:
            self.status[self.status == FAILED] = NOT_CHECKED
        if explanation is not None and explanation.commitment is not None:
            self.broken_layer = 0
        elif explanation is not None and explanation.fri_layer is not None:
            self.broken_layer = explanation.fri_layer
        if self.broken_layer is not None and self.broken_layer >= len(self.layers()):
            self.broken_layer = len(self.layers()) - 1 if self.layers() else None
        self.broken_label = explanation.where if explanation is not None else ""

    def layers(self) -> list[int]:
        """The layer sizes drawn, the LDE domain first (the domain alone before FRI)."""
        return self.layer_sizes or ([self.domain_size] if self.domain_size else [])

    def folded_x(self) -> np.ndarray:
        """``x[q, i]``: where query ``q`` is read in layer ``i``, in [0, 1)."""
        layers = np.array(self.layers(), dtype=np.int64)
        if not layers.size:
            return np.zeros((self.positions.size, 0))
        return (self.positions[:, None] % layers[None, :]) / layers[None, :]

    def layer_y(self) -> np.ndarray:
        """The height of each layer: 0 for the LDE domain, -1, -2... below it."""
        return -np.arange(len(self.layers()), dtype=np.float64)

    def paths(self) -> tuple[np.ndarray, np.ndarray]:
        """Each query's path down the layers, as one polyline per query separated by
        NaN (for a single line item with finite-only connection)."""
        x, y = self.folded_x(), self.layer_y()
        if not x.size:
            return np.zeros(0), np.zeros(0)
        paths_x = np.concatenate([np.append(row, np.nan) for row in x])
        paths_y = np.tile(np.append(y, np.nan), x.shape[0])
        return paths_x, paths_y

    def marks(self) -> Marks:
        """Every query's mark in every layer (for a single scatter item)."""
        x, y = self.folded_x(), self.layer_y()
        layer = np.repeat(np.arange(x.shape[1]), x.shape[0])
        return Marks(x.T.ravel(), y[layer], layer, np.tile(self.status, x.shape[1]))

    def ticks(self) -> list[tuple[float, str]]:
        """The layer axis' ticks: each layer's height and size."""
        return [(-i, f"{size:,}") for i, size in enumerate(self.layers())]

    def describe(self) -> str:
        """The line above the plot: domain, folds, queries, how many passed and failed."""
        text = f"LDE domain: {self.domain_size:,} points"
        if len(self.layer_sizes) > 1:
            text += f" · {len(self.layer_sizes) - 1} FRI folds"
        if self.positions.size:
            passed = int((self.status == PASSED).sum())
            failed = int((self.status == FAILED).sum())
            unchecked = int((self.status == NOT_CHECKED).sum())
            text += f" · {self.positions.size} queries"
            if passed or failed:
                text += f" · {passed} passed" + (f", {failed} FAILED" if failed else "")
            if unchecked:
                text += f" · {unchecked} not checked"
        if self.broken_label:
            text += f" · broke at {self.broken_label.removeprefix('✘ ')}"
        return text
