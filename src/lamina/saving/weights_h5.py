"""Weights in Keras 3's ``.weights.h5`` layout: the model walked as Keras walks it (layers by
attribute name, their variables in order, the optimizer's state), written to HDF5 and read back
with the shapes checked."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np

from lamina.saving import safety

__all__ = ["load_weights_from_h5", "open_h5_bytes", "weights_bytes"]

KERAS_FORMAT_VERSION = "3.15.1"
_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.h5"


# ---------------------------------------------------------------------------------------------
# Walking a model as Keras does


def _snake(name: str) -> str:
    from lamina.utils.naming import to_snake_case

    return to_snake_case(name)


_SKIP_CACHE: dict = {}


def _skipset(obj) -> frozenset:
    """Attributes Keras would not walk: those every lamina layer/model has."""
    from lamina.layers.layer import Layer

    # lamina's own model classes among obj's bases, found by what they say of themselves
    # (saving sits above the models and does not import them).
    model_bases = tuple(base for base in type(obj).__mro__
                        if base.__module__.startswith("lamina.models.")
                        and ("_keras_model" in base.__dict__ or "_keras_saved_as" in base.__dict__))
    key = tuple(base.__name__ for base in model_bases)
    if key in _SKIP_CACHE:
        return _SKIP_CACHE[key]
    skip = set(vars(Layer(name="lamina_probe")))
    for base in model_bases:
        if base.__dict__.get("_functional"):
            skip |= {"_steps", "_inputs_struct", "_outputs_struct", "inputs", "outputs",
                     "_traced"}
        else:
            skip |= set(vars(base(name="lamina_probe"))) - {"optimizer"}
    skip |= {"_layers", "_parent", "_compiled_step", "history"}
    skip.discard("optimizer")
    _SKIP_CACHE[key] = frozenset(skip)
    return _SKIP_CACHE[key]


def _is_saveable(obj) -> bool:
    from lamina.layers.layer import Layer
    from lamina.optimizers.optimizer import Optimizer

    return isinstance(obj, (Layer, Optimizer))


def _children(obj):
    """``(attribute name, child)`` pairs in Keras's order: layers first, then sorted names."""
    from lamina.layers.layer import Layer

    if getattr(obj, "_sequential", False) or getattr(obj, "_functional", False):
        yield "layers", list(obj.layers)
    if not isinstance(obj, Layer):
        return
    skip = _skipset(obj)
    names = sorted(vars(obj), key=lambda n: f"~{n}" if n.startswith("_") else n)
    for name in names:
        if name.startswith("__") or name in skip:
            continue
        value = vars(obj)[name]
        if _is_saveable(value) or isinstance(value, (list, tuple, dict)):
            yield name, value


def _own_variables(obj) -> list:
    from lamina.optimizers.optimizer import Optimizer

    if isinstance(obj, Optimizer):
        return obj.variables
    return list(obj._trainable_variables) + list(obj._non_trainable_variables)


def _overrides(obj, method: str) -> bool:
    """Whether a layer's class defines its own ``method`` (Keras's per-layer variable stores).

    Optimizers are read by this module itself (``_assign_optimizer``).
    """
    from lamina.layers.keras_api import KerasLayerAPI

    if not isinstance(obj, KerasLayerAPI):
        return False
    mine = getattr(type(obj), method, None)
    return mine is not None and mine is not getattr(KerasLayerAPI, method)


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _walk(obj, path, visit, visited, containers=None):
    """Call ``visit(obj, path)`` for every saveable once, in Keras's order."""
    if id(obj) in visited:
        return
    visit(obj, path)
    visited.add(id(obj))
    containers = {} if containers is None else containers
    for name, child in _children(obj):
        if _is_saveable(child):
            _walk(child, _join(path, name), visit, visited, containers)
        else:
            _walk_container(child, _join(path, name), visit, visited, containers)


def _walk_container(container, path, visit, visited, containers):
    # Keyed by id, holding the container so that its id cannot be reused during the walk.
    if id(container) in containers:
        return
    containers[id(container)] = container
    items = list(container.values()) if isinstance(container, dict) else list(container)
    used: dict = {}
    for item in items:
        if _is_saveable(item):
            name = _unique(_snake(type(item).__name__), used)
            _walk(item, _join(path, name), visit, visited, containers)
        elif isinstance(item, (list, tuple, dict)):
            name = _unique("container", used)
            _walk_container(item, _join(path, name), visit, visited, containers)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


# ---------------------------------------------------------------------------------------------
# Weights: writing


def weights_bytes(model) -> bytes:
    h5py = safety.require_h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:

        def visit(obj, path):
            group = f.create_group(_join(path, "vars")) if path else f.create_group("vars")
            name = getattr(obj, "name", None)
            if isinstance(name, str):
                group.attrs["name"] = name
            if _overrides(obj, "save_own_variables"):  # a layer whose state is its own
                store: dict = {}
                obj.save_own_variables(store)
                for key, value in store.items():
                    group.create_dataset(str(key), data=np.asarray(
                        value.numpy() if hasattr(value, "numpy") else value))
                return
            for i, variable in enumerate(_own_variables(obj)):
                group.create_dataset(str(i), data=np.asarray(variable.value))

        _walk(model, "", visit, set())
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Weights: reading


