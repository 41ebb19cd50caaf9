"""Reading legacy ``.h5`` files (tf.keras / Keras 2, and Keras 3's ``model.save("m.h5")``).

``h5_legacy_write.py`` writes the Keras 3 variant of the format.

A tf.keras ``model.save("m.h5")`` file keeps the model's config as JSON in the
root attribute ``model_config``, the compile settings in ``training_config``
and the weights under ``model_weights/<layer name>/...``; each layer's group
lists its weights, in order, in the attribute ``weight_names``. A
``save_weights("w.h5")`` file has only the weight groups, at the root. Weights
are matched to the model layer by layer, in order (or by layer name).

The optimizer's state of a Keras 2 file is not restored (its layout differs
from Keras 3's); the model is compiled with the saved settings and starts
with a fresh optimizer, as Keras 3 does when it cannot match the state.
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina.saving import deserialization as de
from lamina.saving import rebuild, safety
from lamina.saving import serialization as ser

__all__ = ["is_legacy_h5", "load_model_from_h5", "load_weights_from_legacy"]


def _attr_text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype.kind in "SO" and value.ndim == 0:
        return _attr_text(value[()])
    return value


def _attr_list(group, name) -> list:
    """A list-of-strings attribute (h5py gives bytes arrays); chunked names joined as Keras 2."""
    if name in group.attrs:
        values = group.attrs[name]
    else:  # very long lists are split into name0, name1, ...
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(group.attrs[f"{name}{i}"])
            i += 1
    return [_attr_text(v) for v in np.atleast_1d(values)] if len(values) else []


def is_legacy_h5(h5file) -> bool:
    """Whether an open HDF5 file is a Keras 2 model or weights file."""
    return "layer_names" in h5file.attrs or "model_config" in h5file.attrs or (
        "model_weights" in h5file and "vars" not in h5file)


def _legacy_weights(layer) -> list:
    """A layer's weights in Keras 2's order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _read_layer_weights(group, layer_group_name):
    layer_group = safety.open_h5_child(group, layer_group_name, "group", where="legacy .h5 file")
    if layer_group is None:
        raise ValueError(f"The .h5 file lists layer {layer_group_name!r} but has no group for it.")
    values = []
    for weight_name in _attr_list(layer_group, "weight_names"):
        node = layer_group
        parts = [p for p in str(weight_name).split("/") if p]
        for part in parts[:-1]:
            node = safety.open_h5_child(node, part, "group", where="legacy .h5 file")
            if node is None:
                break
        dataset = None if node is None else safety.open_h5_child(
            node, parts[-1], "dataset", where="legacy .h5 file")
        if dataset is None:
            raise ValueError(
                f"The .h5 file lists weight {weight_name!r} of layer {layer_group_name!r} but "
                "does not contain it."
            )
        values.append(safety.check_h5_dataset(dataset, where="legacy .h5 file"))
    return values


def load_weights_from_legacy(model, h5file, skip_mismatch=False, by_name=False):
    """Load a Keras 2 weights group (a whole file or its ``model_weights``) into ``model``."""
    group = h5file
    if "layer_names" not in h5file.attrs and "model_weights" in h5file:
        group = safety.open_h5_child(h5file, "model_weights", "group", where="legacy .h5 file")
    file_layers = []
    for name in _attr_list(group, "layer_names"):
        layer_group = safety.open_h5_child(group, name, "group", where="legacy .h5 file")
        if layer_group is not None and _attr_list(layer_group, "weight_names"):
            file_layers.append(name)
    model_layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if by_name:
        by = {layer.name: layer for layer in model_layers}
        pairs = [(name, by[name]) for name in file_layers if name in by]
    else:
        if len(file_layers) != len(model_layers):
            raise ValueError(
                f"The Keras 2 weights file has weights for {len(file_layers)} layers "
                f"{file_layers}, but model '{model.name}' has {len(model_layers)} layers with "
                f"weights {[layer.name for layer in model_layers]}. Build the same model as the "
                "one that was saved, or pass by_name=True to match layers by name."
            )
        pairs = list(zip(file_layers, model_layers))
    for name, layer in pairs:
        values = _read_layer_weights(group, name)
        weights = _legacy_weights(layer)
        problem = None
        if len(values) != len(weights):
            problem = (
                f"layer '{layer.name}' has {len(weights)} weights but the file's layer "
                f"{name!r} has {len(values)}"
            )
        else:
            for w, v in zip(weights, values):
                if tuple(w.shape) != tuple(v.shape):
                    problem = (
                        f"weight '{w.name}' of layer '{layer.name}' has shape {tuple(w.shape)} "
                        f"but the file's layer {name!r} has shape {tuple(v.shape)}"
                    )
                    break
        if problem is not None:
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights: {problem}.", stacklevel=3)
                continue
            raise ValueError(f"Cannot load the Keras 2 weights: {problem}.")
        for w, v in zip(weights, values):
            w.assign(v.astype(w.value.dtype, copy=False))


