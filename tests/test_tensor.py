"""Tensors and variables behave like NumPy arrays, and variables like Keras variables."""

from __future__ import annotations

import numpy as np
import pytest

import lamina
from lamina import ops

# -- Tensor as an array -----------------------------------------------------------------------


def test_tensor_array_protocol():
    t = ops.convert_to_tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.dtype == np.float32
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(t), [[1, 2, 3], [4, 5, 6]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t).dtype == np.float32
    np.testing.assert_array_equal(t.T.numpy(), [[1, 4], [2, 5], [3, 6]])
    assert t.astype("float64").dtype == np.float64


def test_numpy_functions_accept_tensors():
    t = ops.convert_to_tensor([1.0, 4.0])
    np.testing.assert_allclose(np.sqrt(t), [1.0, 2.0])
    assert float(np.sum(t)) == 5.0
    out = np.ones(2, dtype=np.float32) + t  # the tensor's reflected operator wins
    assert isinstance(out, lamina.Tensor)
    np.testing.assert_array_equal(out.numpy(), [2.0, 5.0])


def test_len_iter_and_indexing():
    t = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(t) == 3
    rows = list(t)
    assert all(isinstance(r, lamina.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [5.0, 6.0])
    assert float(t[1][0]) == 3.0 and float(t[1, 0]) == 3.0
    np.testing.assert_array_equal(t[:, 1].numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(t[[2, 0]].numpy(), [[5.0, 6.0], [1.0, 2.0]])
    np.testing.assert_array_equal(t[t > 3.5].numpy(), [4.0, 5.0, 6.0])


def test_zero_dimensional_tensor_has_no_len():
    t = ops.convert_to_tensor(1.0)
    with pytest.raises(TypeError, match="0-d"):
        len(t)
    with pytest.raises(TypeError, match="0-d"):
        iter(t).__next__()


def test_python_number_conversions():
    t = ops.convert_to_tensor(2.75)
    assert float(t) == 2.75 and int(t) == 2 and bool(t)
    assert [10, 20, 30][ops.convert_to_tensor(1)] == 20  # __index__
    assert not bool(ops.convert_to_tensor(0.0))


def test_print_str_repr_and_format():
    t = ops.convert_to_tensor([[1.0, 2.5]])
    assert str(t) == str(np.array([[1.0, 2.5]], dtype=np.float32))
    r = repr(t)
    assert "shape=(1, 2)" in r and "dtype=float32" in r and "2.5" in r
    assert f"{t}" == str(t)
    assert "{:0.2f}".format(t[0][1]) == "2.50"  # noqa: UP032 - the str.format users write
    assert f"{ops.convert_to_tensor(3):d}" == "3"
    assert f"{t:>14}" == format(str(t), ">14")  # a spec on a non-scalar formats its str()


# -- arithmetic and comparisons -------------------------------------------------------------

SCALAR_ARITHMETIC = {
    "t * 2": lambda t: t * 2,
    "2 * t": lambda t: 2 * t,
    "t + 1.5": lambda t: t + 1.5,
    "1.5 + t": lambda t: 1.5 + t,
    "t - 1": lambda t: t - 1,
    "1 - t": lambda t: 1 - t,
    "t / 3": lambda t: t / 3,
    "3.0 / t": lambda t: 3.0 / t,
    "t ** 2": lambda t: t**2,
    "2 ** t": lambda t: 2**t,
    "t ** 0.5": lambda t: t**0.5,
    "-t": lambda t: -t,
    "+t": lambda t: +t,
    "abs(t)": abs,
    "t // 2": lambda t: t // 2,
    "t % 2": lambda t: t % 2,
}


@pytest.mark.parametrize("expr", sorted(SCALAR_ARITHMETIC))
@pytest.mark.parametrize("make", [ops.convert_to_tensor, lamina.Variable], ids=["tensor", "var"])
def test_arithmetic_with_python_numbers_keeps_float32(expr, make):
    a = np.array([[1.0, 2.0], [3.0, 4.5]], dtype=np.float32)
    t = make(a)
    out = SCALAR_ARITHMETIC[expr](t)
    assert isinstance(out, lamina.Tensor)
    assert expr == "+t" or not isinstance(out, lamina.Variable)
    assert out.dtype == np.float32, expr
    np.testing.assert_allclose(out.numpy(), SCALAR_ARITHMETIC[expr](a), rtol=1e-6)


def test_arithmetic_between_tensors_variables_and_arrays():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    t = ops.convert_to_tensor(a)
    v = lamina.Variable(a * 2)
    np.testing.assert_allclose((t + v).numpy(), a * 3)
    np.testing.assert_allclose((v @ t).numpy(), (a * 2) @ a)
    np.testing.assert_allclose((a @ t).numpy(), a @ a)
    np.testing.assert_allclose((t * [1.0, 10.0]).numpy(), a * [1.0, 10.0])
    assert (t * [1.0, 10.0]).dtype == np.float32  # a list of floats counts as floatx
    assert (t + np.ones(2)).dtype == np.float64  # a float64 array promotes, as in Keras


def test_integer_tensors_stay_integer():
    t = ops.convert_to_tensor([1, 2, 3])
    assert t.dtype == np.int32
    assert (t * 2).dtype == np.int32 and (t + t).dtype == np.int32
    np.testing.assert_array_equal((t // 2).numpy(), [0, 1, 1])


COMPARISONS = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
    "==": lambda x, y: x == y,
    "!=": lambda x, y: x != y,
}


@pytest.mark.parametrize("op", sorted(COMPARISONS))
def test_comparisons_give_bool_tensors(op):
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    t = ops.convert_to_tensor(a)
    for other in (2.0, np.array([3.0, 2.0, 1.0]), ops.convert_to_tensor([3.0, 2.0, 1.0])):
        out = COMPARISONS[op](t, other)
        assert isinstance(out, lamina.Tensor) and out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), COMPARISONS[op](a, np.asarray(other)))


def test_logical_operators_on_bool_tensors():
    t = ops.convert_to_tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(((t > 1) & (t < 3)).numpy(), [False, True, False])
    np.testing.assert_array_equal(((t < 2) | (t > 2)).numpy(), [True, False, True])
    np.testing.assert_array_equal((~(t > 1)).numpy(), [True, False, False])


def test_tensors_hash_by_identity():
    a = ops.convert_to_tensor([1.0])
    b = ops.convert_to_tensor([1.0])
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"


# -- convert_to_tensor dtype rules ---------------------------------------------------------

CONVERSIONS = [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([1, 2.5], np.float32),
    (((1.0,), (2.0,)), np.float32),
    (3, np.int32),
    ([1, 2], np.int32),
    (True, np.bool_),
    (np.zeros(2), np.float64),
    (np.zeros(2, np.float32), np.float32),
    (np.float64(1.5), np.float64),
    (np.arange(3), np.int64),
    (np.arange(3, dtype=np.int32), np.int32),
]


@pytest.mark.parametrize("value, dtype", CONVERSIONS, ids=[repr(c[0]) for c in CONVERSIONS])
def test_convert_to_tensor_dtype_rules(value, dtype):
    t = ops.convert_to_tensor(value)
    assert isinstance(t, lamina.Tensor)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value))


