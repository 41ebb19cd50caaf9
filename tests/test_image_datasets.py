"""``image_dataset_from_directory`` and the image data sets (``mnist`` ... ``digits``).

The files, subsets, messages and pixels are compared with real Keras 3.15.1 /
TensorFlow 2.21 on the folder in ``tests/fixtures/keras_image_data/tree``
(``tools/make_keras_image_data_fixtures.py``); Keras's downloaded data sets are
faked with tiny files in a temporary ``KERAS_HOME``.
"""

import gzip
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

import lamina
from lamina.data import image_dataset as image_dataset_module
from lamina.datasets import cifar10, cifar100, digits, fashion_mnist, mnist
from lamina.utils import image_dataset_from_directory, image_utils

Image = pytest.importorskip("PIL.Image")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras_image_data")
TREE = os.path.join(FIXTURES, "tree")
SIZE = (6, 5)


@pytest.fixture(scope="module")
def keras_ref():
    with open(os.path.join(FIXTURES, "keras_image_data.json")) as f:
        table = json.load(f)
    with np.load(os.path.join(FIXTURES, "keras_image_data.npz")) as f:
        arrays = dict(f)
    return table, arrays


def rel(paths):
    return [os.path.relpath(p, TREE).replace(os.sep, "/") for p in paths]


def labels_of(ds):
    return [v for _, y in ds for v in np.asarray(y).tolist()]


def make_tree(root, counts=(3, 3), size=(8, 8), names=("a", "b")):
    """A folder of tiny PNGs, one subfolder per class; class k's pixels are all 40 * k + 10."""
    for k, (name, count) in enumerate(zip(names, counts)):
        os.makedirs(root / name, exist_ok=True)
        for i in range(count):
            Image.fromarray(np.full((*size, 3), 40 * k + 10 + i, np.uint8)).save(
                root / name / f"{i:02d}.png")
    return root


# --------------------------------------------------------------------------------------------
# the same files, subsets and messages as Keras


def test_training_and_validation_subsets_match_keras(keras_ref, capsys):
    table, _ = keras_ref
    cases = [c for c in table["splits"] if "subset" not in c]
    assert len(cases) == 12
    for case in cases:
        train, val = image_dataset_from_directory(
            TREE, image_size=SIZE, seed=case["seed"], validation_split=case["validation_split"],
            subset="both", batch_size=64)
        assert capsys.readouterr().out.splitlines() == case["printed"]
        assert train.class_names == val.class_names == case["class_names"]
        assert rel(train.file_paths) == case["train"]
        assert rel(val.file_paths) == case["validation"]
        assert labels_of(val) == case["validation_labels"]
        assert not set(train.file_paths) & set(val.file_paths)
        assert len(train.file_paths) + len(val.file_paths) == 17


def test_one_subset_per_call_matches_keras(keras_ref, capsys):
    table, _ = keras_ref
    cases = {c["subset"]: c for c in table["splits"] if "subset" in c}
    parts = {}
    for subset, case in cases.items():
        ds = image_dataset_from_directory(TREE, image_size=SIZE, seed=7, validation_split=0.25,
                                          subset=subset)
        assert capsys.readouterr().out.splitlines() == case["printed"]
        assert rel(ds.file_paths) == case["files"]
        parts[subset] = set(ds.file_paths)
    assert not parts["training"] & parts["validation"]
    assert len(parts["training"] | parts["validation"]) == 17


@pytest.mark.parametrize("name", ["sorted", "sorted_validation", "no_labels", "given_labels",
                                  "class_names_subset"])
def test_discovery_variants_match_keras(keras_ref, capsys, name):
    case = keras_ref[0]["variants"][name]
    kwargs = {
        "sorted": {"shuffle": False},
        "sorted_validation": {"shuffle": False, "validation_split": 0.3, "subset": "validation"},
        "no_labels": {"labels": None, "shuffle": False},
        "given_labels": {"labels": case.get("labels_in"), "seed": 5, "validation_split": 0.25,
                         "subset": "validation"},
        "class_names_subset": {"class_names": ["zebra", "cats"], "shuffle": False},
    }[name]
    ds = image_dataset_from_directory(TREE, image_size=SIZE, batch_size=64, **kwargs)
    assert capsys.readouterr().out.splitlines() == case["printed"]
    assert rel(ds.file_paths) == case["files"]
    if "class_names" in case:
        assert ds.class_names == case["class_names"]
    if name == "given_labels":  # a lone validation subset is shuffled (by tf.data in Keras)
        assert sorted(labels_of(ds)) == sorted(case["labels"])
        order = keras_ref[0]["variants"]["no_labels"]["files"]  # the sorted walk
        assert sorted(labels_of(ds)) == sorted(case["labels_in"][order.index(f)]
                                               for f in rel(ds.file_paths))
    elif "labels" in case:
        assert labels_of(ds) == case["labels"]
    if name == "no_labels":  # images only: hidden folders and top-level files count, as Keras
        batch = next(iter(ds))
        assert isinstance(batch, np.ndarray) and batch.shape == (19, *SIZE, 3)


