"""The machine AIR's keys: its preprocessed columns depend on the height alone, and
the roots shipped in engine/circuit/keys.json are the ones computed now."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from engine.circuit import keys as shipped
from engine.circuit.machine import KEY_FILE, build_air
from engine.stark import keys
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.stark.protocol import trace_shape

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_keys():
    keys.clear()
    yield
    keys.clear()


def test_the_machine_airs_preprocessed_columns_are_fixed():
    air = build_air()
    assert air.fixed_preprocessed
    assert set(air.prep_names) == {"table.tag", "table.val", "table.msb", "table.idx",
                                   "sel.first", "sel.last", "sel.is_reg", "sel.is_row32"}
    shape = trace_shape(1 << 10, DEFAULT_PARAMS)
    # No public data reaches them: whatever the caller passes, the columns are the same.
    assert np.array_equal(air.compute_preprocessed(shape),
                          air.compute_preprocessed(shape, object()))


@pytest.mark.slow
def test_every_shipped_root_is_the_computed_one():
    """Recomputes the columns' LDE and tree at every shipped height (2^10..2^20): the
    file must be regenerated (python -m engine.circuit.keys) after any change to the
    circuit or the default parameters."""
    assert shipped.stale_entries() == [], "run python -m engine.circuit.keys"
    air = build_air()
    entries = keys.read_key_file(KEY_FILE)
    assert len(entries) == len(shipped.SHIPPED_LOG_HEIGHTS)
    assert set(entries) == {keys.key_id(air, DEFAULT_PARAMS, k)
                            for k in shipped.SHIPPED_LOG_HEIGHTS}


def test_a_verifier_reads_the_shipped_roots_and_computes_nothing(monkeypatch):
    air = build_air()
    entries = keys.read_key_file(KEY_FILE)

    def no_computing(*args, **kwargs):
        raise AssertionError("computed a root the package ships")

    monkeypatch.setattr(keys, "commitment_root", no_computing)
    for log_height in (10, 16, 18, 20):
        assert keys.preprocessed_root(air, DEFAULT_PARAMS, log_height) \
            == entries[keys.key_id(air, DEFAULT_PARAMS, log_height)]


def test_other_parameters_or_heights_are_computed_not_trusted():
    air = build_air()
    other = ProofParams(num_queries=44)
    assert keys.key_id(air, other, 10) not in keys.read_key_file(KEY_FILE)
    shape = trace_shape(1 << 10, other)
    from engine.stark.pcs import commitment_root
    assert keys.preprocessed_root(air, other, 10) == commitment_root(
        [air.compute_preprocessed(shape)], other)


def test_the_key_file_is_packaged():
    """setuptools ships it as package data, PyInstaller as a data file beside the
    engine's modules."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = project["tool"]["setuptools"]["package-data"]
    relative = KEY_FILE.relative_to(ROOT / "engine").as_posix()
    assert any(Path(relative).match(pattern) for pattern in data["engine"]), data
    spec = (ROOT / "packaging" / "zkwb.spec").read_text()
    assert re.search(r'"engine", "circuit", "keys\.json"\)?, "engine/circuit"', spec), \
        "packaging/zkwb.spec's DATAS must name engine/circuit/keys.json"
