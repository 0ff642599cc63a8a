"""Slow, obviously correct transforms in Python ints: the references for the NTT tests."""
from __future__ import annotations

from engine.field.babybear import P, two_adic_generator


def naive_dft(values, root: int) -> list[int]:
    """``X[k] = Σ_i values[i] · root^(i·k)``: O(n²)."""
    n = len(values)
    return [sum(int(v) * pow(root, i * k, P) for i, v in enumerate(values)) % P
            for k in range(n)]


def naive_ntt(values) -> list[int]:
    return naive_dft(values, two_adic_generator(len(values).bit_length() - 1))


def naive_intt(values) -> list[int]:
    n = len(values)
    root_inv = pow(two_adic_generator(n.bit_length() - 1), P - 2, P)
    n_inv = pow(n, P - 2, P)
    return [x * n_inv % P for x in naive_dft(values, root_inv)]


def recursive_ntt(values) -> list[int]:
    """Textbook radix-2 Cooley–Tukey on Python ints, for sizes too big for naive_dft."""
    n = len(values)
    if n == 1:
        return [int(values[0]) % P]
    even = recursive_ntt(values[0::2])
    odd = recursive_ntt(values[1::2])
    root = two_adic_generator(n.bit_length() - 1)
    out = [0] * n
    w = 1
    for k in range(n // 2):
        t = w * odd[k] % P
        out[k] = (even[k] + t) % P
        out[k + n // 2] = (even[k] - t) % P
        w = w * root % P
    return out


def evaluate(coeffs, x: int) -> int:
    """``Σ_i coeffs[i] · x^i`` at a base-field point, by Horner's rule."""
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + int(c)) % P
    return acc


def coset_points(n: int, shift: int) -> list[int]:
    """``shift · w_n^k`` for ``k < n``."""
    root = two_adic_generator(n.bit_length() - 1)
    return [shift * pow(root, k, P) % P for k in range(n)]
