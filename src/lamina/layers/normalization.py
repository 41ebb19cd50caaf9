"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``, ``UnitNormalization``.

``BatchNormalization`` normalizes each feature with the statistics of the
current batch while training and with running averages of them at inference;
``LayerNormalization`` normalizes each sample over its own features (the same
in training and inference); ``UnitNormalization`` scales each sample to unit
L2 norm.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from lamina import config, constraints, initializers, ops, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.ops._nn import _fused_batch_normalization, _fused_moments

__all__ = [
    "BatchNormalization",
    "LayerNormalization",
    "UnitNormalization",
    "update_moving_statistics",
]


def _fmt_shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _canonical_axes(layer, axis, ndim: int, input_shape) -> list:
    """``axis`` (an int or a list) as sorted non-negative ints, or a clear error."""
    axes = [axis] if isinstance(axis, numbers.Integral) else list(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{type(layer).__name__} '{layer.name}' normalizes along axis={axis}, but its "
                f"inputs of shape {_fmt_shape(input_shape)} have {ndim} dimensions (valid axes: "
                f"{-ndim} to {ndim - 1}). Use axis=-1 for the features of (batch, features) data."
            )
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': axis={axis} names the same dimension "
            "twice; list each axis once."
        )
    return sorted(out)


def _int_or_int_list(layer_name: str, axis):
    """``axis`` as an int or a list of ints, or a clear error naming ``layer_name``."""
    if isinstance(axis, (list, tuple)):
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
            return [int(a) for a in axis]
    elif isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    raise TypeError(
        f"The 'axis' argument of {layer_name} must be an int or a list of ints. "
        f"Got axis={axis!r} instead."
    )


def _add_gamma_beta(layer, shape, scale: bool, center: bool) -> None:
    """Create ``layer.gamma`` (if ``scale``) and ``layer.beta`` (if ``center``), in this order."""
    if scale:
        layer.gamma = layer.add_weight(
            shape=shape, initializer=layer.gamma_initializer, regularizer=layer.gamma_regularizer,
            constraint=layer.gamma_constraint, name="gamma")
    if center:
        layer.beta = layer.add_weight(
            shape=shape, initializer=layer.beta_initializer, regularizer=layer.beta_regularizer,
            constraint=layer.beta_constraint, name="beta")


def _check_epsilon(layer_name: str, epsilon) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
        raise ValueError(
            f"The 'epsilon' argument of {layer_name} must be a positive number (it keeps the "
            "division finite when a feature has zero variance, e.g. a batch of one sample). "
            f"Got epsilon={epsilon!r} instead."
        )
    return float(epsilon)


# -- batch normalization arithmetic, shared by the layer and the fused training kernel ----------
#
def update_moving_statistics(layer, mean, variance) -> None:
    """Fold one batch's statistics into a ``BatchNormalization`` layer's moving averages.

    ``moving = moving * momentum + batch * (1 - momentum)`` for the mean and
    for the (biased, divided-by-n) variance, computed in the weights' dtype as
    Keras does.
    """
    for variable, batch in ((layer.moving_mean, mean), (layer.moving_variance, variance)):
        dtype = variable.dtype
        batch = ops.reshape(ops.cast(batch, dtype), variable.shape)
        new = ops.add(ops.multiply(variable, dtype.type(layer.momentum)),
                      ops.multiply(batch, dtype.type(1.0 - layer.momentum)))
        variable.assign(new)


