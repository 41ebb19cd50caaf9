"""Run code written for Keras or ``tensorflow.keras`` with lamina: ``lamina.compat.install()``.

After ``install()``, ``import keras``, ``from keras.models import Sequential``,
``from keras.layers.core import Dense`` (Keras 2 paths), ``from tensorflow
import keras`` and ``import tensorflow as tf`` all resolve to lamina. The
``tensorflow`` stand-in offers only what tutorials use around Keras
(``tf.keras``, ``tf.random.set_seed``, ``tf.linspace``, ``tf.constant``,
``tf.convert_to_tensor``, ``tf.GradientTape``, ``tf.Variable``, basic math,
the array functions of ``lamina.compat_tf_ops`` (``tf.transpose(x, perm=...)``,
``tf.matmul(..., transpose_b=True)``, ``tf.gather``, ``tf.split``, ``tf.sequence_mask``, ...),
``tf.math``, ``tf.nn`` activations, ``tf.config.list_physical_devices`` (the
CPU only), ``@tf.function``, which runs the function as it is, and ``tf.data``,
which is ``lamina.data.Dataset``); anything else raises an error that names the
missing TensorFlow API and, for common ones such as ``tf.distribute``, the
lamina way to do the same. ``lamina run SCRIPT.py`` installs the stand-ins
before running a script.

Example:
    >>> import lamina.compat
    >>> lamina.compat.install()
    >>> from keras.layers import Dense
    >>> Dense.__module__
    'lamina.layers.core'
    >>> lamina.compat.uninstall()
"""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np

__all__ = ["install", "uninstall", "installed"]

_INSTALLED: dict = {}
_PATCHED: dict = {}


# Where a TensorFlow-only API has a lamina way of doing the same thing, the error says so.
_TF_HINTS = {
    "saved_model": "save with model.save('model.keras') instead",
    "lite": "TensorFlow Lite conversion needs TensorFlow",
    "image": "load images with keras.utils.load_img or image_dataset_from_directory (Pillow)",
    "io": "read files with Python or NumPy",
    "summary": "use the CSVLogger callback or the History that fit() returns",
    "compat": "tf.compat.v1 (sessions, placeholders) is TensorFlow 1 code; rewrite it with Keras",
}


class _StandIn(types.ModuleType):
    """A module that answers from its lamina target; unknown names raise an error naming the API."""

    def __init__(self, name, doc, what, target=None):
        super().__init__(name, doc)
        self._what = what
        self._target = target

    def __getattr__(self, attr):
        if attr.startswith("__") or attr in ("_what", "_target"):
            raise AttributeError(attr)
        target = self.__dict__.get("_target")
        if target is not None:  # names that the lamina package loads lazily
            try:
                return getattr(target, attr)
            except AttributeError:
                pass
        hint = _TF_HINTS.get(attr) if self.__name__ == "tensorflow" else None
        raise AttributeError(
            f"{self.__name__}.{attr} is a {self._what} API that lamina does not provide. lamina "
            "runs Keras code on NumPy; "
            + (f"{hint}." if hint else "use the lamina/Keras equivalent (lamina.ops has "
               "NumPy-like functions), or run this script with TensorFlow installed.")
        )


def _alias(name, target, what="Keras"):
    module = _StandIn(name, f"lamina stand-in for {name}", what, target)
    for attr in dir(target):
        if not attr.startswith("__"):
            setattr(module, attr, getattr(target, attr))
    module.__path__ = []  # a package, so submodules can be imported
    return module