@pytest.mark.parametrize("mode", ["categorical", "binary"])
def test_label_modes_match_keras(keras_ref, mode):
    case = keras_ref[0]["variants"][f"label_mode_{mode}"]
    kwargs = {"class_names": ["cats", "dogs"]} if mode == "binary" else {}
    ds = image_dataset_from_directory(TREE, image_size=SIZE, shuffle=False, label_mode=mode,
                                      batch_size=64, verbose=False, **kwargs)
    _, y = next(iter(ds))
    assert (y.dtype.name, list(y.shape)) == (case["dtype"], case["shape"])
    np.testing.assert_array_equal(y, case["labels"])


def _batch(ds, index=0):
    """Batch ``index`` of one pass over ``ds`` (a Dataset is iterated, not indexed)."""
    import itertools

    return next(itertools.islice(iter(ds), index, None))


def test_int_labels_are_int32_and_the_verbose_switch(capsys):
    ds = image_dataset_from_directory(TREE, image_size=SIZE, shuffle=False, verbose=False)
    assert capsys.readouterr().out == ""
    _, y = _batch(ds)
    assert y.dtype == np.int32 and y.shape == (17,)
    image_dataset_from_directory(TREE, image_size=SIZE, seed=1, validation_split=0.5,
                                 subset="training", verbose=False)
    assert capsys.readouterr().out == "Using 9 files for training.\n"  # printed anyway, as Keras


# --------------------------------------------------------------------------------------------
# the same pixels as Keras


def _tolerance(case, name):
    if "jp" in name:  # TensorFlow decodes JPEG with libjpeg's fast DCT, Pillow the accurate one
        return 12.0
    exact = case.get("interpolation", "bilinear") in ("bilinear", "nearest")
    return 0.0 if exact else 1e-3


def test_pixels_match_keras_for_every_option(keras_ref):
    table, arrays = keras_ref
    cases = table["pixels"]["cases"]
    assert len(cases) == 15
    for key, kwargs in cases.items():
        ds = image_dataset_from_directory(TREE, image_size=SIZE, shuffle=False, batch_size=64,
                                          verbose=False, **kwargs)
        x, _ = _batch(ds)
        ref = arrays[f"pixels/{key}"]
        assert x.dtype.name == table["pixels"]["dtypes"][key], key
        assert x.shape == ref.shape, key
        for i, name in enumerate(rel(ds.file_paths)):
            np.testing.assert_allclose(x[i].astype(float), ref[i].astype(float),
                                       atol=_tolerance(kwargs, name), rtol=0,
                                       err_msg=f"{key}: {name}")


# --------------------------------------------------------------------------------------------
# behaviour


def test_split_is_deterministic_and_depends_on_the_seed():
    def val(seed):
        return image_dataset_from_directory(TREE, seed=seed, validation_split=0.3,
                                            subset="validation", verbose=False).file_paths

    assert val(3) == val(3)
    assert len({tuple(val(s)) for s in range(6)}) > 1


def test_each_epoch_has_a_new_order_when_shuffling(tmp_path):
    root = make_tree(tmp_path, counts=(8, 8))
    ds = image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, seed=0,
                                      verbose=False)
    epochs = [np.concatenate([x[:, 0, 0, 0] for x, _ in ds]) for _ in range(3)]
    assert all(sorted(e) == sorted(epochs[0]) for e in epochs)  # each file once per epoch
    assert not np.array_equal(epochs[0], epochs[1]) or not np.array_equal(epochs[1], epochs[2])
    for x, y in ds:  # labels stay with their images
        np.testing.assert_array_equal(y, (x[:, 0, 0, 0] >= 50).astype(int))
    again = image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, seed=0,
                                         verbose=False)
    np.testing.assert_array_equal(np.concatenate([x[:, 0, 0, 0] for x, _ in again]), epochs[0])
    still = image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, shuffle=False,
                                         verbose=False)
    first = [x[:, 0, 0, 0].tolist() for x, _ in still]
    assert first == [x[:, 0, 0, 0].tolist() for x, _ in still]


