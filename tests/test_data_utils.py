"""``to_categorical``, ``normalize``, ``PyDataset`` and the second tutorial's ``ages`` data."""

import math
import warnings

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.datasets import ages
from lamina.utils import PyDataset, normalize, to_categorical

# --------------------------------------------------------------------------------------------
# to_categorical


def test_to_categorical_one_hot_rows():
    out = to_categorical([0, 2, 1, 2])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.float64  # as Keras: a float NumPy array


def test_to_categorical_num_classes_shapes_and_inputs():
    assert to_categorical(np.array([1, 0]), num_classes=4).shape == (2, 4)
    assert to_categorical(np.array([[1], [0], [2]])).shape == (3, 3)  # trailing 1 dropped
    assert to_categorical(np.array([[1, 0], [2, 2]])).shape == (2, 2, 3)
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical(lamina.ops.convert_to_tensor([1, 0])),
                                  [[0, 1], [1, 0]])


def test_to_categorical_errors_say_what_to_do():
    with pytest.raises(ValueError, match=r"label 3 but num_classes=3.*y - 1"):
        to_categorical([1, 2, 3], num_classes=3)
    with pytest.raises(ValueError, match="negative"):
        to_categorical([0, -1])
    with pytest.raises(ValueError, match="whole-number"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="np.unique"):
        to_categorical(np.array(["cat", "dog"]))


def test_to_categorical_labels_train_with_categorical_crossentropy():
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = to_categorical(np.arange(32) % 3)
    model = lamina.Sequential([layers.Dense(3, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# --------------------------------------------------------------------------------------------
# normalize


def test_normalize_l2_and_l1():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0, 0], [0.5**0.5, -(0.5**0.5)]])
    np.testing.assert_allclose(normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [0.5, -0.5]])
    np.testing.assert_allclose(normalize(x, axis=0)[:, 0], np.array([3, 0, 1]) / 10**0.5)


def test_normalize_returns_numpy_for_numpy_and_tensor_for_tensor():
    x = np.array([[3.0, 4.0]], dtype="float32")
    assert isinstance(normalize(x), np.ndarray)
    out = normalize(lamina.ops.convert_to_tensor(x))
    assert isinstance(out, lamina.Tensor)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(normalize([[0, 5]]), [[0.0, 1.0]])


# --------------------------------------------------------------------------------------------
# PyDataset


class Batches(PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0
        self.order = np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1
        self.order = np.random.default_rng(self.epochs_ended).permutation(len(self.x))


def _data(n=50):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 2)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0]], "float32") + 0.5)


def test_pydataset_trains_like_arrays_and_calls_on_epoch_end():
    x, y = _data()
    data = Batches(x, y, batch_size=16, workers=4)
    assert len(data) == 4 and data.num_batches == 4 and data.workers == 4
    assert [len(b[0]) for b in data] == [16, 16, 16, 2]  # iterating gives one epoch
    model = lamina.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(data, epochs=3, verbose=0)
    assert data.epochs_ended == 3
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(data, verbose=0).shape == (50, 1)


def test_pydataset_gives_the_same_numbers_as_unshuffled_arrays():
    x, y = _data()
    results = []
    for source in ("dataset", "arrays"):
        lamina.utils.set_random_seed(0)
        model = lamina.Sequential([layers.Dense(1, input_shape=(2,))])
        model.compile(optimizer="sgd", loss="mse")
        if source == "dataset":
            data = Batches(x, y, batch_size=10)
            data.on_epoch_end = lambda: None  # keep the order fixed
            model.fit(data, epochs=2, verbose=0)
        else:
            model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_pydataset_defaults_and_missing_methods():
    class NoLength(PyDataset):
        def __init__(self):
            super().__init__()

    data = NoLength()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    with pytest.raises(NotImplementedError, match="__len__"):
        len(data)
    with pytest.raises(NotImplementedError, match="__getitem__"):
        data[0]

    class Endless(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return np.zeros((2, 1)), np.zeros((2, 1))

    endless = Endless()
    with pytest.raises(TypeError, match="steps_per_epoch"):
        len(endless)
    first = next(iter(endless))
    assert first[0].shape == (2, 1)


def test_pydataset_warns_when_super_init_is_not_called():
    class Forgetful(PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

    data = Forgetful()
    with pytest.warns(UserWarning, match=r"super\(\).__init__"):
        assert data.workers == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert data.max_queue_size == 10  # warned once; the defaults are now set


# --------------------------------------------------------------------------------------------
# ages


def test_ages_reproduce_the_tutorial_trial():
    samples, labels = ages.load_data()
    assert samples.shape == (2100, 1) and labels.shape == (2100,)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    years = ages.load_data(scale=False)[0][:, 0]
    assert years.min() >= 13 and years.max() <= 100
    np.testing.assert_allclose(samples[:, 0], (years - 13) / 87)
    older = years >= 65
    assert older.sum() == 1050
    assert labels[older].sum() == 1000 and labels[~older].sum() == 50  # 50 of each go against
    again = ages.load_data()
    np.testing.assert_array_equal(again[1], labels)
    assert not np.array_equal(ages.load_data(seed=1)[1], labels)


def test_ages_size_and_errors():
    samples, labels = ages.load_data(n=42)
    assert samples.shape == (42, 1) and labels.sum() == 21
    with pytest.raises(ValueError, match="even number"):
        ages.load_data(n=7)


def test_exports_have_docstrings():
    import lamina.utils as utils

    for name in ("to_categorical", "normalize", "PyDataset"):
        assert name in utils.__all__
        assert getattr(utils, name).__doc__
    assert "ages" in lamina.datasets.__all__
