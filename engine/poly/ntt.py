"""Number-theoretic transforms over BabyBear: NTT, inverse NTT, cosets, low-degree extension.

Layout (a contract): a matrix of trace columns is a C-contiguous ``np.uint32`` array of
shape ``(n_columns, n_rows)``; transforms run along the last axis, one column per row
of the array, in parallel. A 1-D array is one column and comes back 1-D. Column
lengths are powers of two. Everything is in natural order, in and out.

With ``w = two_adic_generator(log2 n)`` and ``H = {w^i}``:

* ``ntt(coeffs)[k] = Σ_i coeffs[i]·w^(i·k)``: evaluations of the polynomial over H;
* ``intt`` (= ``interpolate``) inverts it;
* ``coset_ntt(coeffs, shift, log_blowup)``: evaluations over ``shift·H'`` with
  ``|H'| = n·2^log_blowup``, i.e. ``f(shift·w'^k)``;
* ``coset_intt(evals, shift)``: coefficients from evaluations over ``shift·H``;
* ``coset_lde(evals, log_blowup, shift)``: evaluations over H in, evaluations over
  ``shift·H'`` out (``intt`` then ``coset_ntt``, fused).

Extension-field columns: the transforms are linear and their twiddles lie in the base
field, so an extension column of shape ``(n, 4)`` transforms as the 4 base columns of
its transpose. ``ext_ntt``, ``ext_intt`` and ``ext_coset_lde`` take ``(n, 4)`` or
``(m, n, 4)`` arrays and do that (one transposing copy each way);
``ext_to_base_columns``/``base_columns_to_ext`` convert for callers who batch.

Memory: results are new arrays and inputs are never modified; ``out=`` (on ``ntt``,
``intt``, ``coset_ntt``, ``coset_lde``) writes into a caller's array instead, e.g. to reuse a buffer
across calls; it must not overlap the input. There is no in-place transform: the
four-step algorithm reads its input while it writes its output. ``coset_lde`` keeps
coefficients in a temporary of n points per column (one column on the calling thread,
up to ``LDE_CHUNK_COLUMNS`` on several).

Threads: jobs of at least ``PARALLEL_MIN_POINTS`` output points use Numba's threads
(``numba.set_num_threads`` limits them), smaller ones the calling thread. Every kernel
releases the GIL.
"""
from __future__ import annotations

import numba
import numpy as np

from engine.field.babybear import (GENERATOR, P, TWO_ADICITY, as_field_array, bb_mul,
                                   bb_powers)
from engine.field.shoup import shoup_companion
from engine.poly.evaluate import evaluate_poly, evaluate_poly_ext
from engine.poly.ntt_kernels import low_degree_extend, transform
from engine.poly.twiddles import four_step_tables

__all__ = [
    "base_columns_to_ext",
    "coset_intt",
    "coset_lde",
    "coset_ntt",
    "evaluate_poly",
    "evaluate_poly_ext",
    "ext_coset_lde",
    "ext_intt",
    "ext_ntt",
    "ext_to_base_columns",
    "interpolate",
    "intt",
    "ntt",
]

_NO_SCALE = np.zeros(0, dtype=np.uint32)
# Below this many output points a transform runs on one thread: waking the others costs
# more than the work (measured on 2 shared cores, where a wake-up can take milliseconds).
PARALLEL_MIN_POINTS = 1 << 18


def ntt(coeffs, out: np.ndarray | None = None) -> np.ndarray:
    """Evaluate each column's polynomial over the subgroup H of size n.

    ``coeffs``: (n,) or (m, n) canonical ``np.uint32``, n a power of two. Returns the
    same shape (in ``out`` if given). Raises ``ValueError`` for a length that is not a
    power of two or exceeds 2^27, or for non-canonical values.
    """
    src, one_d = _columns(coeffs)
    result = _run(src, src.shape[1], out=_out(out, src, src.shape, one_d))
    return out if out is not None else _shape_like(result, one_d)


def intt(evals, out: np.ndarray | None = None) -> np.ndarray:
    """Coefficients of each column's polynomial from its evaluations over H.

    Uses ``intt(e)[i] = n^-1 · ntt(e')[i]`` with ``e'[j] = e[-j mod n]``, read backwards
    on the fly. Shapes and errors as :func:`ntt`.
    """
    src, one_d = _columns(evals)
    n = src.shape[1]
    result = _run(src, n, reverse=True, in_scale=_constant(pow(n, P - 2, P)),
                  out=_out(out, src, src.shape, one_d))
    return out if out is not None else _shape_like(result, one_d)


