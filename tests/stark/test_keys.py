"""engine.stark.keys: the fixed preprocessed columns' keys, their memo and key files."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from engine.stark import keys
from engine.stark.air import AirBuilder
from engine.stark.examples import lookup
from engine.stark.params import DEFAULT_PARAMS, ProofParams
from engine.stark.pcs import commitment_root
from engine.stark.protocol import trace_shape
from engine.stark.prover import prove
from engine.stark.verifier import verify

LOG = 10


@pytest.fixture(autouse=True)
def _fresh_keys():
    keys.clear()
    yield
    keys.clear()


def _recomputed(air, params, log_height) -> bytes:
    shape = trace_shape(1 << log_height, params)
    return commitment_root([air.compute_preprocessed(shape)], params)


def test_the_key_is_the_root_of_the_columns_and_the_provers_commitment():
    air = lookup.build_air()
    root = keys.preprocessed_root(air, DEFAULT_PARAMS, LOG)
    assert root == _recomputed(air, DEFAULT_PARAMS, LOG)
    key = keys.proving_key(air, DEFAULT_PARAMS, LOG)
    assert key.root == root
    assert not key.preprocessed.flags.writeable
    assert keys.proving_key(air, DEFAULT_PARAMS, LOG) is key      # committed once
    other = ProofParams(num_queries=44)                          # other zk rows, other key
    assert keys.key_id(air, other, LOG) != keys.key_id(air, DEFAULT_PARAMS, LOG)
    assert keys.key_id(air, DEFAULT_PARAMS, LOG + 1) != keys.key_id(air, DEFAULT_PARAMS, LOG)


def test_the_prover_commits_the_tables_once_per_height(monkeypatch):
    air = lookup.build_air()
    shape = trace_shape(1 << LOG, DEFAULT_PARAMS)
    commits = []
    original = keys.commit
    monkeypatch.setattr(keys, "commit", lambda *a, **k: commits.append(1) or original(*a, **k))
    for seed in (1, 2):
        witness = lookup.honest_witness(shape, np.random.default_rng(seed))
        proof = prove(air, witness.main, public_values=witness.publics,
                      public_messages=witness.public_messages, rng=np.random.default_rng(seed))
        assert verify(air, proof, public_values=witness.publics,
                      public_messages=witness.public_messages).valid
    assert len(commits) == 1


def test_at_most_two_proving_keys_are_kept():
    air = lookup.build_air()
    first = keys.proving_key(air, DEFAULT_PARAMS, 10)
    keys.proving_key(air, DEFAULT_PARAMS, 11)
    keys.proving_key(air, DEFAULT_PARAMS, 12)
    assert len(keys._proving) == keys.PROVING_KEYS_KEPT
    assert keys.proving_key(air, DEFAULT_PARAMS, 10) is not first


def test_threads_asking_for_one_key_compute_it_once(monkeypatch):
    air = lookup.build_air()
    calls = []
    original = keys.commitment_root

    def slow(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(keys, "commitment_root", slow)
    roots = []
    threads = [threading.Thread(target=lambda: roots.append(
        keys.preprocessed_root(air, DEFAULT_PARAMS, 12))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(roots)) == 1 and len(roots) == 4
    assert len(calls) == 1


def test_an_air_whose_tables_read_public_data_has_no_key():
    b = AirBuilder("needs-data")
    column = b.preprocessed("table", lambda shape, data: np.full(shape.height, data))
    b.constrain("x_is_table", b.main("x") - column)
    air = b.build()
    assert not air.fixed_preprocessed
    with pytest.raises(ValueError, match="depend on public data"):
        keys.preprocessed_root(air, DEFAULT_PARAMS, LOG)


def _keyed_air(key_file):
    b = AirBuilder("keyed")
    table = b.preprocessed("table", lambda shape: np.arange(shape.height, dtype=np.uint32) % 7,
                           fixed=True)
    b.constrain("x_is_table", b.main("x") - table)
    return b.build(key_file=key_file)


def test_a_key_file_entry_is_used_for_its_key_only(tmp_path, monkeypatch):
    path = tmp_path / "keys.json"
    air = _keyed_air(path)
    written = keys.write_key_file(path, air, DEFAULT_PARAMS, [10, 11])
    assert [e["log_height"] for e in written["entries"]] == [10, 11]
    assert keys.read_key_file(path)[keys.key_id(air, DEFAULT_PARAMS, 10)] \
        == _recomputed(air, DEFAULT_PARAMS, 10)

    # A root from the file is used as it is: nothing is computed.
    def no_computing(*args, **kwargs):
        raise AssertionError("computed a root the key file holds")

    monkeypatch.setattr(keys, "commitment_root", no_computing)
    assert keys.preprocessed_root(air, DEFAULT_PARAMS, 11) == bytes.fromhex(
        written["entries"][1]["root"])
    # Another height, other parameters: not in the file, so computed.
    monkeypatch.undo()
    assert keys.preprocessed_root(air, DEFAULT_PARAMS, 12) == _recomputed(air, DEFAULT_PARAMS, 12)
    other = ProofParams(num_queries=44)
    assert keys.preprocessed_root(air, other, 10) == _recomputed(air, other, 10)


def test_a_stale_key_file_entry_is_never_trusted(tmp_path):
    """An entry made for another declaration of the same name (its ID differs) is not
    used: the root is computed, so a proof of the current tables verifies."""
    path = tmp_path / "keys.json"
    old = _keyed_air(path)
    keys.write_key_file(path, old, DEFAULT_PARAMS, [10])
    document = json.loads(path.read_text())
    document["entries"][0]["root"] = "00" * 32            # what a stale file would hold
    path.write_text(json.dumps(document))
    keys.clear()
    assert keys.preprocessed_root(old, DEFAULT_PARAMS, 10) == bytes(32)   # its own ID
    b = AirBuilder("keyed")
    table = b.preprocessed("table", lambda shape: np.arange(shape.height, dtype=np.uint32) % 7,
                           fixed=True)
    b.constrain("x_is_table_again", b.main("x") - table)   # another declaration
    new = b.build(key_file=path)
    assert keys.preprocessed_root(new, DEFAULT_PARAMS, 10) == _recomputed(new, DEFAULT_PARAMS, 10)


BROKEN = ["", "{", '{"format": "other"}',
          '{"format": "zkwb-preprocessed-roots-v1", "entries": [{"key": 1}]}']


@pytest.mark.parametrize("content", BROKEN)
def test_a_broken_or_missing_key_file_means_computing(tmp_path, content):
    path = tmp_path / "keys.json"
    if content:
        path.write_text(content)
    air = _keyed_air(path)
    assert keys.read_key_file(path) == {}
    assert keys.preprocessed_root(air, DEFAULT_PARAMS, 10) == _recomputed(air, DEFAULT_PARAMS, 10)
