#!/usr/bin/env python
"""Keras's ImageNet architectures, summarized for lamina's tests (no weight files stored).

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_applications_fixtures.py

For each case Keras builds the model with ``weights=None`` and the script records the
model's name, parameter count, output shape, its layers (name and class, in order) and its
weights (path and shape, in order) in tests/fixtures/keras/applications.json. For the small
cases marked "outputs", every weight is then set from a NumPy generator seeded with 7, in
the order of ``model.weights`` (see ``seeded_values``; the test does the same in lamina),
and Keras's outputs on seeded images are kept in tests/fixtures/keras/applications.npz.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

CASES = [
    ("mobilenet_v2_035_32", "MobileNetV2",
     {"alpha": 0.35, "input_shape": [32, 32, 3], "classes": 10, "classifier_activation": None},
     True),
    ("mobilenet_v2_default", "MobileNetV2", {}, False),
    ("mobilenet_v2_140_96_avg", "MobileNetV2",
     {"alpha": 1.4, "include_top": False, "pooling": "avg", "input_shape": [96, 96, 3]}, False),
    ("resnet50_default", "ResNet50", {}, False),
    ("resnet50_notop_max", "ResNet50",
     {"include_top": False, "pooling": "max", "input_shape": [64, 64, 3]}, False),
    ("vgg16_default", "VGG16", {}, False),
    ("vgg16_notop_32", "VGG16", {"include_top": False, "input_shape": [32, 32, 3]}, False),
    ("efficientnetb0_default", "EfficientNetB0", {}, False),
    ("efficientnetb0_32", "EfficientNetB0",
     {"input_shape": [32, 32, 3], "classes": 10, "classifier_activation": None}, True),
    ("efficientnetb0_notop_avg", "EfficientNetB0",
     {"include_top": False, "pooling": "avg", "input_shape": [64, 64, 3]}, False),
]


def seeded_values(weights, seed=7):
    """One value per weight, drawn in order: variances and scales near 1, the rest small."""
    rng = np.random.default_rng(seed)
    values = []
    for path, shape, dtype in weights:
        leaf = path.split("/")[-1]
        if leaf in ("gamma", "moving_variance", "variance"):
            v = rng.random(shape) * 0.5 + 0.75
        elif leaf == "count":
            v = np.full(shape, 10.0)
        else:
            v = rng.standard_normal(shape) * 0.1
        values.append(np.asarray(v, dtype=dtype))
    return values


def main():
    record, arrays = {"keras": keras.__version__, "cases": []}, {}
    for case_id, fn, kwargs, outputs in CASES:
        keras.utils.clear_session()
        args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        model = getattr(keras.applications, fn)(weights=None, **args)
        weights = [(w.path, tuple(w.shape), w.dtype) for w in model.weights]
        entry = {"id": case_id, "fn": fn, "kwargs": kwargs, "name": model.name,
                 "params": int(model.count_params()),
                 "output_shape": list(model.output.shape),
                 "layers": [[layer.name, type(layer).__name__] for layer in model.layers],
                 "weights": [[p, list(s)] for p, s, _ in weights], "outputs": outputs}
        if outputs:
            for w, v in zip(model.weights, seeded_values(weights)):
                w.assign(v)
            x = (np.random.default_rng(8).random((2, *kwargs["input_shape"])) * 255.0) \
                .astype("float32")
            arrays[f"{case_id}/x"] = x
            arrays[f"{case_id}/y"] = np.asarray(model.predict(x, verbose=0))
        record["cases"].append(entry)
        print(f"  {case_id}: {entry['params']} parameters, {len(entry['layers'])} layers")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "applications.json").write_text(json.dumps(record) + "\n")
    np.savez_compressed(OUT / "applications.npz", **arrays)


if __name__ == "__main__":
    main()