def test_seed_none_repeats_after_set_random_seed():
    def files():
        return image_dataset_from_directory(TREE, verbose=False).file_paths

    lamina.utils.set_random_seed(11)
    a = files()
    lamina.utils.set_random_seed(11)
    assert files() == a


def test_streams_one_batch_at_a_time(tmp_path, monkeypatch):
    root = make_tree(tmp_path, counts=(5, 5))
    reads = []
    real = image_utils.read_image_like_tf
    monkeypatch.setattr(image_utils, "read_image_like_tf",
                        lambda path, n: reads.append(path) or real(path, n))
    ds = image_dataset_from_directory(root, image_size=(8, 8), batch_size=3, seed=0,
                                      verbose=False)
    assert reads == [] and len(ds) == 4
    it = iter(ds)
    x, y = next(it)
    assert x.shape == (3, 8, 8, 3)
    assert 3 <= len(reads) < 10  # the first batch, and at most what prefetch reads ahead
    assert list(ds)[-1][0].shape == (1, 8, 8, 3)  # the last batch is smaller
    del it
    cached = ds.cache()
    before = len(reads)
    list(cached), list(cached)
    assert len(reads) - before == 10  # the cache read each file once


def test_fit_evaluate_predict_on_directory_datasets(tmp_path):
    root = make_tree(tmp_path, counts=(6, 6))
    train, val = image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, seed=1,
                                              validation_split=0.25, subset="both",
                                              verbose=False)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((8, 8, 3)), lamina.layers.Flatten(),
                               lamina.layers.Dense(2)])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train.map(lambda x, y: (x / 255.0, y)), epochs=3,
                        validation_data=val.map(lambda x, y: (x / 255.0, y)), verbose=0)
    assert len(history.history["loss"]) == 3 and "val_accuracy" in history.history
    loss, accuracy = model.evaluate(val, verbose=0)
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    assert model.predict(val, verbose=0).shape == (3, 2)
    images_only = image_dataset_from_directory(root, labels=None, image_size=(8, 8),
                                               shuffle=False, verbose=False)
    assert model.predict(images_only, verbose=0).shape == (12, 2)


def test_options_batch_none_channels_first_grayscale_take_prefetch(tmp_path):
    root = make_tree(tmp_path, counts=(2, 3), size=(6, 9))
    single = image_dataset_from_directory(root, image_size=(4, 4), batch_size=None,
                                          shuffle=False, verbose=False)
    x, y = next(iter(single))
    assert len(single) == 5 and x.shape == (4, 4, 3) and y.shape == () and y.dtype == np.int32
    first = image_dataset_from_directory(root, image_size=(4, 6), data_format="channels_first",
                                         color_mode="grayscale", shuffle=False, verbose=False)
    assert _batch(first)[0].shape == (5, 1, 4, 6)
    square = image_dataset_from_directory(root, image_size=4, shuffle=False, verbose=False)
    assert _batch(square)[0].shape == (5, 4, 4, 3)
    taken = square.take(1).prefetch(2)
    assert len(taken) == 1 and len(list(taken)) == 1 and len(square.take(-1)) == 1
    assert len(square.file_paths) == 5 and square.class_names == ["a", "b"]


# --------------------------------------------------------------------------------------------
# errors


