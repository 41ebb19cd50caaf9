"""BatchNormalization, LayerNormalization and UnitNormalization.

Numbers are checked against NumPy versions of Keras 3.15's formulas
(keras/src/layers/normalization and tf.nn.batch_normalization), and against
Keras itself through the whole-fit fixture ``clf_batchnorm_adam`` (run by
tests/test_training_keras.py; its layer config is also checked here).
"""

import json
import os
import warnings

import numpy as np
import pytest
from gradcheck import check_gradients
from helpers import assert_serializes_like_keras, run_doctests

import lamina
from lamina import layers, ops
from lamina.layers import normalization

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "keras")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _bn_reference(x, gamma, beta, mean, var, eps, axis=-1):
    shape = [1] * x.ndim
    shape[axis] = -1
    inv = gamma / np.sqrt(var + eps)
    return x * inv.reshape(shape) + (beta - mean * inv).reshape(shape)


def _set_random_weights(layer, seed=1):
    rng = _rng(seed)
    values = []
    for w in layer.weights:
        v = rng.uniform(0.5, 1.5, size=w.shape) if "variance" in w.name or w.name == "gamma" \
            else rng.normal(size=w.shape)
        values.append(v.astype(w.value.dtype))
    layer.set_weights(values)
    return values


# -- BatchNormalization: values ------------------------------------------------------------------


def test_bn_training_uses_batch_statistics_and_biased_variance():
    x = _rng().normal(2.0, 3.0, size=(16, 5)).astype("float32")
    bn = layers.BatchNormalization()
    bn.build(x.shape)
    gamma, beta, mm, mv = _set_random_weights(bn)
    out = bn(x, training=True).numpy()
    mean, var = x.mean(axis=0), x.var(axis=0)  # ddof=0
    np.testing.assert_allclose(out, _bn_reference(x, gamma, beta, mean, var, 1e-3),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mm * 0.99 + mean * 0.01, rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), mv * 0.99 + var * 0.01, rtol=1e-6)


def test_bn_moving_variance_is_biased_as_keras():
    bn = layers.BatchNormalization()
    bn(np.array([[0.0], [4.0]], dtype="float32"), training=True)  # biased var 4, unbiased 8
    np.testing.assert_allclose(bn.moving_mean.numpy(), [0.02], rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.99 + 0.04], rtol=1e-6)


def test_bn_inference_uses_moving_statistics_and_does_not_update():
    x = _rng(2).normal(size=(8, 4)).astype("float32")
    bn = layers.BatchNormalization(epsilon=0.01)
    bn.build(x.shape)
    gamma, beta, mm, mv = _set_random_weights(bn)
    expected = _bn_reference(x, gamma, beta, mm, mv, 0.01)
    for kwargs in ({}, {"training": False}, {"training": None}):
        np.testing.assert_allclose(bn(x, **kwargs).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mm)
    np.testing.assert_array_equal(bn.moving_variance.numpy(), mv)


def test_bn_moving_averages_converge_to_data_statistics():
    x = _rng(3).normal(5.0, 2.0, size=(64, 3)).astype("float32")
    bn = layers.BatchNormalization(momentum=0.5)
    for _ in range(40):
        bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=0), rtol=1e-5)
    # Then inference normalizes like training did.
    np.testing.assert_allclose(bn(x).numpy(), bn(x, training=True).numpy(), atol=1e-5)


def test_bn_batch_of_one_sample_gives_no_nan():
    bn = layers.BatchNormalization()
    x = np.array([[3.0, -1.0, 1e6]], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = bn(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.zeros_like(x))  # x - mean = 0 exactly, then + beta
    assert np.isfinite(bn.moving_variance.numpy()).all()
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.99] * 3, rtol=1e-6)


@pytest.mark.parametrize("generic", [False, True], ids=["fused", "generic"])
def test_fit_with_last_batch_of_one_sample_stays_finite(generic):
    lamina.utils.set_random_seed(0)
    x = _rng(4).normal(size=(33, 4)).astype("float32")  # batch 32: the last batch has 1 row
    y = _rng(5).normal(size=(33, 1)).astype("float32")
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(8, activation="relu"),
                               layers.BatchNormalization(), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    if generic:
        model.make_train_function = lambda force=False: model.train_step
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert np.isfinite(model.predict(x, verbose=0)).all()


