"""The ONNX graph under construction: unique names, weights, nodes, made with ``onnx.helper``.

Converters never touch protobufs: they call ``Graph.op`` (one node, its output names back)
and ``Graph.const`` (an initializer from a NumPy array), and the graph turns its parts
into an ``onnx.ModelProto`` at the end with ``onnx.helper``.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["ExportError", "Graph", "Value"]


class ExportError(ValueError):
    """A model that cannot be written as ONNX, with the reason and the fix."""


class Value:
    """One tensor of the graph: its ONNX name, its Keras shape (``None`` for the batch), and
    the ONNX name of the Keras mask it carries (booleans ``(batch, steps)``), if any."""

    __slots__ = ("name", "shape", "dtype", "mask")

    def __init__(self, name: str, shape, dtype, mask=None):
        self.name = name
        self.shape = None if shape is None else tuple(shape)
        self.dtype = np.dtype(dtype)
        self.mask = mask

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"Value({self.name!r}, {self.shape}, {self.dtype})"


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_./-]", "_", name) or "t"


class Graph:
    """Nodes and initializers of one ONNX graph, with names that never repeat.

    ``dtype`` is the floating type of the model's computations: constants made from
    Python numbers get it.
    """

    def __init__(self, onnx, dtype="float32"):
        self.onnx = onnx
        self.helper = onnx.helper
        self.dtype = np.dtype(dtype)
        self.nodes: list = []
        self.initializers: list = []
        self._used: set = set()
        self._consts: dict = {}
        self.scope = ""  # the layer being converted: node names start with it
        self.call_kwargs: dict = {}  # the arguments the model's graph gives that layer call

    # -- names ---------------------------------------------------------------------------
    def reserve(self, name: str) -> str:
        """``name`` (cleaned) if free, else ``name_1``, ``name_2``...; the result is taken."""
        base = _clean(name)
        candidate, i = base, 0
        while candidate in self._used:
            i += 1
            candidate = f"{base}_{i}"
        self._used.add(candidate)
        return candidate

    # -- parts ---------------------------------------------------------------------------
    def const(self, value, name: str = "const", dtype=None) -> str:
        """An initializer holding ``value`` (cast to ``dtype``, or the graph's float type for
        Python floats); equal small constants are stored once."""
        arr = np.asarray(value)
        if dtype is not None:
            arr = arr.astype(dtype)
        elif arr.dtype.kind == "f" or isinstance(value, float):
            arr = arr.astype(self.dtype)
        if arr.size <= 16:
            key = (arr.dtype.str, arr.shape, arr.tobytes())
            if key in self._consts:
                return self._consts[key]
        tensor_name = self.reserve(f"{self.scope}/{name}" if self.scope else name)
        self.initializers.append(
            self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), tensor_name))
        if arr.size <= 16:
            self._consts[key] = tensor_name
        return tensor_name

    def ints(self, values, name: str = "ints") -> str:
        """A 1-D int64 initializer (shapes, axes, pads, slice bounds)."""
        return self.const(np.asarray(list(values), dtype=np.int64), name, dtype=np.int64)

    def op(self, op_type: str, inputs, name: str = "", outputs: int = 1, **attrs):
        """Add one node; return its output name (or the list of them when ``outputs > 1``).

        An input given as ``""`` is an omitted optional input, as ONNX spells it.
        """
        base = f"{self.scope}/{name or op_type}" if self.scope else (name or op_type)
        node_name = self.reserve(base)
        outs = [node_name] if outputs == 1 else \
            [self.reserve(f"{node_name}_{i}") for i in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs, name=node_name,
                                                **attrs))
        return outs[0] if outputs == 1 else outs

    def value_info(self, name: str, shape, dtype, batch: str = "batch"):
        """The declared type of a graph input or output: dimension 0 is the symbolic batch,
        other unknown sizes get symbolic names of their own."""
        elem = self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        dims = [batch if i == 0 and d is None else (f"{name}_dim{i}" if d is None else int(d))
                for i, d in enumerate(shape)]
        return self.helper.make_tensor_value_info(name, elem, dims)

    def model(self, inputs, outputs, opset: int, graph_name: str, doc: str = ""):
        """The finished ``ModelProto`` (checked by ``onnx.checker``)."""
        helper = self.helper
        graph = helper.make_graph(self.nodes, _clean(graph_name) or "model", inputs, outputs,
                                  initializer=self.initializers, doc_string=doc)
        proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="lamina")
        # The IR version that the opset came with, so that older runtimes accept the file.
        proto.ir_version = _ir_version(self.onnx, opset)
        self.onnx.checker.check_model(proto)
        return proto


def _ir_version(onnx, opset: int) -> int:
    table = getattr(onnx.helper, "VERSION_TABLE", [])
    for _release, ir, op, *_ in table:
        if op == opset:
            return ir
    return onnx.IR_VERSION
