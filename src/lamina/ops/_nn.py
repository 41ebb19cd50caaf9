"""Neural-network functions of ``lamina.ops`` (Keras's ``keras.ops.nn``): activations, losses."""

from __future__ import annotations

import math
import warnings

import numpy as np

from lamina import config
from lamina.autodiff.tape import apply
from lamina.autodiff.tensor import Tensor
from lamina.ops import _primitives as P
from lamina.ops._array import take_along_axis
from lamina.ops._core import cast, convert_to_tensor, expand_dims, ndim, reshape, shape, squeeze
from lamina.ops._math import (
    abs,
    add,
    clip,
    divide,
    erf,
    exp,
    expm1,
    greater,
    greater_equal,
    log,
    maximum,
    minimum,
    multiply,
    negative,
    norm,
    power,
    rsqrt,
    square,
    subtract,
    sum,
    var,
    where,
)

# ---------------------------------------------------------------------------
# Neural-network functions (``keras.ops.nn``)


def _keep_logits(out: Tensor, logits) -> Tensor:
    # Remember the pre-activation so cross-entropy can use it (as Keras does).
    if isinstance(logits, Tensor):
        out._keras_logits = logits
    return out


def relu(x) -> Tensor:
    """``max(x, 0)``; the gradient at 0 is 0."""
    return apply(P.RELU, (x,))


def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``; the gradient is 0 at 0 and at 6, as in TensorFlow."""
    # 6.0 first: the tie at x = 6 sends the gradient to the constant, not to x.
    return minimum(6.0, relu(x))


def sigmoid(x) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return _keep_logits(apply(P.SIGMOID, (x,)), x)


def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return apply(P.TANH, (x,))


def softplus(x) -> Tensor:
    """``log(1 + exp(x))``, computed without overflow."""
    return apply(P.SOFTPLUS, (x,))


def softsign(x) -> Tensor:
    """``x / (1 + |x|)``."""
    return divide(x, add(abs(x), 1.0))


def silu(x) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return multiply(x, apply(P.SIGMOID, (x,)))


swish = silu


def hard_sigmoid(x) -> Tensor:
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid."""
    return divide(relu6(add(x, 3.0)), 6.0)


def hard_silu(x) -> Tensor:
    """``x * hard_sigmoid(x)``."""
    return multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def leaky_relu(x, negative_slope=0.2) -> Tensor:
    """``x`` for positive inputs, ``negative_slope * x`` otherwise."""
    return where(greater(x, 0), x, multiply(x, negative_slope))


def elu(x, alpha=1.0) -> Tensor:
    """``x`` if positive, else ``alpha * (exp(x) - 1)``."""
    # expm1 of min(x, 0): the branch not taken neither overflows nor turns gradients into NaN.
    return where(greater(x, 0), x, multiply(expm1(minimum(x, 0.0)), alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x) -> Tensor:
    """Scaled ELU with the self-normalising constants; ``selu'(0) = scale``, as in TensorFlow."""
    negative_part = multiply(expm1(minimum(x, 0.0)), _SELU_ALPHA)
    return multiply(where(greater_equal(x, 0), x, negative_part), _SELU_SCALE)


def gelu(x, approximate=True) -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)`` (tanh approximation by default)."""
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        inner = multiply(add(x, multiply(power(x, 3), 0.044715)), c)
        return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, 1.0 / math.sqrt(2.0))), 1.0))


def mish(x) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return multiply(x, tanh(softplus(x)))


def exponential(x) -> Tensor:
    """``exp(x)``."""
    return exp(x)


def softmax(x, axis=-1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``. Over an axis of length 1 it is always 1,
    which is said in a warning (as Keras does): a one-unit output wants a sigmoid."""
    dims = tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)
    if isinstance(axis, int) and -len(dims) <= axis < len(dims) and dims[axis] == 1:
        warnings.warn(
            f"softmax over axis {axis} of an input of shape {dims}: that axis has length 1, so "
            "every output is 1.0 and nothing can be learned through it. For one output unit "
            "(a yes/no prediction) use activation='sigmoid' with binary_crossentropy; for "
            "several classes give the layer one unit per class.", stacklevel=3)
    return _keep_logits(apply(P.SOFTMAX, (x,), axis=axis), x)