def test_convert_to_tensor_with_dtype_and_floatx():
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == np.float32
    assert ops.convert_to_tensor(np.zeros(2), dtype="float32").dtype == np.float32
    assert ops.convert_to_tensor(1.5, dtype=np.float64).dtype == np.float64
    lamina.config.set_floatx("float64")
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float64
    assert ops.convert_to_tensor(2).dtype == np.int32


def test_convert_to_tensor_passes_tensors_through():
    t = ops.convert_to_tensor([1.0, 2.0])
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, dtype="float32") is t
    c = ops.convert_to_tensor(t, dtype="float64")
    assert c.dtype == np.float64 and t.dtype == np.float32


# -- Variable --------------------------------------------------------------------------------


def test_variable_basics():
    v = lamina.Variable([[1.0, 2.0], [3.0, 4.0]], name="kernel")
    assert isinstance(v, lamina.Tensor)
    assert v.shape == (2, 2) and v.dtype == np.float32
    assert v.name == "kernel" and v.path == "kernel" and v.trainable
    frozen = lamina.Variable(np.zeros(3), trainable=False, dtype="float64")
    assert not frozen.trainable and frozen.dtype == np.float64
    assert lamina.Variable(np.ones(2, dtype=np.int32)).dtype == np.int32


def test_variable_from_python_float_is_float32():
    assert lamina.Variable(3.0).dtype == np.float32
    assert lamina.Variable([1.0, 2.0]).dtype == np.float32


def test_variable_dtype_follows_its_initial_value_like_keras():
    assert lamina.Variable(np.zeros(2)).dtype == np.float64
    assert lamina.Variable(3).dtype == np.int32


