#!/usr/bin/env python
"""The public names of a few Keras 3 namespaces, so tests can hold lamina's to them.

Run with the reference environment (Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_namespace_fixtures.py

Writes tests/fixtures/keras/keras_namespaces.json: for each namespace (``keras``,
``keras.backend``, ``keras.preprocessing``, ...), its sorted public names.
"""

import importlib
import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
NAMESPACES = ["keras", "keras.backend", "keras.preprocessing", "keras.preprocessing.image",
              "keras.preprocessing.sequence", "keras.utils"]


def main():
    import keras

    names = {}
    for namespace in NAMESPACES:
        module = importlib.import_module(namespace)
        names[namespace] = sorted(n for n in dir(module) if not n.startswith("_"))
    same = {"keras.utils.Sequence is keras.utils.PyDataset": keras.utils.Sequence
            is keras.utils.PyDataset,
            "keras.utils.custom_object_scope is keras.utils.CustomObjectScope":
            keras.utils.custom_object_scope is keras.utils.CustomObjectScope,
            "keras.backend.clear_session is keras.utils.clear_session":
            keras.backend.clear_session is keras.utils.clear_session}
    with open(OUT / "keras_namespaces.json", "w") as f:
        json.dump({"keras": keras.__version__, "names": names, "identities": same}, f,
                  indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
