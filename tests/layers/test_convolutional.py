"""Convolution, pooling and the spatial layers: Keras's numbers, configs, shapes and messages."""

import json
import os

import numpy as np
import pytest
from helpers import assert_serializes_like_keras, keras_default

import lamina
from lamina import layers, ops

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "keras")
with open(os.path.join(FIXTURES, "conv_ops.json")) as f:
    CONV_CASES = json.load(f)["cases"]
CONV_ARRAYS = np.load(os.path.join(FIXTURES, "conv_ops.npz"))


@pytest.mark.parametrize("case", CONV_CASES, ids=[c["id"] for c in CONV_CASES])
def test_conv_and_pool_ops_match_keras(case):
    name = case["id"]
    inputs = [ops.convert_to_tensor(CONV_ARRAYS[f"{name}/in{i}"]) for i in range(case["inputs"])]
    with lamina.GradientTape() as tape:
        for t in inputs:
            tape.watch(t)
        y = getattr(ops, case["op"])(*inputs, **case["kwargs"])
        total = ops.sum(ops.multiply(y, CONV_ARRAYS[f"{name}/c"]))
    np.testing.assert_allclose(y.numpy(), CONV_ARRAYS[f"{name}/y"], rtol=1e-5, atol=1e-5)
    for i, g in enumerate(tape.gradient(total, inputs)):
        np.testing.assert_allclose(g.numpy(), CONV_ARRAYS[f"{name}/grad{i}"], rtol=1e-5,
                                   atol=2e-5, err_msg=f"gradient of input {i}")


def test_channels_first_equals_channels_last_transposed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    k = rng.normal(size=(3, 3, 3, 4)).astype("float32")
    last = ops.conv(x, k, strides=2, padding="same").numpy()
    first = ops.conv(np.moveaxis(x, -1, 1), k, strides=2, padding="same",
                     data_format="channels_first").numpy()
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last, rtol=1e-6)
    pooled = ops.max_pool(np.moveaxis(x, -1, 1), 2, data_format="channels_first").numpy()
    np.testing.assert_array_equal(np.moveaxis(pooled, 1, -1), ops.max_pool(x, 2).numpy())


CONFIG_CLASSES = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                  "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                  "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
                  "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
                  "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                  "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
                  "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
                  "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D"]


@pytest.mark.parametrize("class_name", CONFIG_CLASSES)
def test_default_config_matches_real_keras(class_name):
    keras_default(class_name)  # skips when the fixture lacks the class
    assert_serializes_like_keras(class_name)


@pytest.mark.parametrize("make,shape,expected", [
    (lambda: layers.Conv2D(4, 3), (None, 28, 28, 1), (None, 26, 26, 4)),
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same"), (None, 7, 7, 2), (None, 4, 4, 4)),
    (lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2), (None, 9, 3),
     (None, 9, 2)),
    (lambda: layers.Conv2DTranspose(3, 3, strides=2), (None, 4, 5, 2), (None, 9, 11, 3)),
    (lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
     (None, 4, 5, 2), (None, 8, 10, 3)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=3), (None, 5, 5, 2), (None, 3, 3, 6)),
    (lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (None, 7, 6, 3),
     (None, 4, 3, 3)),
    (lambda: layers.GlobalAveragePooling2D(keepdims=True), (None, 4, 4, 3), (None, 1, 1, 3)),
    (lambda: layers.ZeroPadding2D(((1, 0), (2, 2))), (None, 3, 3, 1), (None, 4, 7, 1)),
    (lambda: layers.Cropping2D(((1, 0), (0, 2)), data_format="channels_first"),
     (None, 2, 5, 5), (None, 2, 4, 3)),
    (lambda: layers.UpSampling3D((1, 2, 3)), (None, 2, 2, 2, 1), (None, 2, 4, 6, 1)),
])
def test_output_shapes_match_the_computation(make, shape, expected):
    layer = make()
    assert layer.compute_output_shape(shape) == expected
    x = np.random.default_rng(1).normal(size=(2,) + shape[1:]).astype("float32")
    assert layer(x).shape == (2,) + expected[1:]


