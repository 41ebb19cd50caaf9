#!/usr/bin/env python
"""Make the image-data fixtures: what real Keras does with a small folder of images.

Run it with the reference environment (TensorFlow 2.21 / Keras 3.15.1, Pillow);
lamina and its tests never need it:

    /opt/keras-ref/bin/pip install pillow
    /opt/keras-ref/bin/python tools/make_keras_image_data_fixtures.py

It writes into tests/fixtures/keras_image_data/:

* ``tree/``: 19 tiny images drawn from ``np.random.RandomState(0)`` (PNG in RGB,
  grayscale, RGBA, palette and 16-bit; JPEG; BMP; GIF; an upper-case extension; a
  nested folder; a hidden folder; an image outside the class folders) and a
  text file that must be skipped;
* ``keras_image_data.json``: for ``keras.utils.image_dataset_from_directory`` on
  that tree, the messages it prints, ``class_names`` and the files of each subset
  (paths relative to ``tree/``) for several seeds and validation splits, with
  explicit labels and a ``class_names`` subset; the modes and sizes ``load_img``
  returns; the shapes and dtypes of ``keras.datasets.*.load_data`` on tiny fake
  files;
* ``keras_image_data.npz``: the pixels of the unshuffled data set for every
  interpolation (and grayscale, rgba, crop and pad), ``load_img`` +
  ``img_to_array`` outputs, ``smart_resize`` and ``array_to_img`` outputs.

Running it twice gives the same files.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import contextlib  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "keras_image_data")
TREE = os.path.join(OUT, "tree")
SIZE = (6, 5)
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")
SEEDS = (0, 1, 42, 1337)
SPLITS = (0.2, 0.3, 0.5)


def make_tree():
    """The image folder: every file from one seeded generator, in a fixed order."""
    shutil.rmtree(TREE, ignore_errors=True)
    rng = np.random.RandomState(0)

    def rgb(h, w):
        return rng.randint(0, 256, (h, w, 3)).astype("uint8")

    files = [
        ("cats/c01.png", lambda p: Image.fromarray(rgb(7, 11)).save(p)),
        ("cats/c02.jpg", lambda p: Image.fromarray(rgb(9, 6)).save(p, quality=95)),
        ("cats/C03.PNG", lambda p: Image.fromarray(rgb(5, 5)).save(p, format="PNG")),
        ("cats/c04.bmp", lambda p: Image.fromarray(rgb(6, 8)).save(p)),
        ("cats/c05.gif", lambda p: Image.fromarray(rgb(8, 7)).convert("P").save(p)),
        ("dogs/d01.png", lambda p: Image.fromarray(rgb(10, 4)[..., 0], "L").save(p)),
        ("dogs/d02.png", lambda p: Image.fromarray(
            np.concatenate([rgb(6, 6), rgb(6, 6)[..., :1]], axis=2), "RGBA").save(p)),
        ("dogs/d03.jpeg", lambda p: Image.fromarray(rgb(7, 7)).save(p, quality=90)),
        ("dogs/d04.png", lambda p: Image.fromarray(
            rng.randint(0, 65536, (6, 5)).astype(np.uint16)).save(p)),
        ("dogs/puppies/p01.png", lambda p: Image.fromarray(rgb(4, 9)).save(p)),
        ("dogs/puppies/p02.png", lambda p: Image.fromarray(rgb(5, 8)).convert("P").save(p)),
    ]
    files += [(f"zebra/z{i:02d}.png", lambda p, s=s: Image.fromarray(rgb(*s)).save(p))
              for i, s in enumerate([(12, 3), (3, 12), (9, 9), (16, 10), (2, 2), (11, 13)], 1)]
    files += [(".hidden/h01.png", lambda p: Image.fromarray(rgb(4, 4)).save(p)),
              ("top.png", lambda p: Image.fromarray(rgb(5, 6)).save(p))]
    for rel, write in files:
        path = os.path.join(TREE, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write(path)
    with open(os.path.join(TREE, "cats", "notes.txt"), "w") as f:
        f.write("not an image\n")


def rel(paths):
    return [os.path.relpath(p, TREE).replace(os.sep, "/") for p in paths]


def call(keras, **kwargs):
    """``image_dataset_from_directory(TREE, **kwargs)`` and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ds = keras.utils.image_dataset_from_directory(TREE, **kwargs)
    return ds, out.getvalue().splitlines()


def labels_of(ds):
    return [np.asarray(y).tolist() for _, y in ds]


