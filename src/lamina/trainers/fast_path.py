"""The fused training step: the same arithmetic as ``train_step``, without the tape (for speed).

For a ``Sequential`` model made only of layers that have a kernel here
(``Dense``, ``Activation``, ``Flatten``, ``Dropout``, ...) and a common loss,
``build`` returns a step function that runs the forward pass, the loss, the
backward pass and the optimizer update as a handful of in-place NumPy calls.
Gradients land directly in one flat buffer laid out like the model's
variables, which the optimizer updates in one pass (``apply_flat``). Anything
else (custom layers, custom losses, an overridden ``train_step``) uses the
generic tape-based ``train_step``; the tests check that both give the same
numbers (to float rounding: a Dense kernel adds its bias inside the matrix
product, see ``DenseKernel.augment``; the other kernels repeat the tape's
operations exactly).

``_FusedStep.fit_epoch`` runs a whole epoch of in-memory data for ``fit`` when
no callback reads single batches: it keeps the outputs and counts the loss and
metrics per block of batches (``_count_outputs``), in batch order, so the logs
equal the batch-by-batch loop's bit for bit. ``build_test(...).evaluate_all``
does the same for ``evaluate`` and validation.
"""

from __future__ import annotations

import math

import numpy as np

from lamina.ops._primitives import _sigmoid  # the same formula as the tape's sigmoid

__all__ = ["build", "build_predict", "build_test", "consolidate", "register_kernel"]

_KERNELS: dict = {}


def register_kernel(layer_cls):
    """Register a fused kernel class for ``layer_cls`` (exact type match)."""

    def deco(kernel_cls):
        _KERNELS[layer_cls] = kernel_cls
        return kernel_cls

    return deco


# -- flat storage -------------------------------------------------------------------------------


def _is_flat(variables) -> bool:
    if not variables:
        return False
    base = variables[0].value.base
    if base is None or base.ndim != 1:
        return False
    start = variables[0].value.__array_interface__["data"][0]
    offset = start
    for v in variables:
        arr = v.value
        if arr.base is not base or not arr.flags.c_contiguous:
            return False
        if arr.__array_interface__["data"][0] != offset:
            return False
        offset += arr.nbytes
    return True


def consolidate(variables):
    """Move the variables' values into one contiguous buffer (each value becomes a view of it).

    Returns the flat buffer, or ``None`` when the variables have mixed dtypes.
    """
    if not variables:
        return None
    dtype = variables[0].value.dtype
    if any(v.value.dtype != dtype for v in variables):
        return None
    if _is_flat(variables):
        base = variables[0].value.base
        start = (variables[0].value.__array_interface__["data"][0]
                 - base.__array_interface__["data"][0]) // dtype.itemsize
        return base[start:start + sum(v.value.size for v in variables)]
    total = sum(v.value.size for v in variables)
    flat = np.empty(total, dtype=dtype)
    offset = 0
    for v in variables:
        n = v.value.size
        flat[offset:offset + n] = v.value.reshape(-1)
        v.value = flat[offset:offset + n].reshape(v.value.shape)
        offset += n
    return flat


# -- activations (forward on z in place where possible, backward given the output) --------------

_ZEROS: dict = {}


def _zero(dtype):
    """A 0-d zero of ``dtype``: a cheaper second operand than the Python ``0``."""
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = np.zeros((), dtype)
    return zero


def _act_forward(name, z):
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, _zero(z.dtype), out=z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = z - z.max(axis=-1, keepdims=True)
        np.exp(e, out=e)
        e /= e.sum(axis=-1, keepdims=True)
        return e
    raise KeyError(name)


def _act_backward(name, g, out):
    if name == "linear":
        return g
    if name == "relu":
        # out >= 0, so sign(out) is the 0/1 mask of out > 0: a float multiply is
        # several times cheaper than a multiply by a boolean array.
        mask = np.sign(out)
        return np.multiply(g, mask, out=mask)
    if name == "sigmoid":
        return g * out * (1 - out)
    if name == "tanh":
        return g * (1 - out * out)
    if name == "softmax":
        return out * (g - (g * out).sum(axis=-1, keepdims=True))
    raise KeyError(name)


_ACTIVATIONS = {"linear", "relu", "sigmoid", "tanh", "softmax"}


def _activation_name(fn):
    name = getattr(fn, "__name__", None)
    return name if name in _ACTIVATIONS else None


# -- kernels ---------------------------------------------------------------------------------------


class _Kernel:
    """A layer's forward and backward on raw arrays. ``grads`` maps variables to gradient views."""

    activation = "linear"
    params: tuple = ()

    def __init__(self, layer, grads):
        self.layer = layer

    def forward(self, x, training):
        raise NotImplementedError

    def backward(self, g, need_dx):
        raise NotImplementedError

    def release(self):
        """Drop the references to the last batch (they would keep the epoch's arrays alive)."""
        # (getattr/setattr, not __dict__: touching an instance's __dict__ makes CPython
        # look up every later attribute of it the slow way)
        for name in ("x", "xa", "z", "out"):
            if getattr(self, name, None) is not None:
                setattr(self, name, None)


