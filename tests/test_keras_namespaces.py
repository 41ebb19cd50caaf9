"""Keras 3 namespaces under a plain ``import lamina as keras``: ``keras.preprocessing``,
``keras.backend``, ``keras.utils.Sequence``/``custom_object_scope``, ``keras.InputSpec``;
their names are held to Keras 3.15's (tools/make_keras_namespace_fixtures.py)."""

import doctest
import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lamina as keras
from lamina import compat

KERAS = json.loads((Path(__file__).parent / "fixtures" / "keras" /
                    "keras_namespaces.json").read_text())
NAMES = KERAS["names"]
NEW_MODULES = ["lamina.backend", "lamina.preprocessing", "lamina.preprocessing.image",
               "lamina.preprocessing.sequence", "lamina.compat_tf_ops"]


@pytest.mark.parametrize("lamina_name, keras_name", [
    ("lamina.preprocessing", "keras.preprocessing"),
    ("lamina.preprocessing.image", "keras.preprocessing.image"),
    ("lamina.preprocessing.sequence", "keras.preprocessing.sequence"),
])
def test_preprocessing_has_exactly_keras_names(lamina_name, keras_name):
    module = importlib.import_module(lamina_name)
    assert sorted(module.__all__) == NAMES[keras_name]
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_preprocessing_under_a_plain_import():
    out = subprocess.run(
        [sys.executable, "-c",
         "import lamina as keras, sys\n"
         "assert 'lamina.preprocessing' not in sys.modules\n"
         "print(keras.preprocessing.sequence.pad_sequences([[1, 2], [3]], maxlen=3).tolist())\n"
         "from lamina.preprocessing.image import img_to_array\n"
         "assert 'PIL' not in sys.modules"],
        capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[[0, 1, 2], [0, 0, 3]]"


def test_preprocessing_names_are_lamina_own_functions():
    pre = keras.preprocessing
    assert pre.sequence.pad_sequences is keras.utils.pad_sequences
    assert pre.image.load_img is keras.utils.load_img
    for name in ("image_dataset_from_directory", "text_dataset_from_directory",
                 "timeseries_dataset_from_array"):
        assert getattr(pre, name) is getattr(keras.utils, name)
    windows = pre.timeseries_dataset_from_array(np.arange(6), None, sequence_length=3,
                                                batch_size=8)
    assert [b.tolist() for b in windows] == [[[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]]
    with pytest.raises(AttributeError, match="Keras 3 has no such module. Use "
                                             "keras.layers.TextVectorization"):
        pre.text  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        pre.nothing  # noqa: B018


def test_backend_names_are_keras_and_reuse_config():
    backend = keras.backend
    assert set(backend.__all__) <= set(NAMES["keras.backend"])
    assert {"clear_session", "floatx", "set_floatx", "epsilon", "image_data_format",
            "backend", "get_uid", "set_epsilon"} <= set(backend.__all__)
    for name in ("floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
                 "set_image_data_format", "backend"):
        assert getattr(backend, name) is getattr(keras.config, name)
    assert backend.clear_session is keras.utils.clear_session
    assert KERAS["identities"]["keras.backend.clear_session is keras.utils.clear_session"]
    assert backend.backend() == "numpy"
    backend.set_floatx("float64")
    try:
        assert keras.config.floatx() == "float64"
        assert keras.layers.Dense(2)(np.ones((1, 3))).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_get_uid_counts_like_keras_and_clear_session_restarts_it():
    keras.backend.clear_session()
    assert (keras.backend.get_uid("probe"), keras.backend.get_uid("probe")) == (1, 2)
    assert keras.layers.Dense(1).name == "dense" and keras.backend.get_uid("dense") == 2
    keras.backend.clear_session()
    assert keras.backend.get_uid("probe") == 1
    assert keras.backend.is_keras_tensor(keras.Input((2,)))
    assert not keras.backend.is_keras_tensor(np.ones(2))


def test_utils_sequence_and_custom_object_scope(tmp_path):
    assert KERAS["identities"]["keras.utils.Sequence is keras.utils.PyDataset"]
    assert keras.utils.Sequence is keras.utils.PyDataset
    assert keras.utils.custom_object_scope is keras.utils.CustomObjectScope
    assert keras.utils.CustomObjectScope is keras.saving.CustomObjectScope
    for name in ("Sequence", "CustomObjectScope", "custom_object_scope", "get_custom_objects",
                 "get_registered_name"):
        assert name in NAMES["keras.utils"]
        assert getattr(keras.utils, name) is not None

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.full((4, 1), float(i)), np.full((4, 1), 2.0 * i)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert len(model.fit(Batches(), epochs=2, verbose=0).history["loss"]) == 2

    pytest.importorskip("h5py")

    class Twice(keras.layers.Layer):  # not registered: found only through the scope
        def call(self, x):
            return x * 2.0

    model = keras.Sequential([keras.Input((2,)), Twice(), keras.layers.Dense(1)])
    path = tmp_path / "twice.keras"
    model.save(path)
    with pytest.raises(Exception, match="Twice"):
        keras.models.load_model(path)
    with keras.utils.custom_object_scope({"Twice": Twice}):
        loaded = keras.models.load_model(path)
    x = np.ones((3, 2), "float32")
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_input_spec_at_top_level():
    assert "InputSpec" in NAMES["keras"] and "InputSpec" in dir(keras)
    assert keras.InputSpec is keras.layers.InputSpec
    for name in ("backend", "preprocessing"):
        assert name in NAMES["keras"] and name in dir(keras)


def test_compat_keeps_keras2_extras_on_top_of_the_new_modules():
    compat.install()
    try:
        import keras as k
        from tensorflow.keras import backend as K
        from tensorflow.keras.preprocessing.sequence import pad_sequences
        from tensorflow.keras.preprocessing.text import Tokenizer

        assert K.mean(np.ones((2, 3)), axis=1).shape == (2,) and K.floatx() == "float32"
        assert k.backend is K and K.clear_session is keras.utils.clear_session
        assert not hasattr(keras.backend, "mean")  # Keras 3's own backend stays Keras 3's
        assert pad_sequences is keras.preprocessing.sequence.pad_sequences
        assert Tokenizer is not None and k.preprocessing.text.Tokenizer is Tokenizer
        assert k.preprocessing.image.smart_resize is keras.preprocessing.image.smart_resize
        assert k.utils.Sequence is keras.utils.PyDataset and k.InputSpec is keras.InputSpec
        with pytest.raises(AttributeError, match="keras.preprocessing.nothing is a Keras API"):
            k.preprocessing.nothing  # noqa: B018
    finally:
        compat.uninstall()


@pytest.mark.parametrize("name", NEW_MODULES)
def test_new_modules_have_docstrings_and_runnable_examples(name):
    module = importlib.import_module(name)
    assert module.__doc__
    for attr in getattr(module, "__all__", []):
        obj = getattr(module, attr)
        if inspect.isclass(obj) or (callable(obj) and not inspect.ismodule(obj)):
            assert inspect.getdoc(obj), f"{name}.{attr} has no docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
