"""Keras 3 ``.keras`` files and ``.weights.h5`` files, read and written as Keras 3.15 does.

A ``.keras`` file is a zip archive of three entries:

* ``metadata.json``: the Keras version the format follows, the save date (and, here,
  which lamina wrote it);
* ``config.json``: ``serialize_keras_object(model)``, with ``build_config`` and
  ``compile_config``;
* ``model.weights.h5``: every variable, grouped as Keras walks a model. Each layer
  (or optimizer) has a group ``<path>/vars`` holding datasets ``"0"``, ``"1"``, ...
  in the order of its own variables (trainable, then non-trainable). A
  ``Sequential``'s or functional model's layers are under ``layers/<class in
  snake_case>`` (``dense``, ``dense_1``, ...); sublayers held in attributes are under
  the attribute's name; the optimizer's variables under ``optimizer/vars``.

A ``.weights.h5`` file is that last entry on its own.
"""

from __future__ import annotations

import datetime
import os
import warnings
import zipfile

from lamina.saving import assets as _assets
from lamina.saving import deserialization as de
from lamina.saving import safety
from lamina.saving import serialization as ser
from lamina.saving.weights_h5 import load_weights_from_h5, open_h5_bytes, weights_bytes
from lamina.version import __version__

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]

KERAS_FORMAT_VERSION = "3.15.1"
_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"


# ---------------------------------------------------------------------------------------------
# Whole models


def _metadata_json() -> str:
    import json


    return json.dumps({
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "lamina_version": __version__,
        "note": "Written by lamina (Keras 3 API on NumPy) in the Keras 3 .keras format.",
    })