def interpolate(evals) -> np.ndarray:
    """Alias of :func:`intt`: coefficients from evaluations over H."""
    return intt(evals)


def coset_ntt(coeffs, shift: int = GENERATOR, log_blowup: int = 0,
              out: np.ndarray | None = None) -> np.ndarray:
    """Evaluate each column's polynomial over ``shift·H'``, ``|H'| = n·2^log_blowup``.

    ``coeffs``: (n,) or (m, n). Returns (n·2^log_blowup,) or (m, n·2^log_blowup)
    (in ``out`` if given): ``result[..., k] = f(shift·w'^k)``. Raises ``ValueError`` as
    :func:`ntt`, and if ``shift`` is zero or ``log_blowup`` is negative.
    """
    src, one_d = _columns(coeffs)
    n = src.shape[1]
    n_out = _blown_up(n, log_blowup)
    scale = bb_powers(_nonzero(shift), n)
    result = _run(src, n_out, in_scale=scale, out=_out(out, src, (src.shape[0], n_out), one_d))
    return out if out is not None else _shape_like(result, one_d)


def coset_intt(evals, shift: int = GENERATOR) -> np.ndarray:
    """Coefficients from evaluations over the coset ``shift·H``, ``|H| = n``.

    ``coeffs[i] = shift^-i · intt(evals)[i]``. Shapes and errors as :func:`coset_ntt`.
    """
    src, one_d = _columns(evals)
    n = src.shape[1]
    shift_inv = pow(_nonzero(shift), P - 2, P)
    scale = bb_mul(bb_powers(shift_inv, n), pow(n, P - 2, P))
    return _shape_like(_run(src, n, reverse=True, out_scale=scale), one_d)


def coset_lde(evals, log_blowup: int, shift: int = GENERATOR,
              out: np.ndarray | None = None) -> np.ndarray:
    """Low-degree extension: evaluations over H in, over ``shift·H'`` out.

    ``evals``: (n,) or (m, n) canonical ``np.uint32``, evaluations of polynomials of
    degree < n over the subgroup H of size n. Returns shape (n·2^log_blowup,) or
    (m, n·2^log_blowup) (in ``out`` if given): the same polynomials at
    ``shift·w'^k``, ``w'`` generating the subgroup of size ``n·2^log_blowup``. The
    default shift, the field's generator, keeps the coset disjoint from every
    two-adic subgroup. Raises ``ValueError`` as :func:`coset_ntt`.
    """
    src, one_d = _columns(evals)
    n = src.shape[1]
    n_out = _blown_up(n, log_blowup)
    m = src.shape[0]
    dst = _out(out, src, (m, n_out), one_d)
    if dst is None:
        dst = np.empty((m, n_out), dtype=np.uint32)
    # intt's 1/n moves into the second transform's scale table, fused with shift^i.
    scale = bb_mul(bb_powers(_nonzero(shift), n), pow(n, P - 2, P))
    if n == 1:
        dst[:] = src  # a constant polynomial: the same value everywhere
    elif m:
        low_degree_extend(src, dst, _with_companions(scale), four_step_tables(_log2(n)),
                          four_step_tables(_log2(n_out)), _threads(m * n_out))
    return out if out is not None else _shape_like(dst, one_d)


def ext_ntt(coeffs) -> np.ndarray:
    """:func:`ntt` of extension columns: (n, 4) or (m, n, 4) in, same shape out."""
    return _on_ext_columns(coeffs, ntt)


def ext_intt(evals) -> np.ndarray:
    """:func:`intt` of extension columns: (n, 4) or (m, n, 4) in, same shape out."""
    return _on_ext_columns(evals, intt)


def ext_coset_lde(evals, log_blowup: int, shift: int = GENERATOR) -> np.ndarray:
    """:func:`coset_lde` of extension columns: (n, 4) → (n·B, 4), (m, n, 4) → (m, n·B, 4)."""
    return _on_ext_columns(evals, lambda cols: coset_lde(cols, log_blowup, shift))


def ext_to_base_columns(ext_columns) -> np.ndarray:
    """(m, n, 4) extension columns → (4m, n) base columns; column ``4j + d`` holds
    coordinate ``d`` of extension column ``j``. A (n, 4) array counts as m = 1."""
    arr = as_field_array(ext_columns)
    if arr.ndim not in (2, 3) or arr.shape[-1] != 4:
        raise ValueError(f"extension columns have shape (n, 4) or (m, n, 4), "
                         f"got {arr.shape}")
    arr = arr.reshape((-1,) + arr.shape[-2:])
    return np.ascontiguousarray(np.swapaxes(arr, 1, 2)).reshape(-1, arr.shape[1])


