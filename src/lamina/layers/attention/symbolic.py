"""Calls on symbolic tensors (``lamina.Input``) of layers with several tensor arguments or
several outputs: the call is recorded as one node of the functional graph whose inputs are
the list of tensors, so the model replays it as ``layer([query, value, ...], **kwargs)``."""

from __future__ import annotations

from lamina.layers.input_spec import KerasTensor, add_node

__all__ = ["is_symbolic", "record_call"]


def is_symbolic(*values) -> bool:
    """Whether any of ``values`` (or of the lists among them) is a ``KerasTensor``."""
    for v in values:
        if isinstance(v, KerasTensor):
            return True
        if isinstance(v, (list, tuple)) and any(isinstance(t, KerasTensor) for t in v):
            return True
    return False


def record_call(layer, inputs: list, output_shapes, kwargs: dict):
    """``KerasTensor`` outputs of ``layer(inputs, **kwargs)`` with ``output_shapes`` (one
    shape, or a list of shapes for several outputs), noted as a node of the graph."""
    # keyword arguments holding tensors (attention_mask=, mask=): replayed with their values
    symbolic = {k: v for k, v in kwargs.items() if isinstance(v, KerasTensor)}
    fixed = {k: v for k, v in kwargs.items() if v is not None and k not in symbolic}
    several = isinstance(output_shapes, list)
    outputs = [KerasTensor(s, layer.dtype, history=(layer, inputs))
               for s in (output_shapes if several else [output_shapes])]
    for t in outputs:
        t._call_kwargs = fixed or None
        t._call_extra = ((), symbolic) if symbolic else None
    add_node(layer, inputs, outputs if several else outputs[0])
    return outputs if several else outputs[0]
