"""Converters of the preprocessing layers with an ONNX form beyond the normalizations:
Discretization with ``output_mode="int"`` (bucket ids)."""

from __future__ import annotations

import numpy as np

from lamina.export.graph import ExportError, Value
from lamina.export.registry import converter


@converter("Discretization")
def discretization(g, layer, inputs):
    (x,) = inputs
    if layer.output_mode != "int" or layer.bin_boundaries is None:
        raise ExportError(f"Discretization '{layer.name}' exports with output_mode='int' and "
                          f"known bin_boundaries; got output_mode={layer.output_mode!r}.")
    double = g.onnx.TensorProto.DOUBLE
    # The bucket id is the number of boundaries at or below the value (np.digitize), compared
    # in float64 as lamina compares.
    wide = g.op("Unsqueeze", [g.op("Cast", [x.name], to=double), g.ints([-1], "axes")])
    boundaries = g.const(np.asarray(layer.bin_boundaries, np.float64), "bin_boundaries",
                         dtype=np.float64)
    above = g.op("Cast", [g.op("GreaterOrEqual", [wide, boundaries])],
                 to=g.onnx.TensorProto.INT32)
    ids = g.op("ReduceSum", [above, g.ints([-1], "axes")], keepdims=0)
    return Value(ids, x.shape, "int32")
