"""Pure-Python field elements for the verifier: ``Fp`` (BabyBear) and ``Ext`` (quartic).

They make generic expression code work with Python operators: ``a * b + 3`` is valid
whether ``a`` and ``b`` are ``Fp``, ``Ext`` or ``int`` (ints are reduced mod P), and a
mix of ``Fp`` and ``Ext`` gives ``Ext``. Instances are immutable and hashable; equal
values hash equally across ``int``, ``Fp`` and base-field ``Ext`` (``Fp(3) == 3 ==
Ext.from_base(3)``). A few thousand operations take milliseconds; array work belongs
in :mod:`engine.field.babybear` and :mod:`engine.field.ext4`.

Constructors reduce modulo P, which suits arithmetic; code that parses untrusted data
uses ``from_canonical``, which refuses values outside ``[0, P)``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.field.babybear import P
from engine.field.ext4 import FROBENIUS_ROOT, W

_setattr = object.__setattr__
_ORDER_EXT = P ** 4 - 1


def _fp(value: int) -> Fp:
    """Build an Fp from an already reduced int without re-validating it."""
    obj = object.__new__(Fp)
    _setattr(obj, "value", value)
    return obj


def _ext(c0: int, c1: int, c2: int, c3: int) -> Ext:
    """Build an Ext from already reduced ints without re-validating them."""
    obj = object.__new__(Ext)
    _setattr(obj, "coeffs", (c0, c1, c2, c3))
    return obj


class Fp:
    """An element of BabyBear. ``Fp(v)`` reduces the int ``v`` modulo P."""

    __slots__ = ("value",)
    value: int

    def __init__(self, value: int | Fp):
        _setattr(self, "value", int(value) % P)

    @classmethod
    def from_canonical(cls, value: int) -> Fp:
        """Return ``Fp(value)``; raises ``ValueError`` unless ``0 <= value < P``."""
        value = int(value)
        if not 0 <= value < P:
            raise ValueError(f"not a canonical BabyBear element: {value}")
        return _fp(value)

    def __setattr__(self, name, value):
        raise AttributeError("Fp is immutable")

    def __add__(self, other):
        if type(other) is Fp:
            return _fp((self.value + other.value) % P)
        if isinstance(other, (int, np.integer)):
            return _fp((self.value + int(other)) % P)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if type(other) is Fp:
            return _fp((self.value - other.value) % P)
        if isinstance(other, (int, np.integer)):
            return _fp((self.value - int(other)) % P)
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, (int, np.integer)):
            return _fp((int(other) - self.value) % P)
        return NotImplemented

    def __mul__(self, other):
        if type(other) is Fp:
            return _fp(self.value * other.value % P)
        if isinstance(other, (int, np.integer)):
            return _fp(self.value * int(other) % P)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, (Fp, int, np.integer)):
            return self * Fp(other).inverse()
        return NotImplemented

    def __rtruediv__(self, other):
        if isinstance(other, (int, np.integer)):
            return Fp(other) * self.inverse()
        return NotImplemented

    def __neg__(self) -> Fp:
        return _fp(-self.value % P)

    def __pow__(self, exponent: int) -> Fp:
        exponent = int(exponent)
        if exponent < 0:
            return self.inverse() ** -exponent
        return _fp(pow(self.value, exponent, P))

    def inverse(self) -> Fp:
        """Return ``self^-1``; raises ``ZeroDivisionError`` for zero."""
        if self.value == 0:
            raise ZeroDivisionError("inverse of zero in BabyBear")
        return _fp(pow(self.value, P - 2, P))

    def __eq__(self, other) -> bool:
        if type(other) is Fp:
            return self.value == other.value
        if isinstance(other, (int, np.integer)):
            return self.value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __bool__(self) -> bool:
        return self.value != 0

    def __int__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"Fp({self.value})"


class Ext:
    """An element ``c0 + c1·x + c2·x² + c3·x³`` of ``F_p[x]/(x^4 - 11)``.

    ``Ext(c0, c1, c2, c3)`` reduces each int modulo P; ``coeffs`` is the tuple of the
    four canonical ints.
    """

    __slots__ = ("coeffs",)
    coeffs: tuple[int, int, int, int]

    def __init__(self, c0: int, c1: int = 0, c2: int = 0, c3: int = 0):
        _setattr(self, "coeffs", (int(c0) % P, int(c1) % P, int(c2) % P, int(c3) % P))

    @classmethod
    def from_base(cls, value: int | Fp) -> Ext:
        """Embed a base-field element (an ``Fp`` or an int, reduced mod P)."""
        return _ext(int(value) % P, 0, 0, 0)

    @classmethod
    def from_canonical(cls, coeffs: Sequence[int]) -> Ext:
        """Build from four canonical ints (e.g. a ``(4,)`` uint32 array).

        Raises ``ValueError`` unless there are exactly four values, each in ``[0, P)``.
        """
        values = [int(c) for c in coeffs]
        if len(values) != 4 or not all(0 <= c < P for c in values):
            raise ValueError(f"not four canonical BabyBear coefficients: {values}")
        return _ext(*values)

    def to_array(self) -> np.ndarray:
        """Return the coefficients as a ``(4,)`` ``np.uint32`` array."""
        return np.array(self.coeffs, dtype=np.uint32)

    def __setattr__(self, name, value):
        raise AttributeError("Ext is immutable")

    def __add__(self, other):
        a0, a1, a2, a3 = self.coeffs
        if type(other) is Ext:
            b0, b1, b2, b3 = other.coeffs
            return _ext((a0 + b0) % P, (a1 + b1) % P, (a2 + b2) % P, (a3 + b3) % P)
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            return _ext((a0 + int(other)) % P, a1, a2, a3)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        a0, a1, a2, a3 = self.coeffs
        if type(other) is Ext:
            b0, b1, b2, b3 = other.coeffs
            return _ext((a0 - b0) % P, (a1 - b1) % P, (a2 - b2) % P, (a3 - b3) % P)
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            return _ext((a0 - int(other)) % P, a1, a2, a3)
        return NotImplemented

    def __rsub__(self, other):
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            return (-self) + other
        return NotImplemented

    def __mul__(self, other):
        a0, a1, a2, a3 = self.coeffs
        if type(other) is Ext:
            b0, b1, b2, b3 = other.coeffs
            return _ext((a0 * b0 + W * (a1 * b3 + a2 * b2 + a3 * b1)) % P,
                        (a0 * b1 + a1 * b0 + W * (a2 * b3 + a3 * b2)) % P,
                        (a0 * b2 + a1 * b1 + a2 * b0 + W * a3 * b3) % P,
                        (a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0) % P)
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            s = int(other)
            return _ext(a0 * s % P, a1 * s % P, a2 * s % P, a3 * s % P)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        if type(other) is Ext:
            return self * other.inverse()
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            return self * Fp(other).inverse()
        return NotImplemented

    def __rtruediv__(self, other):
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            return self.inverse() * other
        return NotImplemented

    def __neg__(self) -> Ext:
        a0, a1, a2, a3 = self.coeffs
        return _ext(-a0 % P, -a1 % P, -a2 % P, -a3 % P)

    def __pow__(self, exponent: int) -> Ext:
        exponent = int(exponent)
        if exponent < 0:
            return self.inverse() ** -exponent
        result = _ext(1, 0, 0, 0)
        if exponent == 0:
            return result
        # Keep the exponent positive so that 0^e stays 0 for e > 0.
        exponent = (exponent - 1) % _ORDER_EXT + 1
        base = self
        while exponent:
            if exponent & 1:
                result = result * base
            base = base * base
            exponent >>= 1
        return result

    def inverse(self) -> Ext:
        """Return ``self^-1``; raises ``ZeroDivisionError`` for zero.

        Same method as :func:`engine.field.ext4.e4_inv`: with ``a = A(y) + x·B(y)`` and
        ``y = x²``, ``a^-1 = (A - x·B) / (A² - y·B²)``, a quadratic-subfield division.
        """
        a0, a1, a2, a3 = self.coeffs
        d0 = (a0 * a0 + W * a2 * a2 - 2 * W * a1 * a3) % P
        d1 = (2 * a0 * a2 - a1 * a1 - W * a3 * a3) % P
        norm = (d0 * d0 - W * d1 * d1) % P
        if norm == 0:
            raise ZeroDivisionError("inverse of zero in the BabyBear quartic extension")
        n_inv = pow(norm, P - 2, P)
        e0 = d0 * n_inv % P
        e1 = -d1 * n_inv % P
        return _ext((a0 * e0 + W * a2 * e1) % P, -(a1 * e0 + W * a3 * e1) % P,
                    (a0 * e1 + a2 * e0) % P, -(a1 * e1 + a3 * e0) % P)

    def frobenius(self, k: int = 1) -> Ext:
        """Return ``self^(p^k)``: coefficient ``c_i`` scaled by ``FROBENIUS_ROOT^(i·k)``."""
        root = pow(FROBENIUS_ROOT, k % 4, P)
        a0, a1, a2, a3 = self.coeffs
        return _ext(a0, a1 * root % P, a2 * root * root % P, a3 * pow(root, 3, P) % P)

    def is_base(self) -> bool:
        """True if the element lies in the base field (``c1 = c2 = c3 = 0``)."""
        return self.coeffs[1] == self.coeffs[2] == self.coeffs[3] == 0

    def __eq__(self, other) -> bool:
        if type(other) is Ext:
            return self.coeffs == other.coeffs
        if type(other) is Fp or isinstance(other, (int, np.integer)):
            return self.is_base() and self.coeffs[0] == int(other)
        return NotImplemented

    def __hash__(self) -> int:
        # Base-field values hash like the equal int and Fp.
        return hash(self.coeffs[0]) if self.is_base() else hash(self.coeffs)

    def __bool__(self) -> bool:
        return self.coeffs != (0, 0, 0, 0)

    def __repr__(self) -> str:
        return "Ext({}, {}, {}, {})".format(*self.coeffs)


Fp.ZERO = _fp(0)
Fp.ONE = _fp(1)
Ext.ZERO = _ext(0, 0, 0, 0)
Ext.ONE = _ext(1, 0, 0, 0)
