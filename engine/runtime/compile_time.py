"""How much of a call's time went to Numba compiling (on a cold cache) rather than work.

The first verification on a machine compiles the verifier's kernels (tens of seconds);
later ones load them from the on-disk cache. ``compile_timer`` separates the two, so a
verdict can say "27 ms, after 18 s of compiling" instead of "18 s".
"""
from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator


class CompileTime:
    """Seconds Numba spent compiling inside a ``compile_timer`` block so far.

    Counts the ``numba:compile`` event, which Numba raises only on a cache miss (a real
    compilation); nested compilations (a function compiling its callees) count once.
    """

    def __init__(self, listener) -> None:
        self._listener = listener

    @property
    def seconds(self) -> float:
        return self._listener.duration if self._listener.done else 0.0


@contextmanager
def compile_timer() -> Iterator[CompileTime]:
    from numba.core import event

    listener = event.TimingListener()
    with event.install_listener("numba:compile", listener):
        yield CompileTime(listener)


def describe_verify_time(seconds: float, compile_seconds: float) -> str:
    """"27 ms", or "27 ms (after 18.4 s compiling the verifier: first use on this
    machine, cached from now on)" when a cold cache made the call compile."""
    text = f"{max(0.0, seconds - compile_seconds) * 1000:.0f} ms"
    if compile_seconds >= 0.05:
        text += (f" (after {compile_seconds:.1f} s compiling the verifier: first use on this "
                 "machine, cached from now on)")
    return text
