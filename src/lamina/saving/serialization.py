"""Objects to Keras 3's config dicts (``deserialization.py`` reads them back).

Every saved object becomes ``{"module", "class_name", "config",
"registered_name"}`` (layers add ``build_config``, models ``compile_config``),
exactly as Keras 3.15 writes it, so files move between lamina and Keras.

Reading a config never imports a module and never runs code from the file: a
class is found only among lamina's own classes (by Keras module and class
name), in the objects registered with ``register_keras_serializable``, or in
``custom_objects``. Python lambdas saved by Keras (``"__lambda__"``, byte code)
are always refused; with ``safe_mode=False`` a replacement function given in
``custom_objects`` can stand in for one.

Example:
    >>> import lamina.saving
    >>> config = lamina.saving.serialize_keras_object(lamina.layers.Dense(2, name="d"))
    >>> config["module"], config["class_name"], config["config"]["units"]
    ('keras.layers', 'Dense', 2)
    >>> layer = lamina.saving.deserialize_keras_object(config)
    >>> type(layer).__name__, layer.name
    ('Dense', 'd')
"""

from __future__ import annotations

import inspect
import types

import numpy as np

from lamina.saving.kinds import (
    _KIND_MODULES,
    UnknownObjectError,
    _is_builtin_class,
    _is_builtin_model,
    _is_lambda_stand_in,
    _kind_of,
    builtin_classes,
)
from lamina.utils import object_registration as reg

__all__ = [
    "deserialize_keras_object",
    "dtype_policy",
    "get_build_config",
    "serialize_keras_object",
    "shape_list",
    "UnknownObjectError",
    "builtin_classes",
]


