"""``Layer.add_loss``: terms computed in ``call`` join the training loss, as in Keras.

Numbers from real Keras 3.15.1 (tools/make_keras_add_loss_fixtures.py, whose builder this test
calls with lamina)."""

import json
import os
import sys

import numpy as np
import pytest

import lamina
from lamina import layers, ops

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_keras_add_loss_fixtures as ref  # noqa: E402

with open(os.path.join(ROOT, "tests", "fixtures", "keras", "add_loss.json")) as f:
    KERAS = json.load(f)
ARRAYS = np.load(os.path.join(ROOT, "tests", "fixtures", "keras", "add_loss.npz"))


def test_training_with_added_losses_matches_keras():
    model, history, evaluated = ref.run(lamina)
    np.testing.assert_allclose(history["loss"], KERAS["history"]["loss"], rtol=1e-6)
    assert evaluated == pytest.approx(KERAS["evaluate"], rel=1e-6)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ARRAYS[f"w{i}"], rtol=1e-5, atol=1e-6)


def test_traced_and_eager_training_agree():
    def once(run_eagerly):
        x, y = ref.data()
        model = ref.build(lamina)
        ref.set_weights(model, 9)
        model.compile(optimizer="adam", loss="mse", run_eagerly=run_eagerly)
        return model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]

    np.testing.assert_allclose(once(False), once(True), rtol=1e-6)


def test_each_outermost_call_starts_afresh():
    Sparsity, _ = ref.layer_classes(lamina)
    layer = Sparsity()
    model = lamina.Sequential([lamina.Input((2,)), layer, layers.Dense(1)])
    model(np.ones((3, 2), "float32"))
    model(np.full((3, 2), 2.0, "float32"))
    added = [float(t) for t in layer.losses]
    assert added == [pytest.approx(0.02)]  # the last call's term only
    assert len(model.losses) == 1


def test_a_model_with_only_added_losses_trains_without_a_compiled_loss():
    class Autoencoder(lamina.Model):
        def __init__(self):
            super().__init__()
            self.code = layers.Dense(2)
            self.back = layers.Dense(3)

        def call(self, x):
            out = self.back(self.code(x))
            self.add_loss(ops.mean(ops.square(out - x)))
            return out

    model = Autoencoder()
    model.compile(optimizer="adam")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    history = model.fit(x, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_a_symbolic_tensor_is_refused():
    inputs = lamina.Input((2,))
    with pytest.raises(ValueError, match="inside call"):
        layers.Dense(1).add_loss(inputs)
