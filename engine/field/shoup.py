"""Multiplication by precomputed constants (Shoup's trick) in 32-bit lanes.

The NTT multiplies every element by a twiddle factor known in advance. Storing next to
each constant ``w`` its companion ``wq = floor(w · 2^32 / P)`` turns ``v · w mod P`` into
``v·w - floor(v·wq / 2^32)·P``, which is already in ``[0, 2P)``: two low 32-bit products,
one high product, no division (Shoup; Harvey, "Faster arithmetic for number-theoretic
transforms", 2014).

Numba types every integer operation as 64-bit, which halves the SIMD width. These
kernels are Numba intrinsics written in LLVM IR on ``i32`` values, so loops that call
them vectorize with sixteen lanes per AVX-512 register (eight with AVX2). Arguments
must be canonical field elements; results are canonical ``np.uint32``.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types, vectorize
from numba.extending import intrinsic

from engine.field.babybear import P

_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def shoup_companion(w) -> np.ndarray:
    """Return ``floor(w · 2^32 / P)`` for canonical ``w`` (array or int) as ``np.uint32``."""
    return _companion_ufunc(np.asarray(w, dtype=np.uint32))


@vectorize(["uint32(uint32)"], nopython=True, cache=True)
def _companion_ufunc(w):
    return (np.uint64(w) << np.uint64(32)) // np.uint64(P)


def _reduce_once(builder, x):
    """``x - P`` if ``x >= P`` else ``x``, for ``x < 2P``: the unsigned minimum of the two."""
    x_minus_p = builder.sub(x, ir.Constant(_I32, P))
    return builder.select(builder.icmp_unsigned("<", x, x_minus_p), x, x_minus_p)


def _mul_shoup_ir(builder, v, w, wq):
    """IR for ``v · w mod P`` with ``v < 2^32`` and ``wq`` the companion of ``w``."""
    wide = builder.mul(builder.zext(v, _I64), builder.zext(wq, _I64))
    q = builder.trunc(builder.lshr(wide, ir.Constant(_I64, 32)), _I32)
    r = builder.sub(builder.mul(v, w), builder.mul(q, ir.Constant(_I32, P)))
    return _reduce_once(builder, r)


@intrinsic
def mul_shoup(typingctx, v, w, wq):
    """``v · w mod P`` for canonical ``v, w`` and ``wq = shoup_companion(w)``; uint32."""
    sig = types.uint32(types.uint32, types.uint32, types.uint32)

    def codegen(context, builder, signature, args):
        return _mul_shoup_ir(builder, *args)
    return sig, codegen


@intrinsic
def dif_butterfly(typingctx, a, b, w, wq):
    """Gentleman–Sande butterfly: ``(a + b, (a - b) · w) mod P``; a uint32 pair.

    ``a - b + P`` lies in ``[1, 2P) ⊂ [0, 2^32)``, the input range Shoup's reduction
    accepts, so the difference needs no reduction of its own.
    """
    sig = types.UniTuple(types.uint32, 2)(types.uint32, types.uint32, types.uint32,
                                          types.uint32)

    def codegen(context, builder, signature, args):
        a, b, w, wq = args
        total = _reduce_once(builder, builder.add(a, b))
        diff = builder.sub(builder.add(a, ir.Constant(_I32, P)), b)
        product = _mul_shoup_ir(builder, diff, w, wq)
        return context.make_tuple(builder, signature.return_type, [total, product])
    return sig, codegen


@intrinsic
def neg_if(typingctx, v, flag):
    """``P - v`` (or 0 for 0) when ``flag`` is true, else ``v``; canonical uint32."""
    sig = types.uint32(types.uint32, types.boolean)

    def codegen(context, builder, signature, args):
        v, flag = args
        negated = _reduce_once(builder, builder.sub(ir.Constant(_I32, P), v))
        return builder.select(flag, negated, v)
    return sig, codegen
