"""How the engine's and the workbench's phase names read in the progress bar.

The tasks report phases with ``engine.events.PhaseStarted`` (``compile``, ``execute``,
``witness``, ``fri``, ``save``...); ``phase_label`` gives a person's words for each.
"""
from __future__ import annotations

PHASE_LABELS = {
    "compile": "Compiling kernels (first run only)",
    "compile prover": "Compiling the prover's kernels (first proof only; minutes without "
                      "a Numba cache)",
    "execute": "Executing",
    "execute untraced": "Executing (too long to record a trace)",
    "analyse": "Preparing plots",
    "witness": "Building the witness",
    "stage0": "Committing each segment's boundary columns (phase one)",
    "global challenges": "Drawing the challenges that link the segments (proof of work)",
    "check": "Checking the witness against the constraints",
    "verify receipt": "Verifying the receipt just made",
    "preprocessed": "Fixed tables (preprocessed columns)",
    "commit main": "Committing the trace",
    "logup": "LogUp: the bus columns",
    "quotient": "Evaluating the constraints (quotient)",
    "open": "Opening at the out-of-domain point (DEEP)",
    "fri": "FRI: folding layers and answering queries",
    "constraints": "Checking the constraints at the out-of-domain point",
    "save": "Saving the receipt",
    "read": "Reading the receipt",
    "export": "Saving the trace",
}


#: The prover's phases that report their own fraction done (``engine.events.Progress``,
#: from the kernels' chunks of work; stage 0 from the segments committed, in this
#: process or on a cluster): their bar is determinate from their start. The others
#: (executing, the witness, the receipt's check, the workbench's own) are shown as the
#: part of their time in the last proof of that size that has passed
#: (``workbench.model.estimates``), or as busy without one.
REPORTS_FRACTION = frozenset({"stage0", "check", "preprocessed", "commit main", "logup",
                              "quotient", "open", "fri"})


#: A phase's name on a bar of the phase timeline, where a sentence does not fit.
SHORT_LABELS = {
    "compile": "Compile",
    "compile prover": "Compile prover",
    "execute": "Execute",
    "execute untraced": "Execute",
    "analyse": "Plots",
    "witness": "Witness",
    "stage0": "Stage 0",
    "global challenges": "Challenges",
    "check": "Check",
    "verify receipt": "Verify receipt",
    "preprocessed": "Fixed tables",
    "commit main": "Commit trace",
    "logup": "LogUp",
    "quotient": "Quotient",
    "open": "DEEP opening",
    "fri": "FRI",
    "constraints": "Constraints",
    "save": "Save",
    "read": "Read",
    "export": "Export",
}


def phase_short_label(phase: str) -> str:
    """A phase's name in a word or two, for the timeline's bars (the name, capitalised,
    when unknown)."""
    return SHORT_LABELS.get(phase, phase[:1].upper() + phase[1:])


def phase_label(phase: str) -> str:
    """A person's words for an engine phase name (the name, capitalised, when unknown)."""
    return PHASE_LABELS.get(phase, phase[:1].upper() + phase[1:])
