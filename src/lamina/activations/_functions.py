"""Activation functions with Keras 3's names, arguments and numbers, built from ``lamina.ops``.

Every function is composed from lamina's primitives, so it is differentiable
with no extra code. Gradients at kinks are TensorFlow's (Keras's reference
backend): ``relu'(0) = 0``, ``relu6'(0) = relu6'(6) = 0``,
``hard_sigmoid'(-3) = hard_sigmoid'(3) = 0``, ``leaky_relu'(0) = negative_slope``,
``elu'(0) = alpha``, ``selu'(0) = scale``.
"""

from __future__ import annotations

from lamina import ops

__all__ = [
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, optionally leaky, capped and shifted.

    With the defaults this is ``max(x, 0)``. In general, with ``t = threshold``
    and ``a = negative_slope``::

        relu(x) = min(x, max_value)   if x > t
                = a * (x - t)         otherwise

    (Keras computes it as ``clip(where(x > t, x, 0), 0, max_value) - a * relu(t - x)``,
    so for a negative ``t`` and no ``max_value``, inputs in ``(t, 0)`` pass through.)

    Args:
        x: input tensor.
        negative_slope: slope below the threshold (``0.0``: flat).
        max_value: the largest output (``None``: no cap).
        threshold: inputs at or below it are damped (``0.0``).

    Returns:
        A tensor with the shape and dtype of ``x``.

    Example:
        >>> from lamina import activations
        >>> activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0]).numpy()
        array([ 0.,  0.,  0.,  5., 10.], dtype=float32)
        >>> activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0], negative_slope=0.5).numpy()
        array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
        >>> activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0).numpy()
        array([0., 0., 0., 5., 5.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return ops.leaky_relu(x, negative_slope=negative_slope)
        below = ops.relu(ops.subtract(threshold, x) if threshold != 0 else ops.negative(x))
    capped = max_value is not None
    if threshold != 0:
        out = ops.where(ops.greater(x, threshold), x, 0.0)
    elif max_value is not None and max_value == 6:
        out = ops.relu6(x)
        capped = False
    else:
        out = ops.relu(x)
    if capped:
        out = ops.clip(out, 0.0, max_value)
    if negative_slope != 0.0:
        out = ops.subtract(out, ops.multiply(below, negative_slope))
    return out


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` if ``x > 0``, else ``negative_slope * x``.

    Example:
        >>> from lamina import activations
        >>> activations.leaky_relu([-1.0, 2.0]).numpy()
        array([-0.2,  2. ], dtype=float32)
    """
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Example:
        >>> from lamina import activations
        >>> activations.relu6([-1.0, 3.0, 9.0]).numpy()
        array([0., 3., 6.], dtype=float32)
    """
    return ops.relu6(x)


def softmax(x, axis=-1):
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``; each slice sums to 1.

    The output remembers its logits, so a cross-entropy loss on it can be
    computed stably from them (as Keras does).

    Example:
        >>> from lamina import activations
        >>> activations.softmax([[0.0, 0.0, 0.0, 0.0]]).numpy()
        array([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """Log-softmax: ``x - log(sum(exp(x)))`` along ``axis``, without overflow.

    Example:
        >>> from lamina import activations
        >>> activations.log_softmax([[0.0, 0.0]]).numpy()
        array([[-0.6931472, -0.6931472]], dtype=float32)
    """
    return ops.log_softmax(x, axis=axis)


def sigmoid(x):
    """Logistic sigmoid: ``1 / (1 + exp(-x))``.

    The output remembers its logits for a stable binary cross-entropy.

    Example:
        >>> from lamina import activations
        >>> activations.sigmoid([0.0]).numpy()
        array([0.5], dtype=float32)
    """
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent: ``(exp(x) - exp(-x)) / (exp(x) + exp(-x))``.

    Example:
        >>> from lamina import activations
        >>> activations.tanh([0.0]).numpy()
        array([0.], dtype=float32)
    """
    return ops.tanh(x)


def linear(x):
    """The identity: returns ``x`` unchanged (the activation of ``activation=None``).

    Example:
        >>> from lamina import activations
        >>> activations.linear(3.0)
        3.0
    """
    return x


def exponential(x):
    """Exponential: ``exp(x)``.

    Example:
        >>> from lamina import activations
        >>> activations.exponential([0.0]).numpy()
        array([1.], dtype=float32)
    """
    return ops.exp(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Example:
        >>> from lamina import activations
        >>> activations.elu([0.0, 2.0]).numpy()
        array([0., 2.], dtype=float32)
    """
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with ``alpha = 1.67326324``, ``scale = 1.05070098``.

    Use with the ``lecun_normal`` initializer to keep activations normalised.

    Example:
        >>> from lamina import activations
        >>> activations.selu([0.0, 1.0]).numpy()
        array([0.      , 1.050701], dtype=float32)
    """
    return ops.selu(x)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``.

    At exactly 0 the gradient is 2, as with Keras on TensorFlow (both the max
    and the min pass a tie to ``x``).

    Example:
        >>> from lamina import activations
        >>> activations.celu([0.0, 2.0]).numpy()
        array([0., 2.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    neg = ops.expm1(ops.divide(ops.minimum(x, 0.0), alpha))
    return ops.add(ops.maximum(x, 0.0), ops.multiply(neg, alpha))


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))``.

    With ``approximate=True``:
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Example:
        >>> from lamina import activations
        >>> activations.gelu([0.0, 1.0]).numpy()
        array([0.       , 0.8413447], dtype=float32)
    """
    return ops.gelu(ops.convert_to_tensor(x), approximate=approximate)


def softplus(x):
    """Softplus: ``log(exp(x) + 1)``, computed without overflow.

    Example:
        >>> from lamina import activations
        >>> activations.softplus([0.0]).numpy()
        array([0.6931472], dtype=float32)
    """
    return ops.softplus(x)


def softsign(x):
    """Softsign: ``x / (abs(x) + 1)``.

    Example:
        >>> from lamina import activations
        >>> activations.softsign([1.0]).numpy()
        array([0.5], dtype=float32)
    """
    return ops.softsign(x)


def silu(x):
    """SiLU, also called swish: ``x * sigmoid(x)``.

    Example:
        >>> from lamina import activations
        >>> activations.silu([0.0]).numpy()
        array([0.], dtype=float32)
    """
    return ops.silu(x)


swish = silu


def mish(x):
    """Mish: ``x * tanh(softplus(x))``.

    Example:
        >>> from lamina import activations
        >>> activations.mish([0.0]).numpy()
        array([0.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6`` (0 below -3, 1 above 3).

    Example:
        >>> from lamina import activations
        >>> activations.hard_sigmoid([-4.0, 0.0, 4.0]).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """
    return ops.hard_sigmoid(x)


def hard_silu(x):
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``.

    Example:
        >>> from lamina import activations
        >>> activations.hard_silu([-4.0, 0.0, 4.0]).numpy()
        array([-0.,  0.,  4.], dtype=float32)
    """
    return ops.hard_silu(x)


hard_swish = hard_silu


def hard_tanh(x):
    """Hard tanh: ``x`` clipped to ``[-1, 1]``.

    Example:
        >>> from lamina import activations
        >>> activations.hard_tanh([-2.0, 0.5, 2.0]).numpy()
        array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return ops.clip(ops.convert_to_tensor(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """Hard shrink: ``x`` where ``abs(x) > threshold``, else 0.

    Example:
        >>> from lamina import activations
        >>> activations.hard_shrink([-1.0, 0.2, 1.0]).numpy()
        array([-1.,  0.,  1.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    return ops.where(ops.greater(ops.abs(x), threshold), x, 0.0)


def soft_shrink(x, threshold=0.5):
    """Soft shrink: ``x - threshold`` above ``threshold``, ``x + threshold`` below
    ``-threshold``, else 0.

    Example:
        >>> from lamina import activations
        >>> activations.soft_shrink([-1.0, 0.2, 1.0]).numpy()
        array([-0.5,  0. ,  0.5], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    inner = ops.where(ops.less(x, -threshold), ops.add(x, threshold), 0.0)
    return ops.where(ops.greater(x, threshold), ops.subtract(x, threshold), inner)


def tanh_shrink(x):
    """Tanh shrink: ``x - tanh(x)``.

    Example:
        >>> from lamina import activations
        >>> activations.tanh_shrink([0.0]).numpy()
        array([0.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    return ops.subtract(x, ops.tanh(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Example:
        >>> from lamina import activations
        >>> activations.threshold([0.0, 2.0], 1.0, -1.0).numpy()
        array([-1.,  2.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    return ops.where(ops.greater(x, threshold), x, default_value)


def sparse_plus(x):
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``.

    Example:
        >>> from lamina import activations
        >>> activations.sparse_plus([-2.0, 0.0, 2.0]).numpy()
        array([0.  , 0.25, 2.  ], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    middle = ops.multiply(ops.square(ops.add(x, 1.0)), 0.25)
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.less(x, 1.0), middle, x))


def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for ``x <= -1``, ``(x + 1) / 2`` for ``-1 < x < 1``, 1 for ``x >= 1``.

    Example:
        >>> from lamina import activations
        >>> activations.sparse_sigmoid([-2.0, 0.0, 2.0]).numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    middle = ops.multiply(ops.add(x, 1.0), 0.5)
    return ops.where(
        ops.less_equal(x, -1.0), 0.0, ops.where(ops.greater_equal(x, 1.0), 1.0, middle)
    )


def squareplus(x, b=4):
    """Squareplus: ``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    Example:
        >>> from lamina import activations
        >>> activations.squareplus([0.0]).numpy()
        array([1.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    return ops.divide(ops.add(x, ops.sqrt(ops.add(ops.square(x), float(b)))), 2.0)


def log_sigmoid(x):
    """Log of the sigmoid: ``-softplus(-x)``, without overflow.

    Example:
        >>> from lamina import activations
        >>> activations.log_sigmoid([0.0]).numpy()
        array([-0.6931472], dtype=float32)
    """
    return ops.negative(ops.softplus(ops.negative(ops.convert_to_tensor(x))))


def glu(x, axis=-1):
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``; return ``a * sigmoid(b)``.

    Raises:
        ValueError: if ``x``'s size along ``axis`` is odd.

    Example:
        >>> from lamina import activations
        >>> activations.glu([[2.0, 0.0]]).numpy()
        array([[1.]], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu splits its input in two halves along axis {axis}, so that axis needs an "
            f"even size. Got x.shape={x.shape}. Pass an input with an even size there."
        )
    a, b = ops.split(x, 2, axis=axis)
    return ops.multiply(a, ops.sigmoid(b))


def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    ``sparsemax(x) = max(x - tau, 0)``, where ``tau`` makes each slice sum to 1;
    unlike softmax, small inputs get exactly 0. (Keras 3.15's version returns slices that
    do not sum to 1 when more than one input survives; lamina computes the correct one.)

    Example:
        >>> from lamina import activations
        >>> activations.sparsemax([[1.0, 0.0, -5.0]]).numpy()
        array([[1., 0., 0.]], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    z = ops.flip(ops.sort(x, axis=axis), axis=axis)
    csum = ops.cumsum(z, axis=axis)
    n = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = n
    k = ops.reshape(ops.arange(1, n + 1, dtype=x.dtype), shape)
    support = ops.greater(ops.subtract(z, ops.divide(ops.subtract(csum, 1.0), k)), 0.0)
    count = ops.sum(ops.cast(support, x.dtype), axis=axis, keepdims=True)
    # tau = (sum of the k largest inputs - 1) / k. Keras 3.15 sums the cumulative sums
    # instead, which is wrong once k > 1 (keras-team/keras#23425, fixed after 3.15.1).
    total = ops.sum(ops.where(support, z, 0.0), axis=axis, keepdims=True)
    tau = ops.divide(ops.subtract(total, 1.0), count)
    return ops.maximum(ops.subtract(x, tau), 0.0)