def _keras_modules():
    import lamina

    keras = _alias("keras", lamina)
    keras.__version__ = "3.15.1"
    mods = {"keras": keras}
    for sub in ("layers", "models", "optimizers", "losses", "metrics", "callbacks",
                "regularizers", "initializers", "constraints", "activations", "ops", "utils",
                "datasets", "random", "saving", "applications"):
        target = importlib.import_module(f"lamina.{sub}")
        mod = _alias(f"keras.{sub}", target)
        setattr(keras, sub, mod)
        mods[f"keras.{sub}"] = mod
    # Answers by name only: copying its names would import scikit-learn.
    keras.wrappers = mods["keras.wrappers"] = _StandIn(
        "keras.wrappers", "lamina stand-in for keras.wrappers", "Keras",
        importlib.import_module("lamina.wrappers"))
    mods["keras.optimizers.schedules"] = _alias(
        "keras.optimizers.schedules", importlib.import_module("lamina.optimizers.schedules"))
    mods["keras.optimizers"].schedules = mods["keras.optimizers.schedules"]
    # Keras 2 paths that tutorials still use.
    for legacy in ("keras.layers.core", "keras.layers.advanced_activations",
                   "keras.layers.normalization", "keras.layers.merge"):
        mods[legacy] = _alias(legacy, importlib.import_module("lamina.layers"))
    mods["keras.optimizers.legacy"] = _alias(
        "keras.optimizers.legacy", importlib.import_module("lamina.optimizers"))
    mods["keras.backend"] = _alias("keras.backend", importlib.import_module("lamina.backend"))
    mods["keras.config"] = _alias("keras.config", importlib.import_module("lamina.config"))
    # tf.keras.backend keeps Keras 2's functions (K.mean, K.random_normal, ...).
    for name, fn in importlib.import_module("lamina.compat_backend").legacy_functions().items():
        setattr(mods["keras.backend"], name, fn)
    mods.update(_image_modules())
    # The stand-ins, not lamina's own modules that `_alias(lamina)` copied: K.mean, .text
    keras.backend, keras.preprocessing = mods["keras.backend"], mods["keras.preprocessing"]
    return mods


def _image_modules():
    """``keras.preprocessing(.image)`` and ``keras.datasets.mnist``-style module paths."""
    mods = {}
    pre = _alias("keras.preprocessing", importlib.import_module("lamina.preprocessing"))
    image = _alias("keras.preprocessing.image",
                   importlib.import_module("lamina.preprocessing.image"))
    sequence = _alias("keras.preprocessing.sequence",
                      importlib.import_module("lamina.preprocessing.sequence"))
    pre.image, pre.sequence = image, sequence
    mods["keras.preprocessing"], mods["keras.preprocessing.image"] = pre, image
    mods["keras.preprocessing.sequence"] = sequence
    text = _StandIn("keras.preprocessing.text", "lamina stand-in for keras.preprocessing.text",
                    "Keras", importlib.import_module("lamina.utils.text_tokenizer"))
    pre.text = mods["keras.preprocessing.text"] = text  # Keras 1's Tokenizer (tf.keras only)
    for name in ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
                 "boston_housing", "california_housing"):
        mods[f"keras.datasets.{name}"] = importlib.import_module(f"lamina.datasets.{name}")
    for name in ("mobilenet_v2", "resnet", "resnet50", "vgg16", "vgg19", "efficientnet",
                 "imagenet_utils"):
        mods[f"keras.applications.{name}"] = importlib.import_module(
            f"lamina.applications.{name}")
    return mods


