"""compile_timer: Numba's compile time is told apart from the work itself."""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.runtime.compile_time import compile_timer, describe_verify_time


def test_a_fresh_function_compiles_inside_the_timer_and_not_twice():
    @njit(cache=False)
    def total(values):
        acc = 0
        for v in values:
            acc += v
        return acc

    data = np.arange(10, dtype=np.int64)
    with compile_timer() as compiling:
        assert compiling.seconds == 0.0
        assert total(data) == 45
        first = compiling.seconds
        assert first > 0.0
        assert total(data) == 45  # compiled: no second compilation
        assert compiling.seconds == first
    with compile_timer() as again:
        total(data)
    assert again.seconds == 0.0


def test_the_verify_time_mentions_compiling_only_when_it_happened():
    assert describe_verify_time(0.0271, 0.0) == "27 ms"
    text = describe_verify_time(18.45, 18.42)
    assert text.startswith("30 ms (after 18.4 s compiling the verifier")
    assert "first use on this machine" in text


def test_a_proof_counts_what_compiled_during_it():
    from engine.api import prove
    from engine.runtime.resources import guest_path
    from engine.vm import load_elf

    @njit(cache=False)
    def twice(x):
        return 2 * x

    calls = []

    def on_event(event):
        if not calls:   # a kernel compiling in the middle of the proof
            calls.append(twice(21))

    result = prove(load_elf(guest_path("fibonacci")), b"1", on_event=on_event)
    assert calls == [42]
    assert 0.0 < result.compile_seconds <= result.seconds
    again = prove(load_elf(guest_path("fibonacci")), b"1")
    assert again.compile_seconds == 0.0
