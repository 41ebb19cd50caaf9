"""``MonitorCallback``: shared logic of callbacks that watch one metric for improvement."""

from __future__ import annotations

import re
import warnings

import numpy as np

from lamina.callbacks._utils import legacy_alias
from lamina.callbacks.callback import Callback
from lamina.utils import naming

__all__ = ["MonitorCallback"]

# Direction of Keras's built-in metrics, for mode="auto" when the model's metric
# objects do not say it themselves (Keras metrics carry `_direction`).
_HIGHER_IS_BETTER = frozenset(
    """accuracy acc binary_accuracy categorical_accuracy sparse_categorical_accuracy
    top_k_categorical_accuracy sparse_top_k_categorical_accuracy auc precision recall
    f1_score fbeta_score r2_score cosine_similarity pearson_correlation
    concordance_correlation iou mean_iou binary_iou one_hot_iou one_hot_mean_iou
    precision_at_recall recall_at_precision sensitivity_at_specificity
    specificity_at_sensitivity""".split()
)
_LOWER_IS_BETTER = frozenset(
    """loss mse mae mape msle mean_squared_error mean_absolute_error
    mean_absolute_percentage_error mean_squared_logarithmic_error root_mean_squared_error
    hinge squared_hinge categorical_hinge kl_divergence kld kullback_leibler_divergence
    poisson logcosh log_cosh huber binary_crossentropy categorical_crossentropy
    sparse_categorical_crossentropy binary_focal_crossentropy categorical_focal_crossentropy
    false_positives false_negatives""".split()
)


def _metric_objects(model):
    """The model's metric objects, looking inside containers (compiled metrics lists)."""
    found, stack = [], list(getattr(model, "metrics", None) or ())
    while stack:
        metric = stack.pop()
        found.append(metric)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            stack.extend(inner)
    return found


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (``EarlyStopping``, ``ReduceLROnPlateau``).

    It finds the monitored value in the epoch logs, decides whether higher or
    lower is better, and tells whether a value improves on a reference by
    more than ``min_delta``.

    If the monitored key is missing from an epoch's logs, a clear
    ``ValueError`` lists the keys there are, except for a ``val_`` key on an
    epoch without validation (``validation_freq`` > 1): that epoch is skipped,
    and if validation never ran at all a warning says so at the end of
    training. Keras 2 spellings (``val_acc`` for ``val_accuracy``) are
    understood.

    Args:
        monitor: the key to watch in the epoch logs, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (from the metric: losses and
            errors go down, accuracies and scores go up).
        baseline: a starting reference value, or ``None``.
        min_delta: the least change that counts as an improvement.

    Example:
        >>> cb = MonitorCallback(monitor="val_accuracy", min_delta=0.01)
        >>> cb._get_monitor_value(0, {"val_accuracy": 0.9})
        0.9
        >>> cb._is_improvement(0.905, 0.9), cb._is_improvement(0.92, 0.9)
        (False, True)
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode {mode!r} is unknown (use 'auto', 'min' or 'max'); "
                "falling back to 'auto'.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None
        self._reset_monitor_tracking()

    def _reset_monitor_tracking(self):
        self._epochs_checked = 0
        self._monitor_seen = False
        self._validation_seen = False
        self._resolved_key = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = np.less
            return
        if self.mode == "max":
            self.monitor_op = np.greater
            return
        key = self._resolved_key or self.monitor
        name = key[4:] if key.startswith("val_") else key
        direction = "down" if name == "loss" or name.endswith("_loss") else None
        for metric in _metric_objects(self.model):
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                direction = metric._direction
        if direction is None:
            base = re.sub(r"_\d+$", "", name.lower())  # "auc_1" -> "auc"
            if base in _HIGHER_IS_BETTER:
                direction = "up"
            elif base in _LOWER_IS_BETTER:
                direction = "down"
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} received monitor={self.monitor!r}, but cannot tell "
                "whether that metric should be maximized or minimized. Pass mode='max' to "
                "monitor based on the highest value, or mode='min' for the lowest."
            )
        self.monitor_op = np.greater if direction == "up" else np.less

    def _is_improvement(self, monitor_value, reference_value):
        """Whether ``monitor_value`` beats ``reference_value`` by more than ``min_delta``."""
        if reference_value is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.monitor_op is np.less:
            return bool(monitor_value + self.min_delta < reference_value)
        return bool(monitor_value - self.min_delta > reference_value)

    def _get_monitor_value(self, epoch, logs):
        """The monitored value in ``logs`` as a float, or ``None`` for an epoch without validation."""
        logs = logs or {}
        self._epochs_checked += 1
        if any(key.startswith("val_") for key in logs):
            self._validation_seen = True
        key = self.monitor
        if key not in logs:
            alias = legacy_alias(key)
            if alias is not None and alias in logs:
                key = alias
        value = logs.get(key)
        if value is None:
            if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
                return None  # validation did not run this epoch
            available = ", ".join(repr(k) for k in logs) or "none"
            message = (
                f"{type(self).__name__} is monitoring {self.monitor!r}, which is not in the "
                f"logs of epoch {epoch + 1}. Available keys: {available}."
            )
            suggestion = naming.closest(self.monitor, list(logs))
            if suggestion is not None:
                message += f" Did you mean monitor={suggestion!r}?"
            message += (
                " To monitor another metric, add it to model.compile(metrics=[...]); "
                "'val_' keys need validation_data or validation_split in fit."
            )
            raise ValueError(message)
        self._monitor_seen = True
        self._resolved_key = key
        if self.monitor_op is None:
            self._set_monitor_op()
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"{type(self).__name__} monitors {key!r}, whose value must be a number; got "
                f"{value!r}."
            ) from None

    def _warn_if_never_monitored(self):
        if (
            self._epochs_checked
            and not self._monitor_seen
            and self.monitor.startswith("val_")
            and not self._validation_seen
        ):
            warnings.warn(
                f"{type(self).__name__} monitored {self.monitor!r}, but no validation ran during "
                "training, so it never acted. Pass validation_data=(x_val, y_val) or "
                "validation_split=0.2 to fit, or monitor a training metric such as "
                f"monitor={self.monitor[4:]!r}.",
                stacklevel=3,
            )
