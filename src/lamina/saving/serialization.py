"""Objects to and from Keras 3's config dicts, by registered name only.

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

import contextvars
import importlib
import inspect
import types

import numpy as np

from lamina.saving import object_registration as reg

__all__ = [
    "deserialize_keras_object",
    "serialize_keras_object",
    "UnknownObjectError",
]


class UnknownObjectError(ValueError):
    """A config names a class or function that lamina does not have and was not given."""


# ---------------------------------------------------------------------------------------------
# Kinds of objects: the Keras module they are saved under and lamina's classes of that kind.

_KIND_MODULES = {
    "layer": "keras.layers",
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "constraint": "keras.constraints",
    "optimizer": "keras.optimizers",
    "schedule": "keras.optimizers.schedules",
    "loss": "keras.losses",
    "metric": "keras.metrics",
    "activation": "keras.activations",
}
_MODULE_KINDS = {module: kind for kind, module in _KIND_MODULES.items()}
_MODULE_KINDS.update({
    "keras.models": "layer",
    "keras.src.models.functional": "layer",
    "keras.src.models.sequential": "layer",
    "keras.src.models.model": "layer",
    "keras.optimizers.legacy": "optimizer",
})
# Config keys whose dicts (in Keras 2 configs, without "module") are of a known kind.
_KEY_SUFFIX_KINDS = (
    ("initializer", "initializer"),
    ("regularizer", "regularizer"),
    ("constraint", "constraint"),
)
_SPECIAL_CLASSES = ("__tuple__", "__numpy__", "__tensor__", "__bytes__", "__keras_tensor__",
                    "__lambda__", "__ellipsis__", "__slice__", "__typespec__")
_DTYPE_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


def _base_class(kind):
    if kind == "layer":
        from lamina.layers.layer import Layer

        return Layer
    if kind == "optimizer":
        from lamina.optimizers.optimizer import Optimizer

        return Optimizer
    if kind == "schedule":
        from lamina.optimizers.schedules import LearningRateSchedule

        return LearningRateSchedule
    if kind == "loss":
        from lamina.losses.loss import Loss

        return Loss
    if kind == "metric":
        from lamina.metrics.metric import Metric

        return Metric
    if kind == "initializer":
        from lamina.initializers import Initializer

        return Initializer
    if kind == "regularizer":
        from lamina.regularizers import Regularizer

        return Regularizer
    if kind == "constraint":
        from lamina.constraints import Constraint

        return Constraint
    return None


_LAMINA_MODULES = {
    "layer": "lamina.layers", "optimizer": "lamina.optimizers",
    "schedule": "lamina.optimizers.schedules", "loss": "lamina.losses",
    "metric": "lamina.metrics", "initializer": "lamina.initializers",
    "regularizer": "lamina.regularizers", "constraint": "lamina.constraints",
    "activation": "lamina.activations",
}
_SERIALIZABLE_KINDS = ("layer", "optimizer", "schedule", "loss", "metric", "initializer",
                       "regularizer", "constraint")
_TABLES: dict = {}


def builtin_classes(kind: str) -> dict:
    """lamina's public classes of ``kind`` by class name (what a Keras file may name)."""
    if kind in _TABLES:
        return _TABLES[kind]
    if kind == "layer":
        from lamina.layers import serialization as layer_serialization

        table = layer_serialization.builtin_layer_classes()
    else:
        module_name = _LAMINA_MODULES[kind]
        module = importlib.import_module(module_name)
        base = _base_class(kind)
        table = {}
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) and issubclass(obj, base) and obj.__name__ == name:
                table[name] = obj
        for abstract in ("Loss", "Metric", "Optimizer", "Initializer", "Regularizer",
                         "Constraint", "LearningRateSchedule", "RandomInitializer"):
            table.pop(abstract, None)
    _TABLES[kind] = table
    return table


