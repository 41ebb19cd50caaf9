"""The converter of ``TimeDistributed``: the steps folded into the batch, the wrapped layer's
own converter, and the steps unfolded again."""

from __future__ import annotations

import inspect

from lamina.export.graph import ExportError, Value
from lamina.export.registry import converter


@converter("TimeDistributed", masks=True)
def time_distributed(g, layer, inputs):
    from lamina.export.walk import convert_layer  # (the walk loads this module on use)

    (x,) = inputs
    if x.mask is not None and "mask" in inspect.signature(layer.layer.call).parameters:
        raise ExportError(f"TimeDistributed '{layer.name}': the {type(layer.layer).__name__} "
                          "it wraps would read the mask its input carries; that does not "
                          "export.")
    rest = x.shape[2:]
    if any(d is None for d in rest):
        raise ExportError(f"TimeDistributed '{layer.name}' exports for steps of known shape; "
                          f"got input shape {x.shape}.")
    inner_in = (None, *rest)
    inner_out = tuple(layer.layer.compute_output_shape(inner_in))
    if any(d is None for d in inner_out[1:]):
        raise ExportError(f"TimeDistributed '{layer.name}': the wrapped layer's output shape "
                          f"{inner_out} must be known.")
    folded = g.op("Reshape", [x.name, g.ints([-1, *rest], "folded_shape")], name="fold_steps")
    (y,) = convert_layer(g, layer.layer, [Value(folded, inner_in, x.dtype)], [inner_out],
                         f" in TimeDistributed '{layer.name}'")
    batch_steps = g.op("Slice", [g.op("Shape", [x.name]), g.ints([0], "starts"),
                                 g.ints([2], "ends")])
    target = g.op("Concat", [batch_steps, g.ints(inner_out[1:], "step_shape")], axis=0)
    out = g.op("Reshape", [y.name, target], name="unfold_steps")
    return Value(out, None, g.dtype, x.mask)  # (the mask passes on, as in lamina)
