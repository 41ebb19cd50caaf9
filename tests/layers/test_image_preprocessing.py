"""The image preprocessing layers and ``lamina.ops.image`` against real Keras 3.15.1.

tools/make_keras_image_fixtures.py (run with TensorFlow) wrote tests/fixtures/keras_image/:
layer and op outputs on fixed inputs (random layers at inference, and in training with
factor ranges of zero width, where the draw is fixed), every layer's config, and small
``.keras`` files with Keras's predictions. The rest checks lamina's own promises: training
against inference, seeds, distributions of the draws, layouts, errors, the engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_gradients
from helpers import run_doctests

import lamina
from lamina import layers, ops
from lamina.ops import image as image_ops

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras_image"
CASES = json.loads((FIXTURES / "cases.json").read_text())
CONFIGS = json.loads((FIXTURES / "configs.json").read_text())
with np.load(FIXTURES / "arrays.npz") as _data:
    ARRAYS = {k: _data[k] for k in _data.files}

RANDOM_LAYERS = {
    "RandomCrop": dict(height=4, width=5),
    "RandomFlip": {},
    "RandomRotation": dict(factor=0.2),
    "RandomZoom": dict(height_factor=0.3, width_factor=0.2),
    "RandomTranslation": dict(height_factor=0.2, width_factor=0.3),
    "RandomContrast": dict(factor=0.5),
    "RandomBrightness": dict(factor=0.3),
}


def _kwargs(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def _images(seed=0, shape=(4, 6, 7, 3)):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


# -- Keras parity -------------------------------------------------------------------------

# RandomCrop where Keras 3.15.1 departs from its own documentation (tests further down).
KERAS_RANDOM_CROP_QUIRKS = ("random_crop_inference", "random_crop_smaller_training")
LAYER_CASES = [c for c in CASES if "input" in c and c["id"] not in KERAS_RANDOM_CROP_QUIRKS]


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c["id"] for c in LAYER_CASES])
def test_layer_output_equals_keras(case):
    layer = getattr(layers, case["layer"])(**_kwargs(case["kwargs"]))
    x = ARRAYS[f"inputs/{case['input']}"]
    y = layer(x) if case["training"] is None else layer(x, training=case["training"])
    expected = ARRAYS[f"{case['id']}/y"]
    assert np.asarray(y).dtype == expected.dtype and y.shape == expected.shape
    # Bit for bit, except rotations (float32 sin/cos may differ from TensorFlow's by an ulp).
    atol = 5e-4 if "rotation" in case["id"] else 0
    np.testing.assert_allclose(np.asarray(y, np.float64), expected, rtol=0, atol=atol)


OP_CASES = [c for c in CASES if c.get("op") in ("affine_transform", "resize", "crop_images",
                                                 "pad_images")]


@pytest.mark.parametrize("case", OP_CASES, ids=[c["id"] for c in OP_CASES])
def test_ops_image_equals_keras_bit_for_bit(case):
    a = {k: ARRAYS[f"{case['id']}/{k}"] for k in case["arrays"]}
    kwargs = _kwargs(case["kwargs"])
    if case["op"] == "affine_transform":
        y = image_ops.affine_transform(a["x"], a["transform"], **kwargs)
    else:
        y = getattr(image_ops, case["op"])(a["x"], **kwargs)
    np.testing.assert_array_equal(np.asarray(y), a["y"])


@pytest.mark.parametrize("case", [c for c in CASES if c.get("op") == "resize_grad"],
                         ids=lambda c: c["id"])
def test_resize_gradient_equals_tensorflow(case):
    a = {k: ARRAYS[f"{case['id']}/{k}"] for k in case["arrays"]}
    x = ops.convert_to_tensor(a["x"])
    with lamina.GradientTape() as tape:
        tape.watch(x)
        s = ops.sum(ops.multiply(image_ops.resize(x, **_kwargs(case["kwargs"])), a["c"]))
    np.testing.assert_allclose(np.asarray(tape.gradient(s, x)), a["dx"], rtol=1e-5, atol=1e-5)


def test_random_crop_at_inference_crops_where_keras_3_15_returns_the_image_uncropped():
    # Keras documents a centred crop-and-resize at inference but returns its input as it is
    # (keras-team/keras#21868), so its output does not have the layer's output shape.
    x = ARRAYS["inputs/img"]
    np.testing.assert_array_equal(ARRAYS["random_crop_inference/y"], x)
    y = layers.RandomCrop(4, 4, seed=1)(x, training=False)
    np.testing.assert_array_equal(
        np.asarray(y), np.asarray(layers.Resizing(4, 4, crop_to_aspect_ratio=True)(x)))


def test_random_crop_of_small_images_resizes_the_aspect_ratio_box_as_documented():
    # Keras resizes the whole 7x9 image to 9x12 (a slice of `height` rows from its box's top);
    # its documentation, and lamina, resize the largest centred 6x9 window with ratio 9:12.
    x = ARRAYS["inputs/img"]
    np.testing.assert_array_equal(ARRAYS["random_crop_smaller_training/y"],
                                  np.asarray(layers.Resizing(9, 12)(x)))
    y = layers.RandomCrop(9, 12, seed=1)(x, training=True)
    np.testing.assert_array_equal(
        np.asarray(y), np.asarray(layers.Resizing(9, 12, crop_to_aspect_ratio=True)(x)))


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_keras_flips_each_image_whole_or_not_at_all(mode):
    # A fact about Keras 3: "horizontal_and_vertical" turns a chosen image by a half turn.
    x, keras_y = ARRAYS[f"random_flip_training_{mode}/x"], ARRAYS[f"random_flip_training_{mode}/y"]
    axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[mode]
    flipped = np.flip(x, axis=axes)
    for ours in (keras_y, np.asarray(layers.RandomFlip(mode, seed=4)(x, training=True))):
        same = (ours == x).all(axis=(1, 2, 3))
        turned = (ours == flipped).all(axis=(1, 2, 3))
        assert (same | turned).all() and same.any() and turned.any()


@pytest.mark.parametrize("entry", CONFIGS, ids=[f"{c['layer']}-{i}" for i, c in enumerate(CONFIGS)])
def test_config_equals_keras(entry):
    kwargs = _kwargs(entry["kwargs"])
    if isinstance(entry["config"].get("scale"), dict):  # Rescaling with an array scale
        kwargs["scale"] = np.asarray(kwargs["scale"], entry["config"]["scale"]["config"]["dtype"])
    layer = getattr(layers, entry["layer"])(**kwargs)
    ours = json.loads(json.dumps(lamina.saving.serialize_keras_object(layer)))
    keras = entry["serialized"]
    for config in (ours["config"], keras["config"]):
        if "name" not in kwargs:
            config.pop("name")
        if entry["layer"] == "RandomCrop" and "seed" not in kwargs:  # a random default seed
            assert isinstance(config.pop("seed"), int)
    assert list(ours["config"]) == list(keras["config"])  # same keys, in Keras's order
    assert ours == keras
    rebuilt = type(layer).from_config(layer.get_config())
    assert json.loads(json.dumps(rebuilt.get_config())) == json.loads(
        json.dumps(layer.get_config()))


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("keras_*.keras")))
def test_keras_file_loads_and_predicts_like_keras(name):
    with np.load(FIXTURES / f"{name}.npz") as data:
        x, expected = data["x"], data["y"]
    model = lamina.models.load_model(FIXTURES / f"{name}.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)


# -- training, inference, seeds -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_random_layers_transform_in_training_and_pass_through_at_inference(name):
    x = _images()
    layer = getattr(layers, name)(seed=1, **RANDOM_LAYERS[name])
    model = lamina.Sequential([lamina.Input(x.shape[1:]), layer])
    expected = x if name != "RandomCrop" else np.asarray(
        layers.Resizing(4, 5, crop_to_aspect_ratio=True)(x))
    for y in (layer(x, training=False), model(x, training=False), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(np.asarray(y), expected)
    # Keras 3's rule: a direct call, or a model call without the flag, transforms too.
    for y in (layer(x, training=True), layer(x), model(x)):
        assert y.shape == expected.shape and not np.array_equal(np.asarray(y), expected)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_same_seed_same_draws_and_new_draws_at_each_call(name):
    x = _images(1)
    a = getattr(layers, name)(seed=7, **RANDOM_LAYERS[name])
    b = getattr(layers, name)(seed=7, **RANDOM_LAYERS[name])
    first, second = np.asarray(a(x)), np.asarray(a(x))
    np.testing.assert_array_equal(first, np.asarray(b(x)))
    np.testing.assert_array_equal(second, np.asarray(b(x)))
    assert not np.array_equal(first, second)
    other = getattr(layers, name)(seed=8, **RANDOM_LAYERS[name])
    assert not np.array_equal(first, np.asarray(other(x)))


def test_unseeded_layers_repeat_after_set_random_seed():
    x = _images(2)
    runs = []
    for _ in range(2):
        lamina.utils.set_random_seed(5)
        model = lamina.Sequential([lamina.Input(x.shape[1:]), layers.RandomFlip(),
                                   layers.RandomRotation(0.3), layers.RandomCrop(5, 5)])
        runs.append(np.asarray(model(x, training=True)))
    np.testing.assert_array_equal(*runs)
    assert isinstance(model.layers[-1].get_config()["seed"], int)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS) + ["Resizing", "CenterCrop"])
def test_channels_first_equals_channels_last(name):
    x = _images(3)
    kwargs = dict(RANDOM_LAYERS.get(name, {"height": 4, "width": 9}))
    if name in RANDOM_LAYERS:
        kwargs["seed"] = 2
    last = getattr(layers, name)(**kwargs)
    first = getattr(layers, name)(data_format="channels_first", **kwargs)
    y_last = np.asarray(last(x, training=True))
    y_first = np.asarray(first(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), training=True))
    np.testing.assert_allclose(y_first.transpose(0, 2, 3, 1), y_last, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS) + ["Resizing", "CenterCrop"])
def test_one_image_without_batch_axis(name):
    x = _images(4, (1, 6, 7, 3))
    kwargs = dict(RANDOM_LAYERS.get(name, {"height": 3, "width": 9}))
    if name in RANDOM_LAYERS:
        kwargs["seed"] = 3
    batched = np.asarray(getattr(layers, name)(**kwargs)(x, training=True))
    single = np.asarray(getattr(layers, name)(**kwargs)(x[0], training=True))
    np.testing.assert_allclose(single, batched[0], rtol=1e-6, atol=1e-4)


# -- the distributions of the draws -----------------------------------------------------------


def _ramps(n, height, width):
    """Images whose channels are each pixel's x and y coordinates (bilinear keeps them exact)."""
    y, x = np.mgrid[0:height, 0:width].astype("float32")
    return np.broadcast_to(np.stack([x, y], axis=-1), (n, height, width, 2)).copy()


