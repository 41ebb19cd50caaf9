"""More of TensorFlow's functions with their own argument names, for ``lamina run``: the ones
keras-io programs call (sampling with ``tf.math.top_k``/``tf.random.categorical``, losses on
logits, ``tf.nn.l2_normalize``, sorting, ``tf.gather_nd``, reductions of booleans).

Each is written on ``lamina.ops``, so the differentiable ones get gradients; their values and
gradients are TensorFlow 2.21's (fixtures from ``tools/make_tf_ops_fixtures.py``).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from lamina import ops

__all__ = ["math_functions", "nn_functions", "tf_functions"]

TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type="int32", name=None):  # noqa: A002 (TF's names)
    values, indices = ops.top_k(input, k, sorted=sorted)
    return TopKV2(values, ops.cast(indices, index_type))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    _check_direction(direction, "sort")
    out = ops.sort(values, axis=axis)
    return ops.flip(out, axis=axis) if direction == "DESCENDING" else out


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    _check_direction(direction, "argsort")
    x = ops.negative(values) if direction == "DESCENDING" else values
    return ops.cast(ops.argsort(x, axis=axis), "int32")


def _check_direction(direction, where):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"tf.{where}(direction=...) must be 'ASCENDING' or 'DESCENDING'; "
                         f"got {direction!r}.")


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    if reverse:
        x = ops.flip(x, axis=axis)
    out = ops.cumsum(x, axis=axis)
    if exclusive:
        out = ops.subtract(out, x)
    return ops.flip(out, axis=axis) if reverse else out


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    if ord in ("euclidean", 2) and (axis is None or isinstance(axis, int)):
        return ops.sqrt(ops.sum(ops.square(tensor), axis=axis, keepdims=bool(keepdims)))
    return ops.norm(tensor, ord=None if ord == "euclidean" else ord, axis=axis,
                    keepdims=bool(keepdims))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    axis = dim if axis is None else axis
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(squares, epsilon)))


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return ops.any(input_tensor, axis=axis, keepdims=keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return ops.all(input_tensor, axis=axis, keepdims=keepdims)


def count_nonzero(input, axis=None, keepdims=None, dtype="int64", name=None):  # noqa: A002
    counts = ops.sum(ops.cast(ops.not_equal(input, 0), dtype), axis=axis,
                     keepdims=bool(keepdims))
    return counts


def rank(input, name=None):  # noqa: A002
    return ops.convert_to_tensor(np.int32(ops.ndim(input)))


def identity(input, name=None):  # noqa: A002
    return ops.identity(input)


def stop_gradient(input, name=None):  # noqa: A002
    return ops.stop_gradient(input)


def gather_nd(params, indices, batch_dims=0, name=None):
    if batch_dims:
        raise NotImplementedError("tf.gather_nd(batch_dims=...) is not in lamina's stand-in; "
                                  "gather along the batch with tf.gather(batch_dims=...).")
    idx = np.asarray(indices)
    if idx.ndim == 0 or idx.shape[-1] > len(ops.shape(params)):
        raise ValueError(f"tf.gather_nd: indices of shape {idx.shape} need a last axis of at "
                         f"most the rank of params {tuple(ops.shape(params))}.")
    return ops.getitem(params, tuple(idx[..., i] for i in range(idx.shape[-1])))


def moments(x, axes, shift=None, keepdims=False, name=None):
    return ops.moments(x, axes, keepdims=keepdims)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    # TF's stable form: max(x, 0) - x * z + log(1 + exp(-|x|))
    return ops.add(ops.subtract(ops.relu(logits), ops.multiply(logits, labels)),
                   ops.log1p(ops.exp(ops.negative(ops.abs(logits)))))


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    return ops.negative(ops.sum(ops.multiply(labels, ops.log_softmax(logits, axis=axis)),
                                axis=axis))


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    log_p = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_p, ops.expand_dims(ops.cast(labels, "int32"), -1),
                                 axis=-1)
    return ops.negative(ops.squeeze(picked, -1))


def math_functions() -> dict:
    """``tf.math`` names defined here."""
    return {"top_k": top_k, "cumsum": cumsum, "l2_normalize": l2_normalize,
            "reduce_any": reduce_any, "reduce_all": reduce_all, "count_nonzero": count_nonzero,
            "logical_and": ops.logical_and, "logical_or": ops.logical_or,
            "logical_not": ops.logical_not}


def nn_functions() -> dict:
    """``tf.nn`` names defined here."""
    return {"top_k": top_k, "l2_normalize": l2_normalize, "moments": moments,
            "sigmoid_cross_entropy_with_logits": sigmoid_cross_entropy_with_logits,
            "softmax_cross_entropy_with_logits": softmax_cross_entropy_with_logits,
            "sparse_softmax_cross_entropy_with_logits": sparse_softmax_cross_entropy_with_logits}


def tf_functions() -> dict:
    """The ``tf.*`` names defined here."""
    out = {fn.__name__: fn for fn in (sort, argsort, cumsum, norm, reduce_any, reduce_all,
                                      rank, identity, stop_gradient, gather_nd)}
    out.update(logical_and=ops.logical_and, logical_or=ops.logical_or,
               logical_not=ops.logical_not)
    return out