def log_softmax(x, axis=-1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``."""
    return apply(P.LOG_SOFTMAX, (x,), axis=axis)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3) -> Tensor:
    """Normalize ``x`` with given statistics: ``(x - mean) * scale / sqrt(variance + epsilon) + offset``.

    ``mean``, ``variance``, ``offset`` and ``scale`` are vectors along ``axis``
    of ``x``, computed in Keras's order (``x * inv + (offset - mean * inv)``).
    """
    rank = ndim(x)
    if not -rank <= axis < rank:
        raise ValueError(f"batch_normalization: axis={axis} is out of range for an input of "
                         f"rank {rank}; pass an axis in [{-rank}, {rank - 1}].")
    features = shape(x)[axis]
    broadcast = [1] * rank
    broadcast[axis] = features

    def along_axis(name, v):
        if v is None:
            return None
        if tuple(shape(v)) != (features,):
            raise ValueError(f"batch_normalization: {name} must be a vector of {features} "
                             f"values (the size of axis {axis} of x); received shape "
                             f"{tuple(shape(v))}.")
        return reshape(v, broadcast)

    mean, variance = along_axis("mean", mean), along_axis("variance", variance)
    offset, scale = along_axis("offset", offset), along_axis("scale", scale)
    inv = rsqrt(add(variance, epsilon))
    if scale is not None:
        inv = multiply(inv, scale)
    shift = negative(multiply(mean, inv))
    if offset is not None:
        shift = add(shift, offset)
    return add(multiply(x, inv), shift)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs) -> Tensor:
    """Normalize each sample of ``x`` over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon)
    + beta``, computed in Keras's order (``x * inv + (beta - mean * inv)``).

    ``gamma`` and ``beta`` have the shape of the normalized axes (or broadcast against ``x``);
    ``epsilon`` defaults to ``keras.config.epsilon()``. Inputs narrower than float32 are
    normalized in float32 and cast back, as Keras does. ``rms_scaling=True`` (deprecated in
    Keras too) divides by the standard deviation only, with no offset.
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization() got unexpected keyword arguments {sorted(kwargs)}")
    if rms_scaling:
        warnings.warn("layer_normalization: rms_scaling=True is deprecated (as in Keras): it "
                      "scales by the standard deviation, not the root mean square.",
                      stacklevel=2)
    x = convert_to_tensor(x)
    rank = ndim(x)
    axes = [int(axis)] if isinstance(axis, (int, np.integer)) else [int(a) for a in axis]
    if not axes or any(not -rank <= a < rank for a in axes):
        raise ValueError(f"layer_normalization: axis={axis} is out of range for an input of "
                         f"rank {rank}; pass axes in [{-rank}, {rank - 1}].")
    axes = sorted({a % rank for a in axes})
    dims = shape(x)
    broadcast = [dims[a] if a in axes else 1 for a in range(rank)]
    original = x.dtype
    if str(original) not in ("float32", "float64"):
        x = cast(x, "float32")
    eps = config.epsilon() if epsilon is None else float(epsilon)

    def affine(name, v):
        if v is None:
            return None
        v = convert_to_tensor(v, dtype=str(x.dtype))
        if ndim(v) != rank:
            if int(np.prod(shape(v))) != int(np.prod(broadcast)):
                raise ValueError(
                    f"layer_normalization: {name} must have the shape of the normalized axes "
                    f"{tuple(dims[a] for a in axes)}; received shape {tuple(shape(v))}.")
            if axes != [rank - 1]:
                v = reshape(v, broadcast)
        return v

    gamma, beta = affine("gamma", gamma), affine("beta", beta)
    if rms_scaling:
        out = multiply(x, rsqrt(add(var(x, axis=tuple(axes), keepdims=True), eps)))
        out = multiply(out, gamma) if gamma is not None else out
    else:
        ins = (x, np.asarray(eps, str(x.dtype))) + tuple(v for v in (gamma, beta) if v is not None)
        out = apply(P.LAYER_NORM, ins, axis=tuple(axes), scale=gamma is not None,
                    center=beta is not None, chain_vjp=False)
    return out if out.dtype == original else cast(out, original)


