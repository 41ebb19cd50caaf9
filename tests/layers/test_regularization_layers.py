"""Dropout, GaussianNoise, GaussianDropout, AlphaDropout and the spatial dropouts.

Checked: training vs inference behaviour (also through fit/predict/evaluate),
Keras's formulas and statistics, seeding (own seed and the global seed),
argument validation messages, get_config keys and round trips, output shapes,
and float64 finite-difference gradients with the noise held fixed.
"""

import math

import numpy as np
import pytest
from gradcheck import check_gradients
from helpers import assert_serializes_like_keras, run_doctests

import lamina
from lamina import layers
from lamina.layers import regularization

NOISE_LAYERS = [
    ("Dropout", lambda seed=None: layers.Dropout(0.4, seed=seed)),
    ("GaussianNoise", lambda seed=None: layers.GaussianNoise(0.3, seed=seed)),
    ("GaussianDropout", lambda seed=None: layers.GaussianDropout(0.4, seed=seed)),
    ("AlphaDropout", lambda seed=None: layers.AlphaDropout(0.4, seed=seed)),
    ("SpatialDropout1D", lambda seed=None: layers.SpatialDropout1D(0.4, seed=seed)),
]
IDS = [name for name, _ in NOISE_LAYERS]


def _input_for(name, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    shape = (5, 3, 4) if name == "SpatialDropout1D" else (6, 5)
    return rng.normal(size=shape).astype(dtype)


# -- training vs inference ---------------------------------------------------------------------


@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_identity_outside_training(name, make):
    layer = make(seed=1)
    x = _input_for(name)
    for kwargs in ({}, {"training": False}, {"training": None}):
        out = layer(x, **kwargs)
        np.testing.assert_array_equal(out.numpy(), x)
    assert not np.array_equal(layer(x, training=True).numpy(), x)


@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_inactive_in_predict_and_evaluate_active_in_fit(name, make):
    x = _input_for(name)
    y = np.zeros((x.shape[0], 1), dtype="float32")
    layer = make(seed=3)
    model = lamina.Sequential([lamina.Input(x.shape[1:]), layer, layers.Flatten(),
                               layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=lamina.optimizers.SGD(0.0), loss="mse")
    clean = x.reshape(len(x), -1).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), clean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(x).numpy(), clean, rtol=1e-5, atol=1e-5)
    expected_mse = float(np.mean(clean**2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected_mse, rel=1e-5)
    # With a zero learning rate the weights never move: a loss different from the clean
    # one can only come from noise added during fit.
    history = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, shuffle=False)
    assert history.history["loss"][0] != pytest.approx(expected_mse, rel=1e-4)


def test_dropout_zeroes_and_scales_as_keras():
    x = np.full((200, 50), 2.0, dtype="float32")
    out = layers.Dropout(0.3, seed=0)(x, training=True).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], np.float32(2.0) * np.float32(1 / 0.7), rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02  # 10,000 draws
    assert abs(out.mean() - 2.0) < 0.05  # expected value preserved


def test_dropout_mask_helper_keeps_uniform_draws_at_or_above_rate():
    mask = regularization.dropout_mask(0.25, (4, 5), np.random.default_rng(7), "float64")
    u = np.random.default_rng(7).random((4, 5), dtype=np.float32)
    np.testing.assert_array_equal(mask, np.where(u >= 0.25, 1 / 0.75, 0.0))
    assert mask.dtype == np.float64


def test_dropout_noise_shape_broadcasts_one_mask():
    x = np.ones((4, 6, 3), dtype="float32")
    out = layers.Dropout(0.5, noise_shape=(None, 1, 3), seed=2)(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert set(np.unique(out)) <= {0.0, 2.0}


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 5, 6), dtype="float32")
    out = layers.SpatialDropout1D(0.5, seed=4)(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert 0 < (out == 0).mean() < 1
    out2 = layers.SpatialDropout2D(0.5, seed=4)(np.ones((3, 2, 2, 4)), training=True).numpy()
    np.testing.assert_array_equal(out2, np.broadcast_to(out2[:, :1, :1, :], out2.shape))
    cf = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=4)
    out3 = cf(np.ones((3, 4, 2, 2)), training=True).numpy()
    np.testing.assert_array_equal(out3, np.broadcast_to(out3[:, :, :1, :1], out3.shape))
    out4 = layers.SpatialDropout3D(0.5, seed=1)(np.ones((2, 2, 2, 2, 3)), training=True).numpy()
    np.testing.assert_array_equal(out4, np.broadcast_to(out4[:, :1, :1, :1, :], out4.shape))


