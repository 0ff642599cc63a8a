"""Symbolic constraint expressions: a hash-consed DAG over BabyBear and its extension.

An AIR writes its constraints with Python operators on :class:`Expr` nodes::

    b.constrain("fib.step", a.next - b_col, when=TRANSITION)

Nodes are *hash-consed*: building the same expression twice returns the same object,
and commutative operations are stored with their arguments in a canonical order, so
``x * y`` and ``y * x`` are one node. The order follows a structural digest, not
creation order, so one declaration always gives the same DAG and the same generated
code, in every process (the on-disk kernel cache relies on it). A shared subexpression therefore appears once in
:func:`topological_order` and every evaluator (generated Numba code, NumPy, the
verifier's scalar evaluation) computes it once.

Leaves:

* ``main``/``prep`` column at the current or the next row (base field, degree 1),
* ``aux`` column at the current or the next row (extension field, degree 1): one
  extension column is committed as 4 consecutive base columns,
* ``public`` value (base field, degree 0), ``challenge`` and ``aux_public`` values
  (extension field, degree 0), integer constants (degree 0).

Degrees count columns only; the selector that gates a constraint is not part of it.
"""
from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Iterable, Sequence
from itertools import count

from engine.field.babybear import P

# Leaf kinds whose value changes from row to row (they carry ``(index, next, name)``).
COLUMN_KINDS = ("main", "prep", "aux")
# Leaf kinds that are the same at every row (they carry ``(index, name)``).
SCALAR_KINDS = ("public", "challenge", "aux_public")
EXT_KINDS = frozenset({"aux", "challenge", "aux_public"})
OPERATIONS = ("add", "sub", "mul", "neg")
_COMMUTATIVE = frozenset({"add", "mul"})
_MAX_POWER = 64

_uids = count()
_interned: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class Expr:
    """One node of the constraint DAG. Build nodes with the module's constructors
    (:func:`column`, :func:`public`, :func:`challenge`, :func:`constant`...) and Python
    operators ``+ - * **`` and unary ``-`` (integers mix in as constants mod P).

    Attributes: ``op`` (a leaf kind, ``"const"`` or an operation), ``args`` (child
    nodes), ``data`` (the leaf payload), ``degree`` (in columns), ``is_ext`` (value in
    the extension field), ``row_invariant`` (no column below it), ``uid`` (creation
    order, unique within a process), ``digest`` (16 bytes identifying the structure,
    the same in every process). Nodes compare by identity, which hash-consing makes
    the same as structural equality.
    """

    __slots__ = (
        "__weakref__",
        "args",
        "data",
        "degree",
        "digest",
        "is_ext",
        "op",
        "row_invariant",
        "uid",
    )

    op: str
    args: tuple[Expr, ...]
    data: tuple
    degree: int
    is_ext: bool
    row_invariant: bool
    uid: int
    digest: bytes

    def __add__(self, other) -> Expr:
        return add(self, as_expr(other))

    def __radd__(self, other) -> Expr:
        return add(as_expr(other), self)

    def __sub__(self, other) -> Expr:
        return sub(self, as_expr(other))

    def __rsub__(self, other) -> Expr:
        return sub(as_expr(other), self)

    def __mul__(self, other) -> Expr:
        return mul(self, as_expr(other))

    def __rmul__(self, other) -> Expr:
        return mul(as_expr(other), self)

    def __neg__(self) -> Expr:
        return neg(self)

    def __pow__(self, exponent: int) -> Expr:
        if not isinstance(exponent, int) or not 0 <= exponent <= _MAX_POWER:
            raise ValueError(f"expressions take integer powers 0..{_MAX_POWER}, "
                             f"not {exponent!r}")
        result, base = constant(1), self
        while exponent:
            if exponent & 1:
                result = result * base
            exponent >>= 1
            if exponent:
                base = base * base
        return result

    def __bool__(self) -> bool:
        raise TypeError("an expression has no truth value; to require a == b write "
                        "builder.constrain(name, a - b)")

    @property
    def next(self) -> Expr:
        """This expression with every column read at the next row instead.

        Raises ``ValueError`` if it already reads a column at the next row.
        """
        return _shift_to_next(self)

    @property
    def is_leaf(self) -> bool:
        """True for columns, scalars and constants."""
        return self.op not in OPERATIONS

    def __repr__(self) -> str:
        return format_expr(self)


