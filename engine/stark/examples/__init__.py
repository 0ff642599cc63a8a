"""Example AIRs: small, complete, each with an honest and a tampered witness.

They exercise every feature of the AIR framework and serve the tests, the benchmark
and (later) dishonest-prover tests:

* :mod:`.fibonacci`: transitions, first/last-row constraints tied to public values;
* :mod:`.lookup`: a LogUp lookup into a preprocessed table with a multiplicity column;
* :mod:`.permutation`: two column groups that hold the same rows in another order;
* :mod:`.journal`: an exclusive group of sends and a bus balanced by the verifier's
  own (public) messages, like the zkVM's journal;
* :mod:`.wide`: a synthetic wide AIR of degree-3 constraints, for the benchmark.

Each module has ``build_air()``, ``honest_witness(shape, rng, ...)`` returning a
:class:`ExampleWitness`, and ``tampered_witness(shape, rng)`` returning a
:class:`Tampered` that names the first failure the row checker must report.
"""
from engine.stark.examples.witness import ExampleWitness, Tampered

__all__ = ["ExampleWitness", "Tampered"]
