"""``Normalization``: adapt, Keras's documented outputs, epsilon handling, weights and config."""


import numpy as np
import pytest
from gradcheck import check_gradients
from helpers import assert_serializes_like_keras, run_doctests

import lamina
from lamina import layers, ops
from lamina.layers import preprocessing

ADAPT = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]],
                 dtype="float32")


# -- Keras's documented examples (keras/src/layers/preprocessing/normalization.py) --------------


def test_keras_example_global_statistics():
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float32"))
    np.testing.assert_allclose(layer(np.array([1.0, 2.0, 3.0], dtype="float32")).numpy(),
                               [-1.4142135, -0.70710677, 0.0], rtol=1e-6)


def test_keras_example_per_feature():
    layer = layers.Normalization(axis=-1)
    layer.adapt(ADAPT)
    np.testing.assert_array_equal(layer(np.array([[0.0, 7.0, 4.0]], dtype="float32")).numpy(),
                                  [[-1.0, -1.0, -1.0]])


def test_keras_example_fixed_mean_and_variance():
    layer = layers.Normalization(mean=3.0, variance=2.0)
    out = layer(np.array([[1.0], [2.0], [3.0]], dtype="float32")).numpy()
    np.testing.assert_allclose(out, [[-1.4142135], [-0.70710677], [0.0]], rtol=1e-6)
    assert layer.weights == []


def test_keras_example_invert():
    layer = layers.Normalization(axis=-1, invert=True)
    layer.adapt(ADAPT)
    np.testing.assert_array_equal(layer(np.array([[1.0, 2.0, 3.0]], dtype="float32")).numpy(),
                                  [[2.0, 10.0, 8.0]])


# -- adapt ----------------------------------------------------------------------------------------


def test_adapt_stores_population_statistics_as_non_trainable_weights():
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(100, 4)).astype("float32")
    layer = layers.Normalization()
    layer.adapt(x)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == []
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), x.var(axis=0), rtol=1e-6)  # ddof=0
    assert int(layer.count.numpy()) == 100
    out = layer(x).numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-5)


def test_adapt_on_batches_equals_adapt_on_the_whole_array():
    x = np.random.default_rng(1).normal(2.0, 4.0, size=(103, 3)).astype("float64")
    whole = layers.Normalization(dtype="float64")
    whole.adapt(x)
    batched = layers.Normalization(dtype="float64")
    batched.adapt(x[i:i + 10] for i in range(0, len(x), 10))  # a generator of batches
    listed = layers.Normalization(dtype="float64")
    listed.adapt([(x[i:i + 25], None) for i in range(0, len(x), 25)])  # (x, y) batches
    for layer in (batched, listed):
        np.testing.assert_allclose(layer.adapt_mean.numpy(), whole.adapt_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(layer.adapt_variance.numpy(), whole.adapt_variance.numpy(),
                                   rtol=1e-12)
        assert int(layer.count.numpy()) == 103


def test_adapt_accepts_dataframes_lists_and_integers():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [10.0, 20.0, 30.0, 40.0]})
    layer = layers.Normalization()
    layer.adapt(frame)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), [2.5, 25.0])
    listed = layers.Normalization()
    listed.adapt([[1, 10], [2, 20], [3, 30], [4, 40]])
    np.testing.assert_allclose(listed.adapt_variance.numpy(), [1.25, 125.0])
    out = layer(np.array([[1, 10]]))  # integer inputs are cast to float32
    assert out.dtype == np.float32


def test_adapt_twice_replaces_the_statistics():
    layer = layers.Normalization()
    layer.adapt(ADAPT)
    layer.adapt(ADAPT * 2)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), ADAPT.mean(axis=0) * 2)


def test_axis_keeps_several_axes():
    x = np.random.default_rng(2).normal(size=(10, 3, 4)).astype("float32")
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(x)
    assert layer.adapt_mean.shape == (3, 4)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), x.mean(axis=0), rtol=1e-5, atol=1e-6)
    only_last = layers.Normalization(axis=-1)
    only_last.adapt(x)
    np.testing.assert_allclose(only_last.adapt_mean.numpy(), x.mean(axis=(0, 1)), rtol=1e-5,
                               atol=1e-6)


def test_one_dimensional_data_with_axis_minus_one_warns():
    layer = layers.Normalization()
    with pytest.warns(UserWarning, match="pass axis=None"):
        layer.adapt(np.array([1.0, 2.0, 3.0], dtype="float32"))


# -- epsilon ----------------------------------------------------------------------------------------


def test_constant_feature_divides_by_epsilon_not_zero():
    data = np.array([[1.0, 5.0], [3.0, 5.0]], dtype="float32")  # the second feature is constant
    layer = layers.Normalization()
    layer.adapt(data)
    out = layer(np.array([[2.0, 5.0], [2.0, 5.5]], dtype="float32")).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 0], [0.0, 0.0])
    eps = lamina.config.epsilon()
    np.testing.assert_allclose(out[:, 1], [0.0, np.float32(0.5) / np.float32(eps)], rtol=1e-6)