def as_expr(value) -> Expr:
    """Return ``value`` if it is an :class:`Expr`, else the constant ``int(value) mod P``.

    Raises ``TypeError`` for values that are neither expressions nor integers.
    """
    if isinstance(value, Expr):
        return value
    try:
        return constant(int(value))
    except (TypeError, ValueError):
        raise TypeError(f"cannot use {value!r} in a constraint expression") from None


def constant(value: int) -> Expr:
    """The constant ``value mod P`` (negative integers wrap around)."""
    return _node("const", (), (int(value) % P,))


def column(kind: str, index: int, name: str, next_row: bool = False) -> Expr:
    """A column leaf: ``kind`` is ``"main"``, ``"prep"`` or ``"aux"`` (extension)."""
    if kind not in COLUMN_KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    return _node(kind, (), (int(index), bool(next_row), name))


def public(index: int, name: str) -> Expr:
    """The public base-field value number ``index``."""
    return _node("public", (), (int(index), name))


def challenge(index: int, name: str) -> Expr:
    """The verifier challenge (extension field) number ``index``."""
    return _node("challenge", (), (int(index), name))


def aux_public(index: int, name: str) -> Expr:
    """The extension-field value number ``index`` that the prover publishes with the
    auxiliary trace (the LogUp sum ``S``)."""
    return _node("aux_public", (), (int(index), name))


def add(a: Expr, b: Expr) -> Expr:
    """``a + b`` with constant folding."""
    if a.op == "const" and b.op == "const":
        return constant(a.data[0] + b.data[0])
    if _is_zero(a):
        return b
    if _is_zero(b):
        return a
    return _node("add", (a, b), ())


def sub(a: Expr, b: Expr) -> Expr:
    """``a - b`` with constant folding; ``x - x`` is zero."""
    if a.op == "const" and b.op == "const":
        return constant(a.data[0] - b.data[0])
    if a is b:
        return constant(0)
    if _is_zero(b):
        return a
    if _is_zero(a):
        return neg(b)
    return _node("sub", (a, b), ())


def mul(a: Expr, b: Expr) -> Expr:
    """``a * b`` with constant folding; multiplying by 0 or 1 simplifies."""
    if a.op == "const" and b.op == "const":
        return constant(a.data[0] * b.data[0])
    if _is_zero(a) or _is_zero(b):
        return constant(0)
    if _is_one(a):
        return b
    if _is_one(b):
        return a
    return _node("mul", (a, b), ())


def neg(a: Expr) -> Expr:
    """``-a``; ``--a`` is ``a``."""
    if a.op == "const":
        return constant(-a.data[0])
    if a.op == "neg":
        return a.args[0]
    return _node("neg", (a,), ())


