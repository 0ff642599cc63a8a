"""The engine's rejection reasons in a person's words, and where the check broke."""
from __future__ import annotations

from workbench.model.explain import explain
from workbench.model.queries import FAILED, NOT_CHECKED, PASSED, QuerySampling

COMMITMENTS = ("preprocessed", "stage0", "main", "aux", "quotient")


def test_a_broken_commitment_opening_names_what_was_committed():
    reason = "openings: query rows of commitment 3: Merkle opening does not match the root"
    e = explain(reason, COMMITMENTS)
    assert e.plain.startswith("The proof's answers do not match what it committed to")
    assert "LogUp bus columns" in e.plain and e.technical == reason
    assert (e.commitment, e.commitment_name, e.batch, e.query) == (3, "aux", True, None)
    assert e.where == "✘ commitment “aux” (the LogUp bus columns)"
    mask = explain("openings: query rows of mask: Merkle opening does not match the root",
                   COMMITMENTS)
    assert (mask.commitment, mask.commitment_name) == (5, "mask")


def test_fri_reasons_name_the_layer_or_the_queries():
    layer = explain("openings: FRI layer 2: Merkle opening does not match the root")
    assert (layer.fri_layer, layer.batch, layer.where) == (2, True, "✘ FRI layer 2")
    query = explain("openings: FRI query 5 (position 1234) is inconsistent (7 of 43 queries "
                    "fail)")
    assert query.query == 5 and not query.batch
    assert query.plain.startswith("7 of the 43 random spot checks fail")


def test_other_reasons_read_plainly_and_keep_the_technical_words():
    for reason, words in (
            ("its segments were proved for another claim", "was changed after it was proved"),
            ("the constraints do not hold: at the out-of-domain point", "rules of the machine"),
            ("this is not a zkwb receipt (bad magic)", "not a zkwb receipt"),
            ("this receipt was made by an older zkwb (format 1); prove it again",
             "another version of zkwb"),
            ("something never seen", "does not prove its claim")):
        e = explain(reason)
        assert words in e.plain and e.technical == reason and e.where == ""


def test_a_rejection_leaves_no_query_pending_and_blames_none_for_a_batch():
    queries = QuerySampling()
    queries.show_fri_layers([64, 32, 16])
    queries.set_positions([1, 2, 3, 4], 64)
    queries.mark(0, True)
    queries.finish_check(False, explain("openings: FRI layer 1: Merkle opening does not "
                                        "match the root"))
    assert queries.status.tolist() == [PASSED, NOT_CHECKED, NOT_CHECKED, NOT_CHECKED]
    assert queries.broken_layer == 1
    assert queries.describe().endswith("· 3 not checked · broke at FRI layer 1")
    per_query = QuerySampling()
    per_query.set_positions([1, 2], 64)
    per_query.mark(0, True)
    per_query.mark(1, False)
    per_query.finish_check(False, explain("openings: FRI query 1 (position 2) is "
                                          "inconsistent (1 of 2 queries fail)"))
    assert per_query.status.tolist() == [PASSED, FAILED] and per_query.broken_layer is None


def test_a_rejection_in_one_segment_of_several_names_it_as_a_person_counts():
    reason = "segment 1: openings: query rows of commitment 3: Merkle opening does not match"
    e = explain(reason, ("preprocessed", "stage0", "main", "aux"), segments=3)
    assert e.plain.startswith("Segment 2 of 3: The proof's answers do not match")
    assert e.technical == reason and e.commitment == 3 and e.commitment_name == "aux"
    # One segment, or an unknown count: nothing to name.
    assert not explain(reason, segments=1).plain.startswith("Segment")
    assert not explain(reason).plain.startswith("Segment")
    assert not explain("the constraints do not hold", segments=3).plain.startswith("Segment")