def test_directory_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="'.*nowhere' does not exist"):
        image_dataset_from_directory(tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        image_dataset_from_directory(tmp_path / "file.png")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"No images found in directory.*\.png"):
        image_dataset_from_directory(empty, verbose=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(flat / "x.png")
    with pytest.raises(ValueError, match="1 images lie directly in the folder.*labels=None"):
        image_dataset_from_directory(flat, verbose=False)
    assert len(image_dataset_from_directory(flat, labels=None, verbose=False).file_paths) == 1


def test_argument_errors(tmp_path):
    root = make_tree(tmp_path)

    def call(**kwargs):
        return image_dataset_from_directory(root, verbose=False, **kwargs)

    with pytest.raises(ValueError, match="labels has 3 entries but .* holds 6 images"):
        call(labels=[0, 1, 0])
    with pytest.raises(ValueError, match=r"not in .*: \['c'\].*subfolders are \['a', 'b'\]"):
        call(class_names=["a", "c"])
    with pytest.raises(ValueError, match="class_names can only be given with labels='inferred'"):
        call(labels=None, class_names=["a"])
    with pytest.raises(ValueError, match="'labels' argument must be 'inferred'.*'folders'"):
        call(labels="folders")
    with pytest.raises(ValueError, match="'label_mode'.*'sparse'"):
        call(label_mode="sparse")
    with pytest.raises(ValueError, match="'color_mode'.*'grayscale', 'rgb', 'rgba'.*'RGB'"):
        call(color_mode="RGB")
    with pytest.raises(ValueError, match=r"'image_size'.*\(180, 180\).*\(8, 8, 3\)"):
        call(image_size=(8, 8, 3))
    with pytest.raises(ValueError, match="'interpolation'.*'cubic'"):
        call(interpolation="cubic")
    with pytest.raises(ValueError, match="Only one of crop_to_aspect_ratio and pad"):
        call(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="pass the same seed=... to both calls"):
        call(validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="Give 'validation_split' and 'subset' together"):
        call(validation_split=0.2, seed=1)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        call(validation_split=1.5, subset="training", seed=1)
    with pytest.raises(ValueError, match="'subset' argument must be 'training'.*'train'"):
        call(validation_split=0.2, subset="train", seed=1)
    with pytest.raises(ValueError, match="leaves no validation images out of the 6"):
        call(validation_split=0.1, subset="both", seed=1)
    (root / "c").mkdir()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(root / "c" / "x.png")
    with pytest.raises(ValueError, match=r"'binary' needs exactly 2 classes; found 3"):
        call(label_mode="binary")


def test_an_unreadable_image_is_named_not_skipped(tmp_path):
    root = make_tree(tmp_path)
    (root / "a" / "zz_broken.png").write_text("not an image")
    ds = image_dataset_from_directory(root, image_size=(8, 8), shuffle=False, batch_size=2,
                                      verbose=False)
    assert len(ds.file_paths) == 7
    _batch(ds)  # the first batch holds only good files
    with pytest.raises(ValueError, match=r"could not read '.*zz_broken.png' as an image"):
        list(ds)
    data = (root / "b" / "00.png").read_bytes()
    (root / "b" / "00.png").write_bytes(data[: len(data) // 2])  # a truncated PNG
    ds = image_dataset_from_directory(root / "b", labels=None, image_size=(8, 8),
                                      shuffle=False, verbose=False)
    with pytest.raises(ValueError, match=r"00.png"):
        _batch(ds)


def test_the_tensorflow_paths_resolve_to_lamina():
    lamina.compat.install()
    try:
        import tensorflow as tf
        from tensorflow.keras.datasets import mnist as tf_mnist

        assert tf.keras.utils.image_dataset_from_directory is \
            image_dataset_module.image_dataset_from_directory
        assert tf.keras.preprocessing.image_dataset_from_directory is \
            image_dataset_module.image_dataset_from_directory
        assert tf_mnist is mnist and tf.keras.datasets.cifar100 is cifar100
    finally:
        lamina.compat.uninstall()


# --------------------------------------------------------------------------------------------
# Keras's downloaded data sets, from a fake KERAS_HOME


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def _shapes(result):
    (xa, ya), (xb, yb) = result
    return {"x_train": [list(xa.shape), xa.dtype.name], "y_train": [list(ya.shape), ya.dtype.name],
            "x_test": [list(xb.shape), xb.dtype.name], "y_test": [list(yb.shape), yb.dtype.name]}


def test_mnist_and_fashion_mnist_read_keras_files(keras_home, keras_ref):
    expected = keras_ref[0]["datasets"]
    x = np.random.RandomState(0).randint(0, 256, (6, 28, 28)).astype("uint8")
    np.savez(keras_home / "mnist.npz", x_train=x, y_train=np.arange(6, dtype="uint8"),
             x_test=x[:4], y_test=np.arange(4, dtype="uint8"))
    result = mnist.load_data()
    assert _shapes(result) == expected["mnist"]
    np.testing.assert_array_equal(result[0][0], x)
    (keras_home / "fashion-mnist").mkdir()
    for name, payload, header in (("train-labels-idx1-ubyte.gz", bytes(range(6)), 8),
                                  ("train-images-idx3-ubyte.gz", x.tobytes(), 16),
                                  ("t10k-labels-idx1-ubyte.gz", bytes(4), 8),
                                  ("t10k-images-idx3-ubyte.gz", x[:4].tobytes(), 16)):
        magic = (2049 if header == 8 else 2051).to_bytes(4, "big")
        with gzip.open(keras_home / "fashion-mnist" / name, "wb") as f:
            f.write(magic + bytes(header - 4) + payload)
    result = fashion_mnist.load_data()
    assert _shapes(result) == expected["fashion_mnist"]
    np.testing.assert_array_equal(result[0][0], x)
    np.testing.assert_array_equal(result[0][1], np.arange(6))


def _cifar_batch(n, keys, protocol, seed):
    rng = np.random.RandomState(seed)
    d = {b"batch_label": b"fake", b"data": rng.randint(0, 256, (n, 3072)).astype("uint8"),
         b"filenames": [b"x.png"] * n}
    d.update({k.encode(): rng.randint(0, 10, n).tolist() for k in keys})
    return pickle.dumps(d, protocol=protocol)


def test_cifar10_from_the_keras3_folder_and_from_the_archive(keras_home, keras_ref):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    blobs = {name: _cifar_batch(3, ["labels"], 2 if i % 2 else 4, i)
             for i, name in enumerate(names)}
    folder = keras_home / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, blob in blobs.items():
        (folder / name).write_bytes(blob)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    shapes = keras_ref[0]["datasets"]["cifar10"]  # Keras's: 50,000 images, here 15
    assert [x_train.dtype.name, y_train.dtype.name] == [shapes["x_train"][1], shapes["y_train"][1]]
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1) and x_test.shape[0] == 3
    first = pickle.loads(blobs["data_batch_1"])
    np.testing.assert_array_equal(x_train[0], first[b"data"][0].reshape(3, 32, 32)
                                  .transpose(1, 2, 0))
    with tarfile.open(keras_home / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    for name in names:
        (folder / name).unlink()
    folder.rmdir()
    (folder.parent).rmdir()
    (x2, y2), _ = cifar10.load_data()  # read inside the archive, nothing unpacked
    np.testing.assert_array_equal(x2, x_train)
    np.testing.assert_array_equal(y2, y_train)
    assert sorted(os.listdir(keras_home)) == ["cifar-10-python.tar.gz"]


def test_cifar100_label_modes(keras_home, keras_ref):
    folder = keras_home / "cifar-100-python"  # the Keras 2 (tf.keras) layout
    folder.mkdir()
    for i, name in enumerate(("train", "test")):
        (folder / name).write_bytes(_cifar_batch(5 - 2 * i, ["fine_labels", "coarse_labels"],
                                                 4, i))
    for mode in ("fine", "coarse"):
        result = cifar100.load_data(label_mode=mode)
        assert _shapes(result) == keras_ref[0]["datasets"][f"cifar100_{mode}"]
    with pytest.raises(ValueError, match="'fine' .* or 'coarse'.*'medium'"):
        cifar100.load_data(label_mode="medium")


def test_missing_files_say_what_to_download_and_where(keras_home):
    with pytest.raises(FileNotFoundError, match=r"mnist.npz .*and save it as .*datasets.mnist.npz"):
        mnist.load_data()
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte.gz.*KERAS_HOME"):
        fashion_mnist.load_data()
    with pytest.raises(FileNotFoundError, match=r"does not download.*cifar-10-python.tar.gz"):
        cifar10.load_data()
    with pytest.raises(FileNotFoundError, match="cifar-100-python.tar.gz"):
        cifar100.load_data()


def test_a_pickle_that_runs_code_is_refused(keras_home):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    folder = keras_home / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_bytes(pickle.dumps({b"data": Exploit()}))
    with pytest.raises(ValueError, match=r"refusing to load '(posix|nt).system'"):
        cifar100.load_data()


def test_digits_is_bundled_split_by_class_and_repeatable():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert int(x_train.max()) == 16 and int(x_train.min()) == 0
    np.testing.assert_array_equal(np.bincount(y_test), [36, 36, 35, 37, 36, 36, 36, 36, 35, 36])
    everything = np.concatenate([x_train, x_test]).reshape(1797, 64)
    assert abs(everything.mean() - 4.884165) < 1e-6  # data/README.md's check of the file
    (again, _), _ = digits.load_data()
    np.testing.assert_array_equal(again, x_train)
    (other, _), _ = digits.load_data(seed=1)
    assert not np.array_equal(other, x_train)
    (all_train, _), (none, _) = digits.load_data(test_split=0)
    assert len(all_train) == 1797 and len(none) == 0
    with pytest.raises(ValueError, match=r"'test_split'.*\[0, 1\)"):
        digits.load_data(test_split=1.0)


def test_digits_frame():
    pytest.importorskip("pandas")
    frame = digits.load_frame()
    assert frame.shape == (1797, 65) and frame.columns[0] == "pixel_0_0"
    assert list(frame.columns[-1:]) == ["target"] and frame["target"].max() == 9


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.datasets import _keras_cache

    assert run_doctests(image_dataset_module) >= 1
    for module in (digits, fashion_mnist, cifar10, cifar100, mnist, _keras_cache):
        run_doctests(module)
