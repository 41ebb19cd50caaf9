"""``tril``/``triu``, ``diag``/``diagonal``/``trace``, ``unstack``, ``slice``/``slice_update``,
``isclose``, ``nan_to_num``, ``cumprod`` and ``dot_product_attention`` (ops/_more.py).

Values, dtypes and gradients are Keras's (TensorFlow backend), read from
tests/fixtures/keras/more_ops.npz (tools/make_keras_more_ops_fixtures.py); the gradients
against finite differences are in test_ops_gradients.py.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from ops_fixture_cases import check_case

import lamina
from lamina import ops

_PATH = os.path.join(os.path.dirname(__file__), "fixtures", "keras", "more_ops.npz")
_DATA = np.load(_PATH)
_SPEC = json.loads(str(_DATA["spec"]))


@pytest.mark.parametrize("case", _SPEC, ids=[c["id"] for c in _SPEC])
def test_matches_keras_values_dtypes_and_gradients(case):
    check_case(_DATA, case)


def test_fixture_covers_every_new_op():
    covered = {c["op"] for c in _SPEC}
    assert covered == {"tril", "triu", "unstack", "slice", "slice_update", "isclose",
                       "nan_to_num", "diag", "diagonal", "trace", "cumprod",
                       "dot_product_attention"}
    assert sum(bool(c["grads"]) for c in _SPEC) >= 20


# -- functional models: Keras's saved form, both ways ---------------------------------------


def _entries(config):
    return {e["name"]: e for e in config["config"]["layers"]}


def test_keras_functional_config_loads_and_predicts_the_same():
    keras_json = str(_DATA["model_json"])
    model = lamina.models.model_from_json(keras_json)
    outs = model.predict(_DATA["model/x"], verbose=0)
    assert len(outs) == 10
    for k, y in enumerate(outs):
        np.testing.assert_allclose(y, _DATA[f"model/out{k}"], rtol=1e-5, atol=1e-6)
    # lamina writes the operations as Keras does (module, class, config), and reads its own.
    ours, theirs = _entries(json.loads(model.to_json())), _entries(json.loads(keras_json))
    operations = {n: e for n, e in theirs.items() if e["module"].startswith("keras.src.ops")}
    assert {e["class_name"] for e in operations.values()} == {
        "Tril", "Triu", "Cumprod", "Trace", "Unstack", "SliceUpdate", "NanToNum", "Diagonal",
        "Slice", "Isclose", "DotProductAttention", "ExpandDims"}
    for name, entry in operations.items():
        keys = ("module", "class_name", "config", "inbound_nodes")
        assert [ours[name][k] for k in keys] == [entry[k] for k in keys], name
    again = lamina.models.model_from_json(model.to_json())
    for y, z in zip(outs, again.predict(_DATA["model/x"], verbose=0)):
        np.testing.assert_array_equal(y, z)


def test_ops_on_symbolic_inputs():
    np.testing.assert_array_equal(ops.tril(ops.ones((4, 4))).numpy(), np.tril(np.ones((4, 4))))
    inp = lamina.Input((3, 4))
    parts = ops.unstack(inp, axis=1)
    assert len(parts) == 3 and tuple(parts[0].shape) == (None, 4)
    att = ops.dot_product_attention(inp[:, :, None], inp[:, :, None], inp[:, :, None],
                                    is_causal=True)
    model = lamina.Model(inp, [parts[1], ops.isclose(inp, 0.5), ops.squeeze(att, 2)])
    x = np.random.default_rng(0).uniform(size=(2, 3, 4)).astype("float32")
    second, close, a = model.predict(x, verbose=0)
    np.testing.assert_array_equal(second, x[:, 1])
    assert close.dtype == bool and close.shape == (2, 3, 4)
    np.testing.assert_allclose(a[:, 0], x[:, 0], rtol=1e-6)  # (the first step sees itself only)


class _CausalBlock(lamina.layers.Layer):
    """Causal self-attention, a tensor-start slice and a slice update, written on ops."""

    def call(self, h):
        q = ops.expand_dims(h, 2)  # (batch, steps, 1 head, features)
        att = ops.squeeze(ops.dot_product_attention(q, q, q, is_causal=True), 2)
        scores = ops.tril(ops.matmul(h, ops.transpose(h, (0, 2, 1))), k=-1)
        h = att + ops.matmul(ops.nan_to_num(scores), h) + ops.cumprod(ops.tanh(h), axis=1)
        start = ops.stack([0, ops.cast(ops.argmax(ops.ones((4,))) + 3, "int32"), 0])
        out = ops.slice(h, start, [ops.shape(h)[0], 2, 4])
        return ops.slice_update(out, [0, 0, 0], ops.zeros((1, 1, 1)))


def test_traced_training_step_matches_eager():
    """Training through these ops gives the same losses traced (strict engine) and eager."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 5, 4)).astype("float32"), rng.standard_normal((16, 2, 4))

    def fit(run_eagerly):
        lamina.utils.set_random_seed(3)
        inp = lamina.Input((5, 4))
        model = lamina.Model(inp, _CausalBlock()(lamina.layers.Dense(4)(inp)))
        model.compile(optimizer=lamina.optimizers.SGD(0.001), loss="mse",
                      run_eagerly=run_eagerly)
        return model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]

    traced = fit(False)
    np.testing.assert_allclose(traced, fit(True), rtol=1e-6)
    assert traced[-1] < traced[0]