def test_flip_probability_is_one_half():
    x = np.arange(2, dtype="float32").reshape(1, 1, 2, 1).repeat(4000, axis=0)
    y = np.asarray(layers.RandomFlip("horizontal", seed=0)(x))
    assert abs(float((y[:, 0, 0, 0] == 1).mean()) - 0.5) < 0.03


def test_rotation_angles_are_uniform_in_the_factor_range():
    x = _ramps(600, 11, 11)
    y = np.asarray(layers.RandomRotation((-0.1, 0.05), seed=0, fill_mode="nearest")(x))
    # The pixel one step right of the centre reads the input at centre + (cos, sin).
    angle = np.degrees(np.arctan2(y[:, 5, 6, 1] - 5, y[:, 5, 6, 0] - 5))
    assert -36.01 <= angle.min() < -33 and 15 < angle.max() <= 18.01
    assert abs(angle.mean() - (-9.0)) < 1.5


def test_zoom_and_translation_draws_are_uniform():
    x = _ramps(600, 9, 21)
    zoom = np.asarray(layers.RandomZoom(0.3, seed=0, fill_mode="nearest")(x))
    scale = zoom[:, 4, 11, 0] - zoom[:, 4, 10, 0]  # the reading grid's step
    assert 0.7 <= scale.min() < 0.75 and 1.25 < scale.max() <= 1.3
    np.testing.assert_allclose(zoom[:, 5, 10, 1] - zoom[:, 4, 10, 1], scale, atol=1e-5)
    shift = np.asarray(layers.RandomTranslation(0.0, 0.1, seed=0, fill_mode="wrap")(x))
    dx = 10 - shift[:, 4, 10, 0]
    assert -2.1 <= dx.min() < -1.8 and 1.8 < dx.max() <= 2.1 and abs(dx.mean()) < 0.2