def _tensorflow_modules(keras_mods):
    import numpy as np

    import lamina
    from lamina import ops

    tf = _StandIn("tensorflow", "lamina stand-in for TensorFlow", "TensorFlow")
    tf.__path__ = []
    tf.__version__ = "2.21.0-lamina"
    tf.keras = keras_mods["keras"]
    tf.GradientTape = lamina.GradientTape
    tf.Variable = lamina.Variable
    tf.Tensor = lamina.Tensor
    tf.constant = lambda value, dtype=None, shape=None, name=None: (
        ops.convert_to_tensor(np.reshape(value, shape) if shape is not None else value, dtype))
    tf.convert_to_tensor = lambda value, dtype=None, **kw: ops.convert_to_tensor(value, dtype)
    tf.linspace = lambda start, stop, num, name=None, axis=0: ops.linspace(start, stop, num,
                                                                          axis=axis)
    tf.range = lambda start, limit=None, delta=1, dtype=None, name=None: ops.arange(
        start, limit, delta, dtype=dtype)
    tf.float32, tf.float64, tf.int32, tf.int64, tf.bool = (
        np.float32, np.float64, np.int32, np.int64, np.bool_)
    for name in ("add", "subtract", "multiply", "divide", "square", "sqrt", "exp", "abs",
                 "maximum", "minimum", "matmul", "reshape", "transpose", "cast", "ones", "zeros",
                 "ones_like", "zeros_like", "concat", "stack", "where", "tanh", "sigmoid",
                 "expand_dims", "squeeze", "clip_by_value", "argmax", "equal", "one_hot"):
        op_name = {"concat": "concatenate", "clip_by_value": "clip"}.get(name, name)
        setattr(tf, name, getattr(ops, op_name))
    for name in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"):
        fn = getattr(ops, name.split("_")[1])
        setattr(tf, name, lambda x, axis=None, keepdims=False, name=None, _fn=fn: _fn(
            x, axis=axis, keepdims=keepdims))
    for name in ("sin", "cos", "tan", "sign", "round", "floor", "negative", "eye", "shape",
                 "size"):
        setattr(tf, name, getattr(ops, name))
    tf.pow = ops.power
    tf.fill = lambda dims, value, name=None: ops.full(dims, value)
    tf_ops = importlib.import_module("lamina.compat_tf_ops")  # perm=, transpose_b=, tf.gather...
    tf_more = importlib.import_module("lamina.compat_tf_more")  # top_k, sort, gather_nd...
    for name, fn in {**tf_ops.tf_functions(), **tf_more.tf_functions()}.items():
        setattr(tf, name, fn)
    tf.float16, tf.int8, tf.int16, tf.uint8 = np.float16, np.int8, np.int16, np.uint8
    tf.executing_eagerly = lambda: True
    tf.function = _tf_function
    tf.print = lambda *values, **kw: print(*(np.asarray(v) if isinstance(v, lamina.Tensor)
                                             else v for v in values))
    nn = _StandIn("tensorflow.nn", "TensorFlow nn stand-in", "TensorFlow")
    for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "softplus",
                 "leaky_relu", "gelu", "silu", "relu6"):
        setattr(nn, name, getattr(ops, name))
    nn.swish = ops.silu
    for name, fn in {**tf_ops.nn_functions(), **tf_more.nn_functions()}.items():
        setattr(nn, name, fn)
    tf.nn = nn
    config_mod = _StandIn("tensorflow.config", "TensorFlow config stand-in", "TensorFlow")
    config_mod.list_physical_devices = lambda device_type=None: (
        [] if device_type and device_type.upper() != "CPU" else [_CPU])
    config_mod.get_visible_devices = config_mod.list_physical_devices
    config_mod.set_visible_devices = lambda devices, device_type=None: None
    tf.config = config_mod
    test_mod = _StandIn("tensorflow.test", "TensorFlow test stand-in", "TensorFlow")
    test_mod.is_gpu_available = lambda *a, **k: False
    test_mod.is_built_with_cuda = lambda: False
    test_mod.gpu_device_name = lambda: ""
    tf.test = test_mod
    math_mod = _StandIn("tensorflow.math", "TensorFlow math stand-in", "TensorFlow")
    for name in ("add", "subtract", "multiply", "divide", "square", "sqrt", "exp", "log", "abs",
                 "maximum", "minimum", "tanh", "sigmoid", "reduce_sum", "reduce_mean",
                 "reduce_max", "reduce_min", "argmax", "equal", "sin", "cos", "tan", "sign",
                 "round", "floor", "negative", "pow", "log1p", "softplus"):
        setattr(math_mod, name, vars(tf)[name] if name in vars(tf) else getattr(ops, name))
    for name, fn in {**tf_ops.math_functions(), **tf_more.math_functions()}.items():
        setattr(math_mod, name, fn)
    math_mod.reduce_std = lambda x, axis=None, keepdims=False, name=None: ops.std(
        x, axis=axis, keepdims=keepdims)
    math_mod.reduce_variance = lambda x, axis=None, keepdims=False, name=None: ops.var(
        x, axis=axis, keepdims=keepdims)
    tf.math = math_mod
    strings_mod = _StandIn("tensorflow.strings", "TensorFlow strings stand-in", "TensorFlow")
    for name, fn in importlib.import_module("lamina.compat_strings").strings_functions().items():
        setattr(strings_mod, name, fn)
    tf.strings, tf.string = strings_mod, "string"
    tf.random = _StandIn("tensorflow.random", "TensorFlow random stand-in", "TensorFlow")
    # TensorFlow's op seeds give new numbers at every call (unlike Keras's int seeds): one
    # seeded stream per seed value.
    streams: dict = {}

    def stream(seed):
        if seed is None:
            return None
        if seed not in streams:
            streams[seed] = lamina.random.SeedGenerator(int(seed))
        return streams[seed]

    def set_seed(seed):  # as in TensorFlow, it also restarts the op seeds' streams
        lamina.utils.set_random_seed(seed)
        streams.clear()

    tf.random.set_seed = set_seed
    tf.random.normal = lambda shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None: (
        lamina.random.normal(shape, mean, stddev, dtype=dtype, seed=stream(seed)))
    tf.random.uniform = lambda shape, minval=0, maxval=None, dtype=None, seed=None, name=None: (
        lamina.random.uniform(shape, minval, 1.0 if maxval is None else maxval, dtype=dtype,
                              seed=stream(seed)))
    tf.random.truncated_normal = lambda shape, mean=0.0, stddev=1.0, dtype=None, seed=None, \
        name=None: lamina.random.truncated_normal(shape, mean, stddev, dtype=dtype,
                                                   seed=stream(seed))
    tf.random.shuffle = lambda value, seed=None, name=None: lamina.random.shuffle(
        value, seed=stream(seed))
    tf.random.categorical = lambda logits, num_samples, dtype=None, seed=None, name=None: (
        lamina.random.categorical(logits, num_samples, dtype=dtype or "int64",
                                  seed=stream(seed)))
    nn.dropout = lambda x, rate, noise_shape=None, seed=None, name=None: lamina.random.dropout(
        x, rate, noise_shape=noise_shape, seed=stream(seed))
    linalg = _StandIn("tensorflow.linalg", "TensorFlow linalg stand-in", "TensorFlow")
    linalg.matmul, linalg.norm, linalg.l2_normalize = tf.matmul, tf.norm, math_mod.l2_normalize
    for name in ("inv", "det", "cholesky", "qr", "svd", "slogdet", "solve", "diag", "trace",
                 "diag_part"):
        op = {"diag": "diag", "diag_part": "diagonal"}.get(name, name)
        if hasattr(ops, op):
            setattr(linalg, name, getattr(ops, op))
    tf.linalg = linalg
    tf.distribute = _alias("tensorflow.distribute", importlib.import_module("lamina.distribute"),
                           "TensorFlow")  # MultiWorkerMirroredStrategy over MPI
    mods = _data_modules(tf)
    mods["tensorflow.distribute"] = tf.distribute
    mods.update({"tensorflow": tf, "tensorflow.math": math_mod, "tensorflow.random": tf.random,
                 "tensorflow.nn": nn, "tensorflow.linalg": tf.linalg,
                 "tensorflow.config": config_mod, "tensorflow.test": test_mod,
                 "tensorflow.strings": strings_mod})
    for key, mod in keras_mods.items():
        mods[f"tensorflow.{key}"] = mod
        mods[f"tensorflow.python.{key}"] = mod
    return mods