def model_to_json_config(model) -> dict:
    return ser.serialize_keras_object(model)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save ``model`` (architecture, weights, compile settings and optimizer state) to a file.

    Args:
        model: the model to save.
        filepath: a path ending in ``.keras`` (or a writable binary file object).
        overwrite: replace an existing file (``False`` raises ``FileExistsError``).

    The file is written next to its destination under a temporary name and
    renamed into place at the end, so a failure never leaves half a file.

    Example:
        >>> import os, tempfile, numpy as np
        >>> import lamina
        >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
        >>> model.save(path)
        >>> restored = lamina.models.load_model(path)
        >>> x = np.ones((1, 3), "float32")
        >>> np.array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))
        True
    """
    import json

    if isinstance(filepath, (str, os.PathLike)) and os.fspath(filepath).endswith((".h5", ".hdf5")):
        from lamina.saving.h5_legacy_write import save_model_to_h5  # Keras 3's legacy .h5

        return save_model_to_h5(model, filepath, overwrite, **kwargs)
    kwargs.pop("include_optimizer", None)
    kwargs.pop("save_format", None)
    if kwargs:
        raise TypeError(f"save() got unexpected keyword arguments: {sorted(kwargs)}.")
    if zipped is False:
        raise ValueError("lamina saves models only as zipped '.keras' files (zipped=True).")
    safety.require_h5py()
    if not getattr(model, "built", False):
        warnings.warn(
            f"Saving model '{model.name}', which is not built yet: the file will have no "
            "weights. Call the model on data (or build it) before saving.",
            stacklevel=3,
        )
    config = json.dumps(model_to_json_config(model))
    weights = weights_bytes(model)
    asset_files = _assets.asset_entries(model)  # (a lookup layer's vocabulary.txt)

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(_METADATA, _metadata_json())
            zf.writestr(_CONFIG, config)
            zf.writestr(_WEIGHTS, weights)
            for name, data in asset_files.items():
                zf.writestr(name, data)

    if hasattr(filepath, "write"):
        write(filepath)
        return
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(
            f"Invalid filepath {path!r}: a saved model's name must end in '.keras', e.g. "
            f"model.save({_with_suffix(path, '.keras')!r})."
        )
    _check_overwrite(path, overwrite)
    with safety.atomic_write(path) as f:
        write(f)


def _with_suffix(path: str, suffix: str) -> str:
    base = path
    for ending in (".weights.h5", ".h5", ".hdf5", ".keras", ".json"):
        if base.endswith(ending):
            base = base[: -len(ending)]
            break
    return base + suffix


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} already exists and overwrite=False. Pass overwrite=True to replace it, "
            "or choose another name."
        )


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by lamina or Keras (``.keras``), or by tf.keras (legacy ``.h5``).

    Args:
        filepath: the file's path (or a binary file object holding a ``.keras`` file).
        custom_objects: ``{name: class_or_function}`` for your own layers, losses, ...
        compile: also restore the compile settings and the optimizer's state.
        safe_mode: keep ``True``: Python lambdas stored in a file are refused. lamina
            never runs code from a file; see ``deserialize_keras_object``.

    Raises:
        ValueError: for a file that is not a Keras model, names a layer lamina does
            not have (the message names it and the lamina version), or is unsafe.

    Example:
        >>> import os, tempfile
        >>> import lamina
        >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2, name="d")])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
        >>> model.save(path)
        >>> lamina.models.load_model(path).get_layer("d").units
        2
    """
    if hasattr(filepath, "read"):
        with safety.reading(filepath):
            return _load_keras_zip(filepath, custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    safety.require_regular_file(path)
    if os.path.isdir(path):
        raise ValueError(
            f"{path!r} is a folder. lamina loads '.keras' files (Keras 3) and '.h5' files "
            "(Keras 2); a TensorFlow SavedModel folder cannot be read without TensorFlow. "
            "Re-save it with Keras as 'model.keras'."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    if path.endswith((".h5", ".hdf5")) and not zipfile.is_zipfile(path):
        from lamina.saving import h5_legacy

        with safety.reading(path):
            return h5_legacy.load_model_from_h5(path, custom_objects, compile, safe_mode)
    if not path.endswith(".keras") and not zipfile.is_zipfile(path):
        raise ValueError(
            f"Invalid filepath {path!r}: lamina loads '.keras' (Keras 3) and '.h5' (Keras 2) "
            "model files."
        )
    with open(path, "rb") as f, safety.reading(path):
        return _load_keras_zip(f, custom_objects, compile, safe_mode)


def _load_keras_zip(fileobj, custom_objects, compile, safe_mode):
    wanted = {_CONFIG: safety.MAX_JSON_BYTES, _METADATA: 2**20, _WEIGHTS: safety.MAX_ENTRY_BYTES}
    try:  # the layers' asset files (read into memory like the rest, after read_zip's checks)
        with zipfile.ZipFile(fileobj) as listing:
            wanted.update({n: safety.MAX_ENTRY_BYTES for n in listing.namelist()
                           if n.startswith(_assets.ASSETS) and not n.endswith("/")})
    except zipfile.BadZipFile:
        pass  # (read_zip explains)
    fileobj.seek(0)
    entries = safety.read_zip(fileobj, wanted, what="model file")
    if _CONFIG not in entries:
        raise ValueError(
            "This zip archive has no 'config.json', so it is not a Keras '.keras' model file."
        )
    config = safety.parse_json(entries[_CONFIG], what="config.json")
    if _METADATA in entries:
        metadata = safety.parse_json(entries[_METADATA], what="metadata.json")
        version = str(metadata.get("keras_version", "3")) if isinstance(metadata, dict) else "3"
        if version.split(".")[0] in ("1", "2"):
            warnings.warn(
                f"This file was saved by Keras {version}; lamina reads the Keras 3 format. "
                "Loading it may fail or skip weights.",
                stacklevel=3,
            )
    model = model_from_config(config, custom_objects, compile, safe_mode)
    if _WEIGHTS not in entries:
        raise ValueError(
            "This '.keras' file has no 'model.weights.h5' entry (an npz or sharded weights "
            "file is not supported by lamina)."
        )
    with open_h5_bytes(entries[_WEIGHTS], "model.weights.h5 entry") as h5file:
        load_weights_from_h5(model, h5file, source="model file")
    _assets.load_assets(model, {n: d for n, d in entries.items() if n.startswith(_assets.ASSETS)})
    return model


def model_from_config(config, custom_objects=None, compile=True, safe_mode=True):
    """Build a model (unweighted) from a ``config.json`` dict."""
    from lamina.layers.layer import Layer

    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "config.json must hold a dict with 'class_name' and 'config' (a serialized Keras "
            f"model); it holds {type(config).__name__}."
        )
    ctx = de._Context(custom_objects, safe_mode)
    ctx.compile = bool(compile)
    token = de._CONTEXT.set(ctx)
    try:
        from lamina.utils.object_registration import CustomObjectScope

        with CustomObjectScope(ctx.custom_objects):
            model = de._deserialize(config, ctx, "layer")
    finally:
        de._CONTEXT.reset(token)
    if not isinstance(model, Layer):
        raise TypeError(f"config.json describes a {type(model).__name__}, not a model.")
    return model


# ---------------------------------------------------------------------------------------------
# Weights only


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Save every weight of ``model`` (and its optimizer's state) to a ``.weights.h5`` file.

    Example:
        >>> import os, tempfile
        >>> import lamina
        >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "w.weights.h5")
        >>> model.save_weights(path)
        >>> model.load_weights(path)
    """
    if max_shard_size is not None:
        raise ValueError("lamina does not write sharded weights (max_shard_size).")
    safety.require_h5py()
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(
            f"Invalid filepath {path!r}: a weights file's name must end in '.weights.h5' "
            f"(Keras 3's rule), e.g. model.save_weights({_with_suffix(path, '.weights.h5')!r})."
        )
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' is not built, so it has no weights to save. Call it on data "
            "or build it first."
        )
    _check_overwrite(path, overwrite)
    data = weights_bytes(model)
    with safety.atomic_write(path) as f:
        f.write(data)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by ``save_weights``/``save`` (lamina or Keras 3) or by tf.keras (.h5).

    Keras 3 files (``.weights.h5``, ``.keras``) are matched by model structure;
    legacy Keras 2 ``.h5`` files layer by layer in order (``by_name=True`` matches
    layer names instead).
    """
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise TypeError(f"load_weights() got unexpected keyword arguments: {sorted(kwargs)}.")
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No weights file at {path!r}.")
    safety.require_regular_file(path, "weights file")
    with safety.reading(path, "weights file"):
        _load_weights_file(model, path, skip_mismatch, by_name)


def _load_weights_file(model, path, skip_mismatch, by_name):
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' is not built yet, so weights cannot be loaded into it. Build "
            "it first (call it on data, give it an Input, or call model.build(input_shape))."
        )
    if zipfile.is_zipfile(path):
        entries = safety.read_zip(path, {_WEIGHTS: safety.MAX_ENTRY_BYTES}, what="model file")
        if _WEIGHTS not in entries:
            raise ValueError(f"{path!r} has no 'model.weights.h5' entry.")
        with open_h5_bytes(entries[_WEIGHTS], "model.weights.h5 entry") as h5file:
            load_weights_from_h5(model, h5file, skip_mismatch, source=f"file {path!r}")
        return
    h5py = safety.require_h5py()
    try:
        h5file = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path!r} is not an HDF5 weights file, or it is damaged (truncated "
                         f"or corrupted). Details: {e}") from None
    with h5file:
        from lamina.saving import h5_legacy

        if h5_legacy.is_legacy_h5(h5file):
            h5_legacy.load_weights_from_legacy(model, h5file, skip_mismatch, by_name)
        else:
            if by_name:
                raise ValueError("by_name=True is only for legacy Keras 2 '.h5' weight files.")
            load_weights_from_h5(model, h5file, skip_mismatch, source=f"file {path!r}")
