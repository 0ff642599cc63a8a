"""What the window shows as a task runs and ends: progress, plots, results, verdicts.

``Outcomes`` listens to the ``TaskRunner`` and updates the window's panels; the
window itself only starts tasks. Engine events (``engine.events``) feed the progress
bar, the trace plot, the Queries tab and the Proof tab as they arrive; a task's
result or error fills the result panels, the window's session and its contract
signals. The words (phases, failures, summaries) are ``workbench.model``'s.

A proof in several segments also feeds ``self.segments`` (a
``workbench.model.segments.SegmentProgress``): the segment strip above the progress
bar shows it, the bar's label names the segment and the time left is beside the bar.
The events between a segment's start and finish are that segment's, so the trace plot
and the Queries tab show the segment being proved (each new segment's trace and
queries replace the last one's, and say which segment they are), and the Proof tab
sums the phases over the segments and lists the current segment's commitments.

Every event also feeds ``self.timeline`` (a ``workbench.model.timeline.PhaseTimeline``,
reset when a task starts, but for the check of the receipt just proved, which adds its
phases to its proof's): the phase timeline above the progress bar shows it, and grows
at every tick.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
import traceback

from engine import ProofParams, events
from workbench.model import tasks
from workbench.model.estimates import PhaseClock
from workbench.model.formatting import describe_seconds
from workbench.model.phases import REPORTS_FRACTION, phase_label
from workbench.model.reports import execution_report, failure_of, proof_summary, unpinned_note
from workbench.model.screen import CANCELLED, DONE, FAILED
from workbench.model.segments import SegmentProgress
from workbench.model.timeline import PhaseTimeline
from workbench.model.trace_data import TraceView
from workbench.model.verdict import summary_of_check

ENGINE_EVENTS = (events.PhaseStarted, events.PhaseFinished, events.Progress, events.TraceReady,
                 events.Committed, events.FriLayers, events.QueryPositions, events.QueryChecked)
SEGMENT_EVENTS = (events.SegmentsPlanned, events.SegmentStarted, events.SegmentFinished,
                  events.SegmentVerified)


class Outcomes:
    """Turns the runner's events and results into the window's state and signals."""

    def __init__(self, window) -> None:
        self.w = window
        self.cycles_so_far = 0
        #: The running task is the automatic check of the receipt just proved: the
        #: Proof tab keeps the proof's phases and roots, and only adds the verdict.
        self.after_proof = False
        #: When the Queries tab last drew a proof's layers from the trace's height.
        self.layers_shown_at: float | None = None
        #: The commitments the running verification read, in order.
        self.commitments: list[str] = []
        self.segments = SegmentProgress()
        #: The running (or last) task's phases, for the phase timeline.
        self.timeline = PhaseTimeline()
        #: The session's task the timeline shows (None: none, or one the session does
        #: not record).
        self.timeline_task = None
        #: Each phase's time in the last proof of each height: the bar and the time
        #: left of a phase that reports no fraction of its own.
        self.phase_clock = PhaseClock()
        #: The clock the time left is measured with (seconds, monotonic).
        self.clock = time.monotonic
        runner = window.runner
        runner.started.connect(self.on_started)
        runner.event.connect(self.on_event)
        runner.tick.connect(window.progress.set_elapsed)
        runner.tick.connect(self.on_tick)
        runner.succeeded.connect(self.on_succeeded)
        runner.failed.connect(self.on_failed)

    # -- while a task runs ----------------------------------------------------------
    def on_started(self, name: str) -> None:
        """A task starts: the last one's segments are forgotten."""
        if name == "prove":
            self.phase_clock.begin_proof()
        self.segments.reset()
        self.commitments = []
        self.w.segment_strip.clear()
        if not self.after_proof:
            self.timeline.reset()
            self.timeline_task = self.w.session.task
        self.show_timeline()

    def show_timeline(self) -> None:
        """The phase timeline at this moment; during a proof with an estimate of its
        length, on the scale of that length."""
        now = self.clock()
        horizon = None
        if self.w.runner.task_name == "prove" and self.w.runner.busy:
            left = self.phase_clock.seconds_left(now)
            if left is not None:
                horizon = self.timeline.elapsed(now) + left
        self.w.phase_timeline.show_timeline(self.timeline, now, horizon)

    def on_tick(self, _elapsed: float) -> None:
        now = self.clock()
        if self.timeline.running is not None:
            self.show_timeline()
        eta = self.segments.eta_text(now)
        if self.w.runner.task_name == "prove":
            fraction = self.phase_clock.fraction(now)
            if fraction is not None:
                self.w.progress.set_fraction(fraction)
            left = self.phase_clock.seconds_left(now)
            if not eta and left is not None:
                eta = f"about {describe_seconds(left)} left (as the last proof this size)"
        self.w.progress.set_eta(eta)

    def on_event(self, event) -> None:
        w = self.w
        if self.timeline.feed(event, self.clock()):
            self.show_timeline()
        if isinstance(event, SEGMENT_EVENTS):
            self._on_segment_event(event)
        elif isinstance(event, ENGINE_EVENTS):
            self._on_engine_event(event)
        elif isinstance(event, tasks.CyclesRun):
            self.cycles_so_far = event.cycles
            w.progress.set_detail(f"{event.cycles:,} cycles")
        elif isinstance(event, tasks.KernelsReady):
            w.statusBar().showMessage(f"Kernels ready in {event.seconds:.1f} s")

    def _on_segment_event(self, event) -> None:
        w, segments = self.w, self.segments
        if isinstance(event, events.SegmentsPlanned) and w.runner.task_name == "prove":
            # The execute phase ended: the run's length and the trace's height are
            # known. The Execution panel says how long it ran, and the Queries tab
            # draws the LDE domain and FRI layers the proof will fold (its queries
            # follow once FRI draws them).
            w.results.show_executed(event.cycles, "executed; proving…")
            if event.count == 1:
                self.phase_clock.height_known(event.rows_per_segment + ProofParams().zk_rows)
            height = 1 << max(event.rows_per_segment + ProofParams().zk_rows - 1,
                              1).bit_length()
            self._show_layers_of(height)
        if not segments.feed(event, self.clock()):
            return
        w.segment_strip.show_segments(segments)
        w.progress.set_eta(segments.eta_text(self.clock()))
        if isinstance(event, events.SegmentStarted) and segments.several:
            w.progress.set_phase(f"Proving {segments.label()}")
            w.proof_panel.begin_segment(segments.label())
            if event.index > 0 and event.worker is None and w.runner.task_name == "prove":
                # In this process the segments are proved one after another: the
                # Queries tab follows the one being proved (its trace's height, then
                # its layers and queries) instead of keeping the last one's queries.
                label = segments.label()
                w.query_plot.reset(f"{label[:1].upper()}{label[1:]}: its FRI layers appear "
                                   "as soon as its trace is committed, its queries when "
                                   "FRI draws them.")

    def _segment_label(self) -> str:
        """Which segment the events now arriving belong to ("" for a single one)."""
        return self.segments.label() if self.segments.several else ""

    def _on_engine_event(self, event) -> None:
        w = self.w
        proving = w.runner.task_name not in ("execute", "export") and not self.after_proof
        if isinstance(event, events.PhaseStarted):
            segment = self._segment_label()
            label = phase_label(event.phase)
            # A phase that reports its own fraction has a determinate bar from its
            # start; the others are busy until the estimate (on_tick) fills them.
            reports = event.phase in REPORTS_FRACTION
            w.progress.set_phase(f"{segment[:1].upper()}{segment[1:]} · {label}" if segment
                                 else label, 0.0 if reports else None)
            if w.runner.task_name == "prove":
                self.phase_clock.phase_started(event.phase, self.clock())
                if reports:
                    self.phase_clock.progress_reported()
            if event.phase == "compile" and w.runner.task_name == "execute":
                w.trace_plot.show_message("Compiling the executor's kernels (first run only, "
                                          "a few seconds)…")
        elif isinstance(event, events.Progress):
            self.phase_clock.progress_reported()
            w.progress.set_fraction(event.fraction)
        elif isinstance(event, events.PhaseFinished):
            if w.runner.task_name == "prove":
                self.phase_clock.phase_finished(event.phase, event.seconds)
            if proving:
                w.proof_panel.phase_finished(event.phase, event.seconds)
        elif isinstance(event, events.TraceReady):
            view = TraceView.from_columns(event.names, event.columns, source="proof")
            # The workbench proves with the default parameters; their zk_rows last rows
            # are random.
            view.random_rows = ProofParams().zk_rows if w.runner.task_name == "prove" else 0
            view.segment = self._segment_label()
            w.trace_plot.set_trace(view)
            if w.runner.task_name == "prove":
                self._show_layers_of(int(event.columns.shape[1]))
        elif isinstance(event, events.Committed):
            self.commitments.append(event.name)
            if not self.after_proof:
                w.proof_panel.committed(event.name, event.root)
        elif isinstance(event, events.FriLayers):
            w.query_plot.set_segment(self._segment_label())
            w.query_plot.show_fri_layers(event.sizes)
            if not self.after_proof:
                w.proof_panel.fri_layers(event.sizes)
        elif isinstance(event, events.QueryPositions):
            w.query_plot.set_segment(self._segment_label())
            w.query_plot.set_query_positions(event.positions, event.domain_size)
        elif isinstance(event, events.QueryChecked):
            w.query_plot.mark_query(event.index, event.passed)

    def _show_layers_of(self, height: int) -> None:
        """Draw the LDE domain and FRI layers of a ``height``-row trace in the Queries
        tab while it shows nothing of this proof yet (FRI's own event confirms them
        later; in a proof of several segments, each later segment's layers and
        queries replace the last one's when its FRI reports them)."""
        query_plot = self.w.query_plot
        if query_plot.queries.drawable:
            return
        sizes = tasks.fri_layer_sizes(height.bit_length() - 1, ProofParams())
        if sizes:
            query_plot.set_segment(self._segment_label())
            query_plot.show_fri_layers(sizes)
            self.layers_shown_at = self.clock()

    # -- when it ends ---------------------------------------------------------------
    def on_succeeded(self, name: str, result) -> None:
        w = self.w
        w.session.end(DONE)
        w.segment_strip.show_segments(self.segments)
        self.timeline.finish(self.clock())
        self.show_timeline()
        if name == "execute":
            self.show_execution(result)
        elif name == "prove":
            self.show_proof(result)
        elif name == "verify":
            self.show_receipt_check(result)
        elif name == "export":
            w.statusBar().showMessage(f"Saved the trace to {result}")
        w.view.render()
        w.update_actions()
        if name == "export":
            w.exportFinished.emit(result)

    def on_failed(self, name: str, error) -> None:
        w = self.w
        failure = failure_of(error)
        if failure.unexpected:
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        message, outcome, fault = failure.message, failure.outcome, failure.fault
        if name == "prove" and failure.cancelled:
            message = "Cancelled: no receipt was written."
        w.session.end(CANCELLED if failure.cancelled else FAILED)
        self.segments.stop(cancelled=failure.cancelled)
        w.segment_strip.show_segments(self.segments)
        self.timeline.stop(self.clock())
        self.show_timeline()
        if name == "verify" and not failure.cancelled:
            w.session.check_failed(message)
        w.view.render()
        if name in ("execute", "prove"):
            # Told once, in the Execution panel: what failed, and what the guest wrote
            # until then.
            w.results.show_failure(outcome, message,
                                   fault.journal if fault else b"", fault.log if fault else b"",
                                   fault.cycles if fault else self.cycles_so_far or None)
            if name == "execute" or not w.trace_plot.views:
                w.trace_plot.show_message("Cancelled. Press Execute or Prove to run again."
                                          if failure.cancelled else
                                          f"{outcome}: no trace. {message}")
            w.profile.show_message(f"{outcome}: no profile.")
            if fault is not None:
                w.disassembly.show_at(fault.pc, "fault")
        if name == "execute":
            w.executeFailed.emit(message)
        elif name == "prove":
            w.proof_panel.finish("cancelled, no receipt written" if failure.cancelled
                                 else "failed")
            w.proveFailed.emit(message)
        elif name == "verify":
            if not failure.cancelled:
                w.verifyFinished.emit(False, message)
        elif not failure.cancelled:
            w.notify(message, "error")      # an export: no panel of its own
        w.update_actions()

    def show_execution(self, outcome: tasks.ExecutionOutcome) -> None:
        w = self.w
        w.session.executed(outcome)
        result = outcome.result
        w.results.show_execution(result, outcome.trace_note)
        if outcome.trace is not None:
            w.trace_plot.set_trace(outcome.trace)
            w.profile.show_profile(outcome.profile)
        else:
            w.trace_plot.show_message(outcome.trace_note)
            w.profile.show_message(outcome.trace_note + " The profile is computed from the "
                                   "trace.")
        w.view.render()
        w.executeFinished.emit(execution_report(outcome, w.program.image_id_hex))

    def show_proof(self, outcome: tasks.ProofOutcome) -> None:
        w = self.w
        w.session.proved(outcome)
        self.phase_clock.proof_finished()
        execution = outcome.execution
        w.results.show_execution(execution.result, execution.trace_note)
        if execution.trace is not None:
            w.trace_plot.set_trace(execution.trace)
            w.profile.show_profile(execution.profile)
        summary = proof_summary(outcome)
        w.proof_panel.finish(summary)
        w.view.render()
        w.notify(f"Proved and saved the receipt to {outcome.receipt_path}; checking it now, as "
                 "anyone who receives it would (the verdict is in the Verification panel).",
                 "info")
        w.proveFinished.emit(outcome.receipt_path)
        # Auto-verify: the fresh receipt is checked at once, from the file, against the
        # program it was made of, exactly as a drop would check it.
        w.verify_file(outcome.receipt_path, after_proof=True)

    def show_receipt_check(self, check: tasks.ReceiptCheck) -> None:
        w = self.w
        # The commitments the verifier read, in order: a rejection names one by index.
        summary = dataclasses.replace(summary_of_check(check),
                                      commitments=tuple(self.commitments))
        verdict = summary.verdict()
        w.session.checked(summary)
        w.verify_panel.show_result(summary)
        explanation = summary.explanation()
        w.query_plot.finish_check(verdict.proven, explanation)
        if explanation is not None and explanation.commitment is not None \
                and not self.after_proof:
            w.proof_panel.mark_broken(explanation.commitment, explanation.plain)
        if check.receipt is not None:      # it decoded: a receipt, valid or not
            w.settings.add_recent_file(check.path)
        name = os.path.basename(check.path)
        w.ml_example.on_verified(summary.journal, verdict.proven, name, unpinned_note(summary))
        if self.after_proof:
            w.proof_panel.add_check(verdict.summary)
        else:
            w.proof_panel.finish(verdict.summary)
        w.view.render()
        w.verifyFinished.emit(verdict.proven, f"{name}: {verdict.summary}")
