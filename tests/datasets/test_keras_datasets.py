"""imdb, reuters, boston_housing and california_housing, on small files in a temporary KERAS_HOME.

The inputs and Keras's outputs come from tools/make_keras_dataset_fixtures.py, which ran
Keras 3.15.1's loaders on the same synthetic files.
"""

import json
import os

import numpy as np
import pytest

from lamina.datasets import boston_housing, california_housing, imdb, reuters

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras")
with open(os.path.join(FIXTURES, "datasets.json")) as _f:
    REF = json.load(_f)
LOADERS = {"imdb": imdb, "reuters": reuters, "boston_housing": boston_housing,
           "california_housing": california_housing}


def _object_array(lists):
    out = np.empty(len(lists), dtype=object)
    for i, seq in enumerate(lists):
        out[i] = seq
    return out


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """Keras's cache folder with the fixture's synthetic files under Keras's names."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data = tmp_path / "datasets"
    data.mkdir()
    for name, arrays in REF["inputs"].items():
        np.savez(data / f"{name}.npz",
                 **{k: _object_array(v) if k.startswith("x") else np.array(v)
                    for k, v in arrays.items()})
    with np.load(os.path.join(FIXTURES, "datasets.npz")) as ref:
        for name in ("boston_housing", "california_housing"):
            np.savez(data / f"{name}.npz", x=ref[f"{name}/x"], y=ref[f"{name}/y"])
    return data


def _check_split(got, expected):
    x, y = got
    assert x.dtype == np.dtype(expected["x_dtype"]) and list(x.shape) == expected["x_shape"]
    assert [list(s) for s in x] == expected["x"]
    if x.size:
        assert type(x.flat[0]).__name__ == expected["element_type"]
    assert y.dtype == np.dtype(expected["y_dtype"]) and y.tolist() == expected["y"]


SEQUENCE_CASES = [c for c in REF["cases"] if c["dataset"] in ("imdb", "reuters")]
HOUSING_CASES = [c for c in REF["cases"] if c["dataset"].endswith("housing")]


@pytest.mark.parametrize("case", SEQUENCE_CASES, ids=[c["id"] for c in SEQUENCE_CASES])
def test_sequences_match_keras(keras_home, case):
    loader = LOADERS[case["dataset"]]
    if "error" in case:
        with pytest.raises(ValueError, match="kept no review"):
            loader.load_data(**case["kwargs"])
        return
    train, test = loader.load_data(**case["kwargs"])
    _check_split(train, case["train"])
    _check_split(test, case["test"])


@pytest.mark.parametrize("case", HOUSING_CASES, ids=[c["id"] for c in HOUSING_CASES])
def test_housing_matches_keras(keras_home, case):
    (x_train, y_train), (x_test, y_test) = LOADERS[case["dataset"]].load_data(**case["kwargs"])
    with np.load(os.path.join(FIXTURES, "datasets.npz")) as ref:
        for key, got in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                         ("y_test", y_test)):
            expected = ref[f"{case['id']}/{key}"]
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)


def test_missing_files_say_what_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    expected = str(tmp_path / "datasets" / "imdb.npz")
    with pytest.raises(FileNotFoundError, match="imdb.npz") as err:
        imdb.load_data()
    assert expected in str(err.value) and imdb.ORIGIN in str(err.value)
    with pytest.raises(FileNotFoundError, match=r"reuters\.get_word_index\(\).*reuters_word"):
        reuters.get_word_index()
    for module in (boston_housing, california_housing, reuters):
        with pytest.raises(FileNotFoundError, match=module.ORIGIN):
            module.load_data()


def test_word_index_and_label_names(keras_home):
    (keras_home / "imdb_word_index.json").write_text(json.dumps({"the": 1, "film": 19}))
    assert imdb.get_word_index() == {"the": 1, "film": 19}
    (keras_home / "reuters_word_index.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="word index"):
        reuters.get_word_index()
    names = reuters.get_label_names()
    assert isinstance(names, tuple) and len(names) == 46
    assert (names[0], names[3], names[-1]) == ("cocoa", "earn", "lead")


def test_bad_arguments_are_named(keras_home):
    with pytest.raises(ValueError, match="'num_words' argument of imdb"):
        imdb.load_data(num_words=-1)
    with pytest.raises(ValueError, match="'test_split' argument of boston_housing"):
        boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="'version' argument.*'large' or 'small'"):
        california_housing.load_data(version="medium")
    with pytest.warns(UserWarning, match="ignores the arguments"):
        imdb.load_data(nb_words=10)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_pickle_that_runs_code_is_refused(keras_home):
    (keras_home / "imdb.npz").unlink()
    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 2], _Evil()
    np.savez(keras_home / "imdb.npz", x_train=x, y_train=np.zeros(2), x_test=x,
             y_test=np.zeros(2))
    with pytest.raises(ValueError, match="refusing to load 'posix.system'"):
        imdb.load_data()


def test_keras_paths_under_compat():
    import lamina.compat

    lamina.compat.install()
    try:
        from keras.datasets import california_housing as ch
        from keras.datasets import imdb as keras_imdb

        assert keras_imdb is imdb and ch is california_housing
    finally:
        lamina.compat.uninstall()
