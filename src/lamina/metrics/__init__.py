"""``lamina.metrics``: Keras's metrics, and ``get`` to look them up by name.

A metric keeps state across batches: ``update_state(y_true, y_pred,
sample_weight=None)`` adds a batch, ``result()`` reads the value so far and
``reset_state()`` starts again (``fit`` resets its metrics every epoch).
Updates run on plain NumPy arrays, so they cost microseconds.

In ``model.compile(metrics=[...])`` a metric can be given as

* a name: ``"accuracy"`` / ``"acc"`` (the right accuracy is picked from the
  shapes of the labels and outputs, as Keras 3 does: see ``resolve_accuracy``),
  ``"mse"``, ``"mae"``, ``"mape"``, ``"msle"``, ``"auc"``, ``"precision"``,
  ``"recall"``, ``"binary_crossentropy"``, a class name such as
  ``"CategoricalAccuracy"``, ...;
* a ``Metric`` instance, a ``Metric`` class, or a config dict;
* any function ``fn(y_true, y_pred)`` returning one value per sample (it is
  averaged with ``MeanMetricWrapper`` and named after the function).

The loss functions are available here too (``lamina.metrics.mean_squared_error``,
``lamina.metrics.mse``, ``lamina.metrics.categorical_crossentropy``, ...),
as in Keras.

Example:
    >>> import lamina
    >>> m = lamina.metrics.get("mae")
    >>> m.update_state([[1.0], [2.0]], [[1.5], [2.0]])
    >>> float(m.result())
    0.25
"""

from __future__ import annotations

import importlib
import inspect

from lamina.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from lamina.metrics.auc import (
    AUC,
)
from lamina.metrics.confusion_counts import (
    FalseNegatives,
    FalsePositives,
    TrueNegatives,
    TruePositives,
)
from lamina.metrics.confusion_metrics import (
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from lamina.metrics.f_score_metrics import F1Score, FBetaScore
from lamina.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from lamina.metrics.metric import Metric
from lamina.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from lamina.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from lamina.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    cosine_similarity,
)
from lamina.utils import naming, registry

_CLASSES = [
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
    BinaryIoU,
    OneHotIoU,
    OneHotMeanIoU,
]
_METRIC_FUNCTIONS = [
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    cosine_similarity,
]

# Loss functions re-exported as metric functions (keras.metrics.* and tf.keras's aliases);
# resolved on first use from lamina.losses.
_LOSS_FUNCTIONS = {
    name: name
    for name in (
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "sparse_categorical_crossentropy",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "huber",
        "kl_divergence",
        "log_cosh",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "poisson",
    )
}
_LOSS_FUNCTIONS.update(
    {
        "mse": "mean_squared_error",
        "MSE": "mean_squared_error",
        "mae": "mean_absolute_error",
        "MAE": "mean_absolute_error",
        "mape": "mean_absolute_percentage_error",
        "MAPE": "mean_absolute_percentage_error",
        "msle": "mean_squared_logarithmic_error",
        "MSLE": "mean_squared_logarithmic_error",
        "kld": "kl_divergence",
        "KLD": "kl_divergence",
        "kullback_leibler_divergence": "kl_divergence",
        "logcosh": "log_cosh",
    }
)

# Names ``get`` accepts: every class by its name and its snake_case name, and Keras's
# short aliases (which give metric objects, not functions).
_OBJECTS: dict = registry.by_class_name(_CLASSES)
_OBJECTS.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
        # tf.keras spellings
        "kld": KLDivergence,
        "logcosh": LogCoshError,
    }
)
# Abstract entries that cannot be built from a name alone.
_NOT_BY_NAME = {"Metric", "metric", "MeanMetricWrapper", "mean_metric_wrapper"}
# Names resolved from the labels and outputs (see ``get_metric``).

__all__ = sorted(
    {c.__name__ for c in _CLASSES}
    | {f.__name__ for f in _METRIC_FUNCTIONS}
    | set(_LOSS_FUNCTIONS)
    | {"get", "serialize", "deserialize", "get_metric", "resolve_accuracy"}
)


