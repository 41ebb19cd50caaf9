"""``model.summary()``: Keras's table of layers, output shapes and parameter counts."""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["print_summary"]


def _can_encode(text: str) -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def _bytes(n_params: int, itemsize: int = 4) -> str:
    size = float(n_params * itemsize)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def _count(variables) -> tuple:
    """``(parameters, bytes)`` of ``variables``, each at its own dtype's size."""
    n = size = 0
    for v in variables:
        count = int(getattr(v, "size", 1))
        n += count
        size += count * np.dtype(getattr(v, "dtype", "float32")).itemsize
    return n, size


def _shape_str(layer, model) -> str:
    for step_layer, _, outs in getattr(model, "_steps", None) or ():
        if step_layer is layer:  # a functional model's call: the shapes it recorded
            shapes = [tuple(t.shape) for t in outs]
            return ", ".join(_fmt(s) for s in shapes)
    try:
        if type(layer).__name__ == "InputLayer":
            shape = layer.batch_shape
        elif layer._build_shape is not None:
            shape = layer.compute_output_shape(layer._build_shape)
        else:
            return "?"
    except Exception:  # noqa: BLE001 - a summary must not fail on an odd custom layer
        return "?"
    if isinstance(shape, list):
        return ", ".join(_fmt(s) for s in shape)
    return _fmt(shape)


def _fmt(shape) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _params(layer) -> str:
    if not layer.built and not layer.weights:
        return "0 (unbuilt)"
    return f"{sum(int(v.size) for v in layer.weights):,}"


def _flat(x) -> list:
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _flat(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [x]


def _is_chain(model) -> bool:
    """Whether a functional model is one chain of single-input calls (Keras then omits the
    "Connected to" column)."""
    steps = getattr(model, "_steps", None)
    if steps is None:
        return True
    layers = [layer for layer, _, _ in steps]
    if len({id(layer) for layer in layers}) != len(layers) or len(model.inputs) != 1:
        return False
    readers: dict = {}
    for _, layer_inputs, outs in steps:
        inputs = _flat(layer_inputs)
        if len(inputs) != 1 or len(outs) != 1:
            return False
        readers[id(inputs[0])] = readers.get(id(inputs[0]), 0) + 1
    return all(n == 1 for n in readers.values())


def _connections(layer, model) -> str:
    """``"<layer>[node][tensor], ..."``: where each input of the layer's calls in ``model`` comes
    from, as Keras's summary writes it."""
    parts = []
    for step_layer, layer_inputs, _ in model._steps:
        if step_layer is not layer:
            continue
        for t in _flat(layer_inputs):
            source = t._keras_history[0]
            node, tensor = 0, 0
            for i, (_, outputs) in enumerate(source.__dict__.get("_inbound_nodes", [])):
                leaves = _flat(outputs)
                if any(o is t for o in leaves):
                    node, tensor = i, next(j for j, o in enumerate(leaves) if o is t)
                    break
            parts.append(f"{source.name}[{node}][{tensor}]")
    return ", ".join(parts) or "-"


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False):
    """Print (or send to ``print_fn``) the summary table of ``model``."""
    print_fn = print_fn or print
    # (a functional model's ops on symbolic tensors, ``x + y``, have rows too, as in Keras)
    layers = list(model.operations if getattr(model, "_functional", False) else model.layers)
    if type(model).__name__ == "Sequential":
        layers = [layer for layer in layers if type(layer).__name__ != "InputLayer"]
    branched = not _is_chain(model)
    rows = [(f"{layer.name} ({getattr(layer, 'class_name', type(layer).__name__)})",
             _shape_str(layer, model), _params(layer))
            + ((_connections(layer, model),) if branched else ())
            for layer in layers]
    headers = ("Layer (type)", "Output Shape", "Param #") + (("Connected to",) if branched else ())
    total = line_length or (98 if branched else 78)
    widths = [max(31, int(total * 0.41)), max(22, int(total * 0.3)), 13]
    if branched:
        widths = [max(24, int(total * 0.3)), max(20, int(total * 0.26)), 13, 20]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    fancy = "┏┳┓┃┡╇┩│├┼┤└┴┘━─"
    chars = fancy if _can_encode(fancy) else "+++|+++|+++++=-"
    tl, tm, tr, v_head, hl, hm, hr, v, ml, mm, mr, bl, bm, br, h_heavy = chars[:15]
    h = chars[15] if len(chars) > 15 else "-"

    align = "llrl" if branched else "llr"

    def line(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def cells(values, sep, align):
        parts = []
        for value, w, a in zip(values, widths, align):
            parts.append(" " + (value.rjust(w) if a == "r" else value.ljust(w)) + " ")
        return sep + sep.join(parts) + sep

    out = [f'Model: "{model.name}"', line(tl, tm, tr, h_heavy),
           cells(headers, v_head, align), line(hl, hm, hr, h_heavy)]
    for i, row in enumerate(rows):
        out.append(cells(row, v, align))
        if i < len(rows) - 1:
            out.append(line(ml, mm, mr, h))
    out.append(line(bl, bm, br, h))
    trainable, trainable_bytes = _count(model.trainable_weights)
    non_trainable, non_trainable_bytes = _count(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    built = optimizer is not None and getattr(optimizer, "built", True)
    n_opt, opt_bytes = _count(getattr(optimizer, "variables", None) or () if built else ())
    # as Keras: once the optimizer is built (by the first step), the total counts its variables
    out.append(f" Total params: {trainable + non_trainable + n_opt:,} "
               f"({_bytes(trainable_bytes + non_trainable_bytes + opt_bytes, 1)})")
    out.append(f" Trainable params: {trainable:,} ({_bytes(trainable_bytes, 1)})")
    out.append(f" Non-trainable params: {non_trainable:,} ({_bytes(non_trainable_bytes, 1)})")
    if n_opt:
        out.append(f" Optimizer params: {n_opt:,} ({_bytes(opt_bytes, 1)})")
    for text in out:
        print_fn(text)
