"""TensorFlow's array functions under ``lamina run`` (``lamina.compat_tf_ops``): TensorFlow's
argument names, values and gradients (fixtures from tools/make_tf_ops_fixtures.py), clear
errors, and traced steps."""

import json
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_gradients

import lamina
from lamina import compat, ops
from lamina.compat_tf_ops import TensorShape

FIXTURES = Path(__file__).parent / "fixtures" / "keras"
META = json.loads((FIXTURES / "tf_ops.json").read_text())
DATA = dict(np.load(FIXTURES / "tf_ops.npz"))


@pytest.fixture(scope="module")
def tf():
    compat.install()
    import tensorflow

    yield tensorflow
    compat.uninstall()


def _function(tf, name):
    fn = tf
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn


def _call(tf, case, inputs):
    kwargs = dict(case["kwargs"])
    equation = kwargs.pop("equation", None)
    fn = _function(tf, case["function"])
    out = fn(equation, *inputs, **kwargs) if equation else fn(*inputs, **kwargs)
    return list(out) if isinstance(out, (list, tuple)) else [out]  # (tuple: top_k's pair)


@pytest.mark.parametrize("case", META["cases"], ids=lambda c: c["function"])
def test_values_and_gradients_match_tensorflow(tf, case):
    inputs = [lamina.Variable(DATA[a]) if DATA[a].dtype.kind == "f" else DATA[a]
              for a in case["args"]]
    with lamina.GradientTape() as tape:
        outs = _call(tf, case, inputs)
        total = sum(ops.sum(o * DATA[w]) for o, w in zip(outs, case["weights"])
                    if np.asarray(o).dtype.kind == "f")
    assert len(outs) == len(case["outs"])
    for got, name in zip(outs, case["outs"]):
        expected = DATA[name]
        got = np.asarray(got)
        assert got.shape == expected.shape and got.dtype.kind == expected.dtype.kind, name
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    if case["grads"]:
        variables = [inputs[case["args"].index(a)] for a in case["grads"]]
        grads = tape.gradient(total, variables)
        for g, name in zip(grads, case["grads"].values()):
            np.testing.assert_allclose(np.asarray(g), DATA[name], rtol=1e-10, atol=1e-12)


def test_the_fixtures_cover_every_differentiable_function():
    with_grads = {c["function"] for c in META["cases"] if c["grads"]}
    assert with_grads >= {"transpose", "matmul", "tile", "split", "unstack", "gather", "pad",
                          "boolean_mask", "nn.embedding_lookup", "einsum"}


W = np.random.default_rng(3).standard_normal((10, 10, 10))


def _weighted(out):  # sum(out * w) with a fixed random w: every entry's gradient counts
    outs = out if isinstance(out, list) else [out]
    return sum(ops.sum(o * W[tuple(slice(0, n) for n in ops.shape(o))
                             + (0,) * (3 - ops.ndim(o))]) for o in outs)


@pytest.mark.parametrize("name, args, kwargs", [
    ("transpose", [(2, 3, 4)], {"perm": [1, 2, 0]}),
    ("matmul", [(2, 3, 2), (2, 4, 3)], {"transpose_a": True, "transpose_b": True}),
    ("gather", [(2, 3, 4)], {"indices": [[2, 0], [1, 1]], "axis": 2, "batch_dims": 1}),
    ("pad", [(3, 4)], {"paddings": [[2, 1], [0, 3]], "mode": "REFLECT"}),
    ("pad", [(3, 4)], {"paddings": [[3, 0], [1, 4]], "mode": "SYMMETRIC"}),
    ("boolean_mask", [(3, 4)], {"mask": [True, False, True]}),
    ("boolean_mask", [(2, 3, 2)], {"mask": [[True, False, True], [False, True, True]]}),
    ("split", [(5, 2)], {"num_or_size_splits": [2, 0, -1]}),
    ("unstack", [(2, 3)], {"axis": -1}),
    ("tile", [(2, 1, 2)], {"multiples": [1, 3, 2]}),
    ("nn.embedding_lookup", [(4, 3)], {"ids": [[3, 0, 3]], "max_norm": 0.7}),
])
def test_finite_difference_gradients(tf, name, args, kwargs):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) for shape in args]
    fn = _function(tf, name)
    check_gradients(lambda *xs: _weighted(fn(*xs, **kwargs)), arrays)


