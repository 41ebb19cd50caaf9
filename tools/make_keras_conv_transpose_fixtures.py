#!/usr/bin/env python
"""Reference outputs of "same" transposed convolutions with an explicit ``output_padding``.

TensorFlow cannot compute some of these (its Conv2DBackpropInput refuses the output size
Keras asks for, e.g. kernel 4, stride 2, output_padding 0), so this script runs Keras 3.15.1
on its PyTorch backend, which computes Keras's padding for them:

    KERAS_BACKEND=torch /opt/keras-ref/bin/python tools/make_keras_conv_transpose_fixtures.py

Writes tests/fixtures/keras/conv_transpose_output_padding.npz (input, kernels, outputs).
"""

import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
# (kernel, stride, output_padding)
CASES = [(4, 2, 0), (4, 2, 1), (3, 2, 0), (3, 2, 1), (5, 3, 2), (2, 2, 0), (1, 2, 1)]


def main():
    assert os.environ.get("KERAS_BACKEND") == "torch", "run with KERAS_BACKEND=torch"
    import keras

    x = np.random.default_rng(0).standard_normal((1, 5, 6, 3)).astype("float32")
    arrays = {"x": x}
    for i, (k, s, op) in enumerate(CASES):
        layer = keras.layers.Conv2DTranspose(2, k, strides=s, padding="same", output_padding=op)
        layer.build(x.shape)
        kernel = np.random.default_rng(i + 1).standard_normal((k, k, 2, 3)).astype("float32")
        layer.set_weights([kernel, np.zeros(2, "float32")])
        arrays[f"kernel{i}"] = kernel
        arrays[f"out{i}"] = keras.ops.convert_to_numpy(layer(x))
    np.savez(OUT / "conv_transpose_output_padding.npz", **arrays)


if __name__ == "__main__":
    main()