# -- clear errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda: ops.slice(np.zeros((3, 4)), [1], [1, 1]),
     r"slice: `start_indices` must hold one start per dimension of `inputs` \(2, for shape "
     r"\(3, 4\)\)\. Got 1 values"),
    (lambda: ops.slice(np.zeros((3, 4)), [1, 1], [1, 1, 1]),
     r"slice: `shape` must give one size per dimension of `inputs` \(2"),
    (lambda: ops.slice(np.zeros((3, 4)), [2, 0], [2, 1]),
     r"window on axis 0 \(start 2, size 2\) must lie inside `inputs`, whose shape is \(3, 4\)"),
    (lambda: ops.slice(np.zeros((3, 4)), ops.convert_to_tensor([0, 1, 2]), [1, 1]),
     r"`start_indices` must hold one start per dimension .*Got a tensor of shape \(3,\)"),
    (lambda: ops.slice(np.zeros((3, 4)), ops.convert_to_tensor([0, 1]), [1, -1]),
     r"a size of -1 needs static `start_indices`"),
    (lambda: ops.slice_update(np.zeros((3, 4)), [0, 0], np.ones(2)),
     r"slice_update: `updates` must have the rank of `inputs` \(2, shape \(3, 4\)\)\. "
     r"Got updates of shape \(2,\)"),
    (lambda: ops.slice_update(np.zeros((3, 4)), [0, 0, 0], np.ones((1, 1))),
     r"slice_update: `start_indices` must hold one start per dimension"),
    (lambda: ops.slice_update(np.zeros((3, 4)), [0, 3], np.ones((1, 2))),
     r"window on axis 1 \(start 3, size 2\) .* Check `start_indices` and `updates`"),
    (lambda: ops.unstack(np.zeros((2, 3)), num=3), r"unstack: `num` must be the length of axis 0"),
    (lambda: ops.unstack(np.zeros((2, 3)), axis=2), r"unstack: `axis` must be an axis of `x`"),
    (lambda: ops.diagonal(np.zeros((2, 3)), axis1=1, axis2=-1),
     r"`axis1` and `axis2` must be different axes"),
    (lambda: ops.diag(np.zeros((2, 3, 4))), r"diag: `x` must be 1-D .* Got shape \(2, 3, 4\)"),
    (lambda: ops.tril(np.zeros((2, 2)), k=0.5), r"tril: `k` must be a Python int"),
    (lambda: ops.dot_product_attention(*[np.zeros((2, 3, 4))] * 3),
     r"must be 4-D, \(batch, length, heads, head_dim\)\. Got shapes \(2, 3, 4\)"),
    (lambda: ops.dot_product_attention(np.zeros((1, 2, 3, 4)), *[np.zeros((1, 2, 2, 4))] * 2),
     r"heads of `key` and `value` \(axis 2\) must be equal and divide the heads of `query`"),
    (lambda: ops.dot_product_attention(*[np.zeros((1, 2, 1, 4))] * 3, flash_attention=True),
     r"flash attention is not available on NumPy"),
    (lambda: ops.dot_product_attention(*[np.zeros((1, 2, 1, 4))] * 3, attn_logits_soft_cap=5.0),
     r"`attn_logits_soft_cap` is only supported"),
])  # fmt: skip
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_unstack_of_an_axis_without_length_is_refused():
    x = lamina.Input((None, 3))
    with pytest.raises(ValueError, match=r"unstack: axis 1 of the symbolic tensor .* has no "
                                         r"fixed length"):
        ops.unstack(x, axis=1)
    assert len(ops.unstack(x, axis=-1)) == 3


def test_isclose_treats_infinities_as_numpy_does():
    # (Keras 3.15.1's TensorFlow backend finds inf close to -inf; later Keras follows NumPy.)
    a = np.array([np.inf, np.inf, -np.inf, np.nan, 1.0, np.inf], "float32")
    b = np.array([np.inf, -np.inf, -np.inf, np.nan, np.inf, 1e30], "float32")
    for equal_nan in (False, True):
        np.testing.assert_array_equal(ops.isclose(a, b, equal_nan=equal_nan).numpy(),
                                      np.isclose(a, b, equal_nan=equal_nan))


def test_tensor_starts_are_clipped_to_fit():
    x = np.arange(10.0)
    np.testing.assert_array_equal(ops.slice(x, ops.convert_to_tensor([8]), [3]).numpy(), x[7:])
    out = ops.slice_update(x, ops.convert_to_tensor([-2]), np.ones(2))
    np.testing.assert_array_equal(out.numpy(), [1, 1, *x[2:]])


def test_start_lists_may_hold_tensors():
    x = np.arange(20.0).reshape(4, 5)
    i = ops.convert_to_tensor(2)
    np.testing.assert_array_equal(ops.slice(x, [1, i], [2, 3]).numpy(), x[1:3, 2:5])
    out = ops.slice_update(x, (i, 0), np.zeros((1, 5))).numpy()
    np.testing.assert_array_equal(out, np.where(np.arange(4)[:, None] == 2, 0.0, x))
    with pytest.raises(ValueError, match=r"slice: `start_indices` must hold one start per "):
        ops.slice(x, [i], [2, 3])


def test_fully_masked_attention_row_is_uniform():
    q = np.random.default_rng(2).standard_normal((1, 2, 1, 3)).astype("float32")
    v = np.arange(6.0, dtype="float32").reshape(1, 2, 1, 3)
    mask = np.array([[True, True], [False, False]])[None, None]
    out = ops.dot_product_attention(q, q, v, mask=mask).numpy()
    np.testing.assert_allclose(out[0, 1, 0], v[0].mean(0)[0], rtol=1e-6)


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.ops import _attention, _more

    assert run_doctests(_more) >= 11 and run_doctests(_attention) == 1
