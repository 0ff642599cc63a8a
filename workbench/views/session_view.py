"""Puts ``workbench.model.screen.screen_of(window.session)`` on the window's panels.

The window calls ``render`` after every transition (a program opened, a task started
or ended): the Queries tab, the Verification panel, the Execution panel, the progress
line and the Digits tab then show what the session holds, and nothing a previous task
left. Live content (plots, tables, a verdict) is drawn by ``workbench.views.outcomes``
as events arrive; this only decides what each panel says when that content is not
(or no longer) there.
"""
from __future__ import annotations

from workbench.model.screen import DONE, Screen, screen_of


class SessionView:
    """Applies the session's ``Screen`` to the window's panels."""

    def __init__(self, window) -> None:
        self.w = window
        self._queries_owner: int | None = None
        self.screen: Screen | None = None

    def render(self) -> Screen:
        w = self.w
        session = w.session
        screen = screen_of(session)
        self.screen = screen
        if screen.progress is not None and not w.runner.busy:
            task = session.task
            w.progress.finish(screen.progress, done=task is not None and task.state == DONE)
        if session.task is None and w.outcomes.timeline_task is not None:
            # A program opened: no task of it has run, so no phase is shown.
            w.outcomes.timeline_task = None
            w.outcomes.timeline.reset()
            w.outcomes.show_timeline()
        if screen.queries_owner != self._queries_owner:
            w.query_plot.reset(screen.queries)
            self._queries_owner = screen.queries_owner
        elif w.query_plot.is_empty():
            w.query_plot.show_message(screen.queries)
        if screen.verification is not None:
            w.verify_panel.show_message(screen.verification)
        if screen.execution is not None:
            w.results.clear(screen.execution)
        w.ml_example.show_tab(screen.digits)
        return screen
