"""Attention layers, EinsumDense, and Dense/LayerNormalization on 3-D inputs against real Keras
3.15.1 (tools/make_keras_attention_fixtures.py, whose builders these tests call with lamina):
outputs, attention scores, parameter counts, weight names, gradients, and a Transformer
encoder block trained by ``fit`` (traced, and with ``run_eagerly=True``)."""

import json
import os
import sys
import warnings

import numpy as np
import pytest

import lamina
from lamina import layers, ops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_keras_attention_fixtures as ref  # noqa: E402

with open(os.path.join(ROOT, "tests", "fixtures", "keras", "attention.json")) as f:
    KERAS = json.load(f)
ARRAYS = np.load(os.path.join(ROOT, "tests", "fixtures", "keras", "attention.npz"))
TOL = dict(rtol=1e-5, atol=1e-5)
SPECS = {spec[0]: (i, spec) for i, spec in enumerate(ref.LAYERS)}


def _keras_layer(name):
    index, spec = SPECS[name]
    data = {k: ARRAYS[f"{name}/in/{k}"] for k in list(spec[3]) + list(spec[5])}
    layer = ref.make_layer(lamina, spec)
    ref.call_layer(layer, spec, data)
    count = len(layer.get_weights())
    layer.set_weights([ARRAYS[f"{name}/w{i}"] for i in range(count)])
    return layer, spec, data


@pytest.mark.parametrize("name", sorted(SPECS))
def test_layer_matches_keras(name):
    layer, spec, data = _keras_layer(name)
    record = KERAS["layers"][name]
    assert layer.count_params() == record["params"]
    assert [w.path.split("/", 1)[1] for w in layer.weights] == record["weight_names"]
    assert [list(w.shape) for w in layer.weights] == record["weight_shapes"]
    outs = ref.call_layer(layer, spec, data)
    assert len(outs) == record["outputs"]
    for i, out in enumerate(outs):
        np.testing.assert_allclose(out.numpy(), ARRAYS[f"{name}/out{i}"], err_msg=f"out{i}",
                                   **TOL)
    config = layer.get_config()
    for key, value in record["config"].items():
        got = config[key]
        assert (list(got) if isinstance(got, tuple) else got) == value, key


@pytest.mark.parametrize("name", sorted(SPECS))
def test_layer_gradients_match_keras(name):
    layer, spec, data = _keras_layer(name)
    tensors = {k: ops.convert_to_tensor(v) for k, v in data.items()}
    floats = list(spec[3])
    with lamina.GradientTape() as tape:
        for k in floats:
            tape.watch(tensors[k])
        out = ref.call_layer(layer, spec, tensors)[0]
        total = ops.sum(ops.multiply(out, ARRAYS[f"{name}/c"]))
    grads = tape.gradient(total, [tensors[k] for k in floats] + layer.trainable_weights)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(np.asarray(g), ARRAYS[f"{name}/grad{i}"], err_msg=f"grad{i}",
                                   rtol=1e-4, atol=1e-5)


# Keras's merge layers (Add) pass the padding mask on to the pooling; without that the
# padded models pool over the padding too.
_ADD_MASKS = layers.Add().supports_masking


@pytest.mark.parametrize("name", sorted(KERAS["ops"]))
def test_layer_normalization_op_matches_keras(name):
    case = KERAS["ops"][name]
    data = {k: ARRAYS[f"{name}/in/{k}"] for k in ("x", "gamma", "beta")
            if f"{name}/in/{k}" in ARRAYS.files}
    tensors = {k: ops.convert_to_tensor(v) if k == "x" else lamina.Variable(v)
               for k, v in data.items()}
    with lamina.GradientTape() as tape:
        tape.watch(tensors["x"])
        out = ops.layer_normalization(tensors["x"], tensors.get("gamma"), tensors.get("beta"),
                                      axis=case["axis"], epsilon=case["epsilon"])
        total = ops.sum(ops.multiply(out, ARRAYS[f"{name}/c"]))
    np.testing.assert_allclose(np.asarray(out), ARRAYS[f"{name}/out"], rtol=1e-5, atol=1e-6)
    grads = tape.gradient(total, list(tensors.values()))
    for key, grad in zip(tensors, grads):
        np.testing.assert_allclose(np.asarray(grad), ARRAYS[f"{name}/grad/{key}"],
                                   err_msg=key, **TOL)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(not _ADD_MASKS and "padding" in n, strict=True,
                                            reason="layers.Add does not pass masks on"))
    for n in sorted(KERAS["models"])])