def _kind_of(obj) -> str | None:
    for kind in _SERIALIZABLE_KINDS:
        base = _base_class(kind)
        if base is not None and isinstance(obj, base):
            return kind
    return None


def _is_builtin_class(cls, kind) -> bool:
    if not cls.__module__.startswith("lamina."):
        return False
    return builtin_classes(kind).get(cls.__name__) is cls or _is_builtin_model(cls)


def _is_lambda_stand_in(cls) -> bool:
    from lamina.saving.lambda_layer import LambdaStandIn

    return cls is LambdaStandIn


def _is_builtin_model(cls) -> bool:
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    return cls in (Sequential, Functional)


# ---------------------------------------------------------------------------------------------
# Serializing


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
    out = {"module": module, "class_name": cls.__name__, "config": config,
           "registered_name": registered}
    if kind == "layer":
        build = get_build_config(obj)
        if build is not None:
            out["build_config"] = build
        from lamina.models.model import Model

        if isinstance(obj, Model):
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
        registered = reg.get_registered_name(fn)
        return {"module": fn.__module__, "class_name": "function", "config": registered,
                "registered_name": registered}
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
    """``{"input_shape": [...]}`` for a built layer (what Keras's ``get_build_config`` gives)."""
    custom = getattr(type(layer), "get_build_config", None)
    if custom is not None:
        return layer.get_build_config()
    from lamina.layers.input_layer import InputLayer
    from lamina.models.functional import Functional

    if isinstance(layer, InputLayer):
        return None
    if isinstance(layer, Functional):
        return {"input_shape": None}
    from lamina.layers.layer import Layer

    shape = getattr(layer, "_build_shape", None)
    if shape is None or not getattr(layer, "built", False):
        return None
    if type(layer).build is Layer.build and not layer.weights and not layer._layers:
        return None  # nothing to build (Keras writes no build_config for such layers either)
    return {"input_shape": _shape_list(shape)}


def _shape_list(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_shape_list(s) for s in shape]
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
        "steps_per_execution": 1,
        "jit_compile": False,
    }


# ---------------------------------------------------------------------------------------------
# Deserializing


class _Context:
    """What one load knows: custom objects, safe mode, objects shared by id."""

    def __init__(self, custom_objects, safe_mode):
        self.custom_objects = reg.merged_custom_objects(custom_objects)
        self.safe_mode = bool(safe_mode)
        self.shared: dict = {}
        self.compile = True
        self.layer_path: list = []


_CONTEXT: contextvars.ContextVar = contextvars.ContextVar("lamina_load_context", default=None)