def test_contrast_factors_follow_keras_and_brightness_deltas_are_uniform():
    x = np.linspace(60, 120, 12, dtype="float32").reshape(1, 3, 4, 1).repeat(800, axis=0)
    y = np.asarray(layers.RandomContrast(0.5, seed=0)(x))
    mean = x[0].mean()
    factor = (y[:, 0, 0, 0] - mean) / (x[0, 0, 0, 0] - mean)
    # As in Keras 3, factor=0.5 is stored as (0, 0.5): the contrast factor lies in [1, 1.5].
    assert 1.0 <= factor.min() < 1.02 and 1.48 < factor.max() <= 1.5
    delta = np.asarray(layers.RandomBrightness(0.1, seed=0)(x))[:, 0, 0, 0] - 60
    assert -25.5 <= delta.min() < -23 and 23 < delta.max() <= 25.5


def test_random_crop_offsets_cover_every_window():
    x = np.arange(20, dtype="float32").reshape(1, 4, 5, 1)
    layer = layers.RandomCrop(2, 3, seed=0)
    corners = {float(np.asarray(layer(x))[0, 0, 0, 0]) for _ in range(200)}
    assert corners == {0.0, 1.0, 2.0, 5.0, 6.0, 7.0, 10.0, 11.0, 12.0}