def base_columns_to_ext(base_columns: np.ndarray) -> np.ndarray:
    """Inverse of :func:`ext_to_base_columns`: (4m, n) → (m, n, 4)."""
    arr = np.asarray(base_columns)
    if arr.ndim != 2 or arr.shape[0] % 4:
        raise ValueError(f"need (4m, n) base columns, got shape {arr.shape}")
    return np.ascontiguousarray(np.swapaxes(arr.reshape(-1, 4, arr.shape[1]), 1, 2))


# --- Helpers -----------------------------------------------------------------------------

def _run(src: np.ndarray, n_out: int, *, reverse: bool = False,
         in_scale: np.ndarray = _NO_SCALE, out_scale: np.ndarray = _NO_SCALE,
         out: np.ndarray | None = None) -> np.ndarray:
    """Run the four-step kernel on (m, n_src) columns; returns (m, n_out)."""
    m, n_src = src.shape
    dst = np.empty((m, n_out), dtype=np.uint32) if out is None else out
    if m == 0:
        return dst
    if n_out == 1:
        # The 1-point transform is the identity (times the scales).
        dst[:, 0] = src[:, 0]
        for scale in (in_scale, out_scale):
            if scale.size:
                dst[:, 0] = bb_mul(dst[:, 0], scale[0])
        return dst
    transform(src, dst, n_src, reverse, _with_companions(in_scale),
              _with_companions(out_scale), four_step_tables(_log2(n_out)),
              _threads(m * n_out))
    return dst


def _threads(points: int) -> int:
    return numba.get_num_threads() if points >= PARALLEL_MIN_POINTS else 1


def _log2(n: int) -> int:
    return n.bit_length() - 1


def _with_companions(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return scale, shoup_companion(scale)


def _columns(values) -> tuple[np.ndarray, bool]:
    """Validate and return ``(C-contiguous (m, n) uint32 array, was_1d)``."""
    arr = as_field_array(values)
    if arr.ndim not in (1, 2):
        raise ValueError(f"expected (n,) or (n_columns, n) field elements, got shape "
                         f"{arr.shape}")
    one_d = arr.ndim == 1
    # Contiguous and writeable always, so that each kernel compiles for one argument
    # type (see engine.field.babybear on Numba's cache); copies only read-only input.
    arr = np.require(arr.reshape(1, -1) if one_d else arr, np.uint32, ["C", "W"])
    n = arr.shape[1]
    if n == 0 or n & (n - 1):
        raise ValueError(f"column length must be a power of two, got {n}")
    if n > 1 << TWO_ADICITY:
        raise ValueError(f"column length {n} exceeds BabyBear's 2^{TWO_ADICITY}")
    return arr, one_d


def _out(out: np.ndarray | None, src: np.ndarray, shape: tuple[int, int],
         one_d: bool) -> np.ndarray | None:
    """Check a caller's output array and return it as an (m, n) view."""
    if out is None:
        return None
    want = (shape[1],) if one_d else shape
    if (not isinstance(out, np.ndarray) or out.dtype != np.uint32 or out.shape != want
            or not out.flags.c_contiguous or not out.flags.writeable):
        raise ValueError(f"out must be a writeable C-contiguous uint32 array of shape {want}")
    if np.may_share_memory(out, src):
        raise ValueError("out must not overlap the input")
    return out.reshape(shape)


def _shape_like(result: np.ndarray, one_d: bool) -> np.ndarray:
    return result.reshape(-1) if one_d else result


def _blown_up(n: int, log_blowup: int) -> int:
    if log_blowup < 0:
        raise ValueError(f"log_blowup cannot be negative, got {log_blowup}")
    if n << log_blowup > 1 << TWO_ADICITY:
        raise ValueError(f"extended length n·2^{log_blowup} exceeds 2^{TWO_ADICITY}")
    return n << log_blowup


def _nonzero(shift: int) -> int:
    shift = int(as_field_array(shift))
    if shift == 0:
        raise ValueError("a coset shift must be nonzero")
    return shift


def _constant(value: int) -> np.ndarray:
    return np.array([value], dtype=np.uint32)


def _on_ext_columns(values, transform_columns) -> np.ndarray:
    arr = as_field_array(values)
    base = ext_to_base_columns(arr)
    result = base_columns_to_ext(transform_columns(base))
    return result[0] if arr.ndim == 2 else result