def __getattr__(name):
    if name in _LOSS_FUNCTIONS:
        losses = importlib.import_module("lamina.losses")
        value = getattr(losses, _LOSS_FUNCTIONS[name])
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lamina.metrics' has no attribute {name!r}")


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(set(__all__) | set(_LOSS_FUNCTIONS))


# ---------------------------------------------------------------------------
# Functions by name


def _function_by_name(name: str):
    for fn in _METRIC_FUNCTIONS:
        if fn.__name__ == name:
            return fn
    if name in _LOSS_FUNCTIONS:
        return __getattr__(name)
    return None


def _valid_names() -> list:
    # The snake_case spellings; every class name (e.g. 'MeanSquaredError') works too.
    names = {n for n in _OBJECTS if n not in _NOT_BY_NAME and n.islower()}
    names |= {f.__name__ for f in _METRIC_FUNCTIONS}
    names |= {n for n in _LOSS_FUNCTIONS if n.islower()}
    return sorted(names)


def serialize_function(fn) -> dict:
    """Keras's config dict for a metric or loss function, stored by name (never as code).

    Example:
        >>> import lamina
        >>> serialize_function(lamina.metrics.binary_accuracy)["config"]
        'binary_accuracy'
    """
    if not inspect.isfunction(fn) and not inspect.isbuiltin(fn):
        from lamina import losses

        if isinstance(fn, losses.Loss):
            return losses.serialize(fn)
        raise TypeError(
            f"Cannot serialize {fn!r} as a metric function: pass a named function or a "
            "Metric / Loss object."
        )
    if fn.__name__ == "<lambda>":
        raise ValueError(
            "A lambda cannot be saved as a metric: lamina never stores code. Define it with "
            "`def my_metric(y_true, y_pred): ...` and pass "
            "custom_objects={'my_metric': my_metric} when loading."
        )
    module = fn.__module__ or "builtins"
    if module.startswith("lamina.losses"):
        module = "keras.losses"
    elif module.startswith("lamina.metrics"):
        module = "keras.metrics"
    return {
        "module": module,
        "class_name": "function",
        "config": fn.__name__,
        "registered_name": fn.__name__,
    }


def deserialize_function(config, custom_objects=None):
    """The function named by ``config`` (a name or ``serialize_function``'s dict).

    Example:
        >>> import lamina
        >>> deserialize_function("mse") is lamina.losses.mean_squared_error
        True
    """
    names = [config]
    if isinstance(config, dict):
        if config.get("class_name") not in ("function", None):
            if str(config.get("module", "")).startswith("keras.losses"):
                from lamina import losses

                return losses.deserialize(config, custom_objects)  # a Loss object
            return deserialize(config, custom_objects)
        names = [config.get("registered_name"), config.get("config")]
    if callable(names[-1]):
        return names[-1]
    names = [str(n) for n in names if isinstance(n, str)]
    if not names:
        raise TypeError(
            f"Cannot read a metric function from {config!r}: expected a name or a dict with "
            "'class_name': 'function' and 'config': name."
        )
    for candidate in names:
        if custom_objects and candidate in custom_objects:
            return custom_objects[candidate]
    name = names[-1]
    fn = _function_by_name(name)
    if fn is None:
        raise naming.unknown_name_error(
            "metric function",
            name,
            [f.__name__ for f in _METRIC_FUNCTIONS]
            + [n for n in _LOSS_FUNCTIONS if not n.isupper()],
        )
    return fn


# ---------------------------------------------------------------------------
# Registry


def serialize(metric) -> dict:
    """Return Keras's config dict of a metric (a ``Metric`` instance or a metric function).

    Example:
        >>> import lamina
        >>> config = lamina.metrics.serialize(lamina.metrics.BinaryAccuracy(threshold=0.7))
        >>> config["class_name"], config["config"]["threshold"]
        ('BinaryAccuracy', 0.7)
    """
    if isinstance(metric, Metric):
        return registry.object_config(metric, "keras.metrics", _OBJECTS)
    if callable(metric):
        return serialize_function(metric)
    raise TypeError(
        f"lamina.metrics.serialize expects a Metric instance or a metric function. Got "
        f"{metric!r} of type {type(metric).__name__} instead."
    )


