"""Your own layers, losses and functions, known to the loader by name.

A model file names classes; it never contains their code. To load a file that
uses a class of your own, lamina must find that class by its name: either
because you registered it with ``register_keras_serializable`` (it is then
saved as ``"Package>Name"``), or because you pass it in ``custom_objects`` /
inside a ``custom_object_scope``.

Example:
    >>> import lamina.saving
    >>> @lamina.saving.register_keras_serializable(package="Demo")
    ... def scaled_mse(y_true, y_pred):
    ...     return lamina.ops.mean((y_true - y_pred) ** 2) * 2.0
    >>> lamina.saving.get_registered_name(scaled_mse)
    'Demo>scaled_mse'
    >>> lamina.saving.get_registered_object("Demo>scaled_mse") is scaled_mse
    True
"""

from __future__ import annotations

import contextvars
import inspect

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
]

_GLOBAL_CUSTOM_OBJECTS: dict = {}
_GLOBAL_CUSTOM_NAMES: dict = {}
_SCOPE: contextvars.ContextVar = contextvars.ContextVar("lamina_custom_objects", default=None)


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: make a class or function loadable from model files as ``"package>name"``.

    Args:
        package: a namespace for your objects (default ``"Custom"``).
        name: the name inside the package (default the class's or function's ``__name__``).

    A class must have a ``get_config`` method (layers, losses, metrics and the
    other lamina base classes do), so that its arguments can be saved.

    Example:
        >>> import lamina.saving
        >>> @lamina.saving.register_keras_serializable(package="Demo")
        ... class Double(lamina.layers.Layer):
        ...     def call(self, x):
        ...         return x * 2.0
        >>> lamina.saving.get_registered_name(Double)
        'Demo>Double'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"The 'package' argument of register_keras_serializable must be a string without "
            f"'>'. Got package={package!r} instead."
        )

    def decorator(obj):
        key = name if name is not None else getattr(obj, "__name__", None)
        if not key:
            raise ValueError(
                f"register_keras_serializable could not find a name for {obj!r}; pass "
                "name='...'."
            )
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: it has no get_config() method, so its "
                "arguments could not be saved. Add `def get_config(self): return {...}`."
            )
        if not inspect.isclass(obj) and getattr(obj, "__name__", "") == "<lambda>" and name is None:
            raise ValueError(
                "A lambda cannot be registered without a name; define it with `def` or pass "
                "name='...'."
            )
        full = f"{package}>{key}"
        _GLOBAL_CUSTOM_OBJECTS[full] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = full
        return obj

    return decorator


def get_registered_name(obj) -> str:
    """The name ``obj`` is saved under: ``"Package>Name"`` if registered, else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def is_registered(obj) -> bool:
    """Whether ``obj`` was registered with ``register_keras_serializable``."""
    try:
        return obj in _GLOBAL_CUSTOM_NAMES
    except TypeError:  # unhashable
        return False


def get_custom_objects() -> dict:
    """The global registry ``{"Package>Name": object}`` (you may add entries to it).

    Example:
        >>> import lamina.saving
        >>> isinstance(lamina.saving.get_custom_objects(), dict)
        True
    """
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered or given under ``name``, or ``None``.

    Looks in the active ``custom_object_scope``, then ``custom_objects``, the global
    registry and ``module_objects``.
    """
    if name is None:
        return None
    scope = _SCOPE.get()
    for table in (scope, custom_objects, _GLOBAL_CUSTOM_OBJECTS, module_objects):
        if table and name in table:
            return table[name]
    return None


def merged_custom_objects(custom_objects=None) -> dict:
    """Everything known by name now: global registry, active scopes and ``custom_objects``."""
    out = dict(_GLOBAL_CUSTOM_OBJECTS)
    out.update(_SCOPE.get() or {})
    out.update(custom_objects or {})
    return out


class CustomObjectScope:
    """Context manager: objects that loading finds by name while the block runs.

    Example:
        >>> import lamina.saving
        >>> def my_loss(y_true, y_pred):
        ...     return lamina.ops.mean(abs(y_true - y_pred))
        >>> with lamina.saving.CustomObjectScope({"my_loss": my_loss}):
        ...     lamina.saving.get_registered_object("my_loss") is my_loss
        True
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if objects:
                if not isinstance(objects, dict):
                    raise TypeError(
                        f"CustomObjectScope takes dicts {{name: object}}; got "
                        f"{type(objects).__name__}."
                    )
                self.custom_objects.update(objects)
        self._token = None

    def __enter__(self):
        merged = dict(_SCOPE.get() or {})
        merged.update(self.custom_objects)
        self._token = _SCOPE.set(merged)
        return self

    def __exit__(self, *exc):
        _SCOPE.reset(self._token)
        return False


custom_object_scope = CustomObjectScope