# -- the engine ------------------------------------------------------------------------------


def _augmented_model(seed):
    return lamina.Sequential([
        lamina.Input((8, 8, 3)), layers.Rescaling(1 / 255), layers.RandomFlip(seed=seed),
        layers.RandomRotation(0.1, seed=seed), layers.RandomZoom(0.1, seed=seed),
        layers.RandomTranslation(0.1, 0.1, seed=seed), layers.RandomContrast(0.2, seed=seed),
        layers.RandomBrightness(0.1, value_range=(0, 1), seed=seed),
        layers.RandomCrop(6, 6, seed=seed), layers.Flatten(), layers.Dense(2)])


def test_fit_traces_the_augmentation_and_draws_anew_at_every_replayed_step():
    # LAMINA_ENGINE_STRICT=1 (conftest): a fall back to eager execution would raise.
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (48, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 2, 48)
    histories = []
    for eager in (False, True):
        lamina.utils.set_random_seed(1)
        model = _augmented_model(seed=3)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      run_eagerly=eager)
        histories.append(model.fit(x, y, batch_size=8, epochs=3, shuffle=False,
                                   verbose=0).history["loss"])
    # The compiled steps draw the same numbers, in the same order, as the eager steps.
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    assert model.predict(x, verbose=0).shape == (48, 2)


def test_replayed_plan_draws_fresh_brightness_every_batch():
    x = np.full((1, 1, 1, 1), 50.0, "float32")
    model = lamina.Sequential([lamina.Input((1, 1, 1)),
                               layers.RandomBrightness(0.2, value_range=(0, 100), seed=0),
                               layers.Flatten(), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=lamina.optimizers.SGD(0.0), loss="mse")
    losses = model.fit(x, np.zeros((1, 1)), epochs=6, verbose=0).history["loss"]
    assert len(set(np.round(losses, 4))) == 6


# -- saving ----------------------------------------------------------------------------------


def test_keras_file_round_trip_keeps_configs_and_predictions(tmp_path):
    model = lamina.Sequential([
        lamina.Input((7, 9, 3)), layers.Rescaling(np.array([0.5, 1.0, 2.0]), offset=-1),
        layers.Resizing(8, 8, interpolation="nearest", pad_to_aspect_ratio=True, fill_value=2.0),
        layers.CenterCrop(6, 7), layers.RandomFlip("vertical", seed=1),
        layers.RandomRotation((-0.2, 0.1), fill_mode="wrap", seed=2),
        layers.RandomZoom(0.2, (-0.1, 0.3), fill_mode="constant", fill_value=3.0, seed=3),
        layers.RandomTranslation(0.1, 0.2, interpolation="nearest", seed=4),
        layers.RandomContrast((0.1, 0.4), seed=5), layers.RandomBrightness(0.2, seed=6),
        layers.RandomCrop(5, 5, seed=7), layers.Flatten(), layers.Dense(2)])
    x = _images(5, (3, 7, 9, 3))
    model.save(tmp_path / "augmented.keras")
    loaded = lamina.models.load_model(tmp_path / "augmented.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(model.layers, loaded.layers):
        assert json.dumps(lamina.saving.serialize_keras_object(a)) == json.dumps(
            lamina.saving.serialize_keras_object(b))


# -- gradients of ops.image ------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    dict(size=(5, 3)), dict(size=(2, 7), interpolation="nearest"),
    dict(size=(3, 3), crop_to_aspect_ratio=True), dict(size=(4, 2), pad_to_aspect_ratio=True),
    dict(size=(4, 6), data_format="channels_first")])
def test_resize_gradient(kwargs):
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 2))
    check_gradients(lambda t: image_ops.resize(t, **kwargs), [x])


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "reflect"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_transform_gradient_for_the_images(fill_mode, interpolation):
    x = np.random.default_rng(2).standard_normal((2, 4, 5, 2))
    t = np.array([[0.9, -0.3, 1.2, 0.4, 1.1, -0.7, 0.0, 0.0],
                  [1.3, 0.2, -2.1, -0.1, 0.8, 1.6, 0.02, -0.03]], "float32")
    check_gradients(lambda a: image_ops.affine_transform(
        a, t, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.7), [x])