class BatchNormalization(Layer):
    """Normalizes each feature with batch statistics in training, moving averages in inference.

    Training (``fit``, or ``layer(x, training=True)``), per feature along ``axis``:

        ``output = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta``

    with the batch mean and the biased batch variance (divided by ``n``, so a
    batch of one sample gives variance 0 and, thanks to ``epsilon``, no NaN).
    Each training call also updates

        ``moving_mean = moving_mean * momentum + mean(x) * (1 - momentum)``
        ``moving_variance = moving_variance * momentum + var(x) * (1 - momentum)``.

    Inference (``predict``, ``evaluate``, ``model(x)``) uses ``moving_mean``
    and ``moving_variance`` in place of the batch statistics.

    As in Keras 3, a layer with ``trainable=False`` always runs in inference
    mode (frozen statistics), even inside ``fit``.

    Args:
        axis: the features axis (an int); every other axis is averaged over.
        momentum: weight of the old value in the moving averages.
        epsilon: added to the variance before the square root (> 0).
        center: learn an offset ``beta``.
        scale: learn a factor ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers of the four weights.
        beta_regularizer, gamma_regularizer: penalties on ``beta``/``gamma``.
        beta_constraint, gamma_constraint: constraints on ``beta``/``gamma``.
        synchronized: accepted for compatibility; lamina runs on one device,
            where synchronized statistics are the batch statistics.
        renorm, renorm_clipping, renorm_momentum: batch renormalization is not
            supported (``renorm=True`` raises).

    Weights, in order: ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable).

    Example:
        >>> import numpy as np, lamina
        >>> bn = lamina.layers.BatchNormalization()
        >>> x = np.array([[0.0], [4.0]], dtype="float32")
        >>> bn(x, training=True).numpy().round(4)
        array([[-0.9999],
               [ 0.9999]], dtype=float32)
        >>> bn.moving_mean.numpy()
        array([0.02], dtype=float32)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(
                "The 'axis' argument of BatchNormalization must be one integer (the features "
                f"axis, usually -1). Got axis={axis!r} instead."
            )
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not (
            0 <= momentum <= 1
        ):
            raise ValueError(
                "The 'momentum' argument of BatchNormalization must be a number in [0, 1] (the "
                f"weight of the old moving average). Got momentum={momentum!r} instead."
            )
        if renorm:
            raise ValueError(
                "BatchNormalization(renorm=True) (batch renormalization) is not supported by "
                "lamina. Use renorm=False, or a larger batch size if batches are small."
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon("BatchNormalization", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = bool(synchronized)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.gamma = None
        self.beta = None
        self.moving_mean = None
        self.moving_variance = None
        self._reduction_axes = None
        self._feature_axis = None

    def build(self, input_shape):
        ndim = len(input_shape)
        (feature_axis,) = _canonical_axes(self, self.axis, ndim, input_shape)
        size = input_shape[feature_axis]
        if size is None:
            raise ValueError(
                f"BatchNormalization '{self.name}' needs to know the size of axis {self.axis}; "
                f"got input shape {_fmt_shape(input_shape)}."
            )
        shape = (size,)
        _add_gamma_beta(self, shape, self.scale, self.center)
        self.moving_mean = self.add_weight(
            shape=shape, initializer=self.moving_mean_initializer, trainable=False,
            name="moving_mean")
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance")
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: size})
        self._feature_axis = feature_axis
        self._reduction_axes = tuple(a for a in range(ndim) if a != feature_axis)
        self.built = True

    def stats_shape(self, ndim: int) -> tuple:
        """The "keepdims" shape of per-feature vectors for inputs of rank ``ndim``."""
        shape = [1] * ndim
        shape[self._feature_axis] = -1
        return tuple(shape)

    def _masked_moments(self, inputs, mask):
        mask = ops.convert_to_tensor(mask)
        if len(mask.shape) != len(inputs.shape) - 1:
            raise ValueError(
                f"BatchNormalization '{self.name}': the mask must have one dimension less than "
                f"the inputs; got mask shape {_fmt_shape(mask.shape)} for inputs of shape "
                f"{_fmt_shape(inputs.shape)}."
            )
        weights = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), -1), inputs.shape)
        weights = ops.cast(weights, inputs.dtype)
        axes = self._reduction_axes
        count = ops.add(ops.sum(weights, axis=axes, keepdims=True), config.epsilon())
        mean = ops.divide(ops.sum(ops.multiply(inputs, weights), axis=axes, keepdims=True), count)
        centered = ops.multiply(ops.subtract(inputs, mean), weights)
        variance = ops.divide(ops.sum(ops.square(centered), axis=axes, keepdims=True), count)
        return mean, variance

    def call(self, inputs, training=None, mask=None):
        shape = self.stats_shape(len(inputs.shape))
        gamma = None if self.gamma is None else ops.reshape(self.gamma, shape)
        beta = None if self.beta is None else ops.reshape(self.beta, shape)
        batch_stats = bool(training) and self.trainable
        if batch_stats and mask is not None:
            # Masked statistics: composed from ops (the tape differentiates them).
            mean, variance = self._masked_moments(inputs, mask)
            update_moving_statistics(self, ops.stop_gradient(mean), ops.stop_gradient(variance))
            inv = ops.rsqrt(ops.add(variance, self.epsilon))
            inv = inv if gamma is None else ops.multiply(inv, gamma)
            shift = ops.multiply(mean, inv)
            shift = ops.negative(shift) if beta is None else ops.subtract(beta, shift)
            return ops.add(ops.multiply(inputs, inv), shift)
        if batch_stats:
            mean, variance = _fused_moments(inputs, self._reduction_axes)
            update_moving_statistics(self, mean, variance)
        else:
            mean = ops.reshape(self.moving_mean, shape)
            variance = ops.reshape(self.moving_variance, shape)
        one, zero = self.constant_parameters(inputs.dtype)
        return _fused_batch_normalization(
            inputs, one if gamma is None else gamma, zero if beta is None else beta, mean,
            variance, epsilon=self.epsilon, axes=self._reduction_axes, batch_stats=batch_stats)

    @staticmethod
    def constant_parameters(dtype):
        """Stand-ins for an absent ``gamma`` (1) and ``beta`` (0): exact, so no effect."""
        return np.ones((), dtype=dtype), np.zeros((), dtype=dtype)

    def compute_output_shape(self, input_shape):
        _canonical_axes(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            axis=self.axis,
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
            synchronized=self.synchronized,
            renorm=self.renorm,
            renorm_clipping=self.renorm_clipping,
            renorm_momentum=self.renorm_momentum,
        )
        return config_


class LayerNormalization(Layer):
    """Normalizes each sample over its features: the same in training and inference.

    Along ``axis`` (per sample, no batch statistics, no moving averages):

        ``output = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta``

    Args:
        axis: the axis or list of axes to normalize over (default the last).
        epsilon: added to the variance before the square root (> 0).
        center: learn an offset ``beta``.
        scale: learn a factor ``gamma``.
        beta_initializer, gamma_initializer: initializers of the weights.
        beta_regularizer, gamma_regularizer: penalties on the weights.
        beta_constraint, gamma_constraint: constraints on the weights.
        rms_scaling: deprecated in Keras 3 (and kept for its configs):
            ``output = gamma * x / sqrt(var(x) + epsilon)``, no ``beta``.

    Example:
        >>> import numpy as np, lamina
        >>> ln = lamina.layers.LayerNormalization()
        >>> ln(np.array([[0.0, 4.0]], dtype="float32")).numpy().round(4)
        array([[-0.9999,  0.9999]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "LayerNormalization(rms_scaling=True) is deprecated in Keras 3: it divides by "
                "the standard deviation, not the root mean square. lamina keeps Keras's "
                "formula for compatibility.",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        self.axis = _int_or_int_list("LayerNormalization", axis)
        self.epsilon = _check_epsilon("LayerNormalization", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = None
        self.beta = None
        self._axes = None

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axes = _canonical_axes(self, self.axis, ndim, input_shape)
        shape = tuple(input_shape[a] for a in self._axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization '{self.name}' needs to know the size of axis {self.axis}; "
                f"got input shape {_fmt_shape(input_shape)}."
            )
        # Keras 3.15 stores the axis as a sorted list once built.
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        _add_gamma_beta(
            self, shape, scale=self.scale or self.rms_scaling,
            center=self.center and not self.rms_scaling)
        self.built = True

    def _broadcast(self, t, ndim):
        if t is None or self._axes == [ndim - 1]:
            return t
        shape = [1] * ndim
        for a, d in zip(self._axes, t.shape):
            shape[a] = d
        return ops.reshape(t, shape)

    def call(self, inputs):
        ndim = len(inputs.shape)
        axes = tuple(self._axes)
        gamma = self._broadcast(self.gamma, ndim)
        beta = self._broadcast(self.beta, ndim)
        if self.rms_scaling:
            variance = ops.var(inputs, axis=axes, keepdims=True)
            out = ops.multiply(inputs, ops.rsqrt(ops.add(variance, self.epsilon)))
            return ops.multiply(out, gamma) if gamma is not None else out
        # (Keras's chain of ops, as one primitive: the same numbers forward, a closed-form VJP)
        return ops.layer_normalization(inputs, gamma, beta, axis=axes, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _canonical_axes(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            axis=self.axis,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            rms_scaling=self.rms_scaling,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint),
        )
        return config_


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: the axis or list of axes the norm is taken over (default the last).

    Example:
        >>> import numpy as np, lamina
        >>> lamina.layers.UnitNormalization()(np.array([[3.0, 4.0]], dtype="float32")).numpy()
        array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        self.axis = _int_or_int_list("UnitNormalization", axis)

    def call(self, inputs):
        axes = _canonical_axes(self, self.axis, len(inputs.shape), inputs.shape)
        return ops.normalize(inputs, axis=tuple(axes), order=2, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        _canonical_axes(self, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["axis"] = self.axis
        return config_
