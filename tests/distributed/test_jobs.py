"""The segment tasks a worker runs, called here without Dask (their job store is then
a folder under the temporary directory): phase one commits the root the local prover
commits and keeps the job; phase two proves from the kept job, and answers
``MissingJob`` where none is kept; a job whose handed-over state its witness does not
hand over is refused (docs/distributed.md)."""
from __future__ import annotations

import uuid

import numpy as np
import pytest

from engine.api import claim_bytes
from engine.circuit.machine import build_air
from engine.distributed import jobs
from engine.errors import ProvingError
from engine.prover.local import plan_run, segment_seed
from engine.distributed.driver import _SealChecker
from engine.stark.params import DEFAULT_PARAMS
from engine.stark.prover import commit_stage0
from engine.stark.stage0 import grind_global_challenges
from tests.distributed.support import INPUT, LOG_HEIGHT, program


@pytest.fixture(scope="module")
def planned():
    guest = program()
    return plan_run(guest, INPUT, params=DEFAULT_PARAMS, log_segment_height=LOG_HEIGHT,
                    secret=bytes(32),
                    claim_of=lambda run: claim_bytes(guest.image_id, run.exit_code,
                                                     run.journal))


@pytest.fixture
def run_id():
    run = uuid.uuid4().hex[:12]
    yield run
    jobs.forget_run(run)


def _common(planned, run_id, challenges=None):
    return jobs.run_job(planned, DEFAULT_PARAMS, challenges, check=True, row_check=True,
                        run_id=run_id)


def test_phase_one_commits_the_local_root_and_phase_two_proves_from_the_kept_job(planned,
                                                                                run_id):
    air = build_air()
    witnesses = list(planned.witnesses)
    assert planned.count == len(witnesses) > 2
    common = _common(planned, run_id)
    roots, sent = [], list(jobs.segment_jobs(planned))
    for job, witness in zip(sent, witnesses):
        k = job["index"]
        root = jobs.commit_segment_task(common, job)["root"]
        assert root == commit_stage0(air, witness.main, params=DEFAULT_PARAMS,
                                     stage0_seed=segment_seed(planned.secret, k))
        roots.append(root)
    # A job sent again (to a worker that lost it) is the one phase one sent.
    again = next(jobs.segment_jobs(planned, 2, sent[2]["state_in"]))
    assert again.keys() == sent[2].keys()
    for name in ("rows", "state_in", "state_out", "next_row"):
        assert np.array_equal(again[name], sent[2][name])
    assert (again["link_in"], again["j_in"], again["j_out"], again["seed"]) == \
        (sent[2]["link_in"], sent[2]["j_in"], sent[2]["j_out"], sent[2]["seed"])

    _, challenges = grind_global_challenges(air, planned.claim, roots,
                                            DEFAULT_PARAMS.global_pow_bits)
    common = _common(planned, run_id, challenges)
    result = jobs.prove_segment_task(common, {"index": 1, "stored": True})
    checker = _SealChecker(air, planned, DEFAULT_PARAMS, roots, challenges)
    proof, reason = checker(1, sent[1], result)
    assert proof is not None, reason
    # The kept job goes once it is proved: asked again, the worker says it has none.
    with pytest.raises(jobs.MissingJob):
        jobs.prove_segment_task(common, {"index": 1, "stored": True})
    assert jobs.forget_run(run_id) == planned.count - 1


def test_a_segment_not_committed_here_is_a_missing_job(planned, run_id):
    with pytest.raises(jobs.MissingJob, match="segment 2"):
        jobs.prove_segment_task(_common(planned, run_id, np.zeros((1, 4), np.uint32)),
                                {"index": 2, "stored": True})


def test_a_job_whose_state_the_witness_does_not_hand_over_is_refused(planned, run_id):
    job = next(jobs.segment_jobs(planned))
    job["state_out"] = job["state_out"].copy()
    job["state_out"][0] ^= 1
    with pytest.raises(ProvingError, match="hands over another state"):
        jobs.commit_segment_task(_common(planned, run_id), job)
    assert jobs.forget_run(run_id) == 0