class DenseKernel(_Kernel):
    def __init__(self, layer, grads):
        self.layer = layer
        self.activation = _activation_name(layer.activation)
        self.kernel = layer.kernel
        self.bias = layer.bias
        self.g_kernel = grads.get(id(layer.kernel))
        self.g_bias = grads.get(id(layer.bias)) if layer.bias is not None else None
        self.skip_activation_backward = False
        # Set by the fused step when the loss takes this layer's logits and computes the
        # probabilities itself: the activation is then not applied here.
        self.defer_activation = False

        self.augmented = False

    @staticmethod
    def supports(layer):
        return _activation_name(layer.activation) is not None and layer.activity_regularizer is None

    # -- training with the bias folded into the product --------------------------------------
    # [x, 1] @ [kernel; bias] computes x @ kernel + bias in one BLAS call, and
    # [x, 1]^T @ g gives the kernel's and the bias's gradients in one more, when the
    # kernel and the bias (and their gradients) lie one after the other in the flat
    # buffers. The input then needs a column of ones: each batch size gets a buffer
    # of shape (n, inputs + 1) whose last column is 1, and a Dense layer that feeds
    # another one writes its activations straight into the next one's buffer.

    def augment(self, feeds):
        """Switch to the folded-bias product if the buffers allow it; returns whether it did.

        ``feeds``: the next layer's kernel when it is a Dense kernel in this mode.
        """
        if self.bias is None or self.g_kernel is None or self.g_bias is None:
            return False
        if self._folded(self.kernel.value, self.bias.value) is None or \
                self._folded(self.g_kernel, self.g_bias) is None:
            return False
        self.g_folded = self._folded(self.g_kernel, self.g_bias)
        self.folded_of = None  # the kernel and bias arrays `folded` was made from
        self.feeds = feeds
        self.buffers = {}  # batch size -> input buffer (a few sizes at most)
        self.outs = {}  # batch size -> view of the next layer's input buffer (or None)
        self.zero = _zero(self.kernel.value.dtype)
        self.target = None  # where to write x @ kernel + bias (set by the epoch loop)
        self.with_ones = False  # set by the epoch loop: inputs come with their column of ones
        self.augmented = True
        return True

    @staticmethod
    def _folded(kernel, bias):
        """``[kernel; bias]`` as one (inputs + 1, units) view, or ``None`` if not adjacent."""
        base = kernel.base
        if base is None or bias.base is not base or kernel.ndim != 2 or \
                not (kernel.flags.c_contiguous and base.flags.c_contiguous) or \
                kernel.dtype != bias.dtype:
            return None
        base = base.reshape(-1)  # a view: the base is contiguous
        start = kernel.__array_interface__["data"][0]
        if start + kernel.nbytes != bias.__array_interface__["data"][0]:
            return None
        offset = (start - base.__array_interface__["data"][0]) // base.itemsize
        rows = kernel.shape[0] + 1
        return base[offset:offset + rows * kernel.shape[1]].reshape(rows, kernel.shape[1])

    def input_buffer(self, n):
        """The (n, inputs + 1) input buffer for batches of ``n`` rows (last column: ones)."""
        buffer = self.buffers.get(n)
        if buffer is None:
            if len(self.buffers) >= 4:  # batch sizes that come and go: keep a few only
                self.buffers.clear()
            shape = self.kernel.value.shape
            buffer = self.buffers[n] = np.ones((n, shape[0] + 1), self.kernel.value.dtype)
        return buffer

    def can_fold(self):
        """Whether the next forward pass can use ``[kernel; bias]`` (the arrays are adjacent)."""
        if not self.augmented:
            return False
        kernel, bias = self.kernel.value, self.bias.value
        if self.folded_of is None or self.folded_of[0] is not kernel or \
                self.folded_of[1] is not bias:  # new arrays (or first use): look again
            self.folded = self._folded(kernel, bias)
            self.folded_of = (kernel, bias)
        return self.folded is not None

    def _forward_folded(self, x):
        """The layer's output from ``[x, 1] @ [kernel; bias]``, or ``None`` (arrays moved)."""
        if not self.can_fold():
            return None
        n = x.shape[0]
        if self.with_ones:
            buffer = x  # the epoch loop's rows, which end in a 1 already
        else:
            buffer = self.buffers.get(n)
            if buffer is None or x.base is not buffer:
                buffer = self.input_buffer(n)
                buffer[:, :-1] = x
        self.xa = buffer
        target = self.target
        z = np.dot(buffer, self.folded) if target is None else \
            np.dot(buffer, self.folded, target)
        if self.defer_activation:
            self.z = self.out = z
            return z
        activation = self.activation
        out = self.outs.get(n, False)
        if out is False:  # where the activations go: the next Dense's input buffer, or new
            if len(self.outs) >= 4:
                self.outs.clear()
            feeds = self.feeds
            out = self.outs[n] = None if feeds is None else feeds.input_buffer(n)[:, :-1]
        if out is not None and activation == "relu":
            self.z = None
            self.out = np.maximum(z, self.zero, out=out)
            return out
        self.z = z if activation in ("sigmoid", "softmax") else None
        if out is None:
            self.out = _act_forward(activation, z)
            return self.out
        out[...] = _act_forward(activation, z)
        self.out = out
        return out

    def forward(self, x, training):
        self.x = x
        if self.augmented:
            out = self._forward_folded(x)
            if out is not None:
                self.folded_step = True
                return out
        self.folded_step = False
        # np.dot: the same BLAS product as ``@`` on 2-D arrays, with less call overhead.
        z = np.dot(x, self.kernel.value)
        if self.bias is not None:
            np.add(z, self.bias.value, z)
        if self.defer_activation:
            self.z = self.out = z
            return z
        self.z = z if self.activation in ("sigmoid", "softmax") else None
        self.out = _act_forward(self.activation, z)
        return self.out

    def backward(self, g, need_dx):
        if not self.skip_activation_backward:
            g = _act_backward(self.activation, g, self.out)
        if self.folded_step:  # the kernel's and the bias's gradients in one product
            if g.dtype == self.g_folded.dtype:
                np.dot(self.xa.T, g, out=self.g_folded)
            else:
                np.matmul(self.xa.T, g, out=self.g_folded)
            return np.dot(g, self.kernel.value.T) if need_dx else None
        if self.g_kernel is not None:
            x = self.x
            if x.dtype == g.dtype == self.g_kernel.dtype:
                np.dot(x.T, g, out=self.g_kernel)
            else:  # np.dot writes only into an array of its result's dtype
                np.matmul(x.T, g, out=self.g_kernel)
        if self.g_bias is not None:
            np.add.reduce(g, 0, None, self.g_bias)
        return np.dot(g, self.kernel.value.T) if need_dx else None


