"""Wait for a started zkwb-workbench to say it is ready, instead of sleeping and hoping.

Qt-free, so the packaging tests use it too. ``workbench.app`` writes ``READY`` on
stderr from its first turn of the event loop, once the window is shown and SIGTERM
closes it cleanly.
"""
from __future__ import annotations

import io
import os
import selectors
import time

READY = "zkwb-workbench: ready"

# Starting a fresh interpreter that imports NumPy, Numba and Qt takes seconds, and
# much longer on a loaded machine: the bound only stops a hung start.
START_TIMEOUT_S = 300.0


def wait_for_ready(proc, timeout: float = START_TIMEOUT_S):
    """Read ``proc``'s stderr (a pipe) until the ``READY`` line; return what was read
    (bytes or str, as the pipe is), to be put before what ``communicate`` gives later.

    Fails with what the process wrote if it exits, or ``timeout`` seconds pass, first.
    """
    pipe = proc.stderr
    text = isinstance(pipe, io.TextIOBase)
    fd = pipe.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while READY.encode() not in seen.splitlines():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"zkwb-workbench did not say {READY!r} within "
                                     f"{timeout:.0f} s; its stderr so far:\n"
                                     f"{seen.decode(errors='replace')[-3000:]}")
            if not selector.select(min(left, 1.0)):
                continue
            chunk = os.read(fd, 65536)      # the fd, not the pipe object: nothing buffered
            if not chunk:
                status = proc.wait(timeout=60)
                raise AssertionError(f"zkwb-workbench exited with status {status} before "
                                     f"it was ready; its stderr:\n"
                                     f"{seen.decode(errors='replace')[-3000:]}")
            seen += chunk
    return seen.decode(errors="replace") if text else seen


def terminate_when_ready(proc, timeout: float, on_ready=None):
    """Wait for ``READY``, call ``on_ready()`` if given, send SIGTERM, and collect the
    process: returns everything it wrote on stderr. Kills it if it has not ended within
    ``timeout`` seconds of the signal."""
    import signal

    try:
        early = wait_for_ready(proc)        # the window is up and SIGTERM is handled
        if on_ready is not None:
            on_ready()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return early + err