def test_bn_axis_1_on_3d_inputs():
    x = _rng(6).normal(size=(4, 3, 5)).astype("float32")  # channels first: 3 features
    bn = layers.BatchNormalization(axis=1)
    out = bn(x, training=True).numpy()
    assert bn.gamma.shape == (3,)
    mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    np.testing.assert_allclose(out, _bn_reference(x, np.ones(3), np.zeros(3), mean, var, 1e-3, 1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-5, atol=1e-7)


def test_bn_last_axis_of_3d_inputs_averages_over_batch_and_steps():
    x = _rng(7).normal(size=(4, 6, 2)).astype("float32")
    out = layers.BatchNormalization()(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    np.testing.assert_allclose(out, _bn_reference(x, 1, 0, mean, var, 1e-3), rtol=1e-5, atol=1e-5)


def test_bn_mask_excludes_positions_from_statistics():
    x = _rng(8).normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=bool)
    bn = layers.BatchNormalization(momentum=0.0)
    bn(x, training=True, mask=mask)
    kept = x[mask]  # (5, 3)
    np.testing.assert_allclose(bn.moving_mean.numpy(), kept.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), kept.var(axis=0), rtol=1e-5)
    with pytest.raises(ValueError, match="mask must have one dimension less"):
        bn(x, training=True, mask=np.ones((2, 5, 3)))


def test_bn_frozen_layer_runs_in_inference_mode():
    x = _rng(9).normal(3.0, 2.0, size=(8, 4)).astype("float32")
    bn = layers.BatchNormalization()
    bn.build(x.shape)
    gamma, beta, mm, mv = _set_random_weights(bn)
    bn.trainable = False
    np.testing.assert_allclose(bn(x, training=True).numpy(),
                               _bn_reference(x, gamma, beta, mm, mv, 1e-3), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mm)
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


@pytest.mark.parametrize("generic", [False, True], ids=["fused", "generic"])
def test_bn_frozen_in_fit_keeps_all_its_weights(generic):
    lamina.utils.set_random_seed(1)
    x = _rng(10).normal(size=(40, 3)).astype("float32")
    y = _rng(11).normal(size=(40, 1)).astype("float32")
    bn = layers.BatchNormalization()
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(6, activation="relu"), bn,
                               layers.Dense(1)])
    _set_random_weights(bn)
    before = bn.get_weights()
    bn.trainable = False
    model.compile(optimizer="adam", loss="mse")
    if generic:
        model.make_train_function = lambda force=False: model.train_step
    dense_before = model.layers[0].get_weights()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model.layers[0].get_weights()[0], dense_before[0])


