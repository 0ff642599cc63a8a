"""TaskRunner: closing the window while a task runs stops it and leaves no thread behind.

Assertions are on the runner's own thread pool and state (not Qt's global pool, which
other code may use), and the tests wait for events, not for a while.
"""
from __future__ import annotations

import threading
import time

from engine.errors import Cancelled
from workbench.views.runner import TaskRunner


def _until_cancelled(report, cancel):
    while True:
        cancel.raise_if_cancelled()
        report("working")
        time.sleep(0.005)


def test_shutdown_cancels_and_waits_for_the_worker_thread_itself(qtbot):
    for _ in range(5):
        runner = TaskRunner()
        with qtbot.waitSignal(runner.event, timeout=60_000):     # the task is running
            assert runner.start("forever", _until_cancelled)
        assert runner.active_threads() == 1
        assert runner.shutdown(seconds=60)
        # The thread is done, not only the task: the worker's last signal was emitted
        # while the worker object was still alive.
        assert runner.active_threads() == 0
        assert not runner.busy


def test_a_cancelled_task_reports_cancelled(qtbot):
    runner = TaskRunner()
    with qtbot.waitSignal(runner.failed, timeout=60_000) as failed:
        with qtbot.waitSignal(runner.event, timeout=60_000):
            assert runner.start("forever", _until_cancelled)
        runner.cancel()
    name, error = failed.args
    assert name == "forever" and isinstance(error, Cancelled)
    assert not runner.busy
    assert runner.wait_for_threads(60_000) and runner.active_threads() == 0


def test_a_task_that_cannot_stop_in_time_is_left_to_finish_safely(qtbot):
    runner = TaskRunner()
    started, release = threading.Event(), threading.Event()

    def stubborn(report, cancel):          # never looks at the cancel token
        started.set()
        release.wait(60)

    assert runner.start("stubborn", stubborn)
    assert started.wait(60)
    assert runner.shutdown(0.1) is False
    assert not runner.busy
    assert runner.active_threads() == 1
    # Its worker object outlives the shutdown, so the thread's last emit is harmless.
    release.set()
    assert runner.wait_for_threads(60_000)
    assert runner.active_threads() == 0