def test_crop_at_traced_offsets_gradient():
    x = np.random.default_rng(3).standard_normal((2, 5, 6, 1))
    top, left = ops.convert_to_tensor(np.int64(2)), ops.convert_to_tensor(np.int64(1))
    check_gradients(lambda a: image_ops.crop_images(
        a, top_cropping=top, left_cropping=left, target_height=3, target_width=4), [x])


# -- errors and the namespace -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS) + ["Resizing", "CenterCrop"])
def test_flat_images_are_refused_with_the_layout_and_the_fix(name):
    kwargs = dict(RANDOM_LAYERS.get(name, {"height": 4, "width": 4}))
    with pytest.raises(ValueError, match=rf"{name} '.+' expects images of shape \(batch, "
                       r"height, width, channels\).*\(32, 784\).*x\.reshape\(-1, 28, 28, 1\)"):
        getattr(layers, name)(**kwargs)(np.zeros((32, 784), "float32"))
    with pytest.raises(ValueError, match=r"\(None, 28, 28\).*Input\(\(28, 28, 1\)\)"):
        lamina.Sequential([lamina.Input((28, 28)), getattr(layers, name)(**kwargs)])


def test_channels_first_message_names_its_layout():
    with pytest.raises(ValueError, match=r"\(batch, channels, height, width\).*5 dimensions"):
        layers.RandomFlip(data_format="channels_first")(np.zeros((1, 2, 3, 4, 5)))


@pytest.mark.parametrize("make, match", [
    (lambda: layers.RandomRotation(1.5), "'factor' argument of RandomRotation"),
    (lambda: layers.RandomZoom(-1.0), r"'height_factor' argument of RandomZoom.*\(-1, 1\]"),
    (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)), "'width_factor'"),
    (lambda: layers.RandomContrast(-0.1), r"'factor' argument of RandomContrast.*\[0, 1\]"),
    (lambda: layers.RandomBrightness(0.1, value_range=5), "'value_range'"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "'fill_mode'.*reflect"),
    (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), "'interpolation'"),
    (lambda: layers.RandomFlip("diagonal"), "'mode' argument of RandomFlip"),
    (lambda: layers.RandomFlip(seed=1.5), "'seed' argument of RandomFlip"),
    (lambda: layers.Resizing(0, 4), "'height' argument of Resizing"),
    (lambda: layers.Resizing(3, 4, interpolation="lanczos3"), "'interpolation'"),
    (lambda: layers.Resizing(3, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
     "not both"),
    (lambda: layers.CenterCrop(3, "4"), "'width' argument of CenterCrop"),
    (lambda: layers.Rescaling("1/255"), "'scale' argument of Rescaling"),
    (lambda: layers.RandomCrop(3, 3, data_format="NHWC"), "'data_format'"),
    (lambda: layers.RandomFlip(bounding_box_format="xyxy"), "images only"),
])
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_ops_image_loads_lazily_and_stays_out_of_ops_all():
    code = ("import sys, lamina.ops; assert 'lamina.ops.image' not in sys.modules; "
            "import lamina; assert lamina.ops.image.resize; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    assert not {"image", "resize", "affine_transform"} & set(ops.__all__)
    assert set(image_ops.__all__) == {"affine_transform", "crop_images", "pad_images", "resize"}


def test_integer_images():
    x = np.random.default_rng(6).integers(0, 256, (2, 5, 6, 3)).astype("uint8")
    assert layers.Resizing(3, 9)(x).dtype == np.uint8
    assert layers.Rescaling(1 / 255)(x).dtype == np.float32
    assert layers.RandomRotation(0.1)(x).dtype == np.float32
    assert image_ops.resize(x, (3, 3)).dtype == np.float32
    assert image_ops.resize(x, (3, 3), interpolation="nearest").dtype == np.uint8


def test_docstring_examples_run():
    from lamina.layers import image_preprocessing as package
    from lamina.layers.image_preprocessing import (
        random_affine,
        random_color,
        random_crop,
        random_flip,
        rescaling,
        resizing,
    )

    modules = (image_ops, package, random_affine, random_color, random_crop, random_flip,
               rescaling, resizing)
    assert sum(run_doctests(m) for m in modules) >= 15
    for name in package.__all__ + image_ops.__all__:
        assert (getattr(package, name, None) or getattr(image_ops, name)).__doc__, name
