"""Proving a run's segments on a Dask cluster (``docs/distributed.md``).

``prove_run_distributed`` is ``engine.prover.prove_run`` with phase two's segment
proofs run as Dask tasks (``driver``); ``jobs`` is what a task carries (plain bytes and
NumPy) and the function a worker runs. Dask itself is imported only when a cluster is
connected; the rest of the engine imports this package only when a proof is given a
cluster or workers.
"""
from engine.distributed.driver import CONNECT_TIMEOUT_S, connect, prove_run_distributed

__all__ = ["CONNECT_TIMEOUT_S", "connect", "prove_run_distributed"]