def test_transformer_block_trains_as_keras(name):
    lamina.utils.set_random_seed(0)
    model, losses, predicted = ref.fit_model(lamina, name)
    record = KERAS["models"][name]
    assert model.count_params() == record["params"]
    np.testing.assert_allclose(losses, record["loss"], rtol=1e-5, atol=1e-6)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ARRAYS[f"{name}/w{i}"], err_msg=f"w{i}", **TOL)
    np.testing.assert_allclose(predicted, ARRAYS[f"{name}/predict"], **TOL)


@pytest.mark.parametrize("name", sorted(KERAS["models"]))
def test_transformer_block_traced_equals_eager(name):
    lamina.utils.set_random_seed(0)
    _, traced, p1 = ref.fit_model(lamina, name, epochs=1)
    lamina.utils.set_random_seed(0)
    _, eager, p2 = ref.fit_model(lamina, name, run_eagerly=True, epochs=1)
    np.testing.assert_allclose(traced, eager, rtol=1e-6)
    np.testing.assert_allclose(p1, p2, rtol=1e-6, atol=1e-7)


# -- behaviour beyond the fixtures ---------------------------------------------------------

X = np.random.default_rng(0).standard_normal((2, 4, 6)).astype("float32")
V = np.random.default_rng(1).standard_normal((2, 5, 6)).astype("float32")


def test_mha_output_carries_the_query_mask_and_uses_the_value_mask():
    emb = layers.Embedding(9, 6, mask_zero=True)
    q, v = emb(np.array([[1, 2, 0, 0], [3, 4, 5, 0]])), emb(np.array([[1, 0, 0], [2, 3, 0]]))
    mha = layers.MultiHeadAttention(2, 3)
    query_mask = q._keras_mask.numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the projections never see a mask)
        out, scores = mha(q, v, return_attention_scores=True)
    np.testing.assert_array_equal(out._keras_mask.numpy(), query_mask)
    assert q._keras_mask is None and v._keras_mask is None  # taken off, as Keras does
    s = scores.numpy()
    assert np.all(s[0, :, :2, 1:] == 0) and np.all(s[1, :, :3, 2] == 0)  # padded keys
    assert np.all(s[0, :, 2:] == 0)  # a padded query attends to nothing on this path
    np.testing.assert_allclose(s[0, :, :2].sum(-1), 1, rtol=1e-6)


def test_mha_causal_mask_hides_later_steps():
    mha = layers.MultiHeadAttention(2, 3)
    _, scores = mha(X, X, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(np.ones((4, 4)), 1)[None, None] * scores.numpy() == 0)
    out = mha(X, X, use_causal_mask=True)  # the fused path gives the same numbers
    np.testing.assert_allclose(out.numpy(), mha(X, X, use_causal_mask=True,
                                                return_attention_scores=True)[0].numpy(),
                               rtol=1e-5, atol=1e-6)
    band = np.abs(np.arange(4)[:, None] - np.arange(4)[None]) < 2
    windowed = layers.MultiHeadAttention(2, 3, sliding_window=2)
    windowed(X, X)
    windowed.set_weights(mha.get_weights())
    np.testing.assert_allclose(windowed(X, X).numpy(),
                               mha(X, X, attention_mask=np.broadcast_to(band, (2, 4, 4))).numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("make", [lambda: layers.MultiHeadAttention(2, 3, dropout=0.5, seed=1),
                                  lambda: layers.Attention(dropout=0.5, seed=1)])
def test_attention_dropout_only_when_training(make):
    layer = make()
    call = (lambda **k: layer(X, V, **k)) if isinstance(layer, layers.MultiHeadAttention) \
        else (lambda **k: layer([X, V], **k))
    first = call().numpy()
    np.testing.assert_array_equal(call(training=False).numpy(), first)
    assert not np.allclose(call(training=True).numpy(), first)


@pytest.mark.parametrize("make,call", [
    (lambda: layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=5, use_bias=False),
     lambda layer: layer(X, V)),
    (lambda: layers.Attention(use_scale=True, score_mode="concat"), lambda layer: layer([X, V])),
    (lambda: layers.AdditiveAttention(use_scale=False), lambda layer: layer([X, V])),
    (lambda: layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="e",
                                activation="relu"), lambda layer: layer(X)),
])
def test_config_round_trip(make, call):
    layer = make()
    out = call(layer)
    clone = type(layer).from_config(layer.get_config())
    call(clone)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(call(clone).numpy(), out.numpy())
    assert clone.get_config() == layer.get_config()


