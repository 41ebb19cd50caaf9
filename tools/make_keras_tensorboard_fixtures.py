#!/usr/bin/env python
"""Which folders, tags and steps Keras's TensorBoard callback writes, for lamina's tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_tensorboard_fixtures.py

Trains the same small model as tests/callbacks/test_tensorboard.py (40 rows, batches of 10)
under a few TensorBoard settings and writes tests/fixtures/keras/tensorboard.json:
for each setting, ``{folder: {tag: [steps]}}`` read back from Keras's event files
(values are not recorded; they depend on the weights, which the test does not share),
and for the model's config (tag ``keras``) its plugin name.
"""

import json
import os
import tempfile
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

CASES = {
    "epoch_histograms": ({"histogram_freq": 2}, {"validation_split": 0.25, "epochs": 3}),
    "every_2_batches": ({"update_freq": 2, "write_steps_per_second": True}, {"epochs": 2}),
    "every_batch": ({"update_freq": "batch"}, {"epochs": 1, "batch_size": 20}),
    "graph": ({"write_graph": True}, {"epochs": 1}),
}


def model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu",
                                                                name="hidden"),
                          keras.layers.Dense(1, activation="sigmoid", name="out")])
    m.compile(keras.optimizers.SGD(0.05), "binary_crossentropy", metrics=["accuracy"])
    return m


def tags(folder):
    out = {}
    for sub in sorted(os.listdir(folder)):
        found = {}
        for name in sorted(os.listdir(os.path.join(folder, sub))):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, sub, name)):
                for value in event.summary.value:
                    found.setdefault(value.tag, []).append(int(event.step))
                    if value.tag == "keras":
                        found["keras_plugin"] = [value.metadata.plugin_data.plugin_name]
        out[sub] = found
    return out


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    record = {"keras": keras.__version__, "cases": {}}
    for name, (board_kwargs, fit_kwargs) in CASES.items():
        folder = tempfile.mkdtemp(prefix="tb_")
        board = keras.callbacks.TensorBoard(log_dir=folder, **{"write_graph": False,
                                                               **board_kwargs})
        fit_kwargs = {"batch_size": 10, **fit_kwargs}
        model().fit(x, y, verbose=0, shuffle=False, callbacks=[board], **fit_kwargs)
        record["cases"][name] = {"board": board_kwargs, "fit": fit_kwargs, "tags": tags(folder)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tensorboard.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"tensorboard: {len(record['cases'])} cases")


if __name__ == "__main__":
    main()
