"""pad_sequences, timeseries_dataset_from_array and text_dataset_from_directory against Keras."""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
import lamina.data

FIXTURES = json.loads((Path(__file__).resolve().parent.parent / "fixtures" / "keras" /
                       "text.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("i", range(len(FIXTURES["pad"])))
def test_pad_sequences_matches_keras(i):
    case = FIXTURES["pad"][i]
    out = lamina.utils.pad_sequences(**case["kwargs"])
    assert out.dtype == np.dtype(case["dtype"])
    np.testing.assert_array_equal(out, np.asarray(case["output"], dtype=case["dtype"]))


@pytest.mark.parametrize("i", range(len(FIXTURES["timeseries"])))
def test_timeseries_windows_match_keras(i):
    case = FIXTURES["timeseries"][i]
    n = case["n"]
    data = np.arange(n * 2, dtype="float32").reshape(n, 2)
    targets = np.arange(n, dtype="int64") * 10 if case["targets"] else None
    ds = lamina.utils.timeseries_dataset_from_array(data, targets, **case["kwargs"])
    assert isinstance(ds, lamina.data.Dataset)
    got = []
    for batch in ds:
        if targets is None:
            got.append({"x": np.asarray(batch).tolist()})
        else:
            got.append({"x": np.asarray(batch[0]).tolist(), "y": np.asarray(batch[1]).tolist()})
    if case["kwargs"].get("shuffle"):
        # Keras's start permutation is NumPy's (same seed, same windows); the window buffer
        # shuffle draws from TensorFlow's generator, so compare the windows as a set.
        def pairs(batches):
            return sorted((str(x), y) for b in batches for x, y in zip(b["x"], b["y"]))

        assert pairs(got) == pairs(case["batches"])
        assert [len(b["x"]) for b in got] == [len(b["x"]) for b in case["batches"]]
    else:
        assert got == case["batches"]


def test_timeseries_bad_arguments():
    with pytest.raises(ValueError, match="sampling_rate"):
        lamina.utils.timeseries_dataset_from_array(np.arange(5), None, 2, sampling_rate=0)
    with pytest.raises(ValueError, match="end_index"):
        lamina.utils.timeseries_dataset_from_array(np.arange(5), None, 2, start_index=3,
                                                   end_index=2)


@pytest.fixture()
def text_folder(tmp_path):
    for rel, text in FIXTURES["directory"]["files"].items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("i", range(len(FIXTURES["directory"]["cases"])))
def test_text_dataset_from_directory_matches_keras(text_folder, i):
    case = FIXTURES["directory"]["cases"][i]
    ds = lamina.utils.text_dataset_from_directory(text_folder, verbose=False, **case["kwargs"])
    assert isinstance(ds, lamina.data.Dataset)
    texts, labels = [], []
    for batch in ds:
        if case["kwargs"].get("labels", "inferred") is None:
            texts += np.asarray(batch).tolist()
        else:
            texts += np.asarray(batch[0]).tolist()
            labels += np.asarray(batch[1]).tolist()
    assert ds.class_names == case["class_names"]
    if case["kwargs"].get("shuffle"):
        # The same files in each subset (Keras's seeded split); the order within an epoch
        # comes from TensorFlow's shuffle buffer, so compare the pairs as sets.
        assert sorted(zip(texts, map(str, labels))) == sorted(
            zip(case["texts"], map(str, case["labels"])))
    else:
        assert texts == case["texts"]
        np.testing.assert_allclose(np.asarray(labels), np.asarray(case["labels"]))


def test_text_dataset_feeds_text_vectorization(text_folder):
    ds = lamina.utils.text_dataset_from_directory(text_folder, batch_size=4, shuffle=False,
                                                  verbose=False)
    vectorize = lamina.layers.TextVectorization(output_sequence_length=5)
    vectorize.adapt(ds.map(lambda x, y: x))
    ids, labels = next(iter(ds.map(lambda x, y: (vectorize(x), y))))
    assert ids.shape == (4, 5) and labels.dtype == np.int32


def test_text_dataset_bad_arguments(text_folder):
    with pytest.raises(ValueError, match="label_mode"):
        lamina.utils.text_dataset_from_directory(text_folder, label_mode="sparse")
    with pytest.raises(ValueError, match="exactly 2 classes"):
        lamina.utils.text_dataset_from_directory(text_folder, label_mode="binary",
                                                 verbose=False)
    with pytest.raises(ValueError, match="validation_split"):
        lamina.utils.text_dataset_from_directory(text_folder, validation_split=1.5,
                                                 subset="training", seed=1)


def test_utils_exports_the_new_names():
    for name in ("pad_sequences", "text_dataset_from_directory", "timeseries_dataset_from_array"):
        assert name in dir(lamina.utils)
        assert getattr(lamina.utils, name).__doc__