def current_context(custom_objects=None, safe_mode=True) -> _Context:
    ctx = _CONTEXT.get()
    if ctx is None:
        return _Context(custom_objects, safe_mode)
    if custom_objects:
        ctx.custom_objects.update(custom_objects)
    return ctx


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuild the object a Keras config describes (the reverse of ``serialize_keras_object``).

    Args:
        config: a config dict (or a list of them, or a plain value).
        custom_objects: ``{name: class_or_function}`` for your own objects. Registered
            objects (``register_keras_serializable``) are found without it.
        safe_mode: keep ``True``. With ``False``, a Keras lambda (saved as byte code,
            which lamina never runs) may be replaced by a function you give in
            ``custom_objects`` under the name of the layer or argument that held it.

    Raises:
        UnknownObjectError: for a class or function that lamina does not have and that
            was not registered or given.

    Example:
        >>> import lamina.saving
        >>> loss = lamina.saving.deserialize_keras_object(
        ...     {"module": "keras.losses", "class_name": "Huber", "config": {"delta": 2.0},
        ...      "registered_name": None})
        >>> type(loss).__name__, loss.delta
        ('Huber', 2.0)
    """
    module_objects = kwargs.pop("module_objects", None)
    kind = kwargs.pop("kind", None)
    if kwargs:
        raise TypeError(f"deserialize_keras_object got unexpected arguments {sorted(kwargs)}.")
    outer = _CONTEXT.get()
    ctx = current_context(custom_objects, safe_mode)
    if module_objects:
        ctx.custom_objects = {**module_objects, **ctx.custom_objects}
    if outer is not None:
        return _deserialize(config, ctx, kind)
    token = _CONTEXT.set(ctx)
    try:
        with reg.CustomObjectScope(ctx.custom_objects):
            return _deserialize(config, ctx, kind)
    finally:
        _CONTEXT.reset(token)


def _deserialize(config, ctx, kind=None, key=None):
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        obj = ctx.custom_objects.get(config)
        return obj if obj is not None else config
    if isinstance(config, (list, tuple)):
        return [_deserialize(x, ctx, kind) for x in config]
    if not isinstance(config, dict):
        if _kind_of(config) is not None or callable(config):
            return config  # already an object
        raise TypeError(f"Could not read the config value {config!r} ({type(config).__name__}).")
    if "class_name" not in config or "config" not in config:
        return {k: _deserialize(v, ctx, key=k) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if class_name in _SPECIAL_CLASSES:
        return _deserialize_special(class_name, inner, ctx, key)
    if class_name in _DTYPE_POLICIES:
        name = inner.get("name") if isinstance(inner, dict) else None
        return name or "float32"
    module = config.get("module")
    registered = config.get("registered_name")
    if class_name == "function":
        return _resolve_function(inner, registered, module, ctx, kind, key)
    if not isinstance(inner, dict):
        raise TypeError(
            f"The config of {class_name!r} must be a dict; the file has {type(inner).__name__}."
        )
    shared_id = config.get("shared_object_id")
    if shared_id is not None and shared_id in ctx.shared:
        return ctx.shared[shared_id]
    cls, cls_kind = _resolve_class(class_name, registered, module, ctx, kind, config)
    if inspect.isfunction(cls) or not inspect.isclass(cls):
        return cls
    obj = _instantiate(cls, cls_kind, inner, config, ctx)
    if shared_id is not None:
        ctx.shared[shared_id] = obj
    return obj


def _deserialize_special(class_name, inner, ctx, key):
    if class_name == "__tuple__":
        return tuple(_deserialize(v, ctx) for v in inner.get("value", []))
    if class_name in ("__numpy__", "__tensor__"):
        dtype = np.dtype(inner.get("dtype") or "float32")
        if dtype.kind not in "biuf":
            raise ValueError(f"A saved array has dtype {dtype}; only numeric arrays can be loaded.")
        value = np.asarray(inner.get("value"), dtype=dtype)
        if class_name == "__tensor__":
            from lamina.autodiff.tensor import Tensor

            return Tensor(value)
        return value
    if class_name == "__bytes__":
        return str(inner.get("value", "")).encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(*(_deserialize(inner.get(k), ctx) for k in ("start", "stop", "step")))
    if class_name == "__keras_tensor__":
        return {"__keras_tensor__": inner}
    if class_name == "__lambda__":
        return _refuse_lambda(ctx, key)
    raise UnknownObjectError(f"lamina cannot load a TensorFlow type spec ({class_name}).")


def _refuse_lambda(ctx, key):
    where = ctx.layer_path[-1] if ctx.layer_path else None
    names = [n for n in (where, key) if n]
    if not ctx.safe_mode:
        for name in names:
            fn = ctx.custom_objects.get(name)
            if callable(fn):
                return fn
    place = f" in layer '{where}'" if where else ""
    hint_name = where or key or "the_layer_name"
    if ctx.safe_mode:
        raise ValueError(
            f"Refusing to load a Python lambda{place}: the file stores it as byte code, and "
            "running byte code from a file can execute anything. lamina never runs code from "
            "a model file. If you trust the file and have the function's source, load with "
            f"safe_mode=False and custom_objects={{{hint_name!r}: your_function}}; better, "
            "replace the Lambda layer with a registered custom layer."
        )
    raise ValueError(
        f"The file holds a Python lambda{place} as byte code, which lamina never runs, even "
        f"with safe_mode=False. Pass the function itself: custom_objects={{{hint_name!r}: "
        "your_function}."
    )


def _resolve_function(name, registered, module, ctx, kind, key):
    if not isinstance(name, str):
        raise TypeError(f"A saved function must be stored by name; the file has {name!r}.")
    for candidate in (registered, name):
        if candidate and candidate in ctx.custom_objects:
            return ctx.custom_objects[candidate]
    kinds = []
    if module in _MODULE_KINDS:
        kinds.append(_MODULE_KINDS[module])
    if kind in ("activation", "loss", "metric"):
        kinds.append(kind)
    kinds += ["activation", "loss", "metric"]
    if module in _MODULE_KINDS or module in (None, "builtins") or str(module).startswith(
            ("keras.", "lamina.")):
        for k in kinds:
            fn = _builtin_function(k, name)
            if fn is not None:
                return fn
    if ">" not in name:  # Keras <= 3.6 saved custom functions without their package
        for custom_name, obj in ctx.custom_objects.items():
            if custom_name.endswith(f">{name}"):
                return obj
    raise UnknownObjectError(
        f"The model file refers to the function {registered or name!r} (module {module!r}), "
        "which lamina does not provide. If it is your own function, pass it when loading: "
        f"custom_objects={{{name!r}: {name.split('>')[-1]}}}, or decorate it with "
        "@lamina.saving.register_keras_serializable()."
    )


def _resolve_class(class_name, registered, module, ctx, kind, config):
    """The class a config names and its kind; never imports anything."""
    custom = ctx.custom_objects
    for candidate in (registered, class_name):
        if candidate and candidate in custom:
            obj = custom[candidate]
            return obj, _class_kind(obj) or kind
    if registered == class_name and module and not str(module).startswith("keras"):
        # Saved by bare class name (as older Keras did): a registered class of that name.
        matches = [obj for key, obj in custom.items()
                   if key.endswith(f">{class_name}") and inspect.isclass(obj)]
        if len(matches) == 1:
            return matches[0], _class_kind(matches[0]) or kind
    module_kind = _MODULE_KINDS.get(module) if module else None
    if "module" not in config:  # a Keras 2 config: class names only
        search = [k for k in (kind,) if k] + [k for k in _SERIALIZABLE_KINDS if k != kind]
    elif module == "keras" or str(module).startswith("keras."):
        search = [k for k in (module_kind, kind) if k]
        if module == "keras" or str(module).startswith("keras.src."):
            search += [k for k in _SERIALIZABLE_KINDS if k not in search]
        if registered not in (None, class_name) and registered not in ("Functional",):
            search = []  # a custom class saved from a keras.* module: must be given
    else:
        search = []  # your own class (module None or yours): only by registration or name
    for k in search:
        cls = builtin_classes(k).get(class_name)
        if cls is None and k == "layer":
            from lamina.layers import serialization as layer_serialization

            cls = layer_serialization.registered_layer(class_name)
            if cls is None and class_name == "Lambda":
                from lamina.saving.lambda_layer import LambdaStandIn

                cls = LambdaStandIn
        if cls is not None:
            return cls, k
    raise _unknown_class_error(class_name, registered, module, module_kind or kind, ctx, config)


def _class_kind(obj):
    if not inspect.isclass(obj):
        return None
    for kind in _SERIALIZABLE_KINDS:
        base = _base_class(kind)
        if base is not None and issubclass(obj, base):
            return kind
    return None


def _unknown_class_error(class_name, registered, module, kind, ctx, config=None):
    import lamina

    inner = config.get("config") if isinstance(config, dict) else None
    name = inner.get("name") if isinstance(inner, dict) else None
    where = f" (layer '{name}')" if name and kind == "layer" else ""
    is_keras = module is not None and (module == "keras" or str(module).startswith("keras."))
    if is_keras and kind in _KIND_MODULES and registered in (None, class_name):
        noun = {"schedule": "learning-rate schedule"}.get(kind, kind)
        available = sorted(builtin_classes(kind)) if kind in _SERIALIZABLE_KINDS else []
        from lamina.utils.naming import closest

        guess = closest(class_name, available)
        return UnknownObjectError(
            f"This file uses the Keras {noun} '{class_name}'{where}, which lamina "
            f"{lamina.__version__} does not provide. lamina has these {noun}s: "
            f"{', '.join(available)}."
            + (f" (The closest is '{guess}'.)" if guess else "")
            + " Rebuild the model with supported layers, or load it with Keras."
        )
    shown = registered or class_name
    short = str(shown).split(">")[-1]
    return UnknownObjectError(
        f"This file uses the class '{shown}'{where} (module {module!r}), which is not a Keras "
        f"class that lamina {lamina.__version__} provides, and was not registered or given. "
        "lamina never imports modules named in a file. If it is your own class, pass it when "
        f"loading: custom_objects={{{short!r}: {short}}}, or decorate the class with "
        "@lamina.saving.register_keras_serializable()."
    )


def _instantiate(cls, kind, inner, full_config, ctx):
    if kind == "layer":
        return _instantiate_layer(cls, inner, full_config, ctx)
    if kind in _SERIALIZABLE_KINDS and cls.__module__.startswith("lamina."):
        inner = _prepare_builtin_config(inner, ctx)
    if not hasattr(cls, "from_config"):
        raise TypeError(f"{cls.__name__} has no from_config() method, so it cannot be loaded.")
    try:
        params = inspect.signature(cls.from_config).parameters
        if "custom_objects" in params:
            return cls.from_config(inner, custom_objects=ctx.custom_objects)
        return cls.from_config(inner)
    except TypeError as e:
        raise TypeError(
            f"Could not rebuild {cls.__name__} from its saved config {inner!r}: {e}"
        ) from e


def _prepare_builtin_config(inner, ctx):
    """Turn the nested configs of a lamina class's arguments into objects."""
    out = {}
    for key, value in inner.items():
        if isinstance(value, dict) and "class_name" in value:
            kind = _key_kind(key)
            if ("module" not in value and kind is not None
                    and value.get("class_name") not in _SPECIAL_CLASSES):
                value = _legacy_nested(kind, value, ctx)
            else:
                value = _deserialize(value, ctx, kind, key)
        out[key] = value
    return out


