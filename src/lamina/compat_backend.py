"""The Keras 2 functions of ``tf.keras.backend`` (``K.mean``, ``K.random_normal``, ...) on lamina.

Scripts written for ``tensorflow.keras`` still reach for ``from tensorflow.keras import
backend as K``: custom losses (``K.mean(K.square(y_pred - y_true))``), sampling layers
(``K.random_normal(shape=(batch, dim))``), custom metrics. TensorFlow's Keras 3 keeps them
as a legacy namespace; under ``lamina run`` they are these functions, each a thin wrapper
over ``lamina.ops`` so that gradients flow and traced steps replay them. The numbers follow
that legacy namespace (its cross-entropies clip by ``epsilon()`` and add it inside the log;
its random draws without a seed are new at each call).
"""

from __future__ import annotations

import contextlib

import numpy as np

from lamina import config, ops
from lamina import random as lamina_random
from lamina.autodiff import Tensor, Variable

__all__ = ["legacy_functions"]


def _floatx(dtype):
    return dtype or config.floatx()


def _seed(seed):
    # An int seed in the legacy API is an op seed: the draw still changes from call to call.
    return None if seed is None else lamina_random.SeedGenerator(int(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return lamina_random.normal(shape, mean, stddev, dtype=_floatx(dtype), seed=_seed(seed))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return lamina_random.uniform(shape, minval, maxval, dtype=_floatx(dtype), seed=_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return lamina_random.truncated_normal(shape, mean, stddev, dtype=_floatx(dtype),
                                          seed=_seed(seed))


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    draw = lamina_random.uniform(shape, dtype=_floatx(dtype), seed=_seed(seed))
    return ops.cast(ops.less_equal(draw, p), _floatx(dtype))


def dropout(x, level, noise_shape=None, seed=None):
    return lamina_random.dropout(x, level, noise_shape=noise_shape, seed=_seed(seed))


def binary_crossentropy(target, output, from_logits=False):
    target, output = ops.convert_to_tensor(target), ops.convert_to_tensor(output)
    if from_logits:  # max(x, 0) - x * z + log(1 + exp(-|x|)), elementwise
        return ops.relu(output) - output * target + ops.log1p(ops.exp(-ops.abs(output)))
    eps = config.epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    bce = target * ops.log(output + eps) + (1.0 - target) * ops.log(1.0 - output + eps)
    return -bce


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = ops.convert_to_tensor(target), ops.convert_to_tensor(output)
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(
            f"backend.categorical_crossentropy: target has shape {tuple(target.shape)} but "
            f"output has shape {tuple(output.shape)}; they must match (one-hot targets; use "
            "sparse_categorical_crossentropy for integer labels)."
        )
    if from_logits:
        return -ops.sum(target * ops.log_softmax(output, axis=axis), axis=axis)
    output = output / ops.sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    return -ops.sum(target * ops.log(ops.clip(output, eps, 1.0 - eps)), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = ops.convert_to_tensor(output)
    if from_logits:
        logp = ops.log_softmax(output, axis=axis)
    else:
        eps = config.epsilon()
        logp = ops.log(ops.clip(output, eps, 1.0 - eps))
    labels = np.asarray(target.numpy() if isinstance(target, Tensor) else target)
    labels = labels.astype(np.int64)
    if labels.ndim == logp.ndim:  # (batch, 1) labels, as Keras accepts them
        labels = labels.reshape(labels.shape[:-1])
    picked = ops.take_along_axis(logp, ops.expand_dims(labels, axis), axis=axis)
    return -ops.squeeze(picked, axis=axis)


def dot(x, y):
    """Matrix product; for N-D ``y``, contracts ``x``'s last axis with ``y``'s second-to-last."""
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if x.ndim > 2 or y.ndim > 2:
        perm = list(range(y.ndim))
        perm = [perm.pop(-2)] + perm
        yt = ops.reshape(ops.transpose(y, perm), (y.shape[-2], -1))
        out = ops.matmul(ops.reshape(x, (-1, x.shape[-1])), yt)
        return ops.reshape(out, tuple(x.shape[:-1]) + tuple(y.shape[:-2]) + tuple(y.shape[-1:]))
    return ops.matmul(x, y)


def batch_dot(x, y, axes=None):
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 2 if y.ndim > 2 else y.ndim - 1)
    if isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = (a % t.ndim for a, t in zip(axes, (x, y)))
    xs = ops.moveaxis(x, ax, -1)
    ys = ops.moveaxis(y, ay, -1)
    xs = ops.reshape(xs, (xs.shape[0], -1, xs.shape[-1]))
    ys = ops.reshape(ys, (ys.shape[0], -1, ys.shape[-1]))
    out = ops.matmul(xs, ops.transpose(ys, (0, 2, 1)))
    rest_x = [s for i, s in enumerate(x.shape) if i not in (0, ax)]
    rest_y = [s for i, s in enumerate(y.shape) if i not in (0, ay)]
    shape = (x.shape[0], *rest_x, *rest_y)
    out = ops.reshape(out, shape)
    return ops.expand_dims(out, 1) if len(shape) == 1 else out


def int_shape(x):
    return tuple(None if s is None else int(s) for s in getattr(x, "shape", np.shape(x)))


def variable(value, dtype=None, name=None, constraint=None):
    return Variable(np.asarray(value, dtype=_floatx(dtype)), name=name, constraint=constraint)


def get_value(x):
    return np.array(x.numpy() if hasattr(x, "numpy") else x)


def set_value(x, value):
    x.assign(np.asarray(value))


def switch(condition, then_expression, else_expression):
    pick = lambda e: e() if callable(e) else e  # noqa: E731
    return ops.where(condition, pick(then_expression), pick(else_expression))


def l2_normalize(x, axis=None):
    x = ops.convert_to_tensor(x)
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(square_sum, 1e-12))


def count_params(x):
    return int(np.prod(int_shape(x)))


def repeat(x, n):  # (batch, dim) -> (batch, n, dim)
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    return ops.convert_to_tensor(ops.relu(x) if not (alpha or max_value is not None or threshold)
                                 else _relu_variant(x, alpha, max_value, threshold))


def _relu_variant(x, alpha, max_value, threshold):
    x = ops.convert_to_tensor(x)
    out = ops.where(ops.greater(x, threshold), x, alpha * (x - threshold))
    return out if max_value is None else ops.minimum(out, max_value)


def _reduction(fn):
    return lambda x, axis=None, keepdims=False: fn(x, axis=axis, keepdims=keepdims)


def legacy_functions() -> dict:
    """Name -> function for every legacy backend function lamina provides."""
    funcs = {
        "random_normal": random_normal, "random_uniform": random_uniform,
        "truncated_normal": truncated_normal, "random_bernoulli": random_bernoulli,
        "dropout": dropout, "binary_crossentropy": binary_crossentropy,
        "categorical_crossentropy": categorical_crossentropy,
        "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
        "dot": dot, "batch_dot": batch_dot, "int_shape": int_shape, "variable": variable,
        "get_value": get_value, "set_value": set_value, "eval": get_value,
        "batch_get_value": lambda tensors: [get_value(t) for t in tensors],
        "batch_set_value": lambda pairs: [set_value(v, value) for v, value in pairs] and None,
        "switch": switch, "l2_normalize": l2_normalize, "count_params": count_params,
        "repeat": repeat, "relu": relu,
        "mean": _reduction(ops.mean), "sum": _reduction(ops.sum), "max": _reduction(ops.max),
        "min": _reduction(ops.min), "prod": _reduction(ops.prod), "std": _reduction(ops.std),
        "var": _reduction(ops.var), "any": _reduction(ops.any), "all": _reduction(ops.all),
        "argmax": lambda x, axis=-1: ops.argmax(x, axis=axis),
        "argmin": lambda x, axis=-1: ops.argmin(x, axis=axis),
        "ndim": lambda x: len(int_shape(x)),
        "shape": ops.shape, "dtype": lambda x: str(np.dtype(x.dtype)),
        "cast": ops.cast, "cast_to_floatx": lambda x: np.asarray(x, dtype=config.floatx()),
        "constant": lambda value, dtype=None, shape=None, name=None: ops.convert_to_tensor(
            np.broadcast_to(value, shape) if shape is not None else value, _floatx(dtype)),
        "ones": lambda shape, dtype=None, name=None: ops.ones(shape, dtype=_floatx(dtype)),
        "zeros": lambda shape, dtype=None, name=None: ops.zeros(shape, dtype=_floatx(dtype)),
        "eye": lambda size, dtype=None, name=None: ops.eye(size, dtype=_floatx(dtype)),
        "ones_like": lambda x, dtype=None, name=None: ops.ones_like(x, dtype=dtype),
        "zeros_like": lambda x, dtype=None, name=None: ops.zeros_like(x, dtype=dtype),
        "arange": lambda start, stop=None, step=1, dtype="int32": ops.arange(
            start, stop, step, dtype=dtype),
        "concatenate": lambda tensors, axis=-1: ops.concatenate(tensors, axis=axis),
        "stack": lambda x, axis=0: ops.stack(x, axis=axis),
        "reshape": ops.reshape, "flatten": lambda x: ops.reshape(x, (-1,)),
        "batch_flatten": lambda x: ops.reshape(x, (ops.shape(x)[0], -1)),
        "expand_dims": lambda x, axis=-1: ops.expand_dims(x, axis),
        "squeeze": lambda x, axis: ops.squeeze(x, axis=axis),
        "transpose": ops.transpose,
        "permute_dimensions": lambda x, pattern: ops.transpose(x, pattern),
        "tile": ops.tile, "repeat_elements": lambda x, rep, axis: ops.repeat(x, rep, axis=axis),
        "reverse": lambda x, axes: ops.flip(x, axis=axes),
        "gather": lambda reference, indices: ops.take(reference, indices, axis=0),
        "one_hot": lambda indices, num_classes: ops.one_hot(indices, num_classes),
        "clip": lambda x, min_value, max_value: ops.clip(x, min_value, max_value),
        "pow": lambda x, a: ops.power(x, a), "cumsum": lambda x, axis=0: ops.cumsum(x, axis),
        "softmax": lambda x, axis=-1: ops.softmax(x, axis=axis),
        "elu": lambda x, alpha=1.0: ops.elu(x, alpha),
        "stop_gradient": ops.stop_gradient,
        "name_scope": lambda name: contextlib.nullcontext(),
        "epsilon": config.epsilon, "floatx": config.floatx, "set_floatx": config.set_floatx,
        "set_epsilon": config.set_epsilon, "image_data_format": config.image_data_format,
        "set_image_data_format": config.set_image_data_format,
    }
    for name in ("abs", "square", "sqrt", "exp", "log", "sign", "round", "sin", "cos", "tanh",
                 "sigmoid", "softplus", "softsign", "hard_sigmoid", "maximum", "minimum",
                 "equal", "not_equal", "greater", "greater_equal", "less", "less_equal"):
        funcs[name] = getattr(ops, name)
    return funcs