class ActivationKernel(_Kernel):
    def __init__(self, layer, grads):
        self.layer = layer
        self.activation = _activation_name(layer.activation)
        self.skip_activation_backward = False
        self.defer_activation = False

    @staticmethod
    def supports(layer):
        return _activation_name(layer.activation) is not None and layer.activity_regularizer is None

    def forward(self, x, training):
        if self.defer_activation:
            self.z = self.out = x
            return x
        self.z = x if self.activation in ("sigmoid", "softmax") else None
        self.out = _act_forward(self.activation, x.copy() if self.activation == "relu" else x)
        return self.out

    def backward(self, g, need_dx):
        if self.skip_activation_backward:
            return g
        return _act_backward(self.activation, g, self.out)


class FlattenKernel(_Kernel):
    @staticmethod
    def supports(layer):
        return layer.data_format == "channels_last" and layer.activity_regularizer is None

    def forward(self, x, training):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, g, need_dx):
        return g.reshape(self.shape)


def _register_builtin_kernels():
    from lamina.layers import Activation, Dense, Flatten

    _KERNELS.setdefault(Dense, DenseKernel)
    _KERNELS.setdefault(Activation, ActivationKernel)
    _KERNELS.setdefault(Flatten, FlattenKernel)
    from lamina.trainers import fast_kernels  # noqa: F401  (kernels of the other layers)


class _Unsupported(Exception):
    pass


# -- losses ------------------------------------------------------------------------------------


def _loss_kind(loss):
    """(kind, options) for losses with a fused kernel, else None."""
    name = type(loss).__name__
    cfg = {}
    try:
        cfg = loss.get_config()
    except Exception:  # noqa: BLE001
        return None
    if cfg.get("reduction", "sum_over_batch_size") not in ("sum_over_batch_size", "mean", None) \
            and cfg.get("reduction") != "sum_over_batch_size":
        return None
    if name == "LossFunctionWrapper":
        fn = getattr(loss, "fn", None)
        name = {"mean_squared_error": "MeanSquaredError", "mean_absolute_error": "MeanAbsoluteError",
                "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
                "categorical_crossentropy": "CategoricalCrossentropy",
                "binary_crossentropy": "BinaryCrossentropy"}.get(getattr(fn, "__name__", ""))
        kwargs = getattr(loss, "_fn_kwargs", {}) or {}
        cfg = {**cfg, **kwargs}
        if name is None:
            return None
    if name in ("MeanSquaredError", "MeanAbsoluteError"):
        return name, {}
    if name == "SparseCategoricalCrossentropy":
        if cfg.get("ignore_class") is not None or cfg.get("axis", -1) != -1:
            return None
        return name, {"from_logits": bool(cfg.get("from_logits", False))}
    if name == "CategoricalCrossentropy":
        if cfg.get("label_smoothing", 0) or cfg.get("axis", -1) != -1:
            return None
        return name, {"from_logits": bool(cfg.get("from_logits", False))}
    if name == "BinaryCrossentropy":
        if cfg.get("label_smoothing", 0) or cfg.get("axis", -1) != -1:
            return None
        return name, {"from_logits": bool(cfg.get("from_logits", False))}
    return None


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