def _fused_batch_normalization(x, gamma, beta, mean, variance, *, epsilon, axes, batch_stats):
    """Batch normalization as one primitive (``BatchNormalization``'s step).

    Statistics and vectors are in "keepdims" shape. With ``batch_stats`` the
    statistics are ``x``'s own and the gradient of ``x`` includes their
    dependence on it; no gradient goes to ``mean`` and ``variance``.
    """
    return apply(P.BATCH_NORM, (x, gamma, beta, mean, variance),
                 epsilon=epsilon, axes=axes, batch_stats=batch_stats)


def _fused_moments(x, axes):
    """Batch mean and biased variance over ``axes``, in "keepdims" shape, as one primitive."""
    moments = apply(P.BATCH_MOMENTS, (x,), axes=axes)
    return moments[0], moments[1]


def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """Scale ``x`` to unit ``order``-norm along ``axis``."""
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        # x * rsqrt(max(sum(x^2), eps^2)): same values as x / max(norm, eps), and a
        # zero vector gets a finite gradient instead of NaN.
        square_sum = sum(square(x), axis=axis, keepdims=True)
        return multiply(x, rsqrt(maximum(square_sum, eps * eps)))
    n = norm(x, ord=order, axis=axis, keepdims=True)
    return divide(x, maximum(n, eps))


def binary_crossentropy(target, output, from_logits=False) -> Tensor:
    """Elementwise binary cross-entropy between labels and probabilities (or logits).

    From probabilities, ``output`` is clipped to ``[eps, 1 - eps]`` first; a
    sigmoid output made by lamina is traced back to its logits instead.
    """
    if not from_logits and isinstance(output, Tensor) and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        return apply(P.SIGMOID_XENT_LOGITS, (target, output))
    eps = config.epsilon()
    out = clip(output, eps, 1.0 - eps)
    bce = multiply(target, log(out))
    bce = add(bce, multiply(subtract(1.0, target), log(subtract(1.0, out))))
    return negative(bce)


def categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """Cross-entropy between one-hot (or soft) labels and class probabilities.

    From probabilities, ``output`` is renormalised to sum to 1 along ``axis``
    and clipped to ``[eps, 1 - eps]``; a softmax output made by lamina is
    traced back to its logits instead.
    """
    if not from_logits and isinstance(output, Tensor) and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        return apply(P.XENT_LOGITS, (target, output), axis=axis)
    eps = config.epsilon()
    out = divide(output, sum(output, axis=axis, keepdims=True))
    out = clip(out, eps, 1.0 - eps)
    return negative(sum(multiply(target, log(out)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """Cross-entropy between integer labels and class probabilities (or logits)."""
    labels = target
    if ndim(labels) == ndim(output) and shape(labels)[axis] == 1:
        labels = squeeze(labels, axis=axis)
    if not from_logits and isinstance(output, Tensor) and output._keras_logits is not None:
        output, from_logits = output._keras_logits, True
    if from_logits:
        onehot = apply(P.ONE_HOT, (labels,), num_classes=int(shape(output)[axis]), axis=axis,
                       dtype=output.dtype)
        return apply(P.SPARSE_XENT_ONEHOT, (output, onehot), axis=axis)
    # Keras clips first, then renormalises (through log_softmax of the log).
    eps = config.epsilon()
    logp = log_softmax(log(clip(output, eps, 1.0 - eps)), axis=axis)
    picked = take_along_axis(logp, expand_dims(labels, axis), axis=axis)
    return negative(squeeze(picked, axis=axis))
