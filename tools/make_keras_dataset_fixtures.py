#!/usr/bin/env python
"""What Keras's imdb, reuters, boston_housing and california_housing loaders make of small files.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_dataset_fixtures.py

Builds small synthetic files under Keras's names (``imdb.npz``, ``reuters.npz``,
``boston_housing.npz``, ``california_housing.npz``) in a temporary KERAS_HOME,
runs Keras's ``load_data`` on them with several arguments, and writes
tests/fixtures/keras/datasets.json (the sequence inputs and Keras's outputs) and
datasets.npz (the housing inputs and outputs). Keras's ``get_file`` is replaced
by a lookup in that folder: the synthetic files do not have Keras's hashes, and
nothing may be downloaded. The inputs come from fixed seeds, so a rerun gives
the same files.
"""

import json
import os
import tempfile
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
HOME = tempfile.mkdtemp(prefix="keras_home_")
os.environ["KERAS_HOME"] = HOME

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.datasets import boston_housing, california_housing, imdb, reuters  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
DATA = os.path.join(HOME, "datasets")

SEQUENCE_CASES = {
    "imdb": [{}, {"num_words": 10, "skip_top": 2}, {"maxlen": 8}, {"maxlen": 6}, {"maxlen": 2},
             {"start_char": None, "index_from": 0}, {"start_char": None},
             {"oov_char": None, "num_words": 12}, {"seed": 7, "index_from": 1}],
    "reuters": [{}, {"num_words": 10, "test_split": 0.3}, {"maxlen": 6, "oov_char": None},
                {"start_char": None, "index_from": 2, "seed": 5}, {"test_split": 0.0}],
}
HOUSING_CASES = {
    "boston_housing": [{}, {"test_split": 0.25, "seed": 1}, {"test_split": 0.0}],
    "california_housing": [{}, {"version": "small"},
                           {"version": "small", "test_split": 0.5, "seed": 3}],
}


def no_download(fname=None, origin=None, cache_subdir="datasets", **_):
    path = os.path.join(HOME, cache_subdir, fname)
    assert os.path.exists(path), f"{path} missing: the fixture tool never downloads"
    return path


def reviews(rng, n):
    """``n`` lists of word ranks (1 = most frequent), 1 to 11 words long, as Python ints."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        length = int(rng.randint(1, 12))
        out[i] = [int(w) for w in np.minimum(rng.geometric(0.15, size=length), 40)]
    return out


def sequence_inputs():
    rng = np.random.RandomState(18)
    files = {
        "imdb": {"x_train": reviews(rng, 14), "y_train": rng.randint(0, 2, 14),
                 "x_test": reviews(rng, 10), "y_test": rng.randint(0, 2, 10)},
        "reuters": {"x": reviews(rng, 17), "y": rng.randint(0, 46, 17)},
    }
    for name, arrays in files.items():
        np.savez(os.path.join(DATA, f"{name}.npz"), **arrays)
    return {name: {k: (v.tolist() if v.dtype == object else v.tolist())
                   for k, v in arrays.items()} for name, arrays in files.items()}


def describe(split):
    x, y = split
    return {"x": [list(map(int, s)) for s in x], "x_shape": list(x.shape),
            "x_dtype": str(x.dtype), "element_type": type(x.flat[0]).__name__ if x.size else None,
            "y": y.tolist(), "y_dtype": str(y.dtype)}


GET_FILE_CASES = [
    ("plain", {"fname": "copy.tar.gz"}),
    ("no_fname", {}),
    ("extract_with_extension", {"fname": "data.tar.gz", "extract": True}),
    ("extract_without_extension", {"fname": "data", "extract": True}),
    ("extract_no_fname", {"extract": True}),
    ("untar", {"fname": "old.tgz", "untar": True}),
    ("subdir", {"fname": "w.tar.gz", "cache_subdir": "models"}),
]


def get_file_cases():
    """Keras's get_file on a file:// origin: the path it returns and the files it leaves."""
    import io
    import tarfile

    from keras.src.utils.file_utils import get_file

    root = tempfile.mkdtemp(prefix="get_file_")
    source = os.path.join(root, "src.tar.gz")
    with tarfile.open(source, "w:gz") as tar:
        for name, data in (("pack/a.txt", b"a"), ("pack/sub/b.txt", b"bb")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out = []
    for case_id, kwargs in GET_FILE_CASES:
        cache = os.path.join(root, case_id)
        os.makedirs(cache)  # Keras falls back to /tmp/.keras for a cache_dir that is not there
        path = get_file(origin=Path(source).as_uri(), cache_dir=cache, **kwargs)
        files = sorted(os.path.relpath(os.path.join(d, f), cache)
                       for d, _, names in os.walk(cache) for f in names)
        out.append({"id": case_id, "kwargs": kwargs, "returned": os.path.relpath(path, cache),
                    "files": files})
    return out


def main():
    os.makedirs(DATA, exist_ok=True)
    for module in (imdb, reuters, boston_housing, california_housing):
        module.get_file = no_download
    inputs = sequence_inputs()
    rng = np.random.RandomState(19)
    arrays = {
        "boston_housing/x": rng.randint(0, 400, (37, 13)) / 4.0,
        "boston_housing/y": rng.randint(20, 200, 37) / 4.0,
        "california_housing/x": (rng.randint(0, 64, (611, 8)) / 8.0).astype("float32"),
        "california_housing/y": (rng.randint(100, 5000, 611) * 100.0).astype("float32"),
    }
    for name in HOUSING_CASES:
        np.savez(os.path.join(DATA, f"{name}.npz"), x=arrays[f"{name}/x"],
                 y=arrays[f"{name}/y"])
    cases = []
    for name, kwargs_list in SEQUENCE_CASES.items():
        loader = {"imdb": imdb, "reuters": reuters}[name]
        for i, kwargs in enumerate(kwargs_list):
            case = {"id": f"{name}_{i}", "dataset": name, "kwargs": kwargs}
            try:
                train, test = loader.load_data(**kwargs)
            except ValueError as err:  # Keras refuses it: lamina must refuse it too
                case["error"] = str(err)
            else:
                case.update(train=describe(train), test=describe(test))
            cases.append(case)
    for name, kwargs_list in HOUSING_CASES.items():
        loader = {"boston_housing": boston_housing,
                  "california_housing": california_housing}[name]
        for i, kwargs in enumerate(kwargs_list):
            case_id = f"{name}_{i}"
            (x_train, y_train), (x_test, y_test) = loader.load_data(**kwargs)
            for key, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                               ("y_test", y_test)):
                arrays[f"{case_id}/{key}"] = value
            cases.append({"id": case_id, "dataset": name, "kwargs": kwargs})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "datasets.json").write_text(json.dumps(
        {"keras": keras.__version__, "inputs": inputs, "cases": cases,
         "get_file": get_file_cases()}) + "\n")
    np.savez_compressed(OUT / "datasets.npz", **arrays)
    print(f"datasets: {len(cases)} cases")


if __name__ == "__main__":
    main()