class _LossKernel:
    """Value and gradient of a loss with Keras's ``sum_over_batch_size`` reduction.

    With logits (``z``) given, cross-entropies differentiate with respect to
    the logits directly, as Keras does for softmax and sigmoid outputs.
    """

    def __init__(self, kind, options, dtype):
        self.kind = kind
        self.from_logits = options.get("from_logits", False)
        self.dtype = dtype
        self._row_cache = {}

    def _rows(self, n):
        rows = self._row_cache.get(n)
        if rows is None:
            if len(self._row_cache) >= 8:  # blocks of varying sizes: keep a few only
                self._row_cache.clear()
            rows = self._row_cache[n] = np.arange(n)
        return rows

    def __call__(self, y, p, z, sw):
        """``(loss value, gradient, probabilities or None)`` for one batch."""
        per, grad, probs = self.compute(y, p, z, sw, True)
        return per.sum() / p.shape[0], grad, probs

    def gradient(self, y, p, z, sw, onehot=None):
        """The gradient alone (the epoch runner computes the values later, all at once).

        ``onehot``: the one-hot rows of sparse labels, when the caller has them.
        """
        if onehot is not None and self.kind == "SparseCategoricalCrossentropy":
            # The training loop's case: softmax(z) - onehot, in place, in the fewest calls.
            grad = np.subtract(z, np.maximum.reduce(z, -1, None, None, True))
            np.exp(grad, grad)
            np.divide(grad, np.add.reduce(grad, -1, None, None, True), grad)
            np.subtract(grad, onehot, grad)  # p - 0 is p: as subtracting 1 at the label
            if sw is not None:
                grad *= sw[:, None]
            grad *= 1.0 / z.shape[0]
            return grad
        return self.compute(y, p, z, sw, False)[1]

    def compute(self, y, p, z, sw, need_values):
        """``(per-sample losses times sample weights, or None; gradient; probabilities)``."""
        n = p.shape[0]
        kind = self.kind
        per = None
        if kind != "SparseCategoricalCrossentropy" and y.dtype != p.dtype:
            y = y.astype(p.dtype)  # labels in the output's dtype, as Keras casts y_true
        if kind in ("MeanSquaredError", "MeanAbsoluteError"):
            y = y.reshape(p.shape) if y.shape != p.shape and y.size == p.size else y
            diff = p - y
            d = p.shape[-1] if p.ndim > 1 else 1
            if kind == "MeanSquaredError":
                if need_values:
                    per = np.square(diff).mean(axis=-1) if p.ndim > 1 else np.square(diff)
                grad = np.multiply(diff, 2.0 / (d * n), out=diff)
            else:
                if need_values:
                    per = np.abs(diff).mean(axis=-1) if p.ndim > 1 else np.abs(diff)
                grad = np.sign(diff, out=diff)
                grad *= 1.0 / (d * n)
            if sw is not None:
                if need_values:
                    per = per * sw
                grad = grad * (sw.reshape(-1, *([1] * (grad.ndim - 1))))
            return per, grad, None
        if kind == "SparseCategoricalCrossentropy":
            # softmax(z) and -log softmax(z)[label], sharing one exp and one sum
            shifted = z - z.max(axis=-1, keepdims=True)
            grad = np.exp(shifted)
            total = grad.sum(axis=-1, keepdims=True)
            labels = y.reshape(-1) if y.ndim > 1 else y
            if labels.dtype.kind != "i":
                labels = labels.astype(np.intp)
            rows = self._rows(n)
            if need_values:
                per = np.log(total[:, 0]) - shifted[rows, labels]
            grad /= total
            probs = grad.copy() if need_values else None
            grad[rows, labels] -= 1.0
            if sw is not None:
                if need_values:
                    per = per * sw
                grad *= sw[:, None]
            grad *= 1.0 / n
            return per, grad, probs
        if kind == "CategoricalCrossentropy":
            logp = _log_softmax(z)
            if need_values:
                per = -(y * logp).sum(axis=-1)
            probs = np.exp(logp)
            grad = probs * y.sum(axis=-1, keepdims=True) - y
            if sw is not None:
                if need_values:
                    per = per * sw
                grad *= sw[:, None]
            grad *= 1.0 / n
            return per, grad, probs
        if kind == "BinaryCrossentropy":
            y = y.reshape(z.shape) if y.shape != z.shape and y.size == z.size else y
            d = z.shape[-1] if z.ndim > 1 else 1
            if need_values:
                elem = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
                per = elem.mean(axis=-1) if z.ndim > 1 else elem
            sig = _sigmoid(z)
            grad = (sig - y) * (1.0 / (d * n))
            if sw is not None:
                if need_values:
                    per = per * sw
                grad = grad * sw.reshape(-1, *([1] * (grad.ndim - 1)))
            return per, grad, sig
        raise _Unsupported(kind)


# -- regularizers ---------------------------------------------------------------------------------