def test_spatial_dropout_rank_is_checked():
    with pytest.raises(ValueError, match="SpatialDropout1D .* expects inputs with 3 dimensions"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3)))


def test_gaussian_noise_statistics():
    x = np.zeros((400, 100), dtype="float32")
    noise = layers.GaussianNoise(0.5, seed=0)(x, training=True).numpy()
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 0.5) < 0.01


def test_gaussian_dropout_statistics():
    rate = 0.2
    x = np.ones((400, 100), dtype="float32")
    out = layers.GaussianDropout(rate, seed=0)(x, training=True).numpy()
    assert abs(out.mean() - 1.0) < 0.01
    assert abs(out.std() - math.sqrt(rate / (1 - rate))) < 0.01


def test_alpha_dropout_formula_and_moments():
    rate = 0.2
    layer = layers.AlphaDropout(rate, seed=5)
    x = np.random.default_rng(0).normal(size=(300, 200)).astype("float32")
    out = layer(x, training=True).numpy()
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    # Redraw the same mask: the layer's own generator restarted from its seed.
    keep = np.random.default_rng(5).random(x.shape, dtype=np.float32) >= rate
    expected = a * np.where(keep, x, alpha_p) + b
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # Self-normalizing: zero mean, unit variance inputs keep them.
    assert abs(out.mean()) < 0.02
    assert abs(out.std() - 1.0) < 0.02


def test_rate_zero_is_identity_even_in_training():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    for layer in (layers.Dropout(0.0), layers.GaussianDropout(0.0), layers.AlphaDropout(0.0),
                  layers.GaussianNoise(0.0)):
        np.testing.assert_array_equal(layer(x, training=True).numpy(), x)


# -- seeding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_own_seed_repeats_and_differs_between_calls(name, make):
    x = _input_for(name)
    a, b = make(seed=11), make(seed=11)
    first_a, first_b = a(x, training=True).numpy(), b(x, training=True).numpy()
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(a(x, training=True).numpy(), first_a)  # the stream moves on
    np.testing.assert_array_equal(make(seed=11)(x, training=True).numpy(), first_a)
    assert not np.array_equal(make(seed=12)(x, training=True).numpy(), first_a)


@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_no_seed_uses_global_generator(name, make):
    x = _input_for(name)
    layer = make()
    lamina.utils.set_random_seed(42)
    first = layer(x, training=True).numpy()
    lamina.utils.set_random_seed(42)
    np.testing.assert_array_equal(make()(x, training=True).numpy(), first)
    lamina.utils.set_random_seed(43)
    assert not np.array_equal(layer(x, training=True).numpy(), first)


def test_global_seed_does_not_touch_numpy_global_state_at_call_time():
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    layers.Dropout(0.5)(np.ones((10, 10)), training=True)
    assert np.random.random() == expected


def test_fit_with_dropout_is_bit_identical_after_set_random_seed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")

    def run():
        lamina.utils.set_random_seed(7)
        model = lamina.Sequential([lamina.Input((5,)), layers.Dense(16, activation="relu"),
                                   layers.Dropout(0.5), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return model.get_weights(), history.history

    w1, h1 = run()
    w2, h2 = run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_predict_is_deterministic_with_dropout():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(8), layers.Dropout(0.5),
                               layers.GaussianNoise(1.0), layers.Dense(1)])
    x = np.random.default_rng(1).normal(size=(10, 4)).astype("float32")
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    np.testing.assert_array_equal(model(x).numpy(), first)
    np.testing.assert_array_equal(model.predict(x, batch_size=3, verbose=0), first)


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [layers.Dropout, layers.GaussianDropout, layers.AlphaDropout,
                                 layers.SpatialDropout1D])
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", True, None])
def test_rate_is_validated(cls, rate):
    with pytest.raises(ValueError, match=rf"'rate' argument of {cls.__name__} must be a number "
                                         r"in \[0, 1\).*Got rate="):
        cls(rate)


def test_rate_one_message_explains():
    with pytest.raises(ValueError, match="rate=1 would drop every input"):
        layers.Dropout(1.0)


@pytest.mark.parametrize("stddev", [-1.0, float("nan"), float("inf"), "0.1"])
def test_gaussian_noise_stddev_is_validated(stddev):
    with pytest.raises(ValueError, match="'stddev' argument of GaussianNoise"):
        layers.GaussianNoise(stddev)


@pytest.mark.parametrize("noise_shape,match", [
    ("abc", "must be a tuple of integers"),
    ((None, 0), "positive integers or None; entry 1"),
    ((None, 1.5), "entry 1 is 1.5"),
    (5, "must be a tuple of integers"),
])
def test_noise_shape_is_validated(noise_shape, match):
    with pytest.raises(ValueError, match=match):
        layers.Dropout(0.5, noise_shape=noise_shape)