def load_model_from_h5(path, custom_objects=None, compile=True, safe_mode=True):
    """Load a whole model saved by tf.keras / Keras 2 with ``model.save("m.h5")``."""
    h5py = safety.require_h5py()
    try:
        h5file = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path!r} is not an HDF5 file, or it is damaged (truncated or "
                         f"corrupted). Details: {e}") from None
    with h5file:
        raw = h5file.attrs.get("model_config")
        if raw is None:
            if "layer_names" in h5file.attrs:
                raise ValueError(
                    f"{path!r} holds only weights (it was written by save_weights). Build the "
                    "model in code and call model.load_weights(path)."
                )
            raise ValueError(f"{path!r} is not a Keras model file: it has no model_config.")
        config = safety.parse_json(_attr_text(raw), what="the model_config of the .h5 file")
        from lamina.saving.keras_file import model_from_config

        model = model_from_config(config, custom_objects, compile=False, safe_mode=safe_mode)
        if "model_weights" not in h5file:
            raise ValueError(f"{path!r} has no model_weights group.")
        load_weights_from_legacy(model, h5file)
        if compile:
            raw_training = h5file.attrs.get("training_config")
            if raw_training is None:
                warnings.warn(
                    "No training configuration found in the .h5 file, so the model was not "
                    "compiled. Compile it yourself.",
                    stacklevel=3,
                )
            else:
                training = safety.parse_json(_attr_text(raw_training), what="training_config")
                _compile_legacy(model, training, custom_objects, safe_mode)
    return model


def _compile_legacy(model, training, custom_objects, safe_mode):
    ctx = de._Context(custom_objects, safe_mode)
    token = de._CONTEXT.set(ctx)
    try:
        optimizer_config = training.get("optimizer_config")
        optimizer = None
        if optimizer_config is not None:
            config = dict(optimizer_config.get("config") or {})
            config.pop("is_legacy_optimizer", None)
            name = str(optimizer_config.get("class_name", ""))
            if name.startswith("Custom>") and name[len("Custom>"):] in ser.builtin_classes(
                    "optimizer"):
                name = name[len("Custom>"):]  # tf.keras 2.11+ files name built-ins this way
            optimizer = de._deserialize({"class_name": name, "config": config}, ctx, "optimizer")
        compile_config = {
            "optimizer": optimizer,
            "loss": de._deserialize(training.get("loss"), ctx, "loss"),
            "metrics": training.get("metrics"),
            "weighted_metrics": training.get("weighted_metrics"),
            "loss_weights": training.get("loss_weights"),
        }
        rebuild.compile_from_config(model, compile_config, ctx)
    finally:
        de._CONTEXT.reset(token)
    warnings.warn(
        "Loaded a legacy '.h5' model: it is compiled with its saved settings, but its "
        "optimizer starts fresh (as in Keras 3, an .h5 file's optimizer state is not "
        "restored; save as '.keras' to resume training exactly).",
        stacklevel=3,
    )