def test_bn_in_fit_updates_moving_stats_and_predict_uses_them():
    lamina.utils.set_random_seed(2)
    x = _rng(12).normal(4.0, 2.0, size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    bn = layers.BatchNormalization()
    model = lamina.Sequential([lamina.Input((3,)), bn, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)
    gamma, beta, mm, mv = bn.get_weights()
    kernel, bias = model.layers[1].get_weights()
    expected = _bn_reference(x, gamma, beta, mm, mv, 1e-3) @ kernel + bias
    pred = model.predict(x, verbose=0)
    np.testing.assert_allclose(pred, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(model.predict(x, verbose=0), pred)  # deterministic
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mm)  # predict changed nothing
    # model(x, training=True) overrides and uses batch statistics.
    trained = model(x, training=True).numpy()
    assert not np.allclose(trained, pred, atol=1e-3)


# -- BatchNormalization: weights, config, errors --------------------------------------------------


def test_bn_weights_names_order_and_trainability():
    model = lamina.Sequential([lamina.Input((3,)), layers.BatchNormalization(name="bn")])
    bn = model.layers[0]
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.path for w in model.weights] == [
        f"{model.name}/bn/gamma", f"{model.name}/bn/beta", f"{model.name}/bn/moving_mean",
        f"{model.name}/bn/moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_array_equal(bn.gamma.numpy(), np.ones(3))
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(3))
    assert bn.count_params() == 12


@pytest.mark.parametrize("center,scale,names", [
    (False, True, ["gamma", "moving_mean", "moving_variance"]),
    (True, False, ["beta", "moving_mean", "moving_variance"]),
    (False, False, ["moving_mean", "moving_variance"]),
])
def test_bn_center_and_scale_switch_weights(center, scale, names):
    bn = layers.BatchNormalization(center=center, scale=scale)
    x = _rng(13).normal(size=(6, 2)).astype("float32")
    out = bn(x, training=True).numpy()
    assert [w.name for w in bn.weights] == names
    np.testing.assert_allclose(out, _bn_reference(x, 1, 0, x.mean(0), x.var(0), 1e-3),
                               rtol=1e-5, atol=1e-5)


def _fixture_bn_config():
    path = os.path.join(FIXTURES, "training.json")
    if not os.path.exists(path):
        pytest.skip("Keras fixtures tests/fixtures/keras/training.json are missing")
    with open(path) as f:
        cases = json.load(f)
    for case in cases:
        for layer in case["keras_config"]["model"]["layers"]:
            if layer["class_name"] == "BatchNormalization":
                return layer
    pytest.skip("no BatchNormalization layer in the training fixtures")


def test_bn_get_config_has_keras_keys_and_values():
    keras_layer = _fixture_bn_config()
    keras_cfg = keras_layer["config"]
    cfg = layers.BatchNormalization(name=keras_cfg["name"]).get_config()
    assert list(cfg) == list(keras_cfg)
    for key, value in keras_cfg.items():
        if key != "dtype":
            assert cfg[key] == value, key


def test_bn_loads_keras_config_and_round_trips():
    keras_layer = _fixture_bn_config()
    bn = layers.deserialize(keras_layer)
    assert isinstance(bn, layers.BatchNormalization)
    assert (bn.axis, bn.momentum, bn.epsilon) == (-1, 0.99, 1e-3)
    custom = layers.BatchNormalization(
        axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_initializer="zeros",
        gamma_regularizer=lamina.regularizers.L2(0.01), gamma_constraint="non_neg")
    cfg = custom.get_config()
    clone = layers.BatchNormalization.from_config(cfg)
    assert clone.get_config() == cfg
    assert json.loads(json.dumps(cfg)) == json.loads(json.dumps(clone.get_config()))


def test_bn_regularizer_enters_losses():
    bn = layers.BatchNormalization(gamma_regularizer=lamina.regularizers.L2(0.5))
    bn(np.ones((2, 3), dtype="float32"))
    assert len(bn.losses) == 1
    assert float(bn.losses[0]) == pytest.approx(0.5 * 3)


def test_bn_compute_output_shape_and_symbolic_call():
    bn = layers.BatchNormalization(axis=1)
    assert bn.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert bn(lamina.Input((3, 4))).shape == (None, 3, 4)
    with pytest.raises(ValueError, match="axis=3, but its inputs of shape \\(None, 2\\) have 2"):
        layers.BatchNormalization(axis=3).compute_output_shape((None, 2))


@pytest.mark.parametrize("kwargs,match", [
    ({"epsilon": 0}, "'epsilon' argument of BatchNormalization must be a positive number"),
    ({"epsilon": -1e-3}, "Got epsilon=-0.001"),
    ({"momentum": 1.5}, "'momentum' argument of BatchNormalization must be a number in"),
    ({"renorm": True}, "renorm=True.*not supported"),
])
def test_bn_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.BatchNormalization(**kwargs)


def test_bn_axis_must_be_an_int():
    with pytest.raises(TypeError, match="'axis' argument of BatchNormalization must be one int"):
        layers.BatchNormalization(axis=[1, 2])


def test_bn_input_shape_change_is_explained():
    bn = layers.BatchNormalization()
    bn(np.ones((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match="BatchNormalization 'batch_normalization.*' expects "
                                         "inputs with last dimension 3"):
        bn(np.ones((2, 4), dtype="float32"))


# -- gradients ---------------------------------------------------------------------------------


def _weights_fn(layer, names, c, training):
    """A function of (x, *weights) that runs ``layer`` with those weight tensors."""

    def fn(x, *weights):
        saved = {n: getattr(layer, n) for n in names}
        for n, w in zip(names, weights):
            object.__setattr__(layer, n, w)
        try:
            return ops.multiply(layer(x, training=training), c)
        finally:
            for n, w in saved.items():
                object.__setattr__(layer, n, w)

    return fn


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("shape,axis", [((6, 4), -1), ((3, 2, 4), 1), ((3, 4, 2), -1)])
def test_bn_gradients_float64(training, shape, axis):
    lamina.config.set_floatx("float64")
    x = _rng(14).normal(size=shape)
    bn = layers.BatchNormalization(axis=axis)
    bn.build(shape)
    _set_random_weights(bn, seed=15)
    c = _rng(16).normal(size=shape)
    fn = _weights_fn(bn, ["gamma", "beta"], c, training)
    check_gradients(fn, [x, bn.gamma.numpy(), bn.beta.numpy()], atol=1e-6, rtol=1e-5)


def test_bn_gradient_without_gamma_and_beta_float64():
    lamina.config.set_floatx("float64")
    bn = layers.BatchNormalization(center=False, scale=False)
    c = _rng(17).normal(size=(5, 3))
    check_gradients(lambda x: ops.multiply(bn(x, training=True), c),
                    [_rng(18).normal(size=(5, 3))], atol=1e-6, rtol=1e-5)


def test_bn_masked_gradient_float64():
    lamina.config.set_floatx("float64")
    bn = layers.BatchNormalization()
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 1]], dtype=bool)
    c = _rng(19).normal(size=(2, 4, 3))
    check_gradients(lambda x: ops.multiply(bn(x, training=True, mask=mask), c),
                    [_rng(20).normal(size=(2, 4, 3))], atol=1e-6, rtol=1e-5)