def _key_kind(key):
    for suffix, kind in _KEY_SUFFIX_KINDS:
        if key.endswith(suffix):
            return kind
    return {"activation": "activation", "learning_rate": "schedule", "fn": "loss",
            "dtype": None}.get(key)


def _legacy_nested(kind, value, ctx):
    """A Keras 2 nested config ({"class_name", "config"} without "module")."""
    name = value.get("class_name")
    for candidate in (value.get("registered_name"), name):
        if candidate and candidate in ctx.custom_objects:
            obj = ctx.custom_objects[candidate]
            if inspect.isclass(obj):
                return obj.from_config(value.get("config") or {})
            return obj
    module = importlib.import_module(_LAMINA_MODULES[kind])
    return module.deserialize(value, custom_objects=ctx.custom_objects)


def _instantiate_layer(cls, inner, full_config, ctx):
    from lamina.layers.layer import Layer

    name = inner.get("name") if isinstance(inner, dict) else None
    ctx.layer_path.append(name or cls.__name__)
    try:
        builtin = cls.__module__.startswith("lamina.")
        config = _prepare_builtin_config(inner, ctx) if builtin else dict(inner)
        if "module" not in full_config:  # a Keras 2 config
            config = _upgrade_keras2_layer_config(cls, config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = _deserialize(config["dtype"], ctx)
        try:
            params = inspect.signature(cls.from_config).parameters
            if "custom_objects" in params:
                layer = cls.from_config(config, custom_objects=ctx.custom_objects)
            else:
                layer = cls.from_config(config)
        except TypeError as e:
            if isinstance(e, _RebuildError):
                raise
            hint = "" if builtin else (
                " Make sure the class's get_config() returns every argument of __init__ and "
                "that from_config() rebuilds nested objects.")
            raise _RebuildError(
                f"Could not rebuild layer '{name}' ({cls.__name__}) from its saved config: "
                f"{e}{hint}"
            ) from e
        if not isinstance(layer, Layer):
            raise TypeError(f"{cls.__name__}.from_config did not return a layer.")
        build_config = full_config.get("build_config")
        if build_config and not layer.built:
            build_from_config(layer, build_config)
        compile_config = full_config.get("compile_config")
        if compile_config and ctx.compile:
            compile_from_config(layer, compile_config, ctx)
        return layer
    finally:
        ctx.layer_path.pop()


class _RebuildError(TypeError):
    """A layer could not be rebuilt from its config (raised once, at the innermost layer)."""


def _upgrade_keras2_layer_config(cls, config):
    """Keras 2 spellings that Keras 3's layers (and lamina's) no longer take."""
    axis = config.get("axis")
    if cls.__name__ == "BatchNormalization" and isinstance(axis, list) and len(axis) == 1:
        config = {**config, "axis": axis[0]}
    return config


def build_from_config(layer, build_config) -> None:
    """Create a layer's weights from its saved ``build_config`` (as Keras does on loading)."""
    custom = getattr(type(layer), "build_from_config", None)
    if custom is not None:
        layer.build_from_config(build_config)
        return
    shape = build_config.get("input_shape")
    if shape is None:
        return
    shape = _shape_tuple(shape)
    from lamina.models.model import Model
    from lamina.models.sequential import Sequential

    if isinstance(layer, Sequential):
        if not layer.built:
            layer.build(shape)
        return
    if isinstance(layer, Model):
        _call_on_zeros(layer, shape)
        return
    layer._maybe_build(shape)
    if any(not sub.built for sub in layer._all_layers()):
        _call_on_zeros(layer, shape)


def _shape_tuple(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_shape_tuple(s) for s in shape]
    return tuple(None if d is None else int(d) for d in shape)


def _call_on_zeros(layer, shape):
    """Run ``layer`` once on zeros of ``shape`` (None dimensions as 1) to create lazy weights."""
    def zeros(s):
        return np.zeros(tuple(1 if d is None else d for d in s), dtype=layer.dtype)

    data = [zeros(s) for s in shape] if isinstance(shape, list) else zeros(shape)
    try:
        layer(data, training=False)
    except TypeError:
        layer(data)


def compile_from_config(model, compile_config, ctx=None) -> None:
    """Compile ``model`` with the saved ``compile_config`` and build its optimizer."""
    ctx = ctx or current_context()
    optimizer = _deserialize(compile_config.get("optimizer"), ctx, "optimizer")
    loss = compile_config.get("loss")
    loss = _deserialize(loss, ctx, "loss") if isinstance(loss, (dict, list)) else loss
    metrics = _deserialize(compile_config.get("metrics"), ctx, "metric")
    weighted = _deserialize(compile_config.get("weighted_metrics"), ctx, "metric")
    model.compile(
        optimizer=optimizer if optimizer is not None else "rmsprop",
        loss=loss,
        loss_weights=compile_config.get("loss_weights"),
        metrics=_flatten_metrics(metrics),
        weighted_metrics=_flatten_metrics(weighted),
    )
    if model.built and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def _flatten_metrics(metrics):
    """Keras 2 files nest metrics per output ([["accuracy"]]); lamina takes one flat list."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    flat = []
    for m in metrics:
        if isinstance(m, (list, tuple)):
            flat.extend(_flatten_metrics(list(m)))
        else:
            flat.append(m)
    return flat or None


# ---------------------------------------------------------------------------------------------
# Sequential and functional model configs


def sequential_config(model) -> dict:
    """Keras's config of a ``Sequential``: its layers (input layer first) and build shape."""
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": dtype_policy(model.dtype),
        "layers": [serialize_keras_object(layer) for layer in _sequential_layers(model)],
    }
    shape = getattr(model, "_build_shape", None)
    if model.built and shape is not None:
        config["build_input_shape"] = _shape_list(shape)
    return config


