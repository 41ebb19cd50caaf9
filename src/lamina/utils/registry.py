"""The steps lamina's registries share: name tables, lookup, and Keras's config dicts.

Each registry module (``lamina.constraints``, ``lamina.initializers``, ...)
keeps its own ``get``, ``serialize`` and ``deserialize``, because what they
accept and how they word their errors differ; the steps that are the same
everywhere live here once:

* ``by_class_name``: the table of a set of classes, by name and snake_case name;
* ``lookup``: a name in ``custom_objects`` first, then in the table, else the
  unknown-name error that lists the valid names and the closest one;
* ``function_config`` / ``object_config``: Keras's config dict of a function
  (stored by name) or of an object with ``get_config``; ``serialize_object``
  picks the right one, or says what is missing;
* ``deserialize``: the object a config (or a bare name) describes (every registry's path);
* ``register_classes`` / ``classes``: lamina's own classes of each kind (layers,
  models, ...) by name, which the packages that define them register when they
  are imported. ``lamina.saving`` finds classes here, so it never imports the
  packages of layers and models to look for them (``classes`` loads the package
  that provides a kind, by name, the first time the kind is asked for).

Nothing is ever imported or executed from a config: names resolve only to
built-in objects or to what the caller passes in ``custom_objects``.

Example:
    >>> from lamina.utils import registry
    >>> from lamina.constraints import NonNeg
    >>> table = registry.by_class_name([NonNeg])
    >>> sorted(table)
    ['NonNeg', 'non_neg']
    >>> registry.object_config(NonNeg(), "keras.constraints", table)["module"]
    'keras.constraints'
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable, Mapping

from lamina.utils import object_registration
from lamina.utils.naming import to_snake_case, unknown_name_error

__all__ = [
    "deserialize",
    "by_class_name",
    "classes",
    "register_classes",
    "register_getter",
    "resolve",
    "function_config",
    "lookup",
    "object_config",
    "serialize_object",
]


def by_class_name(classes: Iterable[type]) -> dict:
    """Map each class's name and its snake_case name to the class.

    Example:
        >>> from lamina.initializers import GlorotUniform
        >>> by_class_name([GlorotUniform])["glorot_uniform"] is GlorotUniform
        True
    """
    table: dict = {}
    for cls in classes:
        table[cls.__name__] = cls
        table[to_snake_case(cls.__name__)] = cls
    return table


def lookup(kind: str, name, objects: Mapping, custom_objects=None, valid=None):
    """Return ``custom_objects[name]`` if there, else ``objects[name]``.

    Args:
        kind: what is looked up, for the error message (``"constraint"``).
        name: the name to find.
        objects: the registry's table of names.
        custom_objects: optional ``{name: object}`` that takes precedence.
        valid: the names the error lists; defaults to the keys of ``objects``.

    Raises:
        ValueError: for a name in neither, listing the valid names and the closest one.

    Example:
        >>> lookup("thing", "b", {"a": 1, "b": 2})
        2
        >>> lookup("thing", "aa", {"a": 1})
        Traceback (most recent call last):
        ...
        ValueError: Unknown thing 'aa'. Valid names: 'a'. Did you mean 'a'?
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in objects:
        return objects[name]
    raise unknown_name_error(kind, name, objects if valid is None else valid)


def function_config(fn) -> dict:
    """Keras's config of a plain function: stored by name, never as code.

    Example:
        >>> def my_penalty(w):
        ...     return 0.0
        >>> function_config(my_penalty)["config"]
        'my_penalty'
    """
    if object_registration.is_registered(fn):  # Keras's form: the "package>name" as config
        return {"module": "builtins", "class_name": "function",
                "config": object_registration.get_registered_name(fn),
                "registered_name": "function"}
    return {
        "module": fn.__module__,
        "class_name": "function",
        "config": fn.__name__,
        "registered_name": fn.__name__,
    }


