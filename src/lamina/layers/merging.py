"""Merge layers: several inputs into one (``Add``, ``Concatenate``, ``Dot``, ...), and their
functional forms (``add``, ``concatenate``, ...).

The element-wise merges broadcast as Keras does: the inputs' shapes are compared from
the last axis, an axis of 1 stretches, and an input of lower rank gets axes of 1 inserted
after the batch axis.
"""

from __future__ import annotations

from lamina import ops
from lamina.layers.arguments import integer, integers
from lamina.layers.layer import Layer

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
           "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]


def _fmt(shapes) -> str:
    return ", ".join(str(tuple(s)) for s in shapes)


class _Merge(Layer):
    """The shared part of the element-wise merges."""

    min_inputs = 1
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: the logical or of the inputs' masks; ``None`` unless every input
        carries one."""
        if mask is None:
            return None
        _check_masks(self, inputs, mask)
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = ops.logical_or(out, m)
        return out

    def _check_inputs(self, shapes):
        name = f"{type(self).__name__} '{self.name}'"
        if not isinstance(shapes, (list, tuple)) or not shapes or \
                not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{name} merges a list of inputs, e.g. {type(self).__name__}()"
                             f"([a, b]); got one input of shape {tuple(shapes)}.")
        if len(shapes) < self.min_inputs or (self.max_inputs and len(shapes) > self.max_inputs):
            want = f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs else \
                f"at least {self.min_inputs}"
            raise ValueError(f"{name} takes {want} inputs; got {len(shapes)} "
                             f"(shapes {_fmt(shapes)}).")
        batches = {s[0] for s in shapes if s and s[0] is not None}
        if len(batches) > 1:
            raise ValueError(f"{name}: the inputs have different batch sizes: {_fmt(shapes)}.")

    def _broadcast(self, shapes):
        out = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            a, b = (out, tuple(shape[1:])) if len(out) >= len(shape) - 1 else \
                (tuple(shape[1:]), out)
            merged = list(a[:len(a) - len(b)])
            for i, j in zip(a[len(a) - len(b):], b):
                if i is None or j is None:
                    merged.append(None)
                elif i == 1 or j == 1 or i == j:
                    merged.append(max(i, j))
                else:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}': the inputs' shapes cannot be "
                        f"merged element by element: {_fmt(shapes)}.")
            out = tuple(merged)
        return out

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self._broadcast(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        return (input_shape[0][0],) + self._broadcast(input_shape)

    def call(self, inputs):
        return self._merge(self._aligned(inputs))

    def _aligned(self, inputs):
        self._check_inputs([tuple(x.shape) for x in inputs])
        rank = max(x.ndim for x in inputs)
        aligned = []
        for x in inputs:
            while x.ndim < rank:  # lower rank: axes of 1 after the batch axis, as Keras
                x = ops.expand_dims(x, 1)
            aligned.append(x)
        return aligned

    def _aligned_masks(self, inputs, mask):
        """The inputs' masks stretched over their feature axis (``None`` for an input without
        one). As in Keras, an input that needed axes inserted to match the others' rank
        loses its mask here."""
        if mask is None:
            return [None] * len(inputs)
        _check_masks(self, inputs, mask)
        rank = max(x.ndim for x in inputs)
        return [None if m is None or x.ndim < rank else
                ops.broadcast_to(ops.expand_dims(m, -1), tuple(x.shape))
                for x, m in zip(inputs, mask)]

    def _merge(self, inputs):
        raise NotImplementedError


def _check_masks(layer, inputs, mask) -> None:
    name = f"{type(layer).__name__} '{layer.name}'"
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"{name}: `mask` must be a list with one mask (or None) per input; "
                         f"got a {type(mask).__name__}.")
    if not isinstance(inputs, (list, tuple)) or len(mask) != len(inputs):
        count = len(inputs) if isinstance(inputs, (list, tuple)) else 1
        raise ValueError(f"{name}: `mask` must hold one entry per input; got {len(mask)} "
                         f"mask(s) for {count} input(s).")


def _masked_reduce(op, inputs, masks):
    """Keras's ``Maximum``/``Minimum`` under masks: where one side is masked out the other
    side's value is taken (both sides, so the op sees that value twice)."""
    out, out_mask = inputs[0], masks[0]
    for x, m in zip(inputs[1:], masks[1:]):
        if m is not None:
            x = ops.where(m, x, out)
        if out_mask is not None:
            out = ops.where(out_mask, out, x)
        out_mask = None if m is None or out_mask is None else ops.logical_or(out_mask, m)
        out = op(out, x)
    return out


class Add(_Merge):
    """The element-wise sum of its inputs.

    Example:
        >>> import lamina
        >>> lamina.layers.Add()([lamina.ops.ones((2, 3)), lamina.ops.ones((2, 3))]).numpy()[0]
        array([2., 2., 2.], dtype=float32)
    """

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


