"""Operations on symbolic tensors: ``x + inputs``, ``x[:, 0]``, ``ops.mean(x, axis=1)``.

Between the layer calls of a functional model, Keras lets any op take ``KerasTensor``s: the
call becomes a node of the graph (Keras 3 calls these *operations*). Here each such call is one
``Operation``, a weightless layer that holds the op's name and its arguments with the symbolic
tensors taken out (``_Slot``s); the model replays it like a layer call, so the engine traces it
with the rest of the step. ``lamina.ops`` hands any call with a ``KerasTensor`` among its
arguments to :func:`record` (``ops._register_symbolic``), and the operators of ``KerasTensor``
are those ops.

Saved configs follow Keras 3: an entry with ``module`` ``keras.src.ops.<numpy|nn|core>``, the
op's class name, its non-tensor arguments in ``config`` and the rest in the inbound node
(``KERAS_OPS`` lists the ops this covers, both ways).
"""

from __future__ import annotations

import inspect

import numpy as np

from lamina import ops
from lamina.autodiff.tensor import Tensor
from lamina.layers.input_spec import KerasTensor, _np_dtype, add_node, dry_run
from lamina.layers.layer import Layer
from lamina.utils import naming

__all__ = ["KERAS_OPS", "Operation", "from_keras_entry", "keras_entry", "record"]

# lamina op -> (Keras module, Keras class, the op's arguments Keras keeps in the config)
KERAS_OPS = {
    "add": ("numpy", "Add", ()), "subtract": ("numpy", "Subtract", ()),
    "multiply": ("numpy", "Multiply", ()), "divide": ("numpy", "Divide", ()),
    "true_divide": ("numpy", "TrueDivide", ()), "floor_divide": ("numpy", "FloorDivide", ()),
    "mod": ("numpy", "Mod", ()), "power": ("numpy", "Power", ()),
    "negative": ("numpy", "Negative", ()), "absolute": ("numpy", "Absolute", ()),
    "matmul": ("numpy", "Matmul", ()), "get_item": ("numpy", "GetItem", ()),
    "maximum": ("numpy", "Maximum", ()), "minimum": ("numpy", "Minimum", ()),
    "equal": ("numpy", "Equal", ()), "not_equal": ("numpy", "NotEqual", ()),
    "greater": ("numpy", "Greater", ()), "greater_equal": ("numpy", "GreaterEqual", ()),
    "less": ("numpy", "Less", ()), "less_equal": ("numpy", "LessEqual", ()),
    "logical_and": ("numpy", "LogicalAnd", ()), "logical_or": ("numpy", "LogicalOr", ()),
    "logical_not": ("numpy", "LogicalNot", ()),
    "exp": ("numpy", "Exp", ()), "log": ("numpy", "Log", ()), "sqrt": ("numpy", "Sqrt", ()),
    "square": ("numpy", "Square", ()), "tanh": ("numpy", "Tanh", ()),
    "mean": ("numpy", "Mean", ("axis", "keepdims")), "sum": ("numpy", "Sum", ("axis", "keepdims")),
    "max": ("numpy", "Max", ("axis", "keepdims", "initial")),
    "min": ("numpy", "Min", ("axis", "keepdims", "initial")),
    "reshape": ("numpy", "Reshape", ("newshape",)), "transpose": ("numpy", "Transpose", ("axes",)),
    "expand_dims": ("numpy", "ExpandDims", ("axis",)), "squeeze": ("numpy", "Squeeze", ("axis",)),
    "concatenate": ("numpy", "Concatenate", ("axis",)), "stack": ("numpy", "Stack", ("axis",)),
    "cast": ("core", "Cast", ("dtype",)),
    "tril": ("numpy", "Tril", ("k",)), "triu": ("numpy", "Triu", ("k",)),
    "diag": ("numpy", "Diag", ("k",)),
    "diagonal": ("numpy", "Diagonal", ("offset", "axis1", "axis2")),
    "trace": ("numpy", "Trace", ("offset", "axis1", "axis2")),
    "cumprod": ("numpy", "Cumprod", ("axis", "dtype")),
    "nan_to_num": ("numpy", "NanToNum", ("nan", "posinf", "neginf")),
    "unstack": ("core", "Unstack", ("num", "axis")), "slice_update": ("core", "SliceUpdate", ()),
    "slice": ("core", "Slice", ("shape",)), "isclose": ("numpy", "Isclose", ("equal_nan",)),
    "dot_product_attention": ("nn", "DotProductAttention",
                              ("is_causal", "flash_attention", "attn_logits_soft_cap")),
    "softmax": ("nn", "Softmax", ("axis",)), "relu": ("nn", "Relu", ()),
    "sigmoid": ("nn", "Sigmoid", ()),
}
_BY_KERAS = {cls: name for name, (_, cls, _) in KERAS_OPS.items()}
# Ops with config keys whose other arguments Keras keeps in the node as well as the tensor:
# positionally, except those named here (keywords).
_NODE_KEYWORDS = {"slice": (), "isclose": (), "dot_product_attention": ("bias", "mask", "scale")}
_ALIASES = {"abs": "absolute"}  # Keras records these under the name they alias