def _penalty_fn(regularizer):
    """(value_fn, grad_fn) for L1/L2/L1L2 regularizers, else None."""
    if regularizer is None:
        return None
    name = type(regularizer).__name__
    try:
        cfg = regularizer.get_config()
    except Exception:  # noqa: BLE001
        return None
    l1 = float(cfg.get("l1", 0.0) or 0.0) if name in ("L1", "L1L2") else 0.0
    l2 = float(cfg.get("l2", 0.0) or 0.0) if name in ("L2", "L1L2") else 0.0
    if name not in ("L1", "L2", "L1L2"):
        return None

    def value(w):
        total = w.dtype.type(0)  # (a zero coefficient still gives a number of w's dtype)
        if l1:
            total += l1 * np.abs(w).sum()
        if l2:
            total += l2 * np.square(w).sum()
        return total

    def grad(w, out):
        if l2:
            out += (2.0 * l2) * w
        if l1:
            out += l1 * np.sign(w)

    return value, grad


# -- the step ------------------------------------------------------------------------------------


def _fusable_layers(model):
    """The model's layers if every one has a kernel that supports it, else ``None``."""
    from lamina.models.sequential import Sequential

    _register_builtin_kernels()
    if not isinstance(model, Sequential) or type(model).call is not Sequential.call:
        return None
    if not model.built or model.activity_regularizer is not None:
        return None
    layers = model.layers
    if not layers:
        return None
    for layer in layers:
        kernel_cls = _KERNELS.get(type(layer))
        if kernel_cls is None or not kernel_cls.supports(layer):
            return None
        shape = getattr(layer, "_build_shape", None)
        if type(layer).__name__ == "Dense" and (shape is None or len(shape) != 2):
            return None  # Dense kernels handle (batch, features) inputs only
    return layers


def build_predict(model):
    """A fused inference function ``x -> outputs`` for ``model``, or ``None``."""
    layers = _fusable_layers(model)
    if layers is None:
        return None
    kernels = [_KERNELS[type(layer)](layer, {}) for layer in layers]
    dtype = np.dtype(model.dtype)

    def run(x):
        h = x if x.dtype == dtype else x.astype(dtype)
        for kernel in kernels:
            h = kernel.forward(h, False)
        return h

    return run