def test_parameter_counts_are_keras():
    model = lamina.Sequential([
        lamina.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
        layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    assert [layer.count_params() for layer in model.layers] == [320, 0, 18496, 0, 0, 0, 16010]
    sep = layers.SeparableConv2D(8, 3, depth_multiplier=2)
    sep.build((None, 6, 6, 3))
    assert sep.count_params() == 3 * 3 * 3 * 2 + 6 * 8 + 8


def test_a_small_cnn_trains_through_the_engine_as_eagerly():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int64")

    def run(run_eagerly):
        lamina.utils.set_random_seed(3)
        model = lamina.Sequential([
            lamina.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(), layers.Conv2D(6, 3, activation="relu"),
            layers.GlobalAveragePooling2D(), layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], run_eagerly=run_eagerly)
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return model, history.history

    traced, h_traced = run(False)
    eager, h_eager = run(True)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(h_traced["loss"], h_eager["loss"], rtol=1e-6)
    assert h_traced["loss"][-1] < h_traced["loss"][0]


# -- bad input ---------------------------------------------------------------------------------


def test_a_batch_of_grayscale_images_without_a_channel_axis():
    layer = layers.Conv2D(8, 3, name="first_conv")
    with pytest.raises(ValueError, match=r"Conv2D 'first_conv' expects inputs of shape "
                                         r"\(batch, height, width, channels\) \(4 dimensions\) "
                                         r"but got shape \(5, 28, 28\).*x\[\.\.\., None\]"):
        layer(np.zeros((5, 28, 28), "float32"))


def test_channels_first_layout_is_named():
    with pytest.raises(ValueError, match=r"\(batch, channels, height, width\)"):
        layers.MaxPooling2D(data_format="channels_first")(np.zeros((5, 28, 28), "float32"))


def test_a_kernel_larger_than_its_input():
    with pytest.raises(ValueError, match=r"the window \(5, 5\) is larger than the input's "
                                         r"spatial size.*padding='same'"):
        layers.Conv2D(2, 5)(np.zeros((1, 3, 3, 1), "float32"))


def test_wrong_channel_count_after_building():
    layer = layers.Conv2D(2, 3)
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"built for inputs with 3 channels.*data_format="):
        layer(np.zeros((1, 5, 5, 4), "float32"))


@pytest.mark.parametrize("make,message", [
    (lambda: layers.Conv2D(0, 3), "`filters` must be a positive integer"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), "`kernel_size` must be an int or 2 ints"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), "`padding` must be one of"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "strides > 1 cannot be combined"),
    (lambda: layers.Conv2D(3, 3, groups=2), "must be a multiple of `groups`"),
    (lambda: layers.Conv2DTranspose(3, 3, strides=2, output_padding=2),
     "smaller than its stride"),
    (lambda: layers.MaxPooling2D(data_format="nchw"), "`data_format` must be"),
])
def test_bad_arguments_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


CONV_T_CASES = [(4, 2, 0), (4, 2, 1), (3, 2, 0), (3, 2, 1), (5, 3, 2), (2, 2, 0), (1, 2, 1)]


@pytest.mark.parametrize("i", range(len(CONV_T_CASES)))
def test_same_transposed_conv_with_output_padding_matches_keras(i):
    # Keras 3.15.1 on PyTorch (TensorFlow refuses some of these output sizes).
    ref = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras",
                               "conv_transpose_output_padding.npz"))
    k, s, op = CONV_T_CASES[i]
    layer = layers.Conv2DTranspose(2, k, strides=s, padding="same", output_padding=op)
    layer.build(ref["x"].shape)
    layer.set_weights([ref[f"kernel{i}"], np.zeros(2, "float32")])
    np.testing.assert_allclose(np.asarray(layer(ref["x"])), ref[f"out{i}"], atol=2e-6)