def topological_order(roots: Iterable[Expr]) -> list[Expr]:
    """Every node reachable from ``roots``, each once, children before parents.

    The order is deterministic (depth first, children left to right, roots in order)
    and needs no recursion, so very deep sums are fine.
    """
    order: list[Expr] = []
    seen: set[int] = set()
    for root in roots:
        if root.uid in seen:
            continue
        stack: list[tuple[Expr, int]] = [(root, 0)]
        seen.add(root.uid)
        while stack:
            node, child = stack[-1]
            if child < len(node.args):
                stack[-1] = (node, child + 1)
                arg = node.args[child]
                if arg.uid not in seen:
                    seen.add(arg.uid)
                    stack.append((arg, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def evaluate(roots: Sequence[Expr], leaf_value: Callable[[Expr], object],
             order: Sequence[Expr] | None = None) -> list:
    """Evaluate ``roots`` with Python field arithmetic, each shared node once.

    ``leaf_value(leaf)`` returns the value of every non-constant leaf as an
    ``engine.field.scalar.Fp``, ``Ext`` or int; constants become ``Fp``. The results
    are whatever the arithmetic gives (``Fp`` or ``Ext``). This is the slow,
    obviously-correct evaluator: the verifier uses it at one point, tests use it as
    the reference for the compiled ones. ``order``: ``topological_order(roots)``, if
    the caller keeps it (it costs about as much as the evaluation).
    """
    from engine.field.scalar import Fp

    values: dict[int, object] = {}
    for node in topological_order(roots) if order is None else order:
        if node.op == "const":
            value = Fp(node.data[0])
        elif node.is_leaf:
            value = leaf_value(node)
        else:
            args = [values[a.uid] for a in node.args]
            if node.op == "add":
                value = args[0] + args[1]
            elif node.op == "sub":
                value = args[0] - args[1]
            elif node.op == "mul":
                value = args[0] * args[1]
            else:
                value = -args[0]
        values[node.uid] = value
    return [values[r.uid] for r in roots]


def leaves(roots: Iterable[Expr]) -> list[Expr]:
    """The non-constant leaves reachable from ``roots``, in topological order."""
    return [n for n in topological_order(roots) if n.is_leaf and n.op != "const"]


def format_expr(expr: Expr, limit: int = 200) -> str:
    """A readable infix rendering, cut at about ``limit`` characters.

    Columns print by name, with ``'`` for the next row.
    """
    text = _format(expr, 0, [limit])
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- helpers -------------------------------------------------------------------------

def _node(op: str, args: tuple[Expr, ...], data: tuple) -> Expr:
    if op in _COMMUTATIVE and args[0].digest > args[1].digest:
        args = (args[1], args[0])
    h = hashlib.blake2b(repr((op, data)).encode(), digest_size=16)
    for a in args:
        h.update(a.digest)
    key = h.digest()
    node = _interned.get(key)
    if node is not None:
        return node
    node = object.__new__(Expr)
    node.op, node.args, node.data, node.digest = op, args, data, key
    node.uid = next(_uids)
    if op in COLUMN_KINDS:
        node.degree, node.row_invariant = 1, False
    elif not args:
        node.degree, node.row_invariant = 0, True
    else:
        degrees = [a.degree for a in args]
        node.degree = sum(degrees) if op == "mul" else max(degrees)
        node.row_invariant = all(a.row_invariant for a in args)
    node.is_ext = op in EXT_KINDS or any(a.is_ext for a in args)
    _interned[key] = node
    return node


def _is_zero(e: Expr) -> bool:
    return e.op == "const" and e.data[0] == 0


def _is_one(e: Expr) -> bool:
    return e.op == "const" and e.data[0] == 1


def substitute(root: Expr, replace: Callable[[Expr], Expr | None]) -> Expr:
    """``root`` with every leaf ``x`` for which ``replace(x)`` is not None replaced by
    that expression (each shared node rebuilt once)."""
    rebuilt: dict[int, Expr] = {}
    for node in topological_order([root]):
        if node.is_leaf:
            new = replace(node) if node.op != "const" else None
            new = node if new is None else as_expr(new)
        elif node.op == "neg":
            new = neg(rebuilt[node.args[0].uid])
        else:
            a, b = (rebuilt[x.uid] for x in node.args)
            new = {"add": add, "sub": sub, "mul": mul}[node.op](a, b)
        rebuilt[node.uid] = new
    return rebuilt[root.uid]


def _shift_to_next(root: Expr) -> Expr:
    def shifted(node: Expr) -> Expr | None:
        if node.op not in COLUMN_KINDS:
            return None
        index, next_row, name = node.data
        if next_row:
            raise ValueError(f"{name}' already reads the next row; a constraint can "
                             "only look one row ahead")
        return column(node.op, index, name, next_row=True)

    return substitute(root, shifted)


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "neg": 3}


def _is_negative_constant(e: Expr) -> bool:
    return e.op == "const" and e.data[0] > P // 2


def _format(e: Expr, parent: int, budget: list[int]) -> str:
    if budget[0] <= 0:
        return "..."
    if e.op == "const":
        v = e.data[0]
        text = str(v) if v <= P // 2 else f"-{P - v}"
    elif e.op in COLUMN_KINDS:
        text = e.data[2] + ("'" if e.data[1] else "")
    elif e.is_leaf:
        text = e.data[1]
    elif e.op == "neg":
        text = "-" + _format(e.args[0], 3, budget)
    else:
        prec = _PRECEDENCE[e.op]
        symbol = {"add": " + ", "sub": " - ", "mul": "*"}[e.op]
        a, b = e.args
        # Commutative operands print in declaration order, constants last.
        if e.op in _COMMUTATIVE and (a.op == "const", a.uid) > (b.op == "const", b.uid):
            a, b = b, a
        if e.op == "add" and _is_negative_constant(b):
            symbol, b = " - ", constant(P - b.data[0])
        left = _format(a, prec, budget)
        # The right operand of a subtraction needs parentheses at equal precedence.
        right = _format(b, prec + (symbol == " - "), budget)
        text = left + symbol + right
        if prec < parent:
            text = f"({text})"
    budget[0] -= len(text)
    return text
