"""The symbolic expression DAG: hash-consing, folding, degrees, next-row shifts."""
import pytest

from engine.field.babybear import P
from engine.field.scalar import Ext, Fp
from engine.stark import symbolic
from engine.stark.symbolic import column, constant, neg, topological_order

x = column("main", 0, "x")
y = column("main", 1, "y")
h = column("aux", 0, "h")
g = symbolic.challenge(0, "gamma")
pub = symbolic.public(0, "pub")


def test_building_the_same_expression_twice_gives_the_same_node():
    assert (x * y + 3) is (x * y + 3)
    assert x * y is y * x
    assert x + y is y + x
    assert x - y is not y - x


def test_shared_subexpression_appears_once_in_topological_order():
    shared = x * y
    roots = [shared + 1, shared * shared, shared - x]
    order = topological_order(roots)
    assert sum(1 for n in order if n is shared) == 1
    position = {n.uid: k for k, n in enumerate(order)}
    for node in order:
        assert all(position[a.uid] < position[node.uid] for a in node.args)


def test_constants_fold_and_identities_simplify():
    assert (constant(3) * 4 - 12).op == "const" and (constant(3) * 4 - 12).data == (0,)
    assert x + 0 is x and 0 + x is x and x * 1 is x and x - 0 is x
    assert (x * 0).data == (0,) and (x - x).data == (0,)
    assert neg(neg(x)) is x
    assert constant(-1).data == (P - 1,)
    assert (0 - x) is -x


def test_degree_counts_columns_not_scalars():
    assert x.degree == 1 and h.degree == 1
    assert pub.degree == 0 and g.degree == 0 and constant(7).degree == 0
    assert (x * y * x).degree == 3
    assert (x * y + x).degree == 2
    assert (g * x * pub).degree == 1
    assert (x ** 3).degree == 3 and (x ** 0).op == "const"


def test_extension_and_row_invariance_propagate():
    assert not (x * y).is_ext and (x * g).is_ext and (h + 1).is_ext
    assert (g * g + pub).row_invariant and not (g * x).row_invariant


def test_next_shifts_every_column_once():
    e = x * y + pub
    assert e.next is x.next * y.next + pub
    assert x.next.data == (0, True, "x")
    with pytest.raises(ValueError, match="already reads the next row"):
        _ = (x + y.next).next


def test_expressions_refuse_truth_values_and_bad_operands():
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        x + "one"
    with pytest.raises(ValueError):
        x ** -1


def test_pure_python_evaluation_matches_hand_computation():
    values = {x.uid: Fp(5), y.uid: Fp(P - 2), h.uid: Ext(1, 2, 3, 4), pub.uid: Fp(9),
              g.uid: Ext(0, 1, 0, 0)}
    (a, b) = symbolic.evaluate([x * y - pub, h * g + x ** 2],
                               lambda leaf: values[leaf.uid])
    assert a == Fp(5 * (P - 2) - 9)
    assert b == Ext(1, 2, 3, 4) * Ext(0, 1, 0, 0) + 25


def test_format_reads_like_the_formula():
    assert symbolic.format_expr(x.next - (x + y)) == "x' - (x + y)"
    assert symbolic.format_expr((x - 3) * (y + P - 7)) == "(x - 3)*(y - 7)"
    assert len(symbolic.format_expr(sum((x * k for k in range(1, 200)), constant(0)),
                                    limit=50)) <= 50
