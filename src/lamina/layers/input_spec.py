"""Shapes without data: ``InputSpec`` checks, ``KerasTensor`` placeholders from ``Input``.

``check_input`` turns a shape mismatch into a message that names the layer,
the expected and received shapes and the likely fix. ``KerasTensor`` is what
``lamina.Input`` returns: a shape and dtype with no values, used to declare a
model's input and traced through layers to find output shapes.
"""

from __future__ import annotations

import numpy as np

from lamina import tree
from lamina.autodiff import tensor as _tensor_mod

__all__ = ["InputSpec", "KerasTensor", "check_input", "dry_run", "extra_tensors", "fill_extra",
           "infer_output_shape", "symbolic_output"]


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
        self._call_extra = None  # that call's other arguments holding tensors (args, kwargs)

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

    # Operators record an op node (``layers/symbolic_ops.py``), as ``lamina.ops`` calls do.
    def __add__(self, other):
        return _op("add", self, other)

    def __radd__(self, other):
        return _op("add", other, self)

    def __sub__(self, other):
        return _op("subtract", self, other)

    def __rsub__(self, other):
        return _op("subtract", other, self)

    def __mul__(self, other):
        return _op("multiply", self, other)

    def __rmul__(self, other):
        return _op("multiply", other, self)

    def __truediv__(self, other):
        return _op("true_divide", self, other)

    def __rtruediv__(self, other):
        return _op("true_divide", other, self)

    def __floordiv__(self, other):
        return _op("floor_divide", self, other)

    def __mod__(self, other):
        return _op("mod", self, other)

    def __pow__(self, other):
        return _op("power", self, other)

    def __rpow__(self, other):
        return _op("power", other, self)

    def __matmul__(self, other):
        return _op("matmul", self, other)

    def __rmatmul__(self, other):
        return _op("matmul", other, self)

    def __neg__(self):
        return _op("negative", self)

    def __abs__(self):
        return _op("absolute", self)

    def __lt__(self, other):
        return _op("less", self, other)

    def __le__(self, other):
        return _op("less_equal", self, other)

    def __gt__(self, other):
        return _op("greater", self, other)

    def __ge__(self, other):
        return _op("greater_equal", self, other)

    def __and__(self, other):
        return _op("logical_and", self, other)

    def __or__(self, other):
        return _op("logical_or", self, other)

    def __invert__(self):
        return _op("logical_not", self)

    def __getitem__(self, key):
        return _op("get_item", self, key)

    __hash__ = object.__hash__  # (== stays identity: graphs key tensors by id)


def _op(name, *args):
    from lamina.layers import symbolic_ops

    return symbolic_ops.record(name, args, {})


# Lengths given to the unknown (``None``) axes of a dry run, other than the batch axis: the
# run is made twice, and an output axis whose length differs between the runs is unknown too.
# (Even lengths, so a layer that splits or pairs up a sequence still runs.)
PROBE_LENGTHS = (4, 8)


def _placeholder(shape, dtype, length=1, batch_axis=True):
    shape = tuple((1 if i == 0 and batch_axis else length) if d is None else d
                  for i, d in enumerate(shape))
    return np.zeros(shape, dtype=dtype)


def dry_run(fn, input_shapes, dtypes):
    """Output shapes of ``fn`` over zeros of ``input_shapes`` (a list), with ``None`` where the
    output depends on an input's unknown axes: the batch axis (axis 0, run at length 1) stays
    ``None`` where it was, and the other unknown axes are run at two lengths
    (``PROBE_LENGTHS``); an output axis that changes with them is ``None``.

    Returns ``(outputs of the first run, shapes)``: shapes has one tuple per output."""
    from lamina.autodiff.tensor import Tensor

    batch_none = bool(input_shapes) and bool(input_shapes[0]) and input_shapes[0][0] is None
    unknown = any(d is None for s in input_shapes for d in tuple(s)[1:])
    runs = []
    saved_state = _tensor_mod._STATE
    _tensor_mod._STATE = ()  # never record a dry run on a tape
    try:
        for length in (PROBE_LENGTHS if unknown else PROBE_LENGTHS[:1]):
            data = [Tensor(_placeholder(s, dt, length)) for s, dt in zip(input_shapes, dtypes)]
            runs.append(fn(data))
    finally:
        _tensor_mod._STATE = saved_state

    def flat(out):
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def shape(t):
        return tuple(np.shape(t.value if isinstance(t, Tensor) else t))

    shapes = []
    for i, first in enumerate(flat(runs[0])):
        s = list(shape(first))
        for other in runs[1:]:
            o = shape(flat(other)[i])
            if len(o) != len(s):
                raise ValueError(
                    "The output's rank depends on the length of the inputs' unknown axes; "
                    "give the layer a compute_output_shape method.")
            s = [a if a == b else None for a, b in zip(s, o)]
        if batch_none and s:
            s[0] = None
        shapes.append(tuple(s))
    return runs[0], shapes


def infer_output_shape(layer, input_shape):
    """Find ``layer``'s output shape by running it on zeros (see :func:`dry_run`). A call
    with a ``mask`` parameter, on an input that may carry a mask, gets one (all True), as
    Keras passes the symbolic mask when it builds the graph (so ``if mask is not None:``
    branches run)."""
    several = isinstance(input_shape, list)
    shapes = input_shape if several else [input_shape]
    layer._maybe_build(input_shape)
    if _MASKED_CALL[0] and not several and _takes_mask(layer):
        def run(data):
            return layer.call(data[0], mask=np.ones(data[0].shape[:-1], bool))
    else:
        def run(data):
            return layer.call(data if several else data[0])
    out, found = dry_run(run, shapes, [layer.dtype] * len(shapes))
    return found if isinstance(out, (list, tuple)) else found[0]