def splits(keras, table):
    for seed in SEEDS:
        for split in SPLITS:
            (train, val), printed = call(keras, image_size=SIZE, seed=seed,
                                         validation_split=split, subset="both", batch_size=64)
            table.append({"seed": seed, "validation_split": split, "printed": printed,
                          "class_names": train.class_names, "train": rel(train.file_paths),
                          "validation": rel(val.file_paths),
                          "validation_labels": sum(labels_of(val), [])})
    for subset in ("training", "validation"):  # one subset per call, as most scripts do
        ds, printed = call(keras, image_size=SIZE, seed=7, validation_split=0.25, subset=subset)
        table.append({"seed": 7, "validation_split": 0.25, "subset": subset, "printed": printed,
                      "files": rel(ds.file_paths)})


def variants(keras):
    out = {}
    ds, printed = call(keras, image_size=SIZE, shuffle=False, batch_size=64)
    out["sorted"] = {"printed": printed, "files": rel(ds.file_paths),
                     "labels": sum(labels_of(ds), []), "class_names": ds.class_names}
    ds, printed = call(keras, image_size=SIZE, shuffle=False, validation_split=0.3,
                       subset="validation", batch_size=64)
    out["sorted_validation"] = {"printed": printed, "files": rel(ds.file_paths)}
    ds, printed = call(keras, labels=None, image_size=SIZE, shuffle=False)
    out["no_labels"] = {"printed": printed, "files": rel(ds.file_paths),
                        "class_names": ds.class_names}
    given = [i % 3 for i in range(19)]
    ds, printed = call(keras, labels=list(given), image_size=SIZE, seed=5,  # (Keras shuffles
                       validation_split=0.25, subset="validation", batch_size=64)  # the list)
    out["given_labels"] = {"labels_in": given, "printed": printed, "files": rel(ds.file_paths),
                           "labels": sum(labels_of(ds), []), "class_names": ds.class_names}
    ds, printed = call(keras, class_names=["zebra", "cats"], image_size=SIZE, shuffle=False,
                       batch_size=64)
    out["class_names_subset"] = {"printed": printed, "files": rel(ds.file_paths),
                                 "labels": sum(labels_of(ds), []), "class_names": ds.class_names}
    for mode in ("categorical", "binary"):
        kwargs = {"class_names": ["cats", "dogs"]} if mode == "binary" else {}
        ds, _ = call(keras, image_size=SIZE, shuffle=False, label_mode=mode, batch_size=64,
                     **kwargs)
        x, y = next(iter(ds))
        out[f"label_mode_{mode}"] = {"labels": np.asarray(y).tolist(), "dtype": str(y.dtype.name),
                                     "shape": list(y.shape)}
    return out


def pixels(keras, arrays):
    cases = {f"interpolation_{m}": {"interpolation": m} for m in INTERPOLATIONS}
    cases.update({
        # TensorFlow decodes BMP/GIF to 3 channels only (and JPEG to 1 or 3)
        "grayscale": {"color_mode": "grayscale", "class_names": ["dogs", "zebra"]},
        "rgba": {"color_mode": "rgba", "class_names": ["zebra"]},
        "crop_bilinear": {"crop_to_aspect_ratio": True},
        "crop_nearest": {"crop_to_aspect_ratio": True, "interpolation": "nearest"},
        "pad_bilinear": {"pad_to_aspect_ratio": True},
        "pad_nearest": {"pad_to_aspect_ratio": True, "interpolation": "nearest"},
        "channels_first": {"data_format": "channels_first"},
    })
    dtypes = {}
    for name, kwargs in cases.items():
        ds, _ = call(keras, image_size=SIZE, shuffle=False, batch_size=64, verbose=False,
                     **kwargs)
        x, _ = next(iter(ds))
        arrays[f"pixels/{name}"] = np.asarray(x)
        dtypes[name] = str(x.dtype.name)
    return {"cases": cases, "dtypes": dtypes}