def serialize_keras_object(obj):
    """Return the JSON-ready config of ``obj``, in Keras 3's format.

    Layers, models, optimizers, schedules, losses, metrics, initializers,
    regularizers and constraints become ``{"module", "class_name", "config",
    "registered_name"}`` dicts; functions are stored by name; NumPy arrays as
    ``"__numpy__"`` values. A lambda is refused: lamina never stores code.

    Example:
        >>> import lamina.saving
        >>> lamina.saving.serialize_keras_object(lamina.losses.Huber(delta=2.0))["config"]["delta"]
        2.0
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    from lamina.autodiff.tensor import Tensor
    from lamina.layers.input_spec import KerasTensor

    if isinstance(obj, KerasTensor):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(obj.shape), "dtype": obj.dtype, "keras_history": None}}
    if isinstance(obj, Tensor):
        return {"class_name": "__tensor__",
                "config": {"value": obj.value.tolist(), "dtype": obj.value.dtype.name}}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return _serialize_function(obj)
    if inspect.isclass(obj):
        return reg.get_registered_name(obj)
    kind = _kind_of(obj)
    if kind is None and not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot save {obj!r} of type {type(obj).__name__}: lamina saves layers, models, "
            "optimizers, losses, metrics, initializers, regularizers, constraints, functions "
            "and plain values. Give the object a get_config() method and register its class "
            "with @lamina.saving.register_keras_serializable()."
        )
    return _serialize_object(obj, kind)


def _serialize_object(obj, kind):
    cls = type(obj)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(
            f"{cls.__name__}.get_config() must return a dict; it returned "
            f"{type(config).__name__}."
        )
    config = {str(k): _fix_registered_names(serialize_keras_object(v)) for k, v in config.items()}
    if kind is not None and (_is_builtin_class(cls, kind) or _is_lambda_stand_in(cls)):
        module, registered = _KIND_MODULES[kind], None
        if kind == "layer" and _is_builtin_model(cls):
            if cls.__name__ == "Sequential":
                module = "keras"
            else:
                module, registered = "keras.src.models.functional", "Functional"
    else:
        module = None if cls.__module__ == "__main__" else cls.__module__
        registered = reg.get_registered_name(cls)
    if "_keras_file_name" in vars(cls):  # (module, registered name) Keras files give it
        module, registered = cls._keras_file_name
    out = {"module": module, "class_name": cls.__name__, "config": config,
           "registered_name": registered}
    if kind == "layer":
        build = get_build_config(obj)
        if build is not None:
            out["build_config"] = build
        if getattr(obj, "_keras_model", False):  # a Model (it says so; saving sits above it)
            out["compile_config"] = get_compile_config(obj)
    return out


def _fix_registered_names(value):
    """Give nested configs of registered classes their ``"Package>Name"``.

    The registries' own ``serialize`` functions (used inside built-in layers'
    ``get_config``) name a custom class by its ``__name__``; Keras needs the
    registered name to find it.
    """
    if isinstance(value, list):
        return [_fix_registered_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "class_name" in value and "config" in value:
        name, module = value.get("class_name"), value.get("module")
        if value.get("registered_name") == name and name not in (None, "function"):
            matches = [key for key, obj in reg.get_custom_objects().items()
                       if inspect.isclass(obj) and obj.__name__ == name
                       and (module is None or obj.__module__ == module)]
            if len(matches) == 1:
                value = {**value, "registered_name": matches[0]}
        return {k: (_fix_registered_names(v) if k == "config" else v) for k, v in value.items()}
    return {k: _fix_registered_names(v) for k, v in value.items()}


def _serialize_function(fn):
    name = getattr(fn, "__name__", None)
    if name == "<lambda>":
        raise ValueError(
            "Cannot save a lambda: lamina never stores Python code in a file (a file with "
            "code would run it when loaded). Define the function with `def my_fn(...)`, "
            "register it with @lamina.saving.register_keras_serializable(), or pass it in "
            "custom_objects={'my_fn': my_fn} when loading."
        )
    if reg.is_registered(fn):
        return {"module": "builtins", "class_name": "function",  # Keras's form
                "config": reg.get_registered_name(fn), "registered_name": "function"}
    module = _builtin_function_module(fn)
    if module is not None:
        return {"module": module, "class_name": "function", "config": name,
                "registered_name": name}
    module = getattr(fn, "__module__", None)
    return {"module": None if module == "__main__" else module, "class_name": "function",
            "config": name, "registered_name": name}


def _builtin_function_module(fn) -> str | None:
    name = getattr(fn, "__name__", None)
    for kind, module in (("activation", "keras.activations"), ("loss", "keras.losses"),
                         ("metric", "keras.metrics")):
        if _builtin_function(kind, name) is fn:
            return module
    return None


def _builtin_function(kind, name):
    if not isinstance(name, str):
        return None
    if kind == "activation":
        from lamina import activations

        return activations._REGISTRY.get(name)
    if kind == "loss":
        from lamina import losses

        obj = getattr(losses, name, None) if name in getattr(losses, "__all__", ()) else None
        return obj if inspect.isfunction(obj) else None
    if kind == "metric":
        from lamina import metrics

        obj = metrics._function_by_name(name)
        return obj if inspect.isfunction(obj) else None
    return None


def get_build_config(layer):
    """The layer's ``get_build_config()`` (``{"input_shape": [...]}`` once built, or None)."""
    return layer.get_build_config()


def shape_list(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [shape_list(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def get_compile_config(model) -> dict:
    """The arguments ``compile`` was given, in Keras's ``compile_config`` format ({} if none)."""
    if not getattr(model, "compiled", False):
        return {}
    metrics = getattr(model, "_metric_specs", None) or None
    weighted = getattr(model, "_weighted_metric_specs", None) or None
    return {
        "optimizer": serialize_keras_object(model.optimizer),
        "loss": serialize_keras_object(model.loss),
        "loss_weights": serialize_keras_object(getattr(model, "loss_weights", None)),
        "metrics": serialize_keras_object(metrics),
        "weighted_metrics": serialize_keras_object(weighted),
        "run_eagerly": False,
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
        "jit_compile": bool(getattr(model, "jit_compile", False)),
    }




def dtype_policy(name) -> dict:
    """Keras's ``DTypePolicy`` dict for a dtype name."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(name)},
            "registered_name": None}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """See ``lamina.saving.deserialization.deserialize_keras_object`` (the reading side)."""
    from lamina.saving import deserialization

    return deserialization.deserialize_keras_object(config, custom_objects, safe_mode, **kwargs)