def test_traced_steps_replay_and_match_eager(tf):
    x = np.random.default_rng(0).standard_normal((2, 3, 4))

    def step(a):
        q = tf.matmul(a, a, transpose_b=True)
        p = tf.pad(tf.transpose(a, perm=[0, 2, 1]), [[0, 0], [1, 1], [0, 0]], mode="SYMMETRIC")
        parts = tf.split(p, [2, -1], axis=1)
        picked = tf.gather(parts[1], [[0, 2], [1, 1]], axis=2, batch_dims=1)
        mask = tf.cast(tf.sequence_mask([1, 3], 3), "float64")
        rows = tf.unstack(tf.tile(a, [1, 1, 2]), axis=1)
        return (tf.reduce_sum(q * mask[:, tf.newaxis, :]) + tf.reduce_sum(picked)
                + tf.reduce_sum(tf.einsum("bj->j", rows[0])))

    traced = tf.function(step)
    eager = float(step(ops.convert_to_tensor(x)))
    for _ in range(3):  # the first two calls trace, the third replays the compiled plan
        assert float(traced(x)) == eager


def test_boolean_mask_of_a_traced_tensor_needs_an_eager_step(tf):
    # Its result's length is the number of True entries: a value read (LAMINA_ENGINE_STRICT=1
    # in the tests makes lamina's fallback to an eager step an error).
    x = np.arange(6.0).reshape(2, 3)
    assert np.asarray(tf.boolean_mask(x, x > 2.0)).tolist() == [3.0, 4.0, 5.0]

    @tf.function
    def positives(a):
        return tf.reduce_sum(tf.boolean_mask(a, a > 2.0))

    with pytest.raises(RuntimeError, match="runs eagerly .* value was read"):
        positives(x)


def test_transpose_takes_negative_axes_and_newaxis_indexes(tf):
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(np.asarray(tf.transpose(x, [0, -1, 1])), x.transpose(0, 2, 1))
    assert tf.newaxis is None
    assert ops.convert_to_tensor(x)[:, tf.newaxis, ..., tf.newaxis].shape == (2, 1, 3, 4, 1)


@pytest.mark.parametrize("call, error, match", [
    (lambda tf: tf.matmul(np.ones(3), np.ones(3)), ValueError, "'a' must have rank 2 or more"),
    (lambda tf: tf.matmul(np.ones((2, 2)), np.ones((2, 2)), transpose_b=True, adjoint_b=True),
     ValueError, "only one of 'transpose_b' and 'adjoint_b'"),
    (lambda tf: tf.transpose(np.ones((2, 3, 4)), perm=[0, 1]), ValueError,
     r"permutation of 0..2\). Got perm=\[0, 1\]"),
    (lambda tf: tf.transpose(np.ones((2, 3)), perm=[0, 0]), ValueError, "each axis"),
    (lambda tf: tf.tile(np.ones((2, 3)), [2]), ValueError, "one entry per axis"),
    (lambda tf: tf.split(np.ones((7, 2)), 3), ValueError, "must divide axis 0 of length 7"),
    (lambda tf: tf.split(np.ones((6, 2)), [1, 2]), ValueError, "must add up to the length 6"),
    (lambda tf: tf.split(np.ones((6, 2)), [-1, -1, 6]), ValueError, "at most one -1"),
    (lambda tf: tf.split(np.ones((6, 2)), 2, axis=2), ValueError, "axis=2 is out of range"),
    (lambda tf: tf.unstack(np.ones((2, 3)), num=3), ValueError, "num=3 but axis 0"),
    (lambda tf: tf.gather(np.ones((2, 3)), [-1]), IndexError, r"index -1 is not in \[0, 2\)"),
    (lambda tf: tf.gather(np.ones((2, 3)), [0, 3], axis=1), IndexError, "index 3"),
    (lambda tf: tf.gather(np.ones((2, 3)), [0.5]), TypeError, "indices must be integers"),
    (lambda tf: tf.gather(np.ones((2, 3, 4)), np.zeros((3, 1), int), axis=1, batch_dims=1),
     ValueError, "must agree on their first 1 axes"),
    (lambda tf: tf.gather(np.ones((2, 3)), [[0]], axis=0, batch_dims=1), ValueError,
     "batch_dims=1 must be at most"),
    (lambda tf: tf.pad(np.ones((2, 3)), [[1, 1]]), ValueError, "must be 2 pairs"),
    (lambda tf: tf.pad(np.ones((2, 3)), [[1, 1], [-1, 0]]), ValueError, "non-negative"),
    (lambda tf: tf.pad(np.ones((2, 3)), [[1, 1], [0, 0]], mode="wrap"), ValueError,
     "mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC'. Got 'wrap'"),
    (lambda tf: tf.pad(np.ones((2, 3)), [[2, 0], [0, 0]], mode="REFLECT"), ValueError,
     "at most 1 entries on each side of an axis of length 2"),
    (lambda tf: tf.boolean_mask(np.ones((2, 3)), [True]), ValueError,
     r"the shape of the tensor's axes 0 to 0, \(2,\). Got shape \(1,\)"),
    (lambda tf: tf.nn.embedding_lookup(np.ones((4, 2)), [4]), IndexError, "embedding_lookup"),
    (lambda tf: tf.einsum("ij->j", np.ones((2, 2)), bad=1), TypeError, r"\['bad'\]"),
    (lambda tf: tf.device(0), TypeError, "device name such as '/CPU:0'"),
    (lambda tf: tf.TensorShape([2, -1]), ValueError, ">= 0 or None"),
])
def test_bad_arguments_say_what_is_wrong(tf, call, error, match):
    with pytest.raises(error, match=match):
        call(tf)