def image_utils(keras, arrays):
    out = []
    for name in ("cats/c01.png", "cats/c02.jpg", "dogs/d01.png", "dogs/d02.png", "dogs/d04.png",
                 "cats/c05.gif"):
        for mode in ("rgb", "grayscale", "rgba"):
            img = keras.utils.load_img(os.path.join(TREE, name), color_mode=mode)
            key = f"load_img/{name}/{mode}"
            arrays[key] = keras.utils.img_to_array(img)
            out.append({"key": key, "file": name, "color_mode": mode, "mode": img.mode,
                        "size": list(img.size)})
    for interp in ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos"):
        for keep in (False, True):
            img = keras.utils.load_img(os.path.join(TREE, "cats/c01.png"), target_size=(4, 6),
                                       interpolation=interp, keep_aspect_ratio=keep)
            key = f"load_img/cats/c01.png/rgb/{interp}/{keep}"
            arrays[key] = keras.utils.img_to_array(img)
            out.append({"key": key, "file": "cats/c01.png", "color_mode": "rgb",
                        "target_size": [4, 6], "interpolation": interp,
                        "keep_aspect_ratio": keep, "mode": img.mode, "size": list(img.size)})
    rng = np.random.RandomState(1)
    x = rng.uniform(-3, 5, (9, 13, 3)).astype("float32")
    arrays["smart_resize/input"] = x
    for interp in ("bilinear", "nearest", "bicubic"):
        for size in ((4, 4), (5, 8)):
            arrays[f"smart_resize/{interp}/{size[0]}x{size[1]}"] = \
                keras.preprocessing.image.smart_resize(x, size, interpolation=interp)
    arrays["smart_resize/batch/bilinear/5x8"] = keras.preprocessing.image.smart_resize(
        np.stack([x, x[::-1]]), (5, 8))
    for channels in (1, 3, 4):
        a = rng.uniform(-1, 2, (3, 4, channels)).astype("float32")
        arrays[f"array_to_img/input/{channels}"] = a
        for scale in (True, False):
            arrays[f"array_to_img/{channels}/{scale}"] = np.asarray(
                keras.utils.array_to_img(a * (1 if scale else 100), scale=scale))
    big = rng.uniform(0, 1000, (3, 4, 1)).astype("float32")
    arrays["array_to_img/input/big"] = big
    img = keras.utils.array_to_img(big, scale=False)
    arrays["array_to_img/big"] = np.asarray(img)
    return {"load_img": out, "array_to_img_big_mode": img.mode}


def keras_datasets(keras):
    """Shapes and dtypes Keras's loaders return, on fake files (their get_file bypassed)."""
    import importlib

    out = {}
    tmp = tempfile.mkdtemp()
    try:
        np.savez(os.path.join(tmp, "mnist.npz"), x_train=np.zeros((6, 28, 28), "uint8"),
                 y_train=np.arange(6, dtype="uint8"), x_test=np.zeros((4, 28, 28), "uint8"),
                 y_test=np.arange(4, dtype="uint8"))
        for name, n, offset, magic in (("train-labels-idx1-ubyte.gz", 6, 8, 2049),
                                       ("train-images-idx3-ubyte.gz", 6 * 784, 16, 2051),
                                       ("t10k-labels-idx1-ubyte.gz", 4, 8, 2049),
                                       ("t10k-images-idx3-ubyte.gz", 4 * 784, 16, 2051)):
            with gzip.open(os.path.join(tmp, name), "wb") as f:
                f.write(magic.to_bytes(4, "big") + bytes(offset - 4) + bytes(n))
        c10 = os.path.join(tmp, "c10", "cifar-10-batches-py")
        os.makedirs(c10)
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            with open(os.path.join(c10, name), "wb") as f:
                pickle.dump({b"data": np.zeros((10000, 3072), "uint8"),
                             b"labels": [i % 10 for i in range(10000)]}, f, protocol=4)
        c100 = os.path.join(tmp, "c100", "cifar-100-python")
        os.makedirs(c100)
        for name, n in (("train", 5), ("test", 3)):
            with open(os.path.join(c100, name), "wb") as f:
                pickle.dump({b"data": np.zeros((n, 3072), "uint8"), b"fine_labels": list(range(n)),
                             b"coarse_labels": [0] * n}, f, protocol=4)
        paths = {"mnist": os.path.join(tmp, "mnist.npz"), "cifar10": os.path.join(tmp, "c10"),
                 "cifar100": os.path.join(tmp, "c100")}
        for name, kwargs in (("mnist", {}), ("fashion_mnist", {}), ("cifar10", {}),
                             ("cifar100", {"label_mode": "fine"}),
                             ("cifar100", {"label_mode": "coarse"})):
            module = importlib.import_module(f"keras.src.datasets.{name}")
            module.get_file = (lambda fname=None, origin=None, name=name, **kw: paths.get(
                name, os.path.join(tmp, fname)))
            (xa, ya), (xb, yb) = module.load_data(**kwargs)
            out[name + ("_" + kwargs["label_mode"] if kwargs else "")] = {
                "x_train": [list(xa.shape), xa.dtype.name], "y_train": [list(ya.shape), ya.dtype.name],
                "x_test": [list(xb.shape), xb.dtype.name], "y_test": [list(yb.shape), yb.dtype.name]}
    finally:
        shutil.rmtree(tmp)
    return out


def main():
    import keras

    make_tree()
    arrays = {}
    table = []
    splits(keras, table)
    result = {"keras_version": keras.__version__, "image_size": list(SIZE), "splits": table,
              "variants": variants(keras), "pixels": pixels(keras, arrays),
              "image_utils": image_utils(keras, arrays), "datasets": keras_datasets(keras)}
    with open(os.path.join(OUT, "keras_image_data.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    np.savez_compressed(os.path.join(OUT, "keras_image_data.npz"), **arrays)
    print(f"wrote {OUT}: {len(table)} splits, {len(arrays)} arrays")


if __name__ == "__main__":
    main()
