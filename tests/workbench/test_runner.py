"""TaskRunner: closing the window while a task runs stops it and leaves no thread behind."""
from __future__ import annotations

import time

from PySide6.QtCore import QThreadPool

from engine.errors import Cancelled
from workbench.runner import TaskRunner


def _until_cancelled(report, cancel):
    while True:
        cancel.raise_if_cancelled()
        report("working")
        time.sleep(0.005)


def test_shutdown_cancels_and_waits_for_the_worker_thread_itself(qtbot):
    for _ in range(5):
        runner = TaskRunner()
        assert runner.start("forever", _until_cancelled)
        qtbot.wait(30)
        runner.shutdown()
        # The thread is done, not only the task: the worker's last signal was emitted
        # while the worker object was still alive.
        assert QThreadPool.globalInstance().activeThreadCount() == 0
        assert not runner.busy


def test_a_cancelled_task_reports_cancelled(qtbot):
    runner = TaskRunner()
    with qtbot.waitSignal(runner.failed, timeout=10_000) as failed:
        assert runner.start("forever", _until_cancelled)
        qtbot.wait(30)
        runner.cancel()
    name, error = failed.args
    assert name == "forever" and isinstance(error, Cancelled)


def test_a_task_that_cannot_stop_in_time_is_left_to_finish_safely(qtbot):
    runner = TaskRunner()
    assert runner.start("stubborn", lambda report, cancel: time.sleep(1.0))
    assert runner.shutdown(0.1) is False
    assert not runner.busy
    # Its worker object outlives the shutdown, so the thread's last emit is harmless.
    assert QThreadPool.globalInstance().waitForDone(10_000)