def _data_modules(tf):
    """``tf.data`` (``lamina.data.Dataset``), ``tf.data.experimental`` and ``tf.TensorSpec``."""
    from lamina import data

    module = _StandIn("tensorflow.data", "tf.data on lamina.data.Dataset", "TensorFlow")
    module.__path__ = []
    for name in ("Dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY"):
        setattr(module, name, getattr(data, name))
    experimental = _StandIn("tensorflow.data.experimental", "tf.data.experimental stand-in",
                            "TensorFlow")
    for name in data.experimental.__all__:
        setattr(experimental, name, getattr(data.experimental, name))
    module.experimental = experimental
    tf.data, tf.TensorSpec = module, data.TensorSpec
    return {"tensorflow.data": module, "tensorflow.data.experimental": experimental}


class _Device:
    """What ``tf.config.list_physical_devices()`` lists: lamina runs on the CPU."""

    name = "/physical_device:CPU:0"
    device_type = "CPU"

    def __repr__(self):
        return f"PhysicalDevice(name='{self.name}', device_type='{self.device_type}')"


_CPU = _Device()


def _tf_function(func=None, **kwargs):
    """``@tf.function``: the function is traced and replayed by lamina's engine (options ignored)."""
    from lamina import engine

    if func is None:
        return lambda f: engine.function(f)
    return engine.function(func)


