"""Writing whole models to the legacy ``.h5`` format, laid out as Keras 3's ``model.save("m.h5")``.

The file is one HDF5 file: the root attributes ``model_config`` (the model's
class and config, JSON), ``training_config`` (compile settings with the
optimizer's class and config, JSON, only for a compiled model), ``keras_version``
and ``backend``; the group ``model_weights`` with the attribute ``layer_names``
(the model's layers, in order) and one group per layer whose ``weight_names``
attribute lists its weights (trainable first) by their paths, each a dataset
under that path; and ``optimizer_weights`` with the optimizer's variables in
Keras's order. Long name lists are split into ``name0``, ``name1``, ... as Keras
splits them. Keras 3 (``keras.models.load_model``) and lamina
(``saving/h5_legacy.py``) both read it.

The file is built in memory and written through a temporary file that is
renamed into place, so a failure never leaves half a file under the name.
"""

from __future__ import annotations

import io
import json
import os
import warnings

import numpy as np

from lamina.saving import safety
from lamina.saving import serialization as ser

__all__ = ["save_model_to_h5"]

KERAS_VERSION = "3.15.1"  # the Keras release whose layout this follows
_HEADER_LIMIT = 64512  # bytes an HDF5 object header holds; longer attributes are split


def _put_names(group, name: str, names) -> None:
    """Store a list of strings as the attribute ``name`` (split into name0, name1, ... if long)."""
    encoded = [str(n).encode("utf8") for n in names]
    too_long = [n for n in encoded if len(n) > _HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save the names {too_long[:3]} in an .h5 file: each must be "
                         f"under {_HEADER_LIMIT} bytes. Use shorter layer names, or save as "
                         "'.keras'.")
    data = np.asarray(encoded) if encoded else np.asarray([])
    chunks = 1
    parts = np.array_split(data, chunks)
    while any(p.nbytes > _HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(data, chunks)
    if chunks == 1:
        group.attrs[name] = data
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


def _put_weights(group, variables) -> None:
    """Datasets for ``variables`` under their paths, listed in ``weight_names``."""
    names, used = [], set()
    for v in variables:
        path = str(getattr(v, "path", None) or v.name)
        unique, k = path, 1
        while unique in used:
            unique, k = f"{path}_{k}", k + 1
        used.add(unique)
        names.append(unique)
    _put_names(group, "weight_names", names)
    for name, v in zip(names, variables):
        value = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            dataset[:] = value
        else:
            dataset[()] = value


def _training_config(model):
    """Keras's ``training_config``: the compile settings, the optimizer as class name + config."""
    config = ser.get_compile_config(model)
    optimizer = getattr(model, "optimizer", None)
    if not config or optimizer is None:
        return None
    config = dict(config)
    config.pop("optimizer", None)
    config["optimizer_config"] = {"class_name": type(optimizer).__name__,
                                  "config": optimizer.get_config()}
    return config


def _json_bytes(value) -> bytes:
    return json.dumps(value, default=_json_default).encode("utf8")


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"Cannot write {type(obj).__name__} {obj!r} into the .h5 file's JSON "
                    "config. Give it a get_config() that returns plain values.")


def h5_bytes(model, include_optimizer: bool = True) -> bytes:
    """The legacy ``.h5`` file of ``model``, as bytes."""
    h5py = safety.require_h5py()
    model_config = {"class_name": type(model).__name__, "config": model.get_config()}
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = "numpy"
        f.attrs["model_config"] = _json_bytes(model_config)
        training = _training_config(model) if include_optimizer else None
        if training is not None:
            f.attrs["training_config"] = _json_bytes(training)
        weights = f.create_group("model_weights")
        layers = list(model.layers)
        _put_names(weights, "layer_names", [layer.name for layer in layers])
        weights.attrs["backend"] = "numpy"
        weights.attrs["keras_version"] = KERAS_VERSION
        for layer in sorted(layers, key=lambda layer: layer.name):
            own = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            _put_weights(weights.create_group(layer.name), own)
        in_layers = {id(w) for layer in layers for w in layer.weights}
        top = [w for w in model.weights if id(w) not in in_layers]
        _put_weights(weights.create_group("top_level_model_weights"), top)
        optimizer = getattr(model, "optimizer", None)
        variables = list(getattr(optimizer, "variables", None) or [])
        if include_optimizer and training is not None and variables:
            _put_weights(f.create_group("optimizer_weights"), variables)
    return buffer.getvalue()


def save_model_to_h5(model, path, overwrite: bool = True, include_optimizer: bool = True,
                     save_format=None) -> None:
    """Write ``model`` to ``path`` in the legacy ``.h5`` format (atomically).

    Args:
        model: a built model (an unbuilt one is saved without weights, with a warning).
        path: the file name, ending in ``.h5`` or ``.hdf5``.
        overwrite: replace an existing file (``False`` raises ``FileExistsError``).
        include_optimizer: also write the compile settings and the optimizer's state.
        save_format: ignored (Keras 3 infers the format from the name, as lamina does).
    """
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists and overwrite=False. Pass "
                              "overwrite=True to replace it, or choose another name.")
    if not getattr(model, "built", False):
        warnings.warn(f"Saving model '{model.name}', which is not built yet: the file will have "
                      "no weights. Call the model on data (or build it) before saving.",
                      stacklevel=3)
    data = h5_bytes(model, include_optimizer)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with safety.atomic_write(path) as f:
        f.write(data)