def object_config(obj, builtin_module: str | None = None, builtins: Mapping | None = None) -> dict:
    """Keras's config of an object with ``get_config``.

    An instance of a built-in class (``builtins[cls.__name__] is cls``) is
    filed under ``builtin_module`` with no registered name; any other class
    under its own module, registered by its class name.

    Args:
        obj: the object to describe.
        builtin_module: the Keras module of the built-in classes, e.g. ``"keras.constraints"``.
        builtins: the registry's ``{name: class}`` table (``None``: nothing is built in).

    Example:
        >>> from lamina.regularizers import L2
        >>> object_config(L2(0.1), "keras.regularizers", {"L2": L2})
        {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.1}, \
'registered_name': None}
    """
    cls = type(obj)
    builtin = builtins is not None and builtins.get(cls.__name__) is cls
    return {
        "module": builtin_module if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def serialize_object(kind: str, obj, builtin_module: str, builtins: Mapping, fix: str) -> dict:
    """Keras's config of a plain function (by name) or of an object with ``get_config``.

    Args:
        kind: what ``obj`` is, for the error message (``"regularizer"``).
        obj: the function or object.
        builtin_module: the Keras module of the built-in classes (see ``object_config``).
        builtins: the registry's ``{name: class}`` table.
        fix: the sentence that ends the error, saying how to make ``obj`` serializable.

    Raises:
        ValueError: for an object that is not a function and has no ``get_config``.

    Example:
        >>> from lamina.constraints import NonNeg
        >>> serialize_object("constraint", NonNeg(), "keras.constraints", {}, "")["module"]
        'lamina.constraints._constraints'
    """
    if isinstance(obj, types.FunctionType):
        return function_config(obj)
    if not hasattr(obj, "get_config"):
        raise ValueError(f"Cannot serialize the {kind} {obj!r}: it has no get_config(). {fix}")
    return object_config(obj, builtin_module, builtins)


def deserialize(kind: str, config, find: Callable, custom_objects=None, *,
                find_function: Callable | None = None, build: Callable | None = None):
    """Build the object a name or a Keras config dict describes: every registry's ``deserialize``.

    ``custom_objects`` comes first, under the ``registered_name`` or the class
    name. A ``"function"`` config (Keras stores functions by name, never as
    code) resolves through ``custom_objects``, then ``find_function`` if the
    registry has built-in functions. Otherwise ``find(class_name,
    custom_objects)`` gives the class, built with ``build(cls, inner_config)``
    when given, else ``from_config`` (or the constructor); anything ``find``
    returns that is not a class is returned as is.

    Args:
        kind: what is built, for the error messages (``"initializer"``).
        config: a name, or ``{"class_name": ..., "config": ..., "registered_name": ...}``.
        find: the registry's lookup, ``find(name, custom_objects)``; it raises for
            an unknown name.
        custom_objects: optional ``{name: class_or_function}``.
        find_function: the registry's lookup of its built-in functions by name.
        build: how the registry builds a class from its inner config.

    Raises:
        ValueError: for a config of another form, or a function that is neither
            built in nor in ``custom_objects``.

    Example:
        >>> from lamina.constraints import MaxNorm
        >>> def find(name, custom_objects=None):
        ...     return lookup("constraint", name, {"MaxNorm": MaxNorm}, custom_objects)
        >>> config = {"class_name": "MaxNorm", "config": {"max_value": 3}}
        >>> deserialize("constraint", config, find)
        MaxNorm(max_value=3, axis=0)
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        article = "An" if kind[:1] in "aeiou" else "A"
        raise ValueError(
            f"{article} {kind} config must be a name or a dict with a 'class_name' key, as "
            f"serialize() writes it. Got {config!r} instead."
        )
    registered = config.get("registered_name")
    class_name = config["class_name"]
    if class_name == "function":
        names = [n for n in (registered, config.get("config")) if isinstance(n, str)]
        if not names:
            raise ValueError(f"A serialized {kind} function needs its name as 'config'. "
                             f"Got {config!r} instead.")
        for name in names:
            found = object_registration.get_registered_object(name, custom_objects)
            if found is not None and name != "function":
                return found
        name = names[-1].split(">")[-1]  # a registered "package>name" falls back to the name
        if find_function is not None:
            return find_function(name, custom_objects)
        raise ValueError(
            f"The {kind} function {names[-1]!r} is not built in. Pass it in "
            f"custom_objects={{{names[-1]!r}: ...}} to load it."
        )
    found = object_registration.get_registered_object(registered, custom_objects)
    if found is not None:
        cls = found
    else:
        cls = find(class_name, custom_objects)
    if not inspect.isclass(cls):
        return cls
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"The config of the {kind} {class_name!r} must be a dict of its "
                         f"arguments; got {inner!r}.")
    inner = dict(inner)
    if build is not None:
        return build(cls, inner)
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


# -- lamina's classes of each kind, registered by the packages that define them -----------------

_CLASSES: dict = {}
_GETTERS: dict = {}
# The packages that register a kind's classes (or its ``get``) when imported, loaded by name
# on the first question: the registry sits below them and imports none of them.
_PROVIDERS = {"layer": ("lamina.layers", "lamina.models"), "initializer": ("lamina.initializers",)}


def _load(kind):
    if kind in _PROVIDERS:
        import importlib

        for module in _PROVIDERS.pop(kind):
            importlib.import_module(module)


def register_getter(kind: str, get) -> None:
    """Make ``get`` (a registry's ``get(identifier)``) the way to resolve a ``kind`` by name."""
    _GETTERS[kind] = get


def resolve(kind: str, identifier):
    """``get(identifier)`` of the registry of ``kind`` (e.g. an initializer from its name)."""
    _load(kind)
    return _GETTERS[kind](identifier)


def register_classes(kind: str, items) -> None:
    """Make ``items`` (classes, or ``(name, class)`` pairs) lamina's own classes of ``kind``."""
    table = _CLASSES.setdefault(kind, {})
    for item in items:
        name, cls = item if isinstance(item, tuple) else (item.__name__, item)
        table[name] = cls


def classes(kind: str) -> dict:
    """``{class name: class}`` of lamina's own classes of ``kind`` (see ``register_classes``)."""
    _load(kind)
    return _CLASSES.get(kind, {})