def test_noise_shape_mismatch_is_explained():
    layer = layers.Dropout(0.5, noise_shape=(None, 3))
    with pytest.raises(ValueError, match="does not broadcast to the input shape"):
        layer(np.ones((2, 4)), training=True)
    with pytest.raises(ValueError, match="has 2 dimensions, but its inputs have shape"):
        layers.Dropout(0.5, noise_shape=(None, 1))(np.ones((2, 4, 1)), training=True)


def test_seed_is_validated():
    with pytest.raises(ValueError, match="'seed' argument of Dropout must be an integer"):
        layers.Dropout(0.5, seed=1.5)


# -- config and shapes -----------------------------------------------------------------------

# The keys Keras 3.15's get_config() writes for each layer (keras/src/layers/regularization).
KERAS_KEYS = {
    "Dropout": ["name", "trainable", "dtype", "rate", "seed", "noise_shape"],
    "GaussianNoise": ["name", "trainable", "dtype", "stddev", "seed"],
    "GaussianDropout": ["name", "trainable", "dtype", "rate", "seed"],
    "AlphaDropout": ["name", "trainable", "dtype", "rate", "seed", "noise_shape"],
    "SpatialDropout1D": ["rate", "seed", "name", "dtype"],
}


@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_get_config_keys_and_round_trip(name, make):
    layer = make(seed=9)
    cfg = layer.get_config()
    assert sorted(cfg) == sorted(KERAS_KEYS[name])
    assert cfg["seed"] == 9
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    x = _input_for(name)
    np.testing.assert_array_equal(clone(x, training=True).numpy(), layer(x, training=True).numpy())
    restored = lamina.layers.deserialize(lamina.layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == cfg


def test_config_values():
    cfg = layers.Dropout(0.25, noise_shape=[None, 1], seed=3, name="drop").get_config()
    assert cfg.pop("dtype") == layers.Layer(name="x").get_config()["dtype"]
    assert cfg == {"name": "drop", "trainable": True, "rate": 0.25, "seed": 3,
                   "noise_shape": (None, 1)}
    assert layers.GaussianNoise(0.1).get_config()["stddev"] == 0.1
    assert layers.SpatialDropout2D(0.1, data_format="channels_first").get_config()[
        "data_format"] == "channels_first"


def test_keras_style_config_loads():
    keras_cfg = {"module": "keras.layers", "class_name": "Dropout", "registered_name": None,
                 "config": {"name": "dropout_3", "trainable": True, "rate": 0.3, "seed": None,
                            "noise_shape": None,
                            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                      "config": {"name": "float32"}, "registered_name": None}}}
    layer = lamina.layers.deserialize(keras_cfg)
    assert isinstance(layer, layers.Dropout) and layer.rate == 0.3 and layer.name == "dropout_3"


@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_compute_output_shape(name, make):
    shape = (None, 3, 4) if name == "SpatialDropout1D" else (None, 7)
    layer = make()
    assert layer.compute_output_shape(shape) == shape
    symbolic = layer(lamina.Input(shape[1:]))
    assert symbolic.shape == shape


def test_no_weights():
    layer = layers.Dropout(0.5)
    layer(np.ones((2, 3)))
    assert layer.weights == [] and layer.count_params() == 0


# -- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name,make", NOISE_LAYERS, ids=IDS)
def test_gradients_float64(name, make, training):
    lamina.config.set_floatx("float64")
    x = _input_for(name, dtype="float64")
    weights = np.random.default_rng(1).normal(size=x.shape)

    def fn(t):
        layer = make(seed=21)  # a fresh generator per call: the same noise every time
        return lamina.ops.multiply(layer(t, training=training), weights)

    check_gradients(fn, [x], atol=1e-7, rtol=1e-6)


def test_gradient_of_dropout_is_the_mask():
    x = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")
    layer = layers.Dropout(0.5, seed=8)
    tx = lamina.ops.convert_to_tensor(x)
    with lamina.GradientTape() as tape:
        tape.watch(tx)
        out = layer(tx, training=True)
        total = lamina.ops.sum(out)
    grad = tape.gradient(total, tx).numpy()
    np.testing.assert_array_equal(grad, (out.numpy() / np.where(x == 0, 1, x)).round(4))


def test_docstring_examples_run():
    assert run_doctests(regularization) >= 8


def test_every_public_name_has_a_docstring():
    for name in regularization.__all__:
        assert getattr(regularization, name).__doc__, name


@pytest.mark.parametrize("class_name", ["Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                                        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"])
def test_default_config_matches_real_keras(class_name):
    assert_serializes_like_keras(class_name)