def build_test(model):
    """A fused ``test_step`` (loss and metrics, no weight update) for ``model``, or ``None``."""
    layers = _fusable_layers(model)
    kind = _loss_kind(model._loss_fn) if layers is not None else None
    if kind is None:
        return None
    penalties = []
    for v in model.weights:
        if v.regularizer is not None:
            fn = _penalty_fn(v.regularizer)
            if fn is None:
                return None
            penalties.append((v, fn[0]))
    kernels = [_KERNELS[type(layer)](layer, {}) for layer in layers]
    loss_kind, options = kind
    dtype = np.dtype(model.dtype)
    loss = _LossKernel(loss_kind, options, dtype)
    last = kernels[-1]
    cross_entropy = loss_kind in ("SparseCategoricalCrossentropy", "CategoricalCrossentropy",
                                  "BinaryCrossentropy")
    from_last = cross_entropy and getattr(last, "activation", None) in ("softmax", "sigmoid") \
        and not options.get("from_logits")
    if cross_entropy and not from_last and not options.get("from_logits"):
        return None  # probabilities from a linear output: the generic step clips them

    def step(data):
        x, y, sw = data
        h = x if x.dtype == dtype else x.astype(dtype)
        if y.dtype.kind == "f" and y.dtype != dtype:
            y = y.astype(dtype)
        if sw is not None:
            sw = np.asarray(sw, dtype=dtype)
        for kernel in kernels:
            h = kernel.forward(h, False)
        z = (last.z if from_last else h) if cross_entropy else None
        value = loss(y, h, z, sw)[0]
        for v, value_fn in penalties:
            value += value_fn(v.value)
        model._loss_tracker.update_state(value, sample_weight=h.shape[0])
        for metric, weighted in model._compile_metrics or []:
            metric.update_state(y, h, sample_weight=sw if weighted else None)

    def evaluate_all(data):
        """Every batch of in-memory ``data``, counting loss and metrics per block of batches.

        The outputs of about 1 MB of batches are kept, then their per-sample
        values are summed per batch and added in batch order (the numbers of the
        batch-by-batch loop). Returns ``False`` (nothing done) when the output
        shape is not known in advance.
        """
        if out_shape is None:
            return False
        bs, n = data.batch_size, data.n
        rows = min(data.steps * bs, n)
        x, y, sw = _in_dtype(*data.epoch_arrays(), dtype)
        block = bs * max(1, _BLOCK_ELEMENTS // (bs * max(1, math.prod(out_shape))))
        # The weights do not change: every batch adds the same penalties.
        penalty_row = [value_fn(v.value) for v, value_fn in penalties]
        outputs = None
        try:
            for b0 in range(0, rows, block):
                b1 = min(b0 + block, rows)
                for lo in range(b0, b1, bs):
                    h = x[lo:min(lo + bs, b1)]
                    for kernel in kernels:
                        h = kernel.forward(h, False)
                    h = last.z if from_last else h
                    if outputs is None:  # in the layers' dtype (float64 layers, float32 model)
                        outputs = np.empty((min(block, rows),) + h.shape[1:], h.dtype)
                    outputs[lo - b0:lo - b0 + h.shape[0]] = h
                steps = -(-(b1 - b0) // bs)
                _count_outputs(model, loss, cross_entropy, from_last, y[b0:b1],
                               outputs[:b1 - b0], None if sw is None else sw[b0:b1], bs,
                               [penalty_row] * steps if penalties else [])
        finally:
            for kernel in kernels:  # their inputs are views of the data
                kernel.release()
        return True

    out_shape = _output_shape(model)
    step.evaluate_all = evaluate_all
    return step


def _in_dtype(x, y, sw, dtype):
    """Inputs, float labels and sample weights in the model's dtype (integer labels stay)."""
    if x.dtype != dtype:
        x = x.astype(dtype)
    if y.dtype.kind == "f" and y.dtype != dtype:
        y = y.astype(dtype)
    if sw is not None:
        sw = np.asarray(sw, dtype=dtype)
    return x, y, sw


def _output_shape(model):
    """One sample's output shape, or ``None`` when it cannot be known before a batch."""
    try:
        return tuple(int(d) for d in model.compute_output_shape(model._input_batch_shape())[1:])
    except Exception:  # noqa: BLE001
        return None


def build(model):
    """A fused step function for ``model``, or ``None`` if it needs the generic path."""
    layers = _fusable_layers(model)
    if layers is None:
        return None
    kind = _loss_kind(model._loss_fn)
    if kind is None:
        return None
    optimizer = model.optimizer
    if optimizer is None or not hasattr(optimizer, "apply_flat"):
        return None
    variables = model.trainable_variables
    if not variables:
        return None
    dtype = variables[0].value.dtype
    if dtype.kind != "f" or any(v.value.dtype != dtype for v in variables):
        return None
    for v in model.weights:
        if v.regularizer is not None and _penalty_fn(v.regularizer) is None:
            return None
    try:
        return _FusedStep(model, layers, kind, dtype)
    except _Unsupported:
        return None


class _FusedStep:
    def __init__(self, model, layers, kind, dtype):
        self.model = model
        self.variables = model.trainable_variables
        flat = consolidate(self.variables)
        if flat is None:
            raise _Unsupported
        self.flat_grad = np.zeros_like(flat)
        grads, offset = {}, 0
        for v in self.variables:
            n = v.value.size
            grads[id(v)] = self.flat_grad[offset:offset + n].reshape(v.value.shape)
            offset += n
        self.kernels = [_KERNELS[type(layer)](layer, grads) for layer in layers]
        loss_kind, options = kind
        self.loss = _LossKernel(loss_kind, options, dtype)
        self.dtype = dtype
        last = self.kernels[-1]
        # Keras computes cross-entropy from the logits of a softmax/sigmoid output, unless
        # from_logits=True: then the output itself is taken as the logits.
        cross_entropy = loss_kind in ("SparseCategoricalCrossentropy", "CategoricalCrossentropy",
                                      "BinaryCrossentropy")
        self.use_logits = cross_entropy
        if cross_entropy and not options.get("from_logits"):
            if getattr(last, "activation", None) not in ("softmax", "sigmoid"):
                raise _Unsupported  # probabilities from a linear output: use the generic path
            last.skip_activation_backward = True
            last.defer_activation = True  # the loss kernel returns the probabilities
        self.penalties = []
        for v in self.variables:
            fn = _penalty_fn(v.regularizer)
            if fn is not None:
                self.penalties.append((v, grads[id(v)], fn))
        self.frozen_penalties = [(v, _penalty_fn(v.regularizer)) for v in model.weights
                                 if v.regularizer is not None and all(v is not t for t in self.variables)]
        self.optimizer = model.optimizer
        self.optimizer.build(self.variables)
        self.metrics = model._compile_metrics or []
        self.tracker = model._loss_tracker
        # Dense layers fold their bias into the product; one that feeds another Dense
        # writes into that layer's input buffer (from the last layer back, so each knows
        # whether the next one took the folded form).
        following = None
        for kernel in reversed(self.kernels):
            if type(kernel) is DenseKernel:
                feeds = following if not kernel.defer_activation else None
                following = kernel if kernel.augment(feeds) else None
            else:
                following = None
        self.need_dx = [False] + [True] * (len(self.kernels) - 1)
        self.deferred = getattr(last, "defer_activation", False)
        self.backward_order = list(zip(reversed(self.kernels), reversed(self.need_dx)))
        self.out_shape = _output_shape(model)  # for the epoch loop's output buffer
        self.n_classes = self.out_shape[-1] if self.out_shape else None

    def __call__(self, data):
        x, y, sw = data
        dtype = self.dtype
        h = x if x.dtype == dtype else x.astype(dtype)
        if y.dtype.kind == "f" and y.dtype != dtype:
            y = y.astype(dtype)
        if sw is not None:
            sw = np.asarray(sw, dtype=dtype)
        for kernel in self.kernels:
            h = kernel.forward(h, True)
        value, g, probs = self.loss(y, h, h if self.use_logits else None, sw)
        if self.deferred:
            h = probs  # the model's output, for the metrics
        if self.penalties:
            for v, _, (val_fn, _) in self.penalties:
                value += val_fn(v.value)
        if self.frozen_penalties:
            for v, (val_fn, _) in self.frozen_penalties:
                value += val_fn(v.value)
        for kernel, need_dx in self.backward_order:
            g = kernel.backward(g, need_dx)
        if self.penalties:
            for v, gv, (_, grad_fn) in self.penalties:
                grad_fn(v.value, gv)
        self.optimizer.apply_flat(self.flat_grad)  # also applies the variables' constraints
        self.tracker.update_state(value, sample_weight=h.shape[0])
        for metric, weighted in self.metrics:
            metric.update_state(y, h, sample_weight=sw if weighted else None)
        return None

    # -- one epoch at a time ---------------------------------------------------------------

    def fit_epoch(self, data, interrupt, progress=None):
        """Train one epoch over in-memory ``data`` (an ``ArrayData``); returns the steps done.

        For ``fit`` when no callback looks at single batches. Each step runs the
        forward pass, the loss gradient, the backward pass and the optimizer
        update, and keeps the batch's outputs; the loss and the metrics are
        computed from the kept outputs once a block of batches is full (about
        1 MB of outputs) and at the end: the same per-sample values, summed per
        batch and added in batch order, so the logs equal the batch-by-batch
        loop's. Returns ``None`` without training when the output shape is not
        known in advance.

        ``progress``: a ``CallbackList`` whose only reader of batch logs is a
        progress bar; the rows not yet counted are counted when the bar would
        redraw, and the logs handed to it.
        """
        if self.out_shape is None:
            return None
        bs, n = data.batch_size, data.n
        rows = min(data.steps * bs, n)
        dtype = self.dtype
        model = self.model
        first, last = self.kernels[0], self.kernels[-1]
        order = data.epoch_order()
        # When shuffling (a copy of x either way), a first Dense layer that folds its bias
        # gets the rows gathered straight into an array whose last column is 1.
        with_ones = order is not None and type(first) is DenseKernel and first.can_fold() \
            and isinstance(data.x, np.ndarray) and data.x.ndim == 2 and data.x.dtype == dtype
        if with_ones:
            x = np.empty((n, data.x.shape[1] + 1), dtype)
            x[:, -1] = 1
            for start in range(0, n, 1024):  # np.take into a strided `out` makes a temporary
                np.take(data.x, order[start:start + 1024], axis=0,
                        out=x[start:start + 1024, :-1])
            _, y, sw = data.epoch_arrays(order, x=False)
        else:
            x, y, sw = data.epoch_arrays(order)
        x, y, sw = _in_dtype(x, y, sw, dtype)
        use_logits, flat_grad = self.use_logits, self.flat_grad
        penalties = self.penalties + [(v, None, fn) for v, fn in self.frozen_penalties]
        update = self.optimizer._flat_update_function() or self.optimizer.apply_flat
        # Bound methods in locals: this loop runs once per batch, with tiny batches too.
        forwards = [kernel.forward for kernel in self.kernels]
        backwards = [(kernel.backward, need_dx) for kernel, need_dx in self.backward_order]
        gradient = self.loss.gradient
        # The kept outputs: a block of whole batches, counted and reused when full.
        block = bs * max(1, _BLOCK_ELEMENTS // (bs * max(1, math.prod(self.out_shape))))
        block = min(block, -(-rows // bs) * bs)
        outputs = np.empty((min(block, rows),) + self.out_shape, dtype)
        onehot = self._onehot(y[:block])
        # A last Dense layer whose output is its product writes it straight into `outputs`.
        direct = type(last) is DenseKernel and (last.defer_activation or
                                                last.activation == "linear")
        penalty_values = []  # per step, the penalties' values (added to the batch loss)
        done = hi = 0
        b0 = counted = 0  # rows before the block; rows already in the tracker and metrics
        first.with_ones = with_ones
        try:
            for lo in range(0, rows, bs):
                if lo - b0 == block:  # the block is full: count it, then start the next one
                    if counted < lo:  # (a progress-bar redraw may have counted it already)
                        self._count(y, outputs, sw, bs, penalty_values, counted, lo, b0)
                    b0 = counted = lo
                    onehot = self._onehot(y[lo:lo + block])
                hi = lo + bs if lo + bs < rows else rows
                k0, k1 = lo - b0, hi - b0
                h = x[lo:hi]
                if direct:
                    last.target = outputs[k0:k1]
                for forward in forwards:
                    h = forward(h, True)
                if not direct or h is not last.target:
                    outputs[k0:k1] = h
                g = gradient(y[lo:hi], h, h if use_logits else None,
                             None if sw is None else sw[lo:hi],
                             None if onehot is None else onehot[k0:k1])
                if penalties:
                    penalty_values.append([val_fn(v.value) for v, _, (val_fn, _) in penalties])
                for backward, need_dx in backwards:
                    g = backward(g, need_dx)
                for v, gv, (_, grad_fn) in self.penalties:
                    grad_fn(v.value, gv)
                update(flat_grad)
                done += 1
                if progress is not None and progress.would_draw_train_batch(done - 1):
                    self._count(y, outputs, sw, bs, penalty_values, counted, hi, b0)
                    counted = hi
                    progress.on_train_batch_end(done - 1, model.get_metrics_result())
                if interrupt.requested or model.stop_training:
                    break
        finally:
            last.target = None
            first.with_ones = False
            for kernel in self.kernels:  # inputs may be views of this epoch's rows
                kernel.release()
        if counted < hi:
            self._count(y, outputs, sw, bs, penalty_values, counted, hi, b0)
        return done

    def _count(self, y, outputs, sw, bs, penalty_values, start, stop, b0):
        """Add rows ``start:stop`` (whole batches; ``outputs`` starts at row ``b0``)."""
        steps = slice(start // bs, (stop + bs - 1) // bs)
        self._epoch_results(y[start:stop], outputs[start - b0:stop - b0],
                            None if sw is None else sw[start:stop], bs, penalty_values[steps])

    def _onehot(self, y):
        """One-hot rows of sparse labels ``y``, or ``None`` (another loss, or labels to report)."""
        k = self.n_classes
        if self.loss.kind != "SparseCategoricalCrossentropy" or not k or y.size != len(y):
            return None
        labels = y.reshape(-1)
        if labels.dtype.kind != "i":
            labels = labels.astype(np.intp)
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            return None  # the batch-by-batch gradient reports bad labels
        onehot = np.zeros((labels.size, k), self.dtype)
        onehot[np.arange(labels.size), labels] = 1
        return onehot

    def _epoch_results(self, y, raw, sw, bs, penalty_values):
        _count_outputs(self.model, self.loss, self.use_logits, self.deferred, y, raw, sw, bs,
                       penalty_values)


def _count_outputs(model, loss, use_logits, probs_out, y, raw, sw, bs, penalty_values):
    """Update the loss tracker and the metrics from the outputs of consecutive batches.

    ``raw``: the outputs (the logits when ``use_logits``); ``probs_out``: the
    model's output is the probabilities the loss computes from them. The
    per-sample losses and metric values are computed once for all the rows,
    then summed per batch and accumulated in batch order, which gives the
    numbers a batch-by-batch loop reports, to the last bit.
    """
    rows = raw.shape[0]
    per, _, probs = loss.compute(y, raw, raw if use_logits else None, sw, True)
    sizes = _batch_sizes(rows, bs)
    # As the batch loop: the batch's mean loss in the loss's dtype, plus each penalty,
    # then cast to the tracker's dtype and weighted by the batch size.
    values = _batch_sums(per, bs) / sizes.astype(per.dtype)
    if len(penalty_values):
        for column in np.asarray(penalty_values).T:
            values = values + column
    tracker = model._loss_tracker
    values = values.astype(tracker._np_dtype, copy=False)
    tracker._add_batches(values * sizes.astype(tracker._np_dtype), sizes)
    h = probs if probs_out else raw
    for metric, weighted in model._compile_metrics or []:
        _update_by_batch(metric, y, h, sw if weighted else None, bs, sizes)


def _batch_sizes(rows, bs):
    full, last = divmod(rows, bs)
    return np.array([bs] * full + ([last] if last else []), dtype=np.int64)


def _batch_sums(values, bs):
    """Per-batch sums of per-sample values (each summed as ``np.add.reduce`` sums a batch)."""
    full = values.shape[0] // bs * bs
    sums = values[:full].reshape(-1, bs).sum(axis=1)
    if full < values.shape[0]:
        sums = np.append(sums, np.add.reduce(values[full:]))
    return sums


def _update_by_batch(metric, y, h, sw, bs, sizes):
    """``metric.update_state`` once per batch, or the same sums computed for the whole epoch."""
    from lamina.metrics.reduction_metrics import MeanMetricWrapper

    if sw is None and type(metric).update_state is MeanMetricWrapper.update_state and \
            _is_lamina(metric._fn):
        values = metric._fn(y, h, **metric._fn_kwargs)
        if isinstance(values, np.ndarray) and values.ndim >= 1 and values.size == y.shape[0]:
            values = values.reshape(-1)
            if values.dtype == np.bool_:
                values = values.astype(np.int64)  # counted exactly, as the batch loop does
            elif values.dtype != metric._np_dtype:
                values = values.astype(metric._np_dtype)
            metric._add_batches(_batch_sums(values, bs), sizes)
            return
    for lo in range(0, y.shape[0], bs):
        metric.update_state(y[lo:lo + bs], h[lo:lo + bs],
                            sample_weight=None if sw is None else sw[lo:lo + bs])


def _is_lamina(fn) -> bool:
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return module.startswith("lamina.")


# How many output values the epoch loop keeps before counting them (about 1 MB).
_BLOCK_ELEMENTS = 1 << 18
