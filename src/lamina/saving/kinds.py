"""The kinds of objects Keras files hold, the Keras modules they are filed under, and lamina's
classes of each kind (from the registry of ``lamina.utils.registry``; nothing is imported to find
a class by name)."""

from __future__ import annotations

import importlib
import inspect

from lamina.utils import registry

__all__ = ["UnknownObjectError", "builtin_classes"]


class UnknownObjectError(ValueError):
    """A config names a class or function that lamina does not have and was not given."""


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
    if kind == "layer":  # layers and models, registered by their packages
        table = {name: cls for name, cls in registry.classes("layer").items()
                 if name not in ("Layer", "InputSpec", "KerasTensor")}
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
    """lamina's own Sequential and Functional (each says how Keras files name it)."""
    return "_keras_saved_as" in cls.__dict__