def _sequential_layers(model) -> list:
    """The input layer (if any) then the layers, each once."""
    out = [model._input_layer] if model._input_layer is not None else []
    for layer in model.layers:
        if all(layer is not seen for seen in out):
            out.append(layer)
    return out


def dtype_policy(name) -> dict:
    """Keras's ``DTypePolicy`` dict for a dtype name."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": str(name)},
            "registered_name": None}


def sequential_from_config(cls, config, custom_objects=None):
    """Rebuild a ``Sequential`` from ``sequential_config``'s dict (or Keras's, or Keras 2's)."""
    from lamina.layers.input_layer import InputLayer

    ctx = current_context(custom_objects)
    token = _CONTEXT.set(ctx) if _CONTEXT.get() is None else None
    try:
        layer_configs = config.get("layers", config if isinstance(config, list) else [])
        dtype = config.get("dtype") if isinstance(config, dict) else None
        if isinstance(dtype, dict):
            dtype = _deserialize(dtype, ctx)
        kwargs = {"name": config.get("name"), "trainable": config.get("trainable", True)}
        if dtype is not None:
            kwargs["dtype"] = dtype
        model = cls(**kwargs)
        for layer_config in layer_configs:
            layer = _deserialize_layer(layer_config, ctx)
            if isinstance(layer, InputLayer) and model._layers:
                continue
            model.add(layer, rebuild=False)
        model._maybe_rebuild()
        shape = config.get("build_input_shape")
        if not model.built and shape and model.layers:
            model.build(_shape_tuple(shape))
        return model
    finally:
        if token is not None:
            _CONTEXT.reset(token)


