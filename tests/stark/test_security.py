"""Security estimate and proof parameters: hand-computed reference numbers, the floor."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.stark.params import PARAMS_VERSION, ProofParams
from engine.stark.security import (
    EXT_FIELD_BITS,
    MIN_SECURITY_BITS,
    SecurityReport,
    conjectured_security_bits,
)

# The reference AIR of docs/security.md: degree-3 constraints, 200 of them, 40 LogUp
# interactions per row, messages of up to 12 field elements.
REFERENCE = {"num_constraints": 200, "max_constraint_degree": 3, "num_interactions": 40,
                 "max_message_width": 12}


def test_extension_field_has_about_123_6_bits():
    # log2(0x78000001) = 30.90689...; four of them.
    assert EXT_FIELD_BITS == pytest.approx(123.6276, abs=1e-4)


def test_reference_configuration_at_2_pow_20_rows_matches_hand_computation():
    report = conjectured_security_bits(ProofParams(), 1 << 20, **REFERENCE)
    # 2·43 + 16.
    assert report.fri_queries == 102
    # N = 2^22 LDE points, arity 4: 123.6276 − log2(3·(2^22 + 1)) = 123.6276 − 23.5850.
    assert report.fri_folding == pytest.approx(100.0426, abs=1e-3)
    # 123.6276 − log2(2·2^22).
    assert report.deep_batching == pytest.approx(100.6276, abs=1e-3)
    # 123.6276 − log2(3·(2^20 + 1) + 2^20 − 1) = 123.6276 − log2(2^22 + 2).
    assert report.deep == pytest.approx(101.6276, abs=1e-3)
    # 123.6276 − log2(200) = 123.6276 − 7.6439.
    assert report.ali == pytest.approx(115.9837, abs=1e-3)
    # 123.6276 − log2(40·2^20·14) + 8 = 123.6276 − 29.1293 + 8.
    assert report.logup == pytest.approx(102.4983, abs=1e-3)
    assert report.hash == 128
    assert report.bits == pytest.approx(100.0426, abs=1e-3)
    assert report.binding == "fri_folding"
    # Plonky3's random-words query bound: ρ = 1/4, η = 3.4427·0.25/123.6276 = 0.006962;
    # 43·(−log2(0.256962)) + 16.
    assert report.fri_queries_random_words == pytest.approx(100.296, abs=1e-3)


def test_logup_term_without_grinding_matches_prior_art_estimate():
    # docs/prior-art.md, "Parameters for about 100 bits": about 94.5 bits at 2^20 rows,
    # 40 interactions, W = 12, no PoW.
    params = ProofParams(logup_pow_bits=0)
    report = conjectured_security_bits(params, 1 << 20, **REFERENCE)
    assert report.logup == pytest.approx(94.50, abs=0.01)
    assert report.binding == "logup"


@pytest.mark.parametrize("log_height", range(1, 21))
def test_default_parameters_reach_100_bits_up_to_2_pow_20_rows(log_height):
    report = conjectured_security_bits(ProofParams(), 1 << log_height, **REFERENCE)
    assert report.bits >= 100


def test_default_parameters_stay_above_the_verifier_floor_at_2_pow_22_rows():
    report = conjectured_security_bits(ProofParams(), 1 << 22, **REFERENCE)
    assert MIN_SECURITY_BITS == 96
    assert MIN_SECURITY_BITS <= report.bits < 100


def test_terms_are_capped_by_the_extension_field():
    params = ProofParams(logup_pow_bits=32)
    report = conjectured_security_bits(params, 2, num_constraints=1, max_constraint_degree=1,
                                       num_interactions=1, max_message_width=0)
    for name in ("fri_folding", "deep_batching", "deep", "ali", "logup"):
        assert getattr(report, name) <= EXT_FIELD_BITS
    assert report.ali == EXT_FIELD_BITS


def test_no_interactions_means_no_logup_term():
    report = conjectured_security_bits(ProofParams(), 1 << 10, num_constraints=10,
                                       max_constraint_degree=3, num_interactions=0,
                                       max_message_width=0)
    assert report.logup is None
    assert "logup" not in report.terms()


def test_more_queries_or_grinding_raise_only_the_query_term():
    base = conjectured_security_bits(ProofParams(), 1 << 16, **REFERENCE)
    more = conjectured_security_bits(ProofParams(num_queries=50, query_pow_bits=20), 1 << 16,
                                     **REFERENCE)
    assert more.fri_queries == base.fri_queries + 14 + 4
    assert more.fri_folding == base.fri_folding and more.deep == base.deep


@pytest.mark.parametrize("kwargs", [{"trace_height": 3}, {"trace_height": 1},
                                    {"num_constraints": 0}, {"max_constraint_degree": 0},
                                    {"num_interactions": -1}])
def test_security_estimate_refuses_bad_shapes(kwargs):
    args = dict(REFERENCE, trace_height=1 << 10)
    args.update(kwargs)
    height = args.pop("trace_height")
    with pytest.raises(ValueError):
        conjectured_security_bits(ProofParams(), height, **args)


def test_report_is_plain_data():
    report = conjectured_security_bits(ProofParams(), 1 << 12, **REFERENCE)
    assert isinstance(report, SecurityReport)
    assert set(report.terms()) == {"fri_queries", "fri_folding", "deep_batching", "deep", "ali",
                                   "logup", "hash"}


# --- ProofParams ------------------------------------------------------------------------------

def test_default_parameters_follow_the_design():
    params = ProofParams()
    assert (params.log_blowup, params.blowup) == (2, 4)
    assert params.num_queries >= 43 and params.query_pow_bits == 16
    assert params.logup_pow_bits == 8 and params.zk
    # Per query x_j and ω·x_j (through the quotient), 4 base coordinates at each of ζ
    # and ζ·ω, plus 4 spare rows.
    assert params.zk_rows == 2 * params.num_queries + 4 * 2 + 4 == 98
    assert ProofParams(zk=False).zk_rows == 0


def test_parameters_encode_every_field_for_the_transcript():
    words = ProofParams().to_words()
    assert words.dtype == np.uint32
    assert words.tolist() == [PARAMS_VERSION, 2, 43, 16, 2, 3, 8, 16, 1]
    for field, value in [("num_queries", 44), ("zk", False), ("fri_log_arity", 1)]:
        other = dataclasses.replace(ProofParams(), **{field: value}).to_words()
        assert other.tobytes() != words.tobytes()


@pytest.mark.parametrize("field,value,error", [
    ("log_blowup", 0, ValueError), ("log_blowup", 5, ValueError), ("num_queries", 0, ValueError),
    ("query_pow_bits", 33, ValueError), ("fri_log_arity", 0, ValueError),
    ("fri_log_final_len", -1, ValueError), ("logup_pow_bits", 40, ValueError),
    ("num_queries", 43.0, TypeError), ("zk", 1, TypeError), ("log_blowup", True, TypeError)])
def test_parameters_out_of_range_are_refused(field, value, error):
    with pytest.raises(error):
        ProofParams(**{field: value})


# --- the global buses of a run in segments ----------------------------------------------

def test_global_term_matches_hand_computation():
    from engine.stark.security import global_logup_bits

    # 123.6276 − log2(2^30 · 25) + 16 = 123.6276 − 34.6439 + 16.
    assert global_logup_bits(ProofParams(), 1 << 30, 23) == pytest.approx(104.9837, abs=1e-3)
    # without grinding, and capped at the field's size for a tiny sum
    assert global_logup_bits(ProofParams(global_pow_bits=0), 1 << 30, 23) == \
        pytest.approx(88.9837, abs=1e-3)
    assert global_logup_bits(ProofParams(), 1, 1) == EXT_FIELD_BITS
    with pytest.raises(ValueError):
        global_logup_bits(ProofParams(), 0, 23)


@pytest.mark.parametrize("log_height", [10, 16, 18, 20])
def test_the_longest_run_keeps_100_bits_on_the_global_buses(log_height):
    """Every row of every segment counts the machine's global interactions: for the
    longest run the executor records, in segments of any supported height, the global
    term stays at or above the default policy's floor (docs/security.md)."""
    from engine.circuit.machine import build_air
    from engine.stark.logup_trace import PublicMessages
    from engine.stark.stage0 import global_security_centibits
    from engine.vm.memory_map import GUEST_MEMORY_END, GUEST_MEMORY_START, MAX_RUN_ROWS

    air = build_air()
    params = ProofParams()
    rows = (1 << log_height) - params.zk_rows
    count = -(-MAX_RUN_ROWS // rows)
    # the largest image the words bus can carry: the registers and every word of memory
    image = PublicMessages.sends("words", np.zeros((32 + (GUEST_MEMORY_END - GUEST_MEMORY_START)
                                                     // 4, 5), dtype=np.int64))
    centibits = global_security_centibits(air, params, [1 << log_height] * count, (image,))
    assert 10_000 <= centibits < 10_600
    shorter = global_security_centibits(air, params, [1 << log_height] * 2, (image,))
    assert shorter > centibits
