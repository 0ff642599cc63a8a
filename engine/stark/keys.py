"""Keys for fixed preprocessed columns: commit the tables once, not once per proof.

Plonky3 sets an AIR's preprocessed trace up once per AIR and trace degree
(``uni-stark/src/preprocessed.rs``: ``setup_preprocessed(config, air, degree_bits)``
returns ``PreprocessedProverData`` — the committed matrix and the PCS's prover data —
and a ``PreprocessedVerifierKey`` — its width, degree and commitment; the AIR's
``preprocessed_trace()`` takes no public input). zkwb does the same for an AIR whose
preprocessed groups are all *fixed* (``AirBuilder.preprocessed(..., fixed=True)``:
computed from the trace shape alone, :attr:`engine.stark.air.Air.fixed_preprocessed`).
For such an AIR, the parameters and a trace height:

* the **verifying key** is the 32-byte preprocessed root (:func:`preprocessed_root`).
  The verifier compares a proof's preprocessed root with it and recomputes nothing
  from public data; what a proof is *about* (the program, for the machine AIR) reaches
  the verifier through public values and public messages instead;
* the **proving key** (:func:`proving_key`) is the preprocessed matrix and its
  commitment (LDE and Merkle tree, :class:`engine.stark.pcs.CommittedMatrices`), as
  the prover's constraint evaluation and openings read them: a run of many segments
  of one height commits the tables once.

**Where a root comes from**, cheapest first: the process's memo (thread-safe, one
computation per key even when threads ask at once); the AIR's *key file*
(``Air.key_file``, shipped in the package, :func:`write_key_file`), if it has an
entry with this key's ID; otherwise the LDE and tree are computed (0.1 to 0.5 s at
2^18 to 2^20 rows) and memoized. The key ID (:func:`key_id`) is a SHA-256 of the AIR
digest (:func:`engine.stark.protocol.air_digest`, its whole declaration), the
parameters' words (:meth:`engine.stark.params.ProofParams.to_words`) and the height:
an entry made for another declaration, other parameters or another height is never
used, so a stale or missing file costs time, never soundness. The key file binds the
preprocessed columns' values only through the test that recomputes every shipped
root (``tests/stark/test_keys.py``, ``tests/circuit/test_keys.py``): the AIR digest
does not cover the functions that compute them.

**Memory.** A proving key at 2^20 rows of 8 columns holds 128 MiB of LDE and a
256 MiB tree; the process keeps the last :data:`PROVING_KEYS_KEPT` (two heights: a
run's segments share one) and :func:`clear` drops them all.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.stark.air import Air
from engine.stark.params import ProofParams
from engine.stark.pcs import CommittedMatrices, commit, commitment_root

__all__ = ["KEY_FILE_FORMAT", "PROVING_KEYS_KEPT", "ProvingKey", "clear", "computed_root",
           "key_id", "preprocessed_root", "proving_key", "read_key_file", "write_key_file"]

#: The ``format`` of a key file.
KEY_FILE_FORMAT = "zkwb-preprocessed-roots-v1"
#: Proving keys kept per process (the most recently used).
PROVING_KEYS_KEPT = 2
#: Verifying keys (32-byte roots) kept per process.
ROOTS_KEPT = 256

_KEY_TAG = b"zkwb/preprocessed-key/v1"

_lock = threading.Lock()
_roots: OrderedDict[tuple, bytes] = OrderedDict()
_proving: OrderedDict[tuple, ProvingKey] = OrderedDict()
_pending: dict[tuple, threading.Lock] = {}
_files: dict[str, dict[str, bytes]] = {}


@dataclass(frozen=True, eq=False)
class ProvingKey:
    """The prover's side of a key: ``preprocessed``, the ``(n_prep, H)`` read-only
    matrix, and ``committed``, its LDE and Merkle tree."""

    preprocessed: np.ndarray
    committed: CommittedMatrices

    @property
    def root(self) -> bytes:
        return self.committed.root


def key_id(air: Air, params: ProofParams, log_height: int) -> str:
    """The hex SHA-256 naming the key of ``air``'s preprocessed columns under
    ``params`` at ``2^log_height`` rows (what a key file's entries are looked up by)."""
    from engine.stark.protocol import air_digest

    data = (_KEY_TAG + air_digest(air) + np.asarray(params.to_words(), dtype="<u4").tobytes()
            + int(log_height).to_bytes(4, "little"))
    return hashlib.sha256(data).hexdigest()


def preprocessed_root(air: Air, params: ProofParams, log_height: int) -> bytes:
    """The verifying key: the root the preprocessed columns of ``air`` (all fixed)
    commit to under ``params`` at ``2^log_height`` rows. Raises ``ValueError`` for an
    AIR whose preprocessed columns are not all fixed, or columns that cannot be
    computed at that height."""
    memo = _memo_key(air, params, log_height)
    root = _recall(_roots, memo)
    if root is not None:
        return root
    key = _recall(_proving, memo)
    if key is not None:
        return key.root
    root = _from_key_file(air, params, log_height)
    if root is not None:
        _remember_root(memo, root)
        return root
    with _computing(memo):
        root = _recall(_roots, memo)
        if root is None:
            root = computed_root(air, params, log_height)
            _remember_root(memo, root)
    return root


def proving_key(air: Air, params: ProofParams, log_height: int) -> ProvingKey:
    """The proving key of ``air``'s (fixed) preprocessed columns under ``params`` at
    ``2^log_height`` rows, committed once per process (the last
    :data:`PROVING_KEYS_KEPT` are kept). Raises ``ValueError`` as
    :func:`preprocessed_root` does."""
    memo = _memo_key(air, params, log_height)
    key = _recall(_proving, memo)
    if key is not None:
        return key
    with _computing(memo):
        key = _recall(_proving, memo)
        if key is None:
            matrix = _matrix(air, params, log_height)
            matrix.flags.writeable = False
            key = ProvingKey(matrix, commit([matrix], params))
            with _lock:
                _proving[memo] = key
                while len(_proving) > PROVING_KEYS_KEPT:
                    _proving.popitem(last=False)
            _remember_root(memo, key.root)
    return key


def _recall(table: OrderedDict, memo: tuple):
    """``table[memo]`` (None if absent), made the most recently used entry."""
    with _lock:
        value = table.get(memo)
        if value is not None:
            table.move_to_end(memo)
        return value


def clear() -> None:
    """Forget every key this process computed or read (tests; a long-lived process
    that wants the proving keys' memory back)."""
    with _lock:
        _roots.clear()
        _proving.clear()
        _files.clear()


def write_key_file(path, air: Air, params: ProofParams, log_heights) -> dict:
    """Compute the roots of ``air``'s preprocessed columns under ``params`` at each
    ``2^log_height`` and write them to ``path`` as a key file (JSON, replacing what
    was there); returns what was written."""
    path = Path(path)
    entries = [{"key": key_id(air, params, log_height), "log_height": int(log_height),
                "params": [int(w) for w in params.to_words()],
                "root": computed_root(air, params, log_height).hex()}
               for log_height in sorted(set(log_heights))]
    document = {"format": KEY_FILE_FORMAT, "air": air.name, "entries": entries}
    lines = ",\n".join("  " + json.dumps(entry) for entry in entries)
    path.write_text(f'{{"format": {json.dumps(KEY_FILE_FORMAT)}, "air": {json.dumps(air.name)},\n'
                    f' "entries": [\n{lines}\n ]}}\n')
    with _lock:
        _files.pop(str(path), None)
    return document


def computed_root(air: Air, params: ProofParams, log_height: int) -> bytes:
    """The root of ``air``'s fixed preprocessed columns computed now (the LDE and
    tree of the columns; no memo, no key file): what a key file must hold."""
    if not air.fixed_preprocessed:
        raise ValueError(f"AIR {air.name!r} has preprocessed columns that depend on public "
                         "data (or none): they have no key")
    return commitment_root([_matrix(air, params, log_height)], params)


def read_key_file(path) -> dict[str, bytes]:
    """A key file's entries, key ID -> root; empty if the file is missing or not a
    key file (a broken file costs computing the roots, never a wrong one)."""
    try:
        document = json.loads(Path(path).read_text())
        if document.get("format") != KEY_FILE_FORMAT:
            return {}
        out = {}
        for entry in document["entries"]:
            root = bytes.fromhex(entry["root"])
            if isinstance(entry["key"], str) and len(root) == 32:
                out[entry["key"]] = root
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


# --- helpers -----------------------------------------------------------------------

def _memo_key(air: Air, params: ProofParams, log_height: int) -> tuple:
    """The process's key: the ID and the functions that compute the columns (so an
    AIR whose functions were swapped, as a test does, is keyed apart)."""
    if not air.fixed_preprocessed:
        raise ValueError(f"AIR {air.name!r} has preprocessed columns that depend on public "
                         "data (or none): they have no key")
    return (key_id(air, params, log_height),
            tuple(group.compute for group in air.prep_groups))


def _matrix(air: Air, params: ProofParams, log_height: int) -> np.ndarray:
    from engine.stark.protocol import trace_shape

    return air.compute_preprocessed(trace_shape(1 << int(log_height), params))


def _from_key_file(air: Air, params: ProofParams, log_height: int) -> bytes | None:
    if air.key_file is None:
        return None
    with _lock:
        entries = _files.get(air.key_file)
    if entries is None:
        entries = read_key_file(air.key_file)
        with _lock:
            _files[air.key_file] = entries
    return entries.get(key_id(air, params, log_height))


def _remember_root(memo: tuple, root: bytes) -> None:
    with _lock:
        _roots[memo] = root
        _roots.move_to_end(memo)
        while len(_roots) > ROOTS_KEPT:
            _roots.popitem(last=False)


def _computing(memo: tuple) -> threading.Lock:
    """The lock under which the key ``memo`` is computed (one per key, kept: a process
    meets a handful of keys), so threads that ask for one key at once compute it once
    while others are served from the memo."""
    with _lock:
        return _pending.setdefault(memo, threading.Lock())