def deserialize(config, custom_objects=None):
    """Rebuild a metric from ``serialize``'s dict, or look one up by name.

    A class config gives an instance; a function config gives the function.

    Args:
        config: a dict made by ``serialize`` (Keras's format) or a name.
        custom_objects: optional ``{name: class_or_function}`` for your own metrics.

    Example:
        >>> import lamina
        >>> m = lamina.metrics.deserialize({"class_name": "AUC", "config": {"curve": "PR"}})
        >>> m.curve
        'PR'
    """
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return _instantiate(custom_objects[config])
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            "lamina.metrics.deserialize expects a name or a dict with 'class_name' and "
            f"'config' (as made by lamina.metrics.serialize). Got {config!r} instead."
        )
    def find(class_name, custom_objects):
        cls = (custom_objects or {}).get(class_name) or _OBJECTS.get(class_name)
        if cls is None or class_name in ("Metric", "metric"):
            raise naming.unknown_name_error(
                "metric class", class_name, [c.__name__ for c in _CLASSES if c is not Metric])
        return cls

    def build(cls, inner):
        if "fn" in inner:  # a wrapped function may be one of custom_objects
            inner["fn"] = deserialize_function(inner["fn"], custom_objects)
        return cls.from_config(inner)

    return registry.deserialize("metric", config, find, custom_objects,
                                find_function=deserialize_function, build=build)


def _instantiate(obj):
    return obj() if inspect.isclass(obj) else obj


def get(identifier):
    """Return a ``Metric`` from a name, a config dict, a class, an instance or a function.

    Names give instances (``"mse"`` gives ``MeanSquaredError()``), classes are
    instantiated, ``Metric`` instances come back unchanged, and any other
    callable ``fn(y_true, y_pred)`` (a metric or loss function, a ``Loss``
    object) is averaged by a ``MeanMetricWrapper`` named after it. ``None``
    gives ``None``. ``"accuracy"`` here means exact-match ``Accuracy``; compile
    resolves ``"accuracy"`` / ``"acc"`` from the shapes with ``get_metric``.

    Keras's ``get`` returns functions unwrapped and wraps them later, in compile;
    lamina wraps them here so that everything ``get`` returns has
    ``update_state``, ``result`` and ``reset_state``.

    Raises:
        ValueError: for an unknown name; the message lists the valid names and
            the closest one.

    Example:
        >>> import lamina
        >>> type(lamina.metrics.get("mse")).__name__
        'MeanSquaredError'
        >>> lamina.metrics.get(lamina.losses.huber).name
        'huber'
        >>> lamina.metrics.get("precison")
        Traceback (most recent call last):
        ...
        ValueError: Unknown metric 'precison'. Valid names: ... Did you mean 'precision'?
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier in _OBJECTS and identifier not in _NOT_BY_NAME:
            cls = _OBJECTS[identifier]
            try:
                return cls()
            except TypeError as error:  # e.g. MeanIoU needs num_classes
                raise TypeError(
                    f"The metric name {identifier!r} is not enough to build {cls.__name__}: "
                    f"{error}. Pass an instance instead, e.g. "
                    f"metrics=[lamina.metrics.{cls.__name__}(...)]."
                ) from None
        fn = _function_by_name(identifier)
        if fn is None:
            raise naming.unknown_name_error("metric", identifier, _valid_names())
        # A loss or metric function known only as a function: average it.
        return MeanMetricWrapper(fn, name=identifier)
    elif callable(identifier):
        obj = _instantiate(identifier)
    else:
        raise TypeError(
            f"Could not interpret metric identifier {identifier!r} of type "
            f"{type(identifier).__name__}. Pass a name such as 'accuracy' or 'mae', a Metric, "
            "or a function fn(y_true, y_pred)."
        )
    if not isinstance(obj, Metric):
        obj = MeanMetricWrapper(obj, name=_object_name(obj))
    return obj


from lamina.metrics.resolution import _object_name, get_metric, resolve_accuracy  # noqa: E402, F401