# -- LayerNormalization ----------------------------------------------------------------------------


def _ln_reference(x, gamma, beta, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_ln_normalizes_each_sample():
    x = _rng(21).normal(3.0, 2.0, size=(5, 6)).astype("float32")
    ln = layers.LayerNormalization()
    ln.build(x.shape)
    gamma, beta = _set_random_weights(ln)
    out = ln(x).numpy()
    np.testing.assert_allclose(out, _ln_reference(x, gamma, beta, -1, 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ln(x, training=True).numpy(), out)  # no training mode
    # Each row is normalized on its own: the other rows do not matter (beyond rounding: BLAS
    # sums a row in an order that depends on where the row sits in the batch).
    np.testing.assert_allclose(ln(x[:1]).numpy(), out[:1], rtol=1e-5, atol=1e-6)


def test_ln_several_axes():
    x = _rng(22).normal(size=(3, 4, 5)).astype("float32")
    ln = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    out = ln(x).numpy()
    assert ln.gamma.shape == (4, 5)
    np.testing.assert_allclose(out, _ln_reference(x, 1, 0, (1, 2), 1e-5), rtol=1e-4, atol=1e-5)
    ln1 = layers.LayerNormalization(axis=1)
    out1 = ln1(x).numpy()
    assert ln1.gamma.shape == (4,)
    np.testing.assert_allclose(out1, _ln_reference(x, 1, 0, 1, 1e-3), rtol=1e-4, atol=1e-5)


def test_ln_rms_scaling_is_deprecated_but_keeps_keras_formula():
    x = _rng(23).normal(1.0, 2.0, size=(4, 3)).astype("float32")
    with pytest.warns(DeprecationWarning, match="rms_scaling=True"):
        ln = layers.LayerNormalization(rms_scaling=True)
    out = ln(x).numpy()
    assert [w.name for w in ln.weights] == ["gamma"]
    expected = x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert ln.get_config()["rms_scaling"] is True


@pytest.mark.parametrize("center,scale,names", [
    (True, True, ["gamma", "beta"]), (False, True, ["gamma"]), (True, False, ["beta"]),
    (False, False, []),
])
def test_ln_center_and_scale_switch_weights(center, scale, names):
    ln = layers.LayerNormalization(center=center, scale=scale)
    ln(np.ones((2, 3), dtype="float32"))
    assert [w.name for w in ln.weights] == names


def test_ln_get_config_keys_and_round_trip():
    ln = layers.LayerNormalization(epsilon=1e-5, gamma_regularizer="l2", name="ln")
    cfg = ln.get_config()
    assert list(cfg) == ["name", "trainable", "dtype", "axis", "epsilon", "center", "scale",
                         "rms_scaling", "beta_initializer", "gamma_initializer",
                         "beta_regularizer", "gamma_regularizer", "beta_constraint",
                         "gamma_constraint"]
    assert cfg["axis"] == -1
    ln(np.ones((2, 3), dtype="float32"))
    assert ln.get_config()["axis"] == [-1]  # Keras 3.15 stores a list once built
    clone = layers.LayerNormalization.from_config(ln.get_config())
    clone(np.ones((2, 3), dtype="float32"))
    assert clone.get_config() == ln.get_config()


def test_ln_errors_and_shapes():
    with pytest.raises(TypeError, match="'axis' argument of LayerNormalization"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="axis=2, but its inputs of shape \\(2, 3\\) have 2"):
        layers.LayerNormalization(axis=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="names the same dimension twice"):
        layers.LayerNormalization(axis=[1, -1])(np.ones((2, 3)))
    assert layers.LayerNormalization().compute_output_shape((None, 5)) == (None, 5)
    assert layers.LayerNormalization()(lamina.Input((2, 5))).shape == (None, 2, 5)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((2, 3, 4), [1, 2]), ((2, 3, 4), 1)])
