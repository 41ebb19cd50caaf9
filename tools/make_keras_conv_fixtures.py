#!/usr/bin/env python
"""Reference numbers of Keras's convolution and pooling ops, for lamina's tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_conv_fixtures.py

Writes tests/fixtures/keras/conv_ops.json (the cases) and conv_ops.npz (inputs, outputs, the
weights ``c`` of the weighted sum whose gradients are recorded, and those gradients).
channels_first convolutions are left out: TensorFlow cannot run them on a CPU (lamina's are
tested against its own channels_last results).
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

# (name, op, input shape, kernel shape(s) or pool size, keyword arguments)
SPECS = [
    ("conv2d_valid", "conv", (2, 7, 6, 3), [(3, 2, 3, 4)], {}),
    ("conv2d_same_strided", "conv", (2, 7, 6, 3), [(3, 2, 3, 4)],
     {"strides": 2, "padding": "same"}),
    ("conv2d_same_strides_2_1", "conv", (2, 9, 8, 3), [(3, 3, 3, 2)],
     {"strides": (2, 1), "padding": "same"}),
    ("conv2d_dilated", "conv", (2, 9, 8, 3), [(3, 3, 3, 2)],
     {"padding": "same", "dilation_rate": 2}),
    ("conv1d_same_strided", "conv", (2, 9, 3), [(4, 3, 5)], {"strides": 2, "padding": "same"}),
    ("conv3d_valid", "conv", (1, 5, 4, 6, 2), [(2, 3, 2, 2, 3)], {"strides": (1, 2, 1)}),
    ("conv2d_groups", "conv", (2, 6, 6, 4), [(3, 3, 2, 6)], {"padding": "same"}),
    ("depthwise_conv2d", "depthwise_conv", (2, 7, 6, 3), [(3, 3, 3, 2)],
     {"strides": 2, "padding": "same"}),
    ("separable_conv2d", "separable_conv", (2, 6, 6, 2), [(3, 3, 2, 2), (1, 1, 4, 3)],
     {"padding": "same"}),
    ("conv_transpose2d_valid", "conv_transpose", (2, 4, 5, 3), [(3, 3, 2, 3)], {"strides": 2}),
    ("conv_transpose2d_same", "conv_transpose", (2, 4, 5, 3), [(3, 3, 2, 3)],
     {"strides": 2, "padding": "same"}),
    ("conv_transpose2d_output_padding", "conv_transpose", (2, 4, 5, 3), [(3, 3, 2, 3)],
     {"strides": 2, "padding": "same", "output_padding": 1}),
    ("conv_transpose1d", "conv_transpose", (2, 5, 3), [(4, 2, 3)], {"strides": 3}),
    ("max_pool2d", "max_pool", (2, 6, 6, 3), 2, {}),
    ("max_pool2d_overlapping_same", "max_pool", (2, 7, 6, 3), 3,
     {"strides": 2, "padding": "same"}),
    ("max_pool1d", "max_pool", (2, 7, 3), 2, {"strides": 1}),
    ("average_pool2d", "average_pool", (2, 6, 6, 3), 2, {}),
    ("average_pool2d_overlapping_same", "average_pool", (2, 7, 6, 3), 3,
     {"strides": 2, "padding": "same"}),
    ("average_pool3d", "average_pool", (1, 4, 4, 4, 2), 2, {}),
]


def main():
    rng = np.random.default_rng(2024)
    arrays, cases = {}, []
    for name, op, x_shape, extra, kwargs in SPECS:
        inputs = [rng.standard_normal(x_shape).astype("float32")]
        if isinstance(extra, int):
            kwargs = dict(kwargs, pool_size=extra)
        else:
            inputs += [rng.standard_normal(s).astype("float32") for s in extra]
        tensors = [tf.constant(a) for a in inputs]
        with tf.GradientTape() as tape:
            for t in tensors:
                tape.watch(t)
            y = getattr(keras.ops, op)(*tensors, **kwargs)
            c = rng.standard_normal(tuple(y.shape)).astype("float32")
            total = tf.reduce_sum(y * c)
        grads = tape.gradient(total, tensors)
        arrays[f"{name}/y"], arrays[f"{name}/c"] = np.asarray(y), c
        for i, (a, g) in enumerate(zip(inputs, grads)):
            arrays[f"{name}/in{i}"], arrays[f"{name}/grad{i}"] = a, np.asarray(g)
        cases.append({"id": name, "op": op, "kwargs": kwargs, "inputs": len(inputs)})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "conv_ops.json").write_text(json.dumps(
        {"keras": keras.__version__, "tensorflow": tf.__version__, "cases": cases}, indent=1)
        + "\n")
    np.savez_compressed(OUT / "conv_ops.npz", **arrays)
    print(f"conv_ops: {len(cases)} cases")


if __name__ == "__main__":
    main()
