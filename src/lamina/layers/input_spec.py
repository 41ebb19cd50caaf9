"""Shapes without data: ``InputSpec`` checks, ``KerasTensor`` placeholders from ``Input``.

``check_input`` turns a shape mismatch into a message that names the layer,
the expected and received shapes and the likely fix. ``KerasTensor`` is what
``lamina.Input`` returns: a shape and dtype with no values, used to declare a
model's input and traced through layers to find output shapes.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff import tensor as _tensor_mod

__all__ = ["InputSpec", "KerasTensor", "check_input", "infer_output_shape", "symbolic_output"]


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``/``max_ndim``) and fixed ``axes`` sizes.

    Example:
        >>> from lamina.layers import InputSpec
        >>> InputSpec(min_ndim=2, axes={-1: 3}).axes
        {-1: 3}
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name
        self.optional = optional

    def __repr__(self):
        return (f"InputSpec(ndim={self.ndim}, min_ndim={self.min_ndim}, "
                f"max_ndim={self.max_ndim}, axes={self.axes})")


def _fmt(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def check_input(layer, spec: InputSpec, shape) -> None:
    """Raise a ValueError that explains a mismatch between ``shape`` and ``spec``."""
    shape = tuple(shape)
    name = f"{type(layer).__name__} '{layer.name}'"
    rank = len(shape)
    if spec.ndim is not None and rank != spec.ndim:
        raise ValueError(
            f"{name} expects inputs with {spec.ndim} dimensions but got shape {_fmt(shape)} "
            f"({rank} dimensions)."
        )
    if spec.min_ndim is not None and rank < spec.min_ndim:
        hint = ""
        if rank == 1 and spec.min_ndim == 2:
            hint = (" A 1-D array is one feature per sample: reshape it to (n, 1) with "
                    "`x.reshape(-1, 1)`, or to (1, n) if it is one sample.")
        raise ValueError(
            f"{name} expects inputs with at least {spec.min_ndim} dimensions (batch, ..., "
            f"features) but got shape {_fmt(shape)}.{hint}"
        )
    if spec.max_ndim is not None and rank > spec.max_ndim:
        raise ValueError(
            f"{name} expects inputs with at most {spec.max_ndim} dimensions but got shape "
            f"{_fmt(shape)}."
        )
    for axis, size in spec.axes.items():
        if size is None:
            continue
        try:
            got = shape[axis]
        except IndexError:
            continue
        if got is not None and got != size:
            where = "last dimension" if axis == -1 else f"dimension {axis}"
            hint = ""
            if axis == -1 and got == size + 1:
                hint = " Did you leave the target column in the features?"
            elif axis == -1 and got == size - 1:
                hint = " Is a feature column missing?"
            raise ValueError(
                f"{name} expects inputs with {where} {size} but got shape {_fmt(shape)}."
                f"{hint} The layer was built for {size} features; pass data with {size} "
                "columns, or build a new model for the new shape."
            )


class KerasTensor:
    """A symbolic tensor: shape and dtype with no values (what ``lamina.Input`` returns).

    Args:
        shape: the full shape including the batch dimension (``None`` = any).
        dtype: the dtype name.
    """

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = "string" if dtype in ("string", "str") else np.dtype(dtype).name
        self.name = name
        self._keras_history = history
        self._call_kwargs = None  # arguments fixed at the layer call that made this tensor
        self._call_outputs = None  # all outputs of that call, in order (set by add_node)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic tensor from lamina.Input has no values. Build a model with it "
            "and call the model on data instead."
        )


def _placeholder(shape, dtype):
    shape = tuple(1 if d is None else d for d in shape)
    return np.zeros(shape, dtype=dtype)


def infer_output_shape(layer, input_shape):
    """Find ``layer``'s output shape by running it on zeros (batch dimension kept as ``None``)."""
    from lamina.autodiff.tensor import Tensor

    saved_state = _tensor_mod._STATE
    _tensor_mod._STATE = ()  # never record this dry run on a tape
    try:
        if isinstance(input_shape, list):
            data = [Tensor(_placeholder(s, layer.dtype)) for s in input_shape]
            batch_none = input_shape[0][0] is None if input_shape and input_shape[0] else False
        else:
            data = Tensor(_placeholder(input_shape, layer.dtype))
            batch_none = bool(input_shape) and input_shape[0] is None
        layer._maybe_build(input_shape)
        out = layer.call(data)
    finally:
        _tensor_mod._STATE = saved_state

    def shape_of(t):
        s = tuple(np.shape(t.value if isinstance(t, Tensor) else t))
        return ((None,) + s[1:]) if batch_none and s else s

    if isinstance(out, (list, tuple)):
        return [shape_of(t) for t in out]
    return shape_of(out)


def symbolic_output(layer, inputs, *args, **kwargs):
    """Call ``layer`` on symbolic inputs: build it and return KerasTensors of its output shape."""
    if isinstance(inputs, dict):
        shapes = {k: t.shape for k, t in inputs.items()}
    else:
        shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
    if not layer.built:
        layer._maybe_build(shapes)
    elif layer.input_spec is not None and not isinstance(shapes, list):
        check_input(layer, layer.input_spec, shapes)
    out_shape = layer.compute_output_shape(shapes)
    if isinstance(out_shape, dict):  # a nested model with named outputs
        outputs = {k: KerasTensor(s, layer.dtype, history=(layer, inputs))
                   for k, s in out_shape.items()}
    elif isinstance(out_shape, list):
        outputs = [KerasTensor(s, layer.dtype, history=(layer, inputs)) for s in out_shape]
    else:
        outputs = KerasTensor(out_shape, layer.dtype, history=(layer, inputs))
    # Arguments fixed at this call (``base(x, training=False)``): the model calls it so again.
    fixed = {k: v for k, v in kwargs.items() if v is not None and not isinstance(v, KerasTensor)}
    if args or any(isinstance(v, KerasTensor) for v in kwargs.values()):
        raise ValueError(
            f"Layer '{layer.name}' was called in a functional graph with extra positional "
            "arguments or symbolic keyword arguments, which lamina's functional models do not "
            "record yet; pass such values as the layer's inputs or as constructor arguments.")
    leaves = list(outputs.values()) if isinstance(outputs, dict) else \
        outputs if isinstance(outputs, list) else [outputs]
    for t in leaves:
        t._call_kwargs = fixed or None
    add_node(layer, inputs, outputs)
    return outputs


def add_node(layer, inputs, outputs):
    """Note one symbolic call of ``layer`` (what ``layer.input`` / ``layer.output`` report)."""
    node = (inputs, outputs)
    layer.__dict__.setdefault("_inbound_nodes", []).append(node)
    # Every output of the call, in the call's order: a model that uses only some of them
    # (``out, h, c = LSTM(..., return_state=True)(x)``; ``Model(x, [out, c])``) still pairs
    # each with the right value.
    if isinstance(outputs, (list, tuple)) and len(outputs) > 1:
        for t in outputs:
            if isinstance(t, KerasTensor):
                t._call_outputs = list(outputs)
    return node