_MASKED_CALL = [False]  # while symbolic_output asks for the shape of a call on a masked input


def _takes_mask(layer) -> bool:
    import inspect

    try:
        return "mask" in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False


def may_carry_mask(t) -> bool:
    """Whether the symbolic tensor ``t`` may carry a mask: made by a mask's source
    (``Embedding(mask_zero=True)``, ``Masking``) or by layers that pass an input's mask on."""
    known = getattr(t, "_may_mask", None)
    if known is not None:
        return known
    history = getattr(t, "_keras_history", None) or ()
    layer = history[0] if history else None
    parents = history[1] if len(history) > 1 else None
    if layer is None:
        found = False
    elif getattr(layer, "mask_zero", False) or type(layer).__name__ == "Masking":
        found = True
    elif not getattr(layer, "supports_masking", False):
        found = False
    else:
        found = any(may_carry_mask(p) for p in tree.flatten(parents)
                    if isinstance(p, KerasTensor))
    try:
        t._may_mask = found
    except AttributeError:  # pragma: no cover - a tensor class without a __dict__
        pass
    return found


def _holds_symbolic(value) -> bool:
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, (list, tuple)) and any(_holds_symbolic(v) for v in value)


def extra_tensors(extra) -> list:
    """The ``KerasTensor``s among a call's other arguments (``_call_extra``: the positional
    arguments after the inputs and the keyword arguments that hold tensors)."""
    if not extra:
        return []
    found: list = []

    def walk(value):
        if isinstance(value, KerasTensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for value in (*extra[0], *extra[1].values()):
        walk(value)
    return found


def fill_extra(extra, value_of):
    """``(args, kwargs)`` of a recorded call's other arguments, each ``KerasTensor`` replaced
    by ``value_of(tensor)``."""
    def fill(value):
        if isinstance(value, KerasTensor):
            return value_of(value)
        if isinstance(value, (list, tuple)):
            return type(value)(fill(v) for v in value)
        return value

    args, kwargs = extra
    return tuple(fill(a) for a in args), {k: fill(v) for k, v in kwargs.items()}


def _extra_output_shape(layer, inputs, shapes, extra):
    """The output shape of ``layer(inputs, *args, **kwargs)`` where the other arguments hold
    symbolic tensors: the layer's own ``compute_output_shape`` with every positional shape,
    else a dry run of ``call`` with all the arguments."""
    if type(layer).compute_output_shape is not _layer_compute_output_shape():
        try:
            return layer.compute_output_shape(
                shapes, *[a.shape if isinstance(a, KerasTensor) else a for a in extra[0]])
        except TypeError:
            pass
    several = isinstance(inputs, (list, tuple))
    firsts = list(inputs) if several else [inputs]
    tensors = firsts + extra_tensors(extra)

    def run(data):
        place = {id(t): d for t, d in zip(tensors, data)}
        args, kwargs = fill_extra(extra, lambda t: place[id(t)])
        first = data[:len(firsts)]
        return layer.call(first if several else first[0], *args, **kwargs)

    out, found = dry_run(run, [t.shape for t in tensors], [_np_dtype(t.dtype) for t in tensors])
    return found if isinstance(out, (list, tuple)) else found[0]


def _layer_compute_output_shape():
    from lamina.layers.layer import Layer

    return Layer.compute_output_shape


def _np_dtype(name):
    return object if name == "string" else name


def symbolic_output(layer, inputs, *args, **kwargs):
    """Call ``layer`` on symbolic inputs: build it and return KerasTensors of its output shape.

    Other positional arguments and keyword arguments may hold symbolic tensors too
    (``Cross()(query, context)``, ``LSTM(4)(x, mask=mask)``): the model then replays the call
    with their values (they are recorded on the outputs as ``_call_extra``)."""
    if isinstance(inputs, dict):
        shapes = {k: t.shape for k, t in inputs.items()}
    else:
        shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
    if not layer.built:
        layer._maybe_build(shapes)
    elif layer.input_spec is not None and not isinstance(shapes, list):
        check_input(layer, layer.input_spec, shapes)
    symbolic_kwargs = {k: v for k, v in kwargs.items() if _holds_symbolic(v)}
    extra = (tuple(args), symbolic_kwargs) if args or symbolic_kwargs else None
    if extra is None or isinstance(inputs, dict):
        _MASKED_CALL[0] = isinstance(inputs, KerasTensor) and may_carry_mask(inputs)
        try:
            out_shape = layer.compute_output_shape(shapes)
        finally:
            _MASKED_CALL[0] = False
    else:
        out_shape = _extra_output_shape(layer, inputs, shapes, extra)
    if isinstance(out_shape, dict):  # a nested model with named outputs
        outputs = {k: KerasTensor(s, layer.dtype, history=(layer, inputs))
                   for k, s in out_shape.items()}
    elif isinstance(out_shape, list):
        outputs = [KerasTensor(s, layer.dtype, history=(layer, inputs)) for s in out_shape]
    else:
        outputs = KerasTensor(out_shape, layer.dtype, history=(layer, inputs))
    # Arguments fixed at this call (``base(x, training=False)``): the model calls it so again.
    fixed = {k: v for k, v in kwargs.items() if v is not None and k not in symbolic_kwargs}
    leaves = list(outputs.values()) if isinstance(outputs, dict) else \
        outputs if isinstance(outputs, list) else [outputs]
    for t in leaves:
        t._call_kwargs = fixed or None
        t._call_extra = extra
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
