"""``Normalization``: standardize features with a mean and variance learned by ``adapt``.

Put it first in a model and the model takes raw data: ``adapt(x_train)``
computes each feature's mean and variance once, stores them as
non-trainable weights (so they are saved with the model), and every call
computes ``(x - mean) / max(sqrt(variance), epsilon)``.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from lamina import config, ops
from lamina.autodiff.tensor import Tensor
from lamina.layers.layer import Layer

__all__ = ["Normalization"]


def _fmt_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _first_of_batch(batch):
    """A batch may be ``x`` or ``(x, y[, sample_weight])``: keep ``x``."""
    if isinstance(batch, tuple):
        return batch[0]
    if isinstance(batch, dict):
        raise TypeError(
            "Normalization.adapt() received a dict batch; pass the feature array itself "
            "(e.g. `layer.adapt(df[columns].to_numpy())`)."
        )
    return batch


def _as_array(data) -> np.ndarray:
    if isinstance(data, Tensor):
        return data.value
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):  # pandas
        data = data.to_numpy()
    arr = np.asarray(data)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(
            "Normalization.adapt() needs numeric data; got an array of dtype "
            f"{arr.dtype}. Convert it first, e.g. `np.asarray(x, dtype='float32')` (check for "
            "text columns or missing values)."
        )
    return arr


class Normalization(Layer):
    """Shifts and scales inputs to mean 0 and variance 1 per feature, with stored statistics.

    ``output = (inputs - mean) / max(sqrt(variance), epsilon)`` where
    ``epsilon = lamina.config.epsilon()`` (1e-7); with ``invert=True`` the
    inverse, ``mean + inputs * max(sqrt(variance), epsilon)``.

    ``mean`` and ``variance`` are either given to the constructor or learned
    by ``adapt(data)`` (population statistics of ``data``, divided by ``n``);
    adapted values live in non-trainable weights ``mean``, ``variance`` and
    ``count``, so ``fit`` never changes them and saving keeps them.

    Args:
        axis: the axis (or axes) that keep separate statistics; the others are
            averaged over. ``-1`` (default): one mean per feature of
            ``(batch, features)`` data. ``None``: one mean over everything.
        mean, variance: fixed statistics (both or neither), broadcast to the
            kept axes.
        invert: apply the inverse transformation (turn normalized values back).

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.Normalization()
        >>> layer.adapt(np.array([[0.0, 7.0], [2.0, 9.0]], dtype="float32"))
        >>> layer(np.array([[1.0, 9.0]], dtype="float32")).numpy()
        array([[0., 1.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        if axis is None:
            axis = ()
        elif isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis
        ):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(
                "The 'axis' argument of Normalization must be an int, a tuple of ints or None. "
                f"Got axis={axis!r} instead."
            )
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization needs both `mean` and `variance`, or neither (then call "
                f"`adapt(data)`). Got mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. Got mean "
                    f"shape {np.shape(mean)} and variance shape {np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization: `mean` has {np.ndim(mean)} dimensions but axis={self.axis} "
                    f"keeps only {len(self.axis)}; give one value per kept axis entry (or a "
                    "scalar)."
                )
            if np.any(np.asarray(variance) < 0):
                raise ValueError("Normalization: `variance` must be >= 0 everywhere.")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.adapt_mean = None
        self.adapt_variance = None
        self.count = None
        self._fixed = None
        self._keep_axis = None
        self._reduce_axis = None
        self._broadcast_shape = None

    # -- building ---------------------------------------------------------------------
    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"Normalization '{self.name}' keeps axis={self.axis}, but its inputs of shape "
                f"{_fmt_shape(input_shape)} have {ndim} dimensions. Use axis=-1 for one mean per "
                "feature, or axis=None for one mean over everything."
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    f"Normalization '{self.name}' keeps axis {d}, whose size is unknown in the "
                    f"input shape {_fmt_shape(input_shape)}; its size must be fixed."
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(
            input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                shape=stats_shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(
                shape=stats_shape, initializer="ones", trainable=False, name="variance")
            self.count = self.add_weight(
                shape=(), dtype="int64", initializer="zeros", trainable=False, name="count")
        else:
            self._fixed = (self._place(self.input_mean), self._place(self.input_variance))
        self.built = True

    def _place(self, value) -> np.ndarray:
        """Broadcast a user-given statistic to the inputs' rank (aligned to the kept axes)."""
        value = np.asarray(value, dtype=self.dtype)
        ndim = len(self._broadcast_shape)
        if value.ndim:
            shape = [1] * ndim
            for i in range(1, value.ndim + 1):
                shape[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(shape)
        try:
            return np.broadcast_to(value, self._broadcast_shape).copy()
        except ValueError:
            raise ValueError(
                f"Normalization '{self.name}': the given mean/variance of shape "
                f"{np.shape(self.input_mean)} do not broadcast to the kept axes' shape "
                f"{tuple(self._broadcast_shape[d] for d in self._keep_axis)}."
            ) from None

    # -- adapt ------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Compute the mean and variance of ``data`` along the reduced axes and store them.

        Args:
            data: a NumPy array, DataFrame, lamina tensor or nested list of
                numbers (all at once), or an iterable/generator of batches
                (arrays, or ``(x, y)`` tuples), combined exactly.
            batch_size, steps: accepted for compatibility (ignored).
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization '{self.name}' was given a fixed mean and variance; adapt() would "
                "ignore them. Create the layer without `mean`/`variance` to adapt it."
            )
        batches = self._adapt_batches(data)
        first = batches[0] if isinstance(batches, list) else next(batches, None)
        if first is None:
            raise ValueError(
                "Normalization.adapt() received no data (an empty iterable). Pass the training "
                "features, e.g. `layer.adapt(x_train)`."
            )
        if first.ndim == 1 and self.axis == (-1,):
            warnings.warn(
                f"Normalization '{self.name}' (axis=-1) is adapting to 1-D data of shape "
                f"{first.shape}: as in Keras, each position gets its own mean, so the layer "
                "only accepts inputs of that exact length. For one mean over all values pass "
                "axis=None; for one feature reshape the data to (n, 1).",
                stacklevel=2,
            )
        if first.ndim == 0:
            raise ValueError(
                "Normalization.adapt() needs an array of samples, not a single number. Pass "
                "the training data, e.g. `layer.adapt(x_train)`."
            )
        if not self.built:
            shape = tuple(first.shape)
            if 0 not in tuple(a % first.ndim for a in self.axis):
                shape = (None,) + shape[1:]  # the batch size is not part of the layer
            self._maybe_build(shape)
        self._check_batch(first)
        total_mean, total_var, total_count = self._batch_stats(first)
        rest = batches[1:] if isinstance(batches, list) else batches
        for batch in rest:
            self._check_batch(batch)
            mean, var, count = self._batch_stats(batch)
            # Exact pooling of two groups' means and (population) variances.
            new_count = total_count + count
            w = count / new_count
            new_mean = total_mean * (1 - w) + mean * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - w) + (
                var + (mean - new_mean) ** 2) * w
            total_mean, total_count = new_mean, new_count
        self.adapt_mean.assign(np.reshape(total_mean, self.adapt_mean.shape))
        self.adapt_variance.assign(np.reshape(total_var, self.adapt_variance.shape))
        self.count.assign(np.asarray(total_count, dtype=self.count.value.dtype))

    def _adapt_batches(self, data):
        if isinstance(data, (np.ndarray, Tensor)) or hasattr(data, "to_numpy") or np.isscalar(
            data
        ):
            return [_as_array(data)]
        if isinstance(data, (list, tuple)):
            if data and all(hasattr(b, "shape") or isinstance(b, tuple) for b in data):
                return [_as_array(_first_of_batch(b)) for b in data]  # a list of batches
            return [_as_array(data)]  # nested lists of numbers: one array
        if hasattr(data, "__iter__"):
            return (_as_array(_first_of_batch(b)) for b in data)
        raise TypeError(
            "Normalization.adapt() takes a NumPy array, a DataFrame, a tensor, or an iterable "
            f"of batches; got {type(data).__name__}."
        )

    def _check_batch(self, batch) -> None:
        built_for = self._broadcast_shape
        if batch.ndim != len(built_for) or any(
            batch.shape[d] != built_for[d] for d in self._keep_axis
        ):
            raise ValueError(
                f"Normalization '{self.name}' keeps axes {self._keep_axis} of inputs shaped like "
                f"{_fmt_shape(built_for)} but adapt() got data of shape {_fmt_shape(batch.shape)}."
            )

    def _batch_stats(self, batch):
        axes = self._reduce_axis
        count = int(np.prod([batch.shape[d] for d in axes])) if axes else 1
        if batch.dtype.kind in "biu":
            batch = batch.astype(np.float64)
        return np.mean(batch, axis=axes), np.var(batch, axis=axes), count

    # -- calling ----------------------------------------------------------------------
    def _statistics(self):
        if self._fixed is not None:
            return self._fixed
        return (ops.reshape(self.adapt_mean, self._broadcast_shape),
                ops.reshape(self.adapt_variance, self._broadcast_shape))

    def call(self, inputs):
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        mean, variance = self._statistics()
        denom = ops.maximum(ops.sqrt(variance), config.epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(inputs, denom))
        return ops.divide(ops.subtract(inputs, mean), denom)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            axis=self.axis,
            invert=self.invert,
            mean=np.array(self.input_mean).tolist(),
            variance=np.array(self.input_variance).tolist(),
        )
        return config_
