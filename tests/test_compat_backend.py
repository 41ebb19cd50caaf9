"""``tf.keras.backend``'s Keras 2 functions under ``lamina run``, against TensorFlow's values."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import compat
from lamina.compat_backend import legacy_functions

FIXTURES = Path(__file__).parent / "fixtures" / "keras"
META = json.loads((FIXTURES / "legacy_backend.json").read_text())
DATA = dict(np.load(FIXTURES / "legacy_backend.npz"))


def _kwargs(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("case", META["cases"], ids=lambda c: c["function"])
def test_values_match_tensorflow_legacy_backend(case):
    fn = legacy_functions()[case["function"]]
    out = fn(*[DATA[a] for a in case["args"]], **_kwargs(case["kwargs"]))
    expected = DATA[case["out"]]
    got = np.asarray(out)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)


def test_backend_module_under_compat_has_the_functions_and_keras_config_does_not():
    compat.install()
    try:
        import keras
        from tensorflow.keras import backend as K
        assert K.mean(np.ones((2, 3)), axis=1).shape == (2,)
        assert K.epsilon() == lamina.config.epsilon()
        assert not hasattr(keras.config, "random_normal")
    finally:
        compat.uninstall()


def test_unseeded_draws_change_and_gradients_flow_through_a_custom_loss():
    fns = legacy_functions()
    a, b = fns["random_normal"]((3, 2)), fns["random_normal"]((3, 2))
    assert not np.allclose(np.asarray(a), np.asarray(b))
    w = lamina.Variable(np.array([[0.5, -1.0]], "float32"))
    with lamina.GradientTape() as tape:
        loss = fns["mean"](fns["square"](w - 1.0))
    grad = tape.gradient(loss, w)
    np.testing.assert_allclose(np.asarray(grad), [[-0.5, -2.0]], rtol=1e-6)


def test_a_sampling_layer_with_k_random_normal_trains_in_a_traced_fit():
    fns = legacy_functions()

    class Sampling(lamina.layers.Layer):
        def call(self, inputs):
            mean, log_var = inputs
            eps = fns["random_normal"](shape=(lamina.ops.shape(mean)[0], 2))
            return mean + fns["exp"](0.5 * log_var) * eps

    x_in = lamina.Input((4,))
    z = Sampling()([lamina.layers.Dense(2)(x_in), lamina.layers.Dense(2)(x_in)])
    model = lamina.Model(x_in, lamina.layers.Dense(1)(z))
    model.compile("adam", "mse")
    x = np.random.default_rng(0).standard_normal((32, 4)).astype("float32")
    history = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.allclose(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_categorical_crossentropy_names_both_shapes():
    with pytest.raises(ValueError, match=r"target has shape \(4, 3\) but output has shape \(4, 2\)"):
        legacy_functions()["categorical_crossentropy"](np.ones((4, 3)), np.ones((4, 2)))