def test_tiny_variance_uses_max_of_sqrt_and_epsilon():
    layer = layers.Normalization(mean=0.0, variance=1e-16)  # sqrt = 1e-8 < epsilon 1e-7
    out = layer(np.array([[1e-7]], dtype="float32")).numpy()
    np.testing.assert_allclose(out, [[1.0]], rtol=1e-5)


# -- models, weights, config ---------------------------------------------------------------------


@pytest.mark.parametrize("generic", [False, True], ids=["fused", "generic"])
def test_in_a_model_fit_never_changes_the_statistics(generic):
    x = np.random.default_rng(3).normal(50.0, 10.0, size=(64, 3)).astype("float32")
    y = (x[:, :1] - 50.0) / 10.0
    norm = layers.Normalization()
    norm.adapt(x)
    before = norm.get_weights()
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((3,)), norm, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    if generic:
        model.make_train_function = lambda force=False: model.train_step
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(norm.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert [w.path for w in model.non_trainable_weights] == [
        f"{model.name}/normalization{norm.name[len('normalization'):]}/{n}"
        for n in ("mean", "variance", "count")]


def test_weights_carry_the_statistics_to_a_new_layer():
    layer = layers.Normalization()
    layer.adapt(ADAPT)
    clone = layers.Normalization.from_config(layer.get_config())
    clone.build((None, 3))
    clone.set_weights(layer.get_weights())
    x = np.array([[1.0, 8.0, 5.0]], dtype="float32")
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_get_config_has_keras_keys():
    layer = layers.Normalization(axis=-1, mean=[1.0, 2.0], variance=[4.0, 9.0], name="norm")
    cfg = layer.get_config()
    assert cfg.pop("dtype") == layers.Layer(name="x").get_config()["dtype"]
    assert cfg == {"name": "norm", "trainable": True, "axis": (-1,), "invert": False,
                   "mean": [1.0, 2.0], "variance": [4.0, 9.0]}
    clone = layers.Normalization.from_config(layer.get_config())
    x = np.array([[3.0, 8.0]], dtype="float32")
    np.testing.assert_allclose(clone(x).numpy(), [[1.0, 2.0]])
    adapted = layers.Normalization(axis=None)
    assert adapted.get_config()["mean"] is None and adapted.get_config()["axis"] == ()


def test_compute_output_shape():
    layer = layers.Normalization()
    assert layer.compute_output_shape((None, 4)) == (None, 4)
    assert layer(lamina.Input((4,))).shape == (None, 4)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"mean": 1.0}, ValueError, "both `mean` and `variance`, or neither"),
    ({"mean": [1.0, 2.0], "variance": [1.0]}, ValueError, "must have the same shape"),
    ({"mean": [[1.0]], "variance": [[1.0]]}, ValueError, "keeps only 1"),
    ({"mean": 0.0, "variance": -1.0}, ValueError, "`variance` must be >= 0"),
    ({"axis": "features"}, TypeError, "'axis' argument of Normalization"),
])
def test_constructor_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.Normalization(**kwargs)


def test_adapt_errors():
    with pytest.raises(ValueError, match="given a fixed mean and variance"):
        layers.Normalization(mean=0.0, variance=1.0).adapt(ADAPT)
    with pytest.raises(ValueError, match="received no data"):
        layers.Normalization().adapt(iter([]))
    with pytest.raises(TypeError, match="needs numeric data; got an array of dtype"):
        layers.Normalization().adapt(np.array([["a", "b"]]))
    layer = layers.Normalization()
    layer.adapt(ADAPT)
    with pytest.raises(ValueError, match="but adapt\\(\\) got data of shape \\(2, 4\\)"):
        layer.adapt(np.ones((2, 4)))
    with pytest.raises(ValueError, match="keeps axis=\\(2,\\), but its inputs"):
        layers.Normalization(axis=2).adapt(ADAPT)
    with pytest.raises(ValueError, match="not a single number"):
        layers.Normalization().adapt(3.0)


# -- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_gradients_float64(invert, training):
    lamina.config.set_floatx("float64")
    layer = layers.Normalization(invert=invert)
    layer.adapt(np.random.default_rng(4).normal(2.0, 3.0, size=(20, 3)))
    c = np.random.default_rng(5).normal(size=(4, 3))
    check_gradients(lambda x: ops.multiply(layer(x, training=training), c),
                    [np.random.default_rng(6).normal(size=(4, 3))], atol=1e-6, rtol=1e-5)


def test_docstring_examples_run():
    assert run_doctests(preprocessing) >= 1
    assert layers.Normalization.adapt.__doc__


@pytest.mark.parametrize("class_name", ["Normalization"])
def test_default_config_matches_real_keras(class_name):
    assert_serializes_like_keras(class_name)