def _deserialize_layer(layer_config, ctx):
    from lamina.layers.layer import Layer

    if isinstance(layer_config, Layer):
        return layer_config
    if not isinstance(layer_config, dict) or "class_name" not in layer_config:
        raise ValueError(
            "A layer config must be a dict with 'class_name' and 'config'; the file has "
            f"{type(layer_config).__name__}."
        )
    layer = _deserialize(layer_config, ctx, "layer")
    if not isinstance(layer, Layer):
        raise TypeError(
            f"The config of {layer_config.get('class_name')!r} did not give a layer "
            f"(got {type(layer).__name__})."
        )
    return layer


def functional_config(model) -> dict:
    """Keras's config of a functional model: layers with their inbound nodes, inputs, outputs."""
    from lamina.models.model import Model

    history = {}  # id(KerasTensor) -> [layer name, node index, tensor index]
    for t in model.inputs:
        history[id(t)] = [t._keras_history[0].name, 0, 0]
    calls: dict = {}
    nodes: dict = {}
    for layer, layer_inputs, outs in model._steps:
        index = calls.get(id(layer), 0)
        calls[id(layer)] = index + 1
        for i, t in enumerate(outs):
            history[id(t)] = [layer.name, index, i]
        nodes.setdefault(id(layer), []).append(layer_inputs)

    def ref(t):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype,
                           "keras_history": history[id(t)]}}

    layers = []
    for layer in model.layers:
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        inbound = []
        for layer_inputs in nodes.get(id(layer), []):
            if isinstance(layer_inputs, (list, tuple)):
                args = [[ref(t) for t in layer_inputs]]
            else:
                args = [ref(layer_inputs)]
            inbound.append({"args": args, "kwargs": {"mask": None} if isinstance(layer, Model)
                            else {}})
        entry["inbound_nodes"] = inbound
        layers.append(entry)

    def endpoints(tensors, struct):
        triples = [history[id(t)] for t in tensors]
        return triples[0] if len(triples) == 1 and not isinstance(struct, (list, tuple)) \
            else triples

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": endpoints(model.inputs, model._inputs_struct),
        "output_layers": endpoints(model.outputs, model._outputs_struct),
    }


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from ``functional_config``'s dict (or Keras's / Keras 2's)."""
    from lamina.layers.input_layer import InputLayer

    ctx = current_context(custom_objects)
    token = _CONTEXT.set(ctx) if _CONTEXT.get() is None else None
    try:
        created, outputs, pending = {}, {}, []
        for entry in config.get("layers", []):
            layer = _deserialize_layer(entry, ctx)
            name = entry.get("name") or layer.name
            if name in created:
                raise ValueError(f"The model config has two layers named {name!r}.")
            created[name] = layer
            if isinstance(layer, InputLayer):
                outputs[(name, 0)] = [layer.output]
            for node_index, node in enumerate(entry.get("inbound_nodes") or []):
                pending.append((name, node_index, node))
        while pending:
            progress, waiting = False, []
            for name, node_index, node in pending:
                args = _node_inputs(node)
                try:
                    tensors = _resolve_tensors(args, outputs)
                except KeyError:
                    waiting.append((name, node_index, node))
                    continue
                result = created[name](tensors)
                outputs[(name, node_index)] = result if isinstance(result, list) else [result]
                progress = True
            if not progress:
                missing = sorted({n for n, _, _ in waiting})
                raise ValueError(
                    f"The functional model config cannot be rebuilt: the inputs of layers "
                    f"{missing} are never produced. The file may be damaged."
                )
            pending = waiting

        def endpoint(spec):
            if isinstance(spec, (list, tuple)) and spec and isinstance(spec[0], str):
                return _tensor_at(spec, outputs)
            return [endpoint(s) for s in spec]

        inputs = endpoint(config["input_layers"])
        outs = endpoint(config["output_layers"])
        keras2 = any("module" not in entry for entry in config.get("layers", []))
        if keras2:  # Keras 2 lists every endpoint, even a single one
            inputs = inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs
            outs = outs[0] if isinstance(outs, list) and len(outs) == 1 else outs
        model = cls(inputs=inputs, outputs=outs, name=config.get("name"),
                    trainable=config.get("trainable", True))
        return model
    finally:
        if token is not None:
            _CONTEXT.reset(token)


def _node_inputs(node):
    """The symbolic inputs of one inbound node (Keras 3 dict or Keras 2 list form)."""
    if isinstance(node, dict):
        args = node.get("args", [])
        for value in (node.get("kwargs") or {}).values():
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                raise ValueError(
                    "lamina cannot rebuild a layer call that passes tensors as keyword "
                    "arguments (e.g. masks) in a functional model."
                )
        return args[0] if len(args) == 1 else args
    # Keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
    refs = [[item[0], item[1], item[2]] for item in node]
    return refs[0] if len(refs) == 1 else refs


def _resolve_tensors(args, outputs):
    if isinstance(args, dict) and args.get("class_name") == "__keras_tensor__":
        history = args["config"]["keras_history"]
        return _tensor_at(history, outputs)
    if isinstance(args, (list, tuple)) and len(args) == 3 and isinstance(args[0], str):
        return _tensor_at(args, outputs)
    if isinstance(args, (list, tuple)):
        return [_resolve_tensors(a, outputs) for a in args]
    raise ValueError(f"Unrecognized layer input in a functional config: {args!r}.")


def _tensor_at(history, outputs):
    name, node_index, tensor_index = history[0], int(history[1]), int(history[2])
    return outputs[(name, node_index)][tensor_index]
