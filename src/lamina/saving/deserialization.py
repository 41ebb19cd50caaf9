"""Objects from Keras 3's config dicts, by registered name only (``serialization.py`` writes them).

Reading a config never imports a module and never runs code from the file: a
class is found only among lamina's own classes (by Keras module and class
name, from the registry), in the objects registered with
``register_keras_serializable``, or in ``custom_objects``. Python lambdas saved
by Keras (``"__lambda__"``, byte code) are always refused; with
``safe_mode=False`` a replacement function given in ``custom_objects`` can
stand in for one.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import inspect

import numpy as np

from lamina.saving.kinds import (
    _DTYPE_POLICIES,
    _KEY_SUFFIX_KINDS,
    _KIND_MODULES,
    _LAMINA_MODULES,
    _MODULE_KINDS,
    _SERIALIZABLE_KINDS,
    _SPECIAL_CLASSES,
    UnknownObjectError,
    _base_class,
    _kind_of,
    builtin_classes,
)
from lamina.saving.serialization import _builtin_function
from lamina.utils import object_registration as reg
from lamina.version import __version__

__all__ = ["deserialize_keras_object", "deserialize_layer", "loading", "shape_tuple"]


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
            if class_name == "Lambda":
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
            f"{__version__} does not provide. lamina has these {noun}s: "
            f"{', '.join(available)}."
            + (f" (The closest is '{guess}'.)" if guess else "")
            + " Rebuild the model with supported layers, or load it with Keras."
        )
    shown = registered or class_name
    short = str(shown).split(">")[-1]
    return UnknownObjectError(
        f"This file uses the class '{shown}'{where} (module {module!r}), which is not a Keras "
        f"class that lamina {__version__} provides, and was not registered or given. "
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
        from lamina.saving.rebuild import build_from_config, compile_from_config

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


def shape_tuple(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [shape_tuple(s) for s in shape]
    return tuple(None if d is None else int(d) for d in shape)


@contextlib.contextmanager
def loading(custom_objects=None):
    """Everything read inside shares one load (custom objects, shared objects, safe mode)."""
    ctx = current_context(custom_objects)
    token = _CONTEXT.set(ctx) if _CONTEXT.get() is None else None
    try:
        yield ctx
    finally:
        if token is not None:
            _CONTEXT.reset(token)


def deserialize_layer(config, custom_objects=None):
    """A layer from its Keras config dict (``lamina.layers.deserialize``)."""
    from lamina.layers.layer import Layer

    if isinstance(config, Layer):
        return config
    with loading(custom_objects) as ctx:
        return _deserialize_layer(config, ctx)


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
