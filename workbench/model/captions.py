"""One sentence under each picture, for a person who has never heard of a STARK: what
the trace plot shows (per view) and what the Queries tab shows, what a query is, and
why a few dozen random ones convince."""
from __future__ import annotations

#: What each view of the trace plot shows (keys: ``workbench.views.trace_plot``'s kinds).
TRACE_CAPTIONS = {
    "pc": "Each point is one cycle of the run and the address (pc) of the instruction it "
          "executed, named by its function: flat bands are loops, jumps are calls and "
          "returns.",
    "register": "The value of one register after every write to it, cycle by cycle.",
    "memory": "Every load and store of the run: which byte address it touched, at which "
              "cycle (the stack is high, the program's data low).",
    "classes": "How the run's cycles split between kinds of instruction over time: each "
               "column is a slice of the run, and a brighter cell a larger share of it "
               "(scale on the right).",
    "column": "One column of the table of numbers (the trace) the prover commits to, row "
              "by row: the proof shows that every row follows from the one before by the "
              "rules of RV32IM.",
}

QUERIES_CAPTION = (
    "A query is a spot check at a random position of the committed data, a position the "
    "prover could not know before committing; each is followed down the FRI layers "
    "(each folded from the one above into a fraction of its size) to the last. A proof "
    "of something false "
    "fails most spot checks, so passing all {queries} leaves it a negligible chance "
    "(the security figure, in bits, in the Verification panel).")


def queries_caption(queries: int | None = None) -> str:
    """What the Queries tab shows, with the number of queries of the proof shown
    (default: the shipped parameters')."""
    if not queries:
        from engine import ProofParams
        queries = ProofParams().num_queries
    return QUERIES_CAPTION.format(queries=queries)
