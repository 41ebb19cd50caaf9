"""The engine fuses ``matmul(x, w) + b`` written by hand into the ``dense`` primitive.

A custom layer on ``lamina.ops`` must be as fast as ``Dense`` with no code of its own: the
plan of its step has the same fused operations as Dense's, and the numbers do not change
(bit for bit without bias folding, as eager and traced steps are compared elsewhere).
"""

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.engine import fold


class HandDense(layers.Layer):
    def __init__(self, units, activation=None, bias_first=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.bias_first = units, bias_first
        self.act = lamina.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

    def call(self, x):
        product = ops.matmul(x, self.w)
        return self.act(ops.add(self.b, product) if self.bias_first else product + self.b)


class ProductUsedTwice(HandDense):
    """The product also feeds a second computation: it must not be fused away."""

    def call(self, x):
        product = ops.matmul(x, self.w)
        return self.act(product + self.b) + 0.1 * ops.tanh(product)


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


def _model(layer_class, **kwargs):
    return lamina.Sequential([lamina.Input((5,)), layer_class(8, "relu", **kwargs),
                              layer_class(3, "softmax", **kwargs)])


def _train(layer_class, run_eagerly, **kwargs):
    lamina.utils.set_random_seed(1)
    model = _model(layer_class, **kwargs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    x, y = _data()
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    return model, history.history


def _train_source(model):
    return model.make_train_function().describe()


@pytest.mark.parametrize("bias_first", [False, True])
def test_hand_written_dense_is_fused_and_bit_identical_to_eager(monkeypatch, bias_first):
    monkeypatch.setattr(fold, "FOLD_BIAS", False)
    traced, h_traced = _train(HandDense, False, bias_first=bias_first)
    eager, h_eager = _train(HandDense, True, bias_first=bias_first)
    source = _train_source(traced)
    assert "# dense\n" in source and "# dense backward" in source
    assert "matmul" not in source and "# add" not in source and "unbroadcast" not in source
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h_traced == h_eager


def test_hand_written_dense_gets_its_bias_folded_like_dense():
    traced, _ = _train(HandDense, False)
    assert _train_source(traced).count("bias folded in") >= 4  # forward and backward, 2 layers
    eager, _ = _train(HandDense, True)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_product_used_elsewhere_is_not_fused(monkeypatch):
    monkeypatch.setattr(fold, "FOLD_BIAS", False)
    traced, _ = _train(ProductUsedTwice, False)
    eager, _ = _train(ProductUsedTwice, True)
    assert "matmul" in _train_source(traced)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_predictions_of_the_fused_forward_plan_equal_eager_ones():
    model = _model(HandDense)
    x, _ = _data()
    eager = model(x).numpy()
    for _ in range(3):  # traced twice, then replayed
        np.testing.assert_array_equal(model.predict(x, batch_size=64, verbose=0), eager)
    source = model.__dict__["_compiled_predict_step"][1].describe()  # the traced predict_step
    assert "# dense\n" in source and "matmul" not in source


class BiasAfterProduct(HandDense):
    """The bias is computed after the product (the fused step must wait for it)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.logb = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return self.act(ops.matmul(x, self.w) + ops.exp(self.logb))


def test_a_bias_computed_after_the_product_is_fused_in_order(monkeypatch):
    monkeypatch.setattr(fold, "FOLD_BIAS", False)
    traced, h_traced = _train(BiasAfterProduct, False)
    eager, h_eager = _train(BiasAfterProduct, True)
    assert "# dense\n" in _train_source(traced)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h_traced == h_eager
    x, _ = _data()
    expected = traced(x).numpy()
    for _ in range(3):  # traced twice, then replayed
        np.testing.assert_array_equal(traced.predict(x, batch_size=64, verbose=0), expected)


class TwoGradients(lamina.Sequential):
    """A step that takes the gradient of the biases first, then of every variable."""

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape(persistent=True) as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred)
        biases = [v for v in self.trainable_variables if len(v.shape) == 1]
        norms = [ops.sum(g * g) for g in tape.gradient(loss, biases)]
        scale = 1.0 / (1.0 + ops.sqrt(norms[0] + norms[1]))
        grads = [g * scale for g in tape.gradient(loss, self.trainable_variables)]
        self.optimizer.apply(grads, self.trainable_variables)
        return {"loss": loss}


def test_two_backward_passes_over_one_product_stay_unfused_and_correct():
    def run(run_eagerly):
        lamina.utils.set_random_seed(1)
        model = TwoGradients([lamina.Input((5,)), HandDense(8, "relu"), HandDense(3, "softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      run_eagerly=run_eagerly)
        x, y = _data()
        model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return model

    traced, eager = run(False), run(True)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