class Subtract(_Merge):
    """The first input minus the second (exactly two inputs)."""

    min_inputs = max_inputs = 2

    def _merge(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """The element-wise product of its inputs.

    With masks (as in Keras): a masked-out entry counts as 1; if every input carries a mask,
    the entries masked out in all of them are 0.
    """

    def call(self, inputs, mask=None):
        inputs = self._aligned(inputs)
        masks = self._aligned_masks(inputs, mask)
        if all(m is None for m in masks):
            return self._merge(inputs)
        out = out_mask = None
        for x, m in zip(inputs, masks):
            if m is not None:
                x = ops.where(m, x, x.dtype.type(1))
                out_mask = m if out_mask is None else ops.logical_or(out_mask, m)
            out = x if out is None else ops.multiply(out, x)
        if all(m is not None for m in masks):
            out = ops.where(out_mask, out, out.dtype.type(0))
        return out

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.multiply(out, x)
        return out


class Average(_Merge):
    """The element-wise mean of its inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return ops.divide(out, out.dtype.type(len(inputs)))


class Maximum(_Merge):
    """The element-wise maximum of its inputs (with masks, as in Keras: a masked-out entry
    takes the other input's value)."""

    def call(self, inputs, mask=None):
        inputs = self._aligned(inputs)
        return _masked_reduce(ops.maximum, inputs, self._aligned_masks(inputs, mask))


class Minimum(_Merge):
    """The element-wise minimum of its inputs (with masks, as in Keras: a masked-out entry
    takes the other input's value)."""

    def call(self, inputs, mask=None):
        inputs = self._aligned(inputs)
        return _masked_reduce(ops.minimum, inputs, self._aligned_masks(inputs, mask))


class Concatenate(Layer):
    """Its inputs joined along ``axis`` (default the last); the other axes must agree.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.Concatenate()
        >>> layer([lamina.ops.ones((2, 3)), lamina.ops.ones((2, 1))]).shape
        (2, 4)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = integer("Concatenate", "axis", axis)
        self.supports_masking = True

    def _output(self, shapes):
        name = f"Concatenate '{self.name}'"
        if not isinstance(shapes, (list, tuple)) or not shapes or \
                not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{name} joins a list of inputs, e.g. Concatenate()([a, b]); got "
                             f"one input of shape {tuple(shapes)}.")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(f"{name}: the inputs must have the same rank; got shapes "
                             f"{_fmt(shapes)}.")
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f"{name}: the inputs must match on every axis but the concatenation "
                        f"axis ({self.axis}); got shapes {_fmt(shapes)}.")
                elif a is None:
                    out[i] = b
        return tuple(out)

    def build(self, input_shape):
        self._output(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return self._output(input_shape)

    def call(self, inputs):
        self._output([tuple(x.shape) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: each input's mask (all True for an input without one) is stretched
        to the input's shape, the masks are joined along ``axis``, and a position of the
        output is kept where any entry of its last axis is. ``None`` if no input has one."""
        if mask is None:
            return None
        _check_masks(self, inputs, mask)
        if all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = ops.ones_like(x, dtype="bool")
            elif m.ndim < x.ndim:
                m = ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, dtype="bool"))
            full.append(m)
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["axis"] = self.axis
        return config_


class Dot(Layer):
    """The dot product of two inputs along ``axes``, sample by sample.

    ``(batch, n)`` with ``(batch, n)`` gives ``(batch, 1)``; ``(batch, n, d)`` with
    ``(batch, m, d)`` and ``axes=2`` gives ``(batch, n, m)``. ``normalize=True``
    L2-normalizes both first (a cosine similarity).
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            axes = (axes, axes)
        axes = integers("Dot", "axes", axes)
        if len(axes) != 2:
            raise ValueError(f"Dot: `axes` must be an int or two ints; got {axes!r}.")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = True  # (as in Keras: it takes masked inputs, its output has none)

    def _axes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or \
                not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"Dot '{self.name}' takes a list of exactly two inputs; got "
                             f"input shape(s) {shapes}.")
        a, b = shapes
        if len(a) not in (2, 3) or len(b) not in (2, 3):
            raise ValueError(f"Dot '{self.name}' supports inputs of rank 2 or 3 in lamina; got "
                             f"shapes {_fmt(shapes)}.")
        ax = self.axes[0] % len(a), self.axes[1] % len(b)
        if 0 in ax:
            raise ValueError(f"Dot '{self.name}': axes {self.axes} include the batch axis.")
        if a[ax[0]] is not None and b[ax[1]] is not None and a[ax[0]] != b[ax[1]]:
            raise ValueError(f"Dot '{self.name}': the inputs' axes {self.axes} differ in size: "
                             f"shapes {_fmt(shapes)}.")
        return ax

    def compute_output_shape(self, input_shape):
        a, b = input_shape
        ax = self._axes(input_shape)
        rest = [d for i, d in enumerate(a) if i not in (0, ax[0])] + \
            [d for i, d in enumerate(b) if i not in (0, ax[1])]
        return (a[0], *rest) if rest else (a[0], 1)

    def compute_mask(self, inputs, mask=None):
        return None

    def build(self, input_shape):
        self._axes(input_shape)
        self.built = True

    def call(self, inputs):
        x, y = inputs
        ax = self._axes([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x, y = ops.normalize(x, axis=ax[0]), ops.normalize(y, axis=ax[1])
        if x.ndim == 2 and y.ndim == 2:
            return ops.sum(ops.multiply(x, y), axis=1, keepdims=True)
        x = ops.moveaxis(x, ax[0], -1) if x.ndim == 3 else ops.expand_dims(x, 1)
        y = ops.moveaxis(y, ax[1], 1) if y.ndim == 3 else ops.expand_dims(y, -1)
        out = ops.matmul(x, y)
        if inputs[0].ndim == 2:
            out = ops.squeeze(out, 1)
        elif inputs[1].ndim == 2:
            out = ops.squeeze(out, -1)
        return out

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(axes=list(self.axes), normalize=self.normalize)
        return config_


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