def test_device_is_a_no_op_context(tf):
    with tf.device("/GPU:0") as scope:
        y = tf.matmul(np.eye(2), np.ones((2, 2)))
    assert scope.device_name == "/GPU:0"
    np.testing.assert_array_equal(np.asarray(y), np.ones((2, 2)))
    with tf.device(None):
        pass


def test_tensor_shape_behaves_like_tensorflows():
    s = TensorShape([None, 3])
    assert (repr(s), str(s), s.as_list(), s.rank, s.ndims) == (
        "TensorShape([None, 3])", "(None, 3)", [None, 3], 2, 2)
    assert s == (None, 3) and s[1] == 3 and isinstance(s[1:], TensorShape)
    assert not s.is_fully_defined() and s.num_elements() is None
    assert TensorShape((2, 3)).num_elements() == 6 and TensorShape(3) == (3,)
    assert TensorShape([]).num_elements() == 1 and str(TensorShape([])) == "()"
    unknown = TensorShape(None)
    assert (unknown.rank, str(unknown), repr(unknown)) == (None, "<unknown>", "TensorShape(None)")
    with pytest.raises(ValueError, match="unknown rank"):
        unknown.as_list()
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.concatenate([4]) == (None, 3, 4)


def test_stand_in_names_are_wired(tf):
    from lamina import compat_tf_ops

    for name, fn in compat_tf_ops.tf_functions().items():
        assert getattr(tf, name) is fn, name
    assert tf.math.not_equal is not None and tf.math.greater_equal is not None
    assert tf.nn.embedding_lookup is compat_tf_ops.embedding_lookup
    assert tf.TensorShape is TensorShape


def test_sampling_dropout_and_linalg_names_under_lamina_run(tf):
    # the miniature GPT samples with tf.math.top_k and tf.random.categorical
    values, indices = tf.math.top_k(np.array([[1.0, 5.0, 3.0]], "float32"), k=2)
    assert values.numpy().tolist() == [[5.0, 3.0]] and indices.numpy().tolist() == [[1, 2]]
    draws = tf.random.categorical(np.log(np.array([[1e-9, 1.0]], "float32")), 20, seed=3)
    assert draws.shape == (1, 20) and set(np.asarray(draws).ravel()) == {1}
    x = np.ones((50, 40), "float32")
    dropped = np.asarray(tf.nn.dropout(x, 0.5, seed=1))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.3 < (dropped == 0).mean() < 0.7
    np.testing.assert_allclose(np.asarray(tf.linalg.inv(np.eye(2) * 2.0)), np.eye(2) / 2.0)
    with pytest.raises(ValueError, match="direction"):
        tf.sort(x, direction="UP")
