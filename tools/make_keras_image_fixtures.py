#!/usr/bin/env python
"""Make the image-preprocessing fixtures from real Keras (TensorFlow backend).

Run it with the reference environment (TensorFlow 2.21 / Keras 3.15.1); lamina and
its tests never need it:

    /opt/keras-ref/bin/python tools/make_keras_image_fixtures.py

It writes into tests/fixtures/keras_image/:

* ``cases.json`` + ``arrays.npz``: for each case a layer (class and arguments) or a
  ``keras.ops.image`` function, the input it ran on (``<id>/x``, or a shared input
  named in the case) and Keras's output (``<id>/y``); ``training`` says how the layer
  was called. Random layers are called with ``training=False`` and, with factor ranges
  of zero width (so the draw is fixed: ``uniform(a, a) == a``), with
  ``training=True``. ``RandomFlip`` in training records which images Keras flipped.
  Gradient cases (``<id>/c``, ``<id>/dx``) hold ``d sum(resize(x) * c) / dx``.
* ``configs.json``: ``get_config()`` and the serialized form of every layer, built
  with its required arguments only and with every argument set.
* ``keras_<kind>.keras`` + ``keras_<kind>.npz`` (``x``, ``y``): a small model per
  layer kind saved by Keras (the random layers in two: geometric and colour), and
  Keras's ``predict`` on ``x``; ``keras_augmented`` puts them all before a Dense layer.

Inputs come from fixed NumPy seeds; nothing depends on TensorFlow's random numbers
except the ``RandomFlip`` draw, which the tests read as a fact about Keras (each
image is either unchanged or turned by a half turn), not as numbers to repeat.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import json  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

warnings.filterwarnings("ignore")
tf.get_logger().setLevel("ERROR")
tf.config.experimental.enable_op_determinism()

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "keras_image"
F32 = np.float32
L = keras.layers


def dump_lines(items) -> str:
    """A JSON list with one item per line (small files, readable diffs)."""
    return "[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n"


def to_jsonable(obj):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return str(obj)


class Fixtures:
    def __init__(self):
        self.cases, self.arrays = [], {}

    def add(self, case_id, meta, **arrays):
        assert all(c["id"] != case_id for c in self.cases), case_id
        for k, v in arrays.items():
            self.arrays[f"{case_id}/{k}"] = np.asarray(v)
        self.cases.append(to_jsonable({"id": case_id, **meta, "arrays": sorted(arrays)}))

    def write(self):
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "cases.json").write_text(dump_lines(self.cases))
        np.savez_compressed(OUT / "arrays.npz", **self.arrays)
        print(f"  cases.json / arrays.npz: {len(self.cases)} cases", file=sys.stderr)


def inputs():
    r = np.random.default_rng(2024)
    img = r.uniform(0, 255, (2, 7, 9, 3)).astype(F32)
    return {
        "img": img,  # (2, 7, 9, 3), values in [0, 255]
        "img_cf": np.ascontiguousarray(img.transpose(0, 3, 1, 2)),  # channels_first
        "single": img[0],  # one image (7, 9, 3)
        "img_u8": r.integers(0, 256, (2, 7, 9, 3)).astype(np.uint8),
        "small": r.uniform(0, 1, (2, 5, 6, 2)).astype(F32),
    }


# (layer class, kwargs, input name, training) for every layer output the tests compare.
def layer_cases():
    cases = {
        "rescaling_default": ("Rescaling", {"scale": 1 / 255}, "img", None),
        "rescaling_offset": ("Rescaling", {"scale": 1 / 127.5, "offset": -1}, "img", None),
        "rescaling_uint8": ("Rescaling", {"scale": 0.5, "offset": 0.25}, "img_u8", None),
        "resizing_up": ("Resizing", {"height": 11, "width": 13}, "img", None),
        "resizing_down": ("Resizing", {"height": 4, "width": 5}, "img", None),
        "resizing_mixed": ("Resizing", {"height": 3, "width": 16}, "img", None),
        "resizing_nearest_up": ("Resizing", {"height": 10, "width": 14,
                                             "interpolation": "nearest"}, "img", None),
        "resizing_nearest_down": ("Resizing", {"height": 4, "width": 4,
                                               "interpolation": "nearest"}, "img", None),
        "resizing_crop": ("Resizing", {"height": 5, "width": 4, "crop_to_aspect_ratio": True},
                          "img", None),
        "resizing_crop_nearest": ("Resizing", {"height": 4, "width": 8, "interpolation": "nearest",
                                               "crop_to_aspect_ratio": True}, "img", None),
        "resizing_pad": ("Resizing", {"height": 8, "width": 5, "pad_to_aspect_ratio": True,
                                      "fill_value": 7.0}, "img", None),
        "resizing_pad_wide": ("Resizing", {"height": 4, "width": 12, "pad_to_aspect_ratio": True},
                              "img", None),
        "resizing_channels_first": ("Resizing", {"height": 5, "width": 11,
                                                 "data_format": "channels_first"}, "img_cf", None),
        "resizing_single": ("Resizing", {"height": 6, "width": 4}, "single", None),
        "resizing_uint8": ("Resizing", {"height": 5, "width": 12}, "img_u8", None),
        "resizing_uint8_nearest": ("Resizing", {"height": 5, "width": 12,
                                                "interpolation": "nearest"}, "img_u8", None),
        "center_crop": ("CenterCrop", {"height": 4, "width": 5}, "img", None),
        "center_crop_odd": ("CenterCrop", {"height": 2, "width": 8}, "img", None),
        "center_crop_larger": ("CenterCrop", {"height": 9, "width": 12}, "img", None),
        "center_crop_channels_first": ("CenterCrop", {"height": 3, "width": 4,
                                                      "data_format": "channels_first"},
                                       "img_cf", None),
        "center_crop_single": ("CenterCrop", {"height": 5, "width": 5}, "single", None),
        # RandomCrop in training with images no larger than the target: deterministic.
        "random_crop_equal_height": ("RandomCrop", {"height": 7, "width": 5, "seed": 1}, "img",
                                     True),
        # Keras 3.15.1 in training with images smaller than the target: it resizes the slice
        # [top:top + height, left:left + width] of its aspect-ratio box (here the whole image),
        # not the box itself as its documentation says (lamina resizes the box).
        "random_crop_smaller_training": ("RandomCrop", {"height": 9, "width": 12, "seed": 1},
                                         "img", True),
        # What Keras 3.15.1 does at inference (returns the images uncropped, keras#21868).
        "random_crop_inference": ("RandomCrop", {"height": 4, "width": 4, "seed": 1}, "img", False),
        "random_crop_inference_same_size": ("RandomCrop", {"height": 7, "width": 9, "seed": 1},
                                            "img", False),
        "random_contrast_fixed": ("RandomContrast", {"factor": (-0.4, 0.4), "seed": 1}, "img",
                                  True),
        "random_contrast_clip_only": ("RandomContrast", {"factor": 0.0,
                                                         "value_range": (0.2, 0.8)}, "small",
                                      True),
        "random_contrast_unit_range": ("RandomContrast", {"factor": (-0.3, 0.3),
                                                          "value_range": (0, 1)}, "small", True),
        "random_brightness_fixed": ("RandomBrightness", {"factor": (0.1, 0.1), "seed": 1}, "img",
                                    True),
        "random_brightness_darker": ("RandomBrightness", {"factor": (-0.3, -0.3),
                                                          "value_range": (0, 1)}, "small", True),
        "random_zoom_out": ("RandomZoom", {"height_factor": (0.3, 0.3)}, "img", True),
        "random_zoom_in_constant": ("RandomZoom", {
            "height_factor": (-0.25, -0.25), "width_factor": (-0.4, -0.4),
            "fill_mode": "constant", "fill_value": 3.0}, "img", True),
        "random_zoom_nearest": ("RandomZoom", {"height_factor": (0.5, 0.5), "width_factor":
                                               (-0.2, -0.2), "interpolation": "nearest",
                                               "fill_mode": "wrap"}, "img", True),
        "random_zoom_channels_first": ("RandomZoom", {"height_factor": (0.2, 0.2),
                                                      "data_format": "channels_first"},
                                       "img_cf", True),
    }
    for fill in ("reflect", "wrap", "constant", "nearest"):
        for interp in ("bilinear", "nearest"):
            cases[f"random_rotation_{fill}_{interp}"] = (
                "RandomRotation", {"factor": (0.1, 0.1), "fill_mode": fill,
                                   "interpolation": interp, "fill_value": 9.0}, "img", True)
        cases[f"random_translation_{fill}"] = (
            "RandomTranslation", {"height_factor": (0.2, 0.2), "width_factor": (-0.3, -0.3),
                                  "fill_mode": fill, "fill_value": 5.0}, "img", True)
    cases["random_rotation_negative"] = ("RandomRotation", {"factor": (-0.3, -0.3)}, "img", True)
    cases["random_rotation_single"] = ("RandomRotation", {"factor": (0.05, 0.05)}, "single", True)
    cases["random_rotation_channels_first"] = (
        "RandomRotation", {"factor": (0.2, 0.2), "data_format": "channels_first"}, "img_cf", True)
    cases["random_translation_nearest_interp"] = (
        "RandomTranslation", {"height_factor": (-0.35, -0.35), "width_factor": (0.45, 0.45),
                              "interpolation": "nearest"}, "img", True)
    # Inference: every random layer passes its input through.
    for name, kwargs in [("RandomFlip", {}), ("RandomRotation", {"factor": 0.2}),
                         ("RandomZoom", {"height_factor": 0.2}),
                         ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}),
                         ("RandomContrast", {"factor": 0.5}),
                         ("RandomBrightness", {"factor": 0.3})]:
        cases[f"inference_{name}"] = (name, dict(kwargs, seed=3), "img", False)
    return cases


def make_layer_outputs(fx, data):
    for case_id, (cls, kwargs, source, training) in layer_cases().items():
        layer = getattr(L, cls)(**kwargs)
        x = data[source]
        y = layer(x) if training is None else layer(x, training=training)
        fx.add(case_id, {"layer": cls, "kwargs": kwargs, "input": source, "training": training},
               y=np.asarray(y))
    # RandomFlip in training: which images Keras changed, per mode (a fact, not numbers).
    x = np.random.default_rng(5).uniform(0, 1, (16, 3, 4, 1)).astype(F32)
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        y = np.asarray(L.RandomFlip(mode, seed=11)(x, training=True))
        fx.add(f"random_flip_training_{mode}", {"layer": "RandomFlip", "kwargs": {"mode": mode},
                                                "training": True}, x=x, y=y)


def make_ops_outputs(fx):
    r = np.random.default_rng(77)
    x = r.standard_normal((3, 5, 6, 2)).astype(F32)
    transforms = np.zeros((3, 8), F32)
    angle, scale = r.uniform(-2, 2, 3), r.uniform(0.5, 1.8, 3)
    transforms[:, 0], transforms[:, 1] = scale * np.cos(angle), -scale * np.sin(angle)
    transforms[:, 3], transforms[:, 4] = scale * np.sin(angle), scale * np.cos(angle)
    transforms[:, 2], transforms[:, 5] = r.uniform(-9, 9, 3), r.uniform(-9, 9, 3)
    transforms[2, 6:] = [0.05, -0.08]  # one projective transform
    for fill in ("constant", "nearest", "wrap", "reflect"):
        for interp in ("nearest", "bilinear"):
            y = keras.ops.image.affine_transform(x, transforms, interpolation=interp,
                                                 fill_mode=fill, fill_value=0.5)
            fx.add(f"ops_affine_{fill}_{interp}", {
                "op": "affine_transform", "kwargs": {"interpolation": interp, "fill_mode": fill,
                                                     "fill_value": 0.5}},
                x=x, transform=transforms, y=np.asarray(y))
    for i, (size, interp) in enumerate([((9, 4), "bilinear"), ((2, 11), "bilinear"),
                                        ((7, 7), "nearest"), ((1, 1), "bilinear")]):
        y = keras.ops.image.resize(x, size, interpolation=interp)
        fx.add(f"ops_resize_{i}", {"op": "resize", "kwargs": {"size": size,
                                                              "interpolation": interp}},
               x=x, y=np.asarray(y))
    y = keras.ops.image.crop_images(x, top_cropping=1, left_cropping=2, target_height=3,
                                    target_width=3)
    fx.add("ops_crop_images", {"op": "crop_images", "kwargs": {
        "top_cropping": 1, "left_cropping": 2, "target_height": 3, "target_width": 3}},
        x=x, y=np.asarray(y))
    y = keras.ops.image.pad_images(x, top_padding=2, left_padding=1, bottom_padding=0,
                                   right_padding=3)
    fx.add("ops_pad_images", {"op": "pad_images", "kwargs": {
        "top_padding": 2, "left_padding": 1, "bottom_padding": 0, "right_padding": 3}},
        x=x, y=np.asarray(y))
    # TensorFlow's resize gradients: d sum(resize(x) * c) / dx.
    for i, (size, interp) in enumerate([((9, 4), "bilinear"), ((3, 13), "bilinear"),
                                        ((8, 3), "nearest")]):
        xt = tf.constant(x)
        c = r.standard_normal((3,) + size + (2,)).astype(F32)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            s = tf.reduce_sum(tf.image.resize(xt, size, method=interp) * c)
        fx.add(f"ops_resize_grad_{i}", {"op": "resize_grad", "kwargs": {
            "size": size, "interpolation": interp}}, x=x, c=c, dx=tape.gradient(s, xt).numpy())


CONFIG_CASES = [
    ("Rescaling", {"scale": 0.5}),
    ("Rescaling", {"scale": 1 / 127.5, "offset": -1, "name": "rescale"}),
    ("Rescaling", {"scale": np.array([1.0, 2.0, 3.0]), "offset": 0.5}),
    ("Resizing", {"height": 3, "width": 4}),
    ("Resizing", {"height": 5, "width": 6, "interpolation": "nearest",
                  "crop_to_aspect_ratio": True, "fill_value": 2.0, "data_format": "channels_first",
                  "dtype": "float64"}),
    ("Resizing", {"height": 5, "width": 6, "pad_to_aspect_ratio": True, "fill_value": 1.5}),
    ("CenterCrop", {"height": 3, "width": 4}),
    ("CenterCrop", {"height": 3, "width": 4, "data_format": "channels_first", "trainable": False}),
    ("RandomCrop", {"height": 3, "width": 4}),
    ("RandomCrop", {"height": 3, "width": 4, "seed": 7, "data_format": "channels_first"}),
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "vertical", "seed": 3, "data_format": "channels_first"}),
    ("RandomRotation", {"factor": 0.1}),
    ("RandomRotation", {"factor": (-0.2, 0.3), "fill_mode": "constant", "interpolation": "nearest",
                        "seed": 5, "fill_value": 1.0, "data_format": "channels_first"}),
    ("RandomRotation", {"factor": [0.4, -0.1]}),
    ("RandomZoom", {"height_factor": 0.2}),
    ("RandomZoom", {"height_factor": (-0.3, 0.2), "width_factor": [0.1, -0.1],
                    "fill_mode": "wrap", "interpolation": "nearest", "seed": 2, "fill_value": 4.0,
                    "data_format": "channels_first"}),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.2}),
    ("RandomTranslation", {"height_factor": (-0.1, 0.3), "width_factor": 0.5,
                           "fill_mode": "nearest", "interpolation": "nearest", "seed": 9,
                           "fill_value": 2.0}),
    ("RandomContrast", {"factor": 0.5}),
    ("RandomContrast", {"factor": (0.2, 0.6), "value_range": (0, 1), "seed": 4}),
    ("RandomContrast", {"factor": [-0.3, 0.3], "value_range": [-1, 1],
                        "data_format": "channels_first"}),
    ("RandomBrightness", {"factor": 0.2}),
    ("RandomBrightness", {"factor": (-0.4, 0.1), "value_range": (1, 0), "seed": 8}),
]


def make_configs():
    out = []
    for cls, kwargs in CONFIG_CASES:
        layer = getattr(L, cls)(**kwargs)
        out.append(to_jsonable({
            "layer": cls, "kwargs": kwargs, "config": layer.get_config(),
            "serialized": keras.saving.serialize_keras_object(layer)}))
    (OUT / "configs.json").write_text(dump_lines(out))
    print(f"  configs.json: {len(out)} layers", file=sys.stderr)


def model_files(data):
    shape = (7, 9, 3)
    models = {
        "rescaling": [L.Rescaling(1 / 127.5, offset=-1)],
        "resizing": [L.Resizing(5, 4, crop_to_aspect_ratio=True),
                     L.Resizing(8, 6, interpolation="nearest"),
                     L.Resizing(6, 6, pad_to_aspect_ratio=True, fill_value=1.0)],
        "center_crop": [L.CenterCrop(4, 5), L.CenterCrop(6, 8)],
        "random_crop": [L.RandomCrop(7, 9, seed=4)],
        "random_geometric": [L.RandomFlip("horizontal", seed=1),
                             L.RandomRotation(0.2, fill_mode="constant", seed=2),
                             L.RandomZoom(0.3, 0.1, seed=3),
                             L.RandomTranslation(0.2, 0.1, fill_mode="wrap", seed=4)],
        "random_color": [L.RandomContrast(0.4, seed=5), L.RandomBrightness(0.2, seed=6)],
    }
    x = data["img"]
    for name, layers in models.items():
        model = keras.Sequential([keras.Input(shape)] + layers, name=name)
        model.save(OUT / f"keras_{name}.keras")
        np.savez_compressed(OUT / f"keras_{name}.npz", x=x, y=model.predict(x, verbose=0))
    # A small classifier with augmentation in front and weights of its own.
    r = np.random.default_rng(8)
    model = keras.Sequential([
        keras.Input((8, 8, 3)), L.Rescaling(1 / 255), L.RandomFlip(seed=1),
        L.RandomRotation(0.1, seed=2), L.RandomZoom(0.1, seed=3),
        L.RandomTranslation(0.1, 0.1, seed=4), L.RandomContrast(0.2, seed=5),
        L.RandomBrightness(0.1, value_range=(0, 1), seed=6), L.CenterCrop(6, 6),
        L.Flatten(), L.Dense(3, activation="softmax")], name="augmented")
    model.layers[-1].set_weights([r.standard_normal((108, 3)).astype(F32) * 0.3,
                                  r.standard_normal(3).astype(F32) * 0.1])
    x = r.uniform(0, 255, (4, 8, 8, 3)).astype(F32)
    model.save(OUT / "keras_augmented.keras")
    np.savez_compressed(OUT / "keras_augmented.npz", x=x, y=model.predict(x, verbose=0))
    print(f"  keras_*.keras: {len(models) + 1} files", file=sys.stderr)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    data = inputs()
    fx = Fixtures()
    for name, arr in data.items():
        fx.arrays[f"inputs/{name}"] = arr
    make_layer_outputs(fx, data)
    make_ops_outputs(fx)
    fx.write()
    make_configs()
    model_files(data)
    meta = {"keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__}
    (OUT / "versions.json").write_text(json.dumps(meta, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"  total {total / 1024:.0f} KB in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