def test_variable_repr_matches_keras(capsys):
    v = lamina.Variable(np.array([1.0, 2.5], dtype=np.float32), name="bias")
    assert repr(v) == "<Variable path=bias, shape=(2,), dtype=float32, value=[1.  2.5]>"
    assert str(v) == repr(v)
    print(v)
    assert capsys.readouterr().out == repr(v) + "\n"
    s = lamina.Variable(2.0, name="scale")
    assert repr(s) == "<Variable path=scale, shape=(), dtype=float32, value=2.0>"


def test_variable_indexing_and_format():
    w = lamina.Variable([[1.23456, 2.0], [3.0, 4.0]])
    assert "{:0.2f}".format(w[0][0]) == "1.23"  # noqa: UP032 - the str.format users write
    assert f"{w[1][0]:.1f}" == "3.0"
    assert f"{lamina.Variable(0.5):.3f}" == "0.500"
    assert float(w[1, 1]) == 4.0
    np.testing.assert_allclose(np.asarray(w), [[1.23456, 2.0], [3.0, 4.0]], rtol=1e-6)
    assert len(w) == 2 and [r.shape for r in w] == [(2,), (2,)]
    assert "1.23" in str(w) and "shape=(2, 2)" in str(w)


def test_variable_numpy_is_a_copy():
    v = lamina.Variable([1.0, 2.0])
    snapshot = v.numpy()
    snapshot[0] = 100.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(snapshot, [100.0, 2.0])


def test_assign_writes_in_place():
    v = lamina.Variable([[1.0, 2.0], [3.0, 4.0]])
    buffer = v.value
    view = np.asarray(v)
    row = v.value[0]
    out = v.assign(np.array([[5.0, 6.0], [7.0, 8.0]]))  # float64 value, float32 variable
    assert v.value is buffer and v.dtype == np.float32
    np.testing.assert_array_equal(view, [[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal(row, [5.0, 6.0])
    np.testing.assert_array_equal(out.numpy(), [[5.0, 6.0], [7.0, 8.0]])
    v.assign_add([[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(view, [[6.0, 7.0], [8.0, 9.0]])
    v.assign_sub(ops.convert_to_tensor([[0.5, 0.5], [0.5, 0.5]]))
    np.testing.assert_array_equal(view, [[5.5, 6.5], [7.5, 8.5]])
    assert v.value is buffer and v.dtype == np.float32


def test_assign_accepts_tensors_and_variables():
    v = lamina.Variable([1.0, 2.0])
    v.assign(ops.convert_to_tensor([3.0, 4.0]) * 2.0)
    np.testing.assert_array_equal(v.numpy(), [6.0, 8.0])
    v.assign(lamina.Variable([0.0, 1.0]))
    np.testing.assert_array_equal(v.numpy(), [0.0, 1.0])


def test_assign_with_a_wrong_shape_names_the_variable_and_shapes():
    v = lamina.Variable([1.0, 2.0, 3.0], name="bias")
    with pytest.raises(ValueError, match=r"'bias' has shape \(3,\).*shape \(2,\)"):
        v.assign([1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0, 3.0])


def test_assign_add_with_a_wrong_shape_names_the_variable():
    v = lamina.Variable([1.0, 2.0, 3.0], name="bias")
    with pytest.raises(ValueError, match="bias"):
        v.assign_add([1.0, 2.0])
    with pytest.raises(ValueError, match="bias"):
        v.assign_sub([[1.0], [2.0]])


def test_variable_needs_a_value():
    with pytest.raises(ValueError, match="initializer"):
        lamina.Variable()
    with pytest.raises(ValueError, match=r"shape=\(3,\)"):
        lamina.Variable([1.0, 2.0], shape=(3,))
    with pytest.raises(TypeError, match="unexpected keyword"):
        lamina.Variable(1.0, colour="red")


def test_variable_in_ops_is_read_at_call_time():
    v = lamina.Variable([1.0, 2.0])
    y = v * 2.0
    v.assign([10.0, 20.0])
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])  # results do not alias the variable
    np.testing.assert_array_equal((v * 2.0).numpy(), [20.0, 40.0])


def test_tensors_taken_from_a_variable_do_not_change_when_it_is_assigned():
    v = lamina.Variable([[1.0, 2.0], [3.0, 4.0]])
    row = v[0]
    flat = ops.reshape(v, (4,))
    v.assign([[9.0, 9.0], [9.0, 9.0]])
    np.testing.assert_array_equal(row.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(flat.numpy(), [1.0, 2.0, 3.0, 4.0])