class _EagerArray(np.ndarray):
    """What iterating a ``tf.data.Dataset`` gives under ``lamina run``: a NumPy array that
    also answers TensorFlow's ``.numpy()`` (scripts print ``batch.numpy()[0]``)."""

    def numpy(self):
        value = np.asarray(self)
        if value.dtype.kind != "U":
            return value
        # TensorFlow's string tensors give UTF-8 bytes (scripts call .decode("utf-8") on them)
        encoded = np.empty(value.shape, object)
        for index, text in np.ndenumerate(value):
            encoded[index] = text.encode("utf-8")
        return encoded[()] if value.ndim == 0 else encoded


def _eager(element):
    from lamina import tree

    return tree.map_structure(lambda leaf: np.asarray(leaf).view(_EagerArray)
                              if isinstance(leaf, (np.ndarray, np.generic)) else leaf, element)


def _tf_dataset_iter(self):
    for element in self._iterate():
        yield _eager(element)


def _tf_as_numpy_iterator(self):
    """``as_numpy_iterator`` as TensorFlow gives it: strings as UTF-8 bytes."""
    from lamina import tree

    def leaf(value):
        if isinstance(value, (np.ndarray, np.str_)) and np.asarray(value).dtype.kind == "U":
            return np.asarray(value).view(_EagerArray).numpy()
        return value

    for element in self._iterate():
        yield tree.map_structure(leaf, element)


def install() -> None:
    """Make ``keras``, ``tensorflow.keras`` and ``tensorflow`` imports resolve to lamina."""
    if _INSTALLED:
        return
    from lamina.data import Dataset

    _PATCHED["Dataset.__iter__"] = Dataset.__dict__["__iter__"]
    Dataset.__iter__ = _tf_dataset_iter
    _PATCHED["Dataset.as_numpy_iterator"] = Dataset.__dict__["as_numpy_iterator"]
    Dataset.as_numpy_iterator = _tf_as_numpy_iterator
    keras_mods = _keras_modules()
    mods = {**keras_mods, **_tensorflow_modules(keras_mods)}
    for name, module in mods.items():  # `keras.backend` as an attribute, not only an import
        parent, _, child = name.rpartition(".")
        if parent in mods and child not in vars(mods[parent]):
            setattr(mods[parent], child, module)
    for name, module in mods.items():
        _INSTALLED[name] = sys.modules.get(name)
        sys.modules[name] = module


def uninstall() -> None:
    """Undo ``install()``: restore whatever ``keras``/``tensorflow`` modules were there."""
    if "Dataset.__iter__" in _PATCHED:
        from lamina.data import Dataset

        Dataset.__iter__ = _PATCHED.pop("Dataset.__iter__")
        Dataset.as_numpy_iterator = _PATCHED.pop("Dataset.as_numpy_iterator")
    for name, previous in _INSTALLED.items():
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
    _INSTALLED.clear()


def installed() -> bool:
    """True while ``install()`` is in effect."""
    return bool(_INSTALLED)