class _Slot:
    """Where the ``index``-th symbolic tensor of a recorded call goes."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __repr__(self):
        return f"<tensor {self.index}>"


def _take_tensors(value, tensors):
    if isinstance(value, KerasTensor):
        tensors.append(value)
        return _Slot(len(tensors) - 1)
    if type(value) in (list, tuple):
        return type(value)(_take_tensors(v, tensors) for v in value)
    return value


def _fill(value, inputs):
    if isinstance(value, _Slot):
        return inputs[value.index]
    if type(value) in (list, tuple):
        return type(value)(_fill(v, inputs) for v in value)
    return value


def get_item(x, key):
    """``x[key]`` (the op Keras records for indexing a symbolic tensor)."""
    return ops.convert_to_tensor(x)[key]


def _function(op_name):
    if op_name == "get_item":
        return get_item
    fn = getattr(ops, op_name, None)
    if fn is None or not callable(fn):
        raise ValueError(f"lamina.ops has no operation {op_name!r}.")
    return fn


class Operation(Layer):
    """One call of a ``lamina.ops`` function on symbolic tensors, as a node of a functional
    model: ``Operation("add", (slot0, 1.0))`` replays ``ops.add(inputs[0], 1.0)``. It holds no
    weights, keeps the dtypes the op gives (no autocast) and passes no mask on (as Keras's
    operations do not)."""

    _is_operation = True

    def __init__(self, op_name, args=(), kwargs=None, **layer_kwargs):
        op_name = _ALIASES.get(op_name, op_name)
        layer_kwargs.setdefault("name", naming.uniquify(op_name))
        layer_kwargs.setdefault("autocast", False)
        super().__init__(**layer_kwargs)
        self.op_name = op_name
        self._fn = _function(op_name)
        self._args = tuple(args)
        self._kwargs = dict(kwargs or {})
        self.supports_masking = True
        self.built = True

    @property
    def class_name(self) -> str:
        """The op's Keras class name (``Add`` for ``x + y``), as summaries show it."""
        spec = KERAS_OPS.get(self.op_name)
        return spec[1] if spec else "".join(p.title() for p in self.op_name.split("_"))

    def call(self, inputs):
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        return self._fn(*_fill(self._args, values), **_fill(self._kwargs, values))

    def compute_mask(self, inputs, mask=None):
        return None

    def _symbolic_call(self, inputs, *args, **kwargs):
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        out, shapes = dry_run(self.call, [t.shape for t in tensors],
                              [_np_dtype(t.dtype) for t in tensors])
        flat = list(out) if isinstance(out, (list, tuple)) else [out]
        results = [KerasTensor(s, _result_dtype(v), history=(self, tensors))
                   for s, v in zip(shapes, flat)]
        outputs = results if isinstance(out, (list, tuple)) else results[0]
        add_node(self, tensors, outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        _, found = dry_run(self.call, shapes, ["float32"] * len(shapes))
        return found if len(found) > 1 else found[0]

    def get_config(self) -> dict:
        raise ValueError(
            f"The operation '{self.name}' (ops.{self.op_name} on symbolic tensors) is saved "
            "as part of its functional model's config, not on its own.")


def _result_dtype(value):
    dtype = value.dtype if isinstance(value, (Tensor, np.ndarray)) else np.asarray(value).dtype
    return np.dtype(dtype).name


def _check_unstack_length(x, num=None, axis=0):
    # The number of outputs is the axis's length: the graph needs it now.
    shape = tuple(getattr(x, "shape", ()))
    if isinstance(x, KerasTensor) and -len(shape) <= axis < len(shape) and shape[axis] is None:
        raise ValueError(
            f"unstack: axis {axis} of the symbolic tensor {x.name!r} (shape {shape}) has no "
            f"fixed length, so the number of outputs is unknown (num={num}). Give that axis "
            "a fixed length in the Input's shape, or unstack inside a layer's call.")


def record(op_name, args, kwargs):
    """The ``KerasTensor`` result of ``ops.<op_name>(*args, **kwargs)`` where some argument
    is symbolic: one ``Operation`` node of the graph (what ``lamina.ops`` calls)."""
    if op_name == "unstack":
        _check_unstack_length(*args, **kwargs)
    tensors: list = []
    args = _take_tensors(tuple(args), tensors)
    kwargs = {k: _take_tensors(v, tensors) for k, v in kwargs.items()}
    return Operation(op_name, args, kwargs)(tensors)


# -- Keras 3 configs ------------------------------------------------------------------------


def _constant_config(value):
    if isinstance(value, _Slot):
        return value
    if type(value) in (list, tuple):
        return [_constant_config(v) for v in value] if type(value) is list else \
            tuple(_constant_config(v) for v in value)
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {
            "start": value.start, "stop": value.stop, "step": value.step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.asarray(value.value if isinstance(value, Tensor) else value)
        return {"class_name": "__tensor__",
                "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _constant(value):
    if isinstance(value, dict):
        kind = value.get("class_name")
        if kind == "__slice__":
            c = value["config"]
            return slice(c.get("start"), c.get("stop"), c.get("step"))
        if kind == "__ellipsis__":
            return Ellipsis
        if kind == "__tensor__":
            c = value["config"]
            return np.asarray(c["value"], dtype=c.get("dtype") or None)
        return value
    if isinstance(value, list):
        return [_constant(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_constant(v) for v in value)
    return value


def keras_entry(operation, ref):
    """Keras 3's config entry (without ``inbound_nodes``' list around it) of ``operation``:
    ``(entry, node)``, where ``ref(i)`` is the tensor reference of its ``i``-th input."""
    spec = KERAS_OPS.get(operation.op_name)
    if spec is None:
        raise ValueError(
            f"lamina cannot save the model: it applies ops.{operation.op_name} to symbolic "
            f"tensors ('{operation.name}'), which has no saved form in lamina yet. Do that "
            "computation in a custom layer's call (a Layer subclass) instead.")
    module, class_name, config_keys = spec
    args, kwargs = list(operation._args), dict(operation._kwargs)
    config = {"name": operation.name}
    if config_keys:
        bound = inspect.signature(operation._fn).bind(*args, **kwargs)
        bound.apply_defaults()
        for key in config_keys:
            config[key] = _constant_config(bound.arguments.pop(key, None))
        node_keys = _NODE_KEYWORDS.get(operation.op_name)
        kwargs = {key: bound.arguments.pop(key) for key in node_keys or ()}
        args = list(bound.arguments.values())  # the tensor: Keras keeps the rest in config
        if len(args) != 1 and node_keys is None:
            raise ValueError(f"lamina cannot save ops.{operation.op_name} called with "
                             f"{list(bound.arguments)} ('{operation.name}').")
    resolve = _refs(ref)
    node = {"args": [resolve(_constant_config(a)) for a in args],
            "kwargs": {k: resolve(_constant_config(v)) for k, v in kwargs.items()}}
    entry = {"module": f"keras.src.ops.{module}", "class_name": class_name, "config": config,
             "registered_name": class_name, "name": operation.name}
    return entry, node


def _refs(ref):
    def resolve(value):
        if isinstance(value, _Slot):
            return ref(value.index)
        if isinstance(value, (list, tuple)):
            return [resolve(v) for v in value] if isinstance(value, list) else \
                tuple(resolve(v) for v in value)
        return value
    return resolve


def is_keras_entry(entry) -> bool:
    """Whether a functional config's layer entry is one of Keras 3's operations."""
    return str(entry.get("module", "")).startswith(("keras.src.ops", "keras.ops"))


def from_keras_entry(entry, node, resolve):
    """``(Operation, its symbolic inputs)`` from Keras 3's entry and one inbound node, with
    ``resolve`` turning a saved tensor reference into its ``KerasTensor``."""
    class_name = entry.get("class_name")
    op_name = _BY_KERAS.get(class_name)
    if op_name is None:
        raise ValueError(
            f"The model applies the Keras operation {class_name!r} ({entry.get('name')!r}) "
            "to symbolic tensors, which lamina cannot rebuild yet.")
    config = dict(entry.get("config") or {})
    name = config.pop("name", entry.get("name"))
    tensors: list = []

    def take(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            tensors.append(resolve(value))
            return _Slot(len(tensors) - 1)
        if isinstance(value, list):
            return [take(v) for v in value]
        if isinstance(value, tuple):
            return tuple(take(v) for v in value)
        return _constant(value)

    args = [take(a) for a in node.get("args", [])]
    kwargs = {k: take(v) for k, v in (node.get("kwargs") or {}).items()}
    keys = KERAS_OPS[op_name][2]
    kwargs.update({k: _constant(config[k]) for k in keys if k in config})
    if op_name == "get_item" and len(args) == 2 and isinstance(args[1], list):
        args[1] = tuple(args[1])  # (an index tuple saved as a JSON list)
    return Operation(op_name, args, kwargs, name=name), tensors


ops._register_symbolic(KerasTensor, record)