def test_functional_models_record_several_inputs_and_outputs():
    q, v = lamina.Input((4, 6)), lamina.Input((5, 6))
    out, scores = layers.MultiHeadAttention(2, 3)(q, v, use_causal_mask=True,
                                                  return_attention_scores=True)
    att, weights = layers.Attention()([q, v], return_attention_scores=True)
    model = lamina.Model([q, v], [out, scores, att, weights])
    assert [t.shape for t in model.outputs] == [(None, 4, 6), (None, 2, 4, 5), (None, 4, 6),
                                                (None, 4, 5)]
    got = model.predict([X, V], verbose=0)
    clone = lamina.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    for a, b in zip(clone.predict([X, V], verbose=0), got):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.triu(np.ones((4, 5)), 1)[None, None] * got[1] == 0)


def test_bad_inputs_name_the_layer_and_both_shapes():
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 4, 4\).*\(2, 4, 5\)"):
        layers.MultiHeadAttention(2, 3)(X, V, attention_mask=np.ones((2, 4, 4), bool))
    with pytest.raises(ValueError, match=r"value_mask has shape \(2, 4\).*\(2, 5\)"):
        layers.MultiHeadAttention(2, 3)(X, V, value_mask=np.ones((2, 4), bool))
    with pytest.raises(TypeError, match=r"needs a query and a value.*mha\(x, x\)"):
        layers.MultiHeadAttention(2, 3)(X)
    with pytest.raises(ValueError, match="'num_heads'.*positive integer.*num_heads=0"):
        layers.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        layers.Attention()(X)
    with pytest.raises(ValueError, match=r"query mask has shape \(2, 5\).*\(2, 4\)"):
        layers.Attention()([X, V], mask=[np.ones((2, 5), bool), None])
    with pytest.raises(ValueError, match="'score_mode'.*'dot' or 'concat'"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="bias_axes='x'.*not an output axis"):
        layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="x")(X)
    with pytest.raises(ValueError, match=r"names 3 input axes but the input has shape \(2, 6\)"):
        layers.EinsumDense("abc,cd->abd", (None, 3))(X[:, 0])
    with pytest.raises(ValueError, match="not of a supported form"):
        layers.EinsumDense("abc->abd", 3)(X)
    query, mask = lamina.Input((4, 3)), lamina.Input((4, 4), dtype="bool")
    # (a symbolic attention_mask is a graph input now: tests/layers/test_symbolic_ops.py)
    assert layers.MultiHeadAttention(2, 2)(query, query, attention_mask=mask).shape == \
        (None, 4, 3)


def test_merge_layers_pass_the_inputs_masks_on_as_keras():
    emb = layers.Embedding(9, 3, mask_zero=True)
    a, b = emb(np.array([[1, 2, 0, 0]])), emb(np.array([[1, 0, 3, 0]]))
    plain = ops.ones((1, 4, 3))
    # (Keras 3.15.1: the logical or of the masks; none if an input has none)
    np.testing.assert_array_equal(layers.Add()([a, b])._keras_mask.numpy(),
                                  [[True, True, True, False]])
    assert getattr(layers.Add()([plain, a]), "_keras_mask", None) is None
    assert getattr(layers.Add()([plain, plain]), "_keras_mask", None) is None


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.layers import core_einsum_dense
    from lamina.layers.attention import (
        additive_attention,
        attention,
        equations,
        multi_head_attention,
    )
    from lamina.ops import _prim_einsum

    for module in (core_einsum_dense, additive_attention, attention, equations,
                   multi_head_attention, _prim_einsum):
        assert run_doctests(module) >= 1, module.__name__
    assert run_doctests(ops.einsum, "einsum") == 1
