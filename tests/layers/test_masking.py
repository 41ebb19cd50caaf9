"""Masks flow as in Keras: Embedding(mask_zero) and Masking make them, layers pass or use them,
losses and metrics leave the masked steps out. Numbers from real Keras 3.15.1
(tools/make_keras_masking_fixtures.py, whose builders this test calls with lamina)."""

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
import make_keras_masking_fixtures as ref  # noqa: E402

with open(os.path.join(ROOT, "tests", "fixtures", "keras", "masking.json")) as f:
    KERAS = json.load(f)["cases"]
ARRAYS = np.load(os.path.join(ROOT, "tests", "fixtures", "keras", "masking.npz"))


@pytest.mark.parametrize("name", sorted(KERAS))
def test_masked_training_matches_keras(name):
    lamina.utils.set_random_seed(0)
    model, history, evaluated, predicted = ref.run(lamina, name)
    for key, values in KERAS[name]["history"].items():
        np.testing.assert_allclose(history[key], values, rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(evaluated, KERAS[name]["evaluate"], rtol=1e-5, atol=1e-6)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ARRAYS[f"{name}/w{i}"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predicted, ARRAYS[f"{name}/predict"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(KERAS))
def test_masked_training_traced_equals_eager(name):
    def once(run_eagerly):
        lamina.utils.set_random_seed(0)
        build, loss, metrics, xy, optimizer = ref.CASES[name]
        x, y = xy(ref.data())
        model = build(lamina)
        ref.set_weights(model, 5)
        model.compile(optimizer=optimizer(lamina), loss=loss, metrics=metrics,
                      run_eagerly=run_eagerly)
        return model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history

    traced, eager = once(False), once(True)
    for key in traced:
        np.testing.assert_allclose(traced[key], eager[key], rtol=1e-6, err_msg=key)


def test_an_embedding_mask_marks_id_zero():
    layer = layers.Embedding(5, 2, mask_zero=True)
    out = layer(np.array([[1, 0, 3]]))
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])
    assert layers.Embedding(5, 2)(np.array([[1, 0]])).__class__  # no mask without mask_zero
    assert getattr(layers.Embedding(5, 2)(np.array([[1, 0]])), "_keras_mask", None) is None


def test_a_mask_passes_through_layers_that_support_masking():
    x = np.array([[1, 2, 0, 0]])
    h = layers.Embedding(4, 3, mask_zero=True)(x)
    for layer in (layers.Dense(2), layers.Dropout(0.5), layers.LayerNormalization(),
                  layers.Activation("relu")):
        h = layer(h)
        np.testing.assert_array_equal(h._keras_mask.numpy(), [[True, True, False, False]])


def test_a_layer_without_mask_support_warns_that_it_drops_the_mask():
    h = layers.Embedding(4, 3, mask_zero=True)(np.array([[1, 0]]))
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.Flatten()(h)
    assert getattr(out, "_keras_mask", None) is None


def test_masked_average_pooling_ignores_padded_steps():
    x = np.array([[[1.0], [3.0], [100.0]]], "float32")
    pooled = layers.GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]]))
    np.testing.assert_allclose(pooled.numpy(), [[2.0]])


def test_token_ids_beyond_input_dim_are_an_error_with_the_largest_id():
    model = lamina.Sequential([lamina.Input((3,), dtype="int32"), layers.Embedding(10, 2)])
    with pytest.raises(ValueError, match="token id 12, but input_dim=10 allows ids 0..9"):
        model.predict(np.array([[1, 12, 3]]), verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="token id 11"):  # also in a traced training step
        model.fit(np.array([[1, 2, 3]] * 4 + [[11, 0, 0]]), np.zeros((5, 3, 2)),
                  batch_size=4, epochs=1, verbose=0)


def test_the_keras2_input_length_argument_is_accepted():
    with pytest.warns(UserWarning, match="input_length"):
        layer = layers.Embedding(10, 2, input_length=5)
    assert "input_length" not in layer.get_config()


def test_masking_layer_zeroes_and_masks_padded_steps():
    x = np.array([[[1.0, 2.0], [-1.0, -1.0], [0.0, 3.0]]], "float32")
    out = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(out.numpy(), [[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_array_equal(out._keras_mask.numpy(), [[True, False, True]])


def test_a_masked_loss_averages_over_valid_steps_only():
    loss = lamina.losses.MeanSquaredError()
    y_pred = ops.convert_to_tensor(np.array([[[1.0], [5.0]]], "float32"))
    y_pred._keras_mask = ops.convert_to_tensor(np.array([[True, False]]))
    assert float(loss(np.zeros((1, 2, 1), "float32"), y_pred)) == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning in the normal path
        float(loss(np.zeros((1, 2, 1), "float32"), np.ones((1, 2, 1), "float32")))



def test_a_custom_layer_built_on_a_masked_input_gets_a_mask_while_the_graph_is_built():
    # keras-io's NMT encoder: `if mask is not None: padding_mask = ...` then uses it; Keras
    # passes the mask when it builds the graph, so the branch must run then too
    class Encoder(lamina.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is not None:
                keep = ops.cast(mask[:, :, None], inputs.dtype)
            return inputs * keep

    ids = lamina.Input((None,), dtype="int32")
    model = lamina.Model(ids, Encoder()(lamina.layers.Embedding(9, 3, mask_zero=True)(ids)))
    out = model.predict(np.array([[1, 2, 0]]), verbose=0)
    assert out.shape == (1, 3, 3) and not out[0, 2].any() and out[0, :2].any()