class _Problems:
    def __init__(self):
        self.messages: list = []

    def add(self, message):
        self.messages.append(message)


def _vars_group(h5file, path):
    """The ``<path>/vars`` group, or None; links and odd objects are refused."""
    group = h5file
    parts = [p for p in path.split("/") if p] if path else []
    for part in parts:
        group = safety.open_h5_child(group, part, "group")
        if group is None:
            break
    legacy = path.replace("layers", "_layer_checkpoint_dependencies")
    if group is None and legacy != path and "_layer_checkpoint_dependencies" in h5file:
        # Files from Keras 2.13-2.15's early ".keras" format.
        return _vars_group(h5file, legacy)
    if group is None:
        return None
    return safety.open_h5_child(group, "vars", "group")


def _read_vars(group) -> list:
    keys = list(group.keys())
    expected = [str(i) for i in range(len(keys))]
    if sorted(keys, key=lambda k: (len(k), k)) != expected:
        raise ValueError(
            f"The weights group '{group.name}' holds entries {sorted(keys)}; a Keras file "
            "numbers them 0, 1, 2, ..."
        )
    return [safety.check_h5_dataset(safety.open_h5_child(group, k, "dataset")) for k in expected]


def _warn(message):
    """Warn, pointing at the first caller outside lamina."""
    import sys

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _assign_layer(obj, path, values, problems, skip_mismatch):
    own = _own_variables(obj)
    where = f"layer '{obj.name}' ({type(obj).__name__}, at '{path or '/'}')"
    if len(values) != len(own):
        message = (
            f"{where} has {len(own)} weights {[v.name for v in own]} but the file has "
            f"{len(values)} for it."
        )
        if not own and not obj.built:
            message += (
                " The layer was never built; give it a build() that creates all its weights, "
                "or build the model before loading weights into it."
            )
        if skip_mismatch:
            _warn(f"Skipping {message}")
            return
        problems.add(message)
        return
    for variable, value in zip(own, values):
        if tuple(value.shape) != tuple(variable.shape):
            message = (
                f"{where}: weight '{variable.name}' has shape {tuple(variable.shape)} but the "
                f"file has shape {tuple(value.shape)}."
            )
            if skip_mismatch:
                _warn(f"Skipping {message}")
                return
            problems.add(message)
            return
    for variable, value in zip(own, values):
        variable.assign(value.astype(variable.value.dtype, copy=False))


def _assign_optimizer(optimizer, values):
    own = optimizer.variables
    if len(values) != len(own):
        _warn(
            f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
            f"{len(own)} variables whereas the saved optimizer has {len(values)} variables."
            + ("" if optimizer.built else " The optimizer has not been built yet.")
        )
        return
    for variable, value in zip(own, values):
        if tuple(value.shape) != tuple(variable.shape):
            _warn(
                f"Skipping variable loading for optimizer '{optimizer.name}': its variable "
                f"'{variable.name}' has shape {tuple(variable.shape)} but the file has "
                f"{tuple(value.shape)}."
            )
            return
    for variable, value in zip(own, values):
        variable.assign(value.astype(variable.value.dtype, copy=False))


def load_weights_from_h5(model, h5file, skip_mismatch=False, *, source="weights file"):
    from lamina.optimizers.optimizer import Optimizer

    optimizer = getattr(model, "optimizer", None)
    if (
        isinstance(optimizer, Optimizer)
        and not optimizer.built
        and model.built
        and _vars_group(h5file, "optimizer") is not None
    ):
        optimizer.build(model.trainable_variables)
    problems = _Problems()

    def visit(obj, path):
        group = _vars_group(h5file, path)
        if _overrides(obj, "load_own_variables"):  # the layer reads its own store
            store = {} if group is None else {
                key: safety.check_h5_dataset(safety.open_h5_child(group, key, "dataset"))
                for key in group.keys()}
            try:
                obj.load_own_variables(store)
            except (ValueError, KeyError) as e:
                if not skip_mismatch:
                    raise
                _warn(f"Skipping layer '{obj.name}' at '{path or '/'}': {e}")
            return
        values = _read_vars(group) if group is not None else []
        if isinstance(obj, Optimizer):
            if group is not None:
                _assign_optimizer(obj, values)
            return
        if group is None and not _own_variables(obj):
            return
        _assign_layer(obj, path, values, problems, skip_mismatch)

    _walk(model, "", visit, set())
    if problems.messages:
        count = len(problems.messages)
        raise ValueError(
            f"Could not load the {source} into model '{model.name}': "
            f"{count} layer{'s' if count > 1 else ''} did not match.\n  - "
            + "\n  - ".join(problems.messages)
            + "\nThe model must have the same layers, in the same order and with the same "
            "shapes, as the one that was saved (load_weights(..., skip_mismatch=True) skips "
            "the mismatched layers)."
        )


def open_h5_bytes(data: bytes, what: str):
    h5py = safety.require_h5py()
    try:
        return h5py.File(io.BytesIO(data), "r")
    except OSError as e:
        raise ValueError(f"The {what} is not a valid HDF5 file, or it is damaged (truncated or "
                         f"corrupted). Details: {e}") from None