def test_ln_gradients_float64(training, shape, axis):
    lamina.config.set_floatx("float64")
    ln = layers.LayerNormalization(axis=axis)
    ln.build(shape)
    _set_random_weights(ln, seed=24)
    c = _rng(25).normal(size=shape)
    fn = _weights_fn(ln, ["gamma", "beta"], c, training)
    check_gradients(fn, [_rng(26).normal(size=shape), ln.gamma.numpy(), ln.beta.numpy()],
                    atol=1e-6, rtol=1e-5)


def test_ln_rms_gradients_float64():
    lamina.config.set_floatx("float64")
    with pytest.warns(DeprecationWarning):
        ln = layers.LayerNormalization(rms_scaling=True)
    c = _rng(27).normal(size=(3, 4))
    check_gradients(lambda x: ops.multiply(ln(x), c), [_rng(28).normal(size=(3, 4))],
                    atol=1e-6, rtol=1e-5)


# -- UnitNormalization -----------------------------------------------------------------------------


def test_unit_normalization_values():
    x = _rng(29).normal(size=(4, 5)).astype("float32")
    out = layers.UnitNormalization()(x).numpy()
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-6)
    x3 = _rng(30).normal(size=(2, 3, 4)).astype("float32")
    out3 = layers.UnitNormalization(axis=[1, 2])(x3).numpy()
    np.testing.assert_allclose(np.sqrt((out3**2).sum(axis=(1, 2))), 1.0, rtol=1e-6)


def test_unit_normalization_zero_vector_stays_finite():
    x = np.zeros((2, 3), dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layers.UnitNormalization()(x).numpy()
    np.testing.assert_array_equal(out, x)


def test_unit_normalization_config_and_errors():
    layer = layers.UnitNormalization(axis=[1, 2], name="unit")
    cfg = layer.get_config()
    assert cfg.pop("dtype") == layers.Layer(name="x").get_config()["dtype"]
    assert cfg == {"name": "unit", "trainable": True, "axis": [1, 2]}
    assert layers.UnitNormalization.from_config(layer.get_config()).axis == [1, 2]
    with pytest.raises(TypeError, match="'axis' argument of UnitNormalization"):
        layers.UnitNormalization(axis=1.0)
    with pytest.raises(ValueError, match="axis=\\[1, 2\\], but its inputs of shape"):
        layer.compute_output_shape((None, 3))
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer(lamina.Input((3, 4))).shape == (None, 3, 4)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_unit_normalization_gradients_float64(training):
    lamina.config.set_floatx("float64")
    layer = layers.UnitNormalization()
    c = _rng(31).normal(size=(3, 4))
    check_gradients(lambda x: ops.multiply(layer(x, training=training), c),
                    [_rng(32).normal(size=(3, 4))], atol=1e-6, rtol=1e-5)


# -- docs --------------------------------------------------------------------------------------------


def test_docstring_examples_run():
    assert run_doctests(normalization) >= 3


def test_every_public_name_has_a_docstring():
    for name in normalization.__all__:
        assert getattr(normalization, name).__doc__, name


@pytest.mark.parametrize("class_name", ["BatchNormalization", "LayerNormalization",
                                        "UnitNormalization"])
def test_default_config_matches_real_keras(class_name):
    assert_serializes_like_keras(class_name)
