"""``plot_model``: a network diagram with matplotlib alone (no pydot, no Graphviz).

Small stacks of Dense layers are drawn neuron by neuron with their connections;
anything else as one box per layer, with shapes, activations and parameter counts.
"""

from __future__ import annotations

import math

import numpy as np

from lamina.visualization._common import (
    _CHAR_W,
    _FONT,
    _MAX_NEURONS,
    _MAX_NEURONS_PER_LAYER,
    _pyplot,
    _save,
)


class _Node:
    """One layer (or input) of the diagram."""

    def __init__(self, layer, shape, parents, is_input=False):
        self.layer = layer
        self.shape = shape
        self.parents = parents
        self.is_input = is_input
        self.rank = 0


def _activation_name(layer):
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    try:
        from lamina import activations

        name = activations.serialize(act)
    except Exception:  # noqa: BLE001 - only a label
        name = getattr(act, "__name__", type(act).__name__)
    if isinstance(name, dict):
        name = name.get("config") if isinstance(name.get("config"), str) else name.get("class_name")
    return str(name)


def _output_shape(layer):
    try:
        if type(layer).__name__ == "InputLayer":
            return tuple(layer.batch_shape)
        if layer._build_shape is not None:
            shape = layer.compute_output_shape(layer._build_shape)
            if isinstance(shape, list):
                return shape
            return (None,) + tuple(shape)[1:] if len(shape) else tuple(shape)  # any batch size
    except Exception:  # noqa: BLE001 - a diagram must not fail on an odd custom layer
        return None
    return None


def _graph(model):
    """The model as ``_Node``s in topological order, each knowing its parents' indices."""
    if not getattr(model, "built", False):
        raise ValueError(
            f"plot_model: model '{model.name}' is not built yet, so its layers have no shapes. "
            "Give the first layer `input_shape=[n_features]`, start with "
            "`keras.Input(shape=(n_features,))`, or call `model.build((None, n_features))`."
        )
    if hasattr(model, "_steps") and hasattr(model, "inputs"):  # functional
        nodes, index = [], {}
        for t in model.inputs:
            layer = t._keras_history[0]
            index[id(layer)] = len(nodes)
            nodes.append(_Node(layer, tuple(t.shape), [], is_input=True))
        for layer, layer_inputs, outs in model._steps:
            tensors = layer_inputs if isinstance(layer_inputs, (list, tuple)) else [layer_inputs]
            parents = [index[id(t._keras_history[0])] for t in tensors
                       if t._keras_history is not None and id(t._keras_history[0]) in index]
            if id(layer) in index:  # a shared layer called again: one box, more arrows
                node = nodes[index[id(layer)]]
                node.parents += [p for p in parents if p not in node.parents]
                continue
            index[id(layer)] = len(nodes)
            nodes.append(_Node(layer, tuple(outs[0].shape), parents))
        return nodes
    nodes = []
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        nodes.append(_Node(input_layer, tuple(input_layer.batch_shape), [], is_input=True))
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        nodes.append(_Node(layer, _output_shape(layer), [len(nodes) - 1] if nodes else []))
    return nodes


def _params(layer):
    return sum(int(np.prod(w.shape)) for w in layer.weights)


def _fmt_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# ---------------------------------------------------------------------------------------------
# plot_model: neuron diagrams


def _neuron_columns(nodes):
    """Columns ``[{"n", "title", "activation", "extras", "layer"}]`` or None if too big/branched."""
    if not nodes or not nodes[0].is_input or any(n.is_input for n in nodes[1:]):
        return None
    if any(node.parents != [i] for i, node in enumerate(nodes[1:])):
        return None  # not a plain chain
    shape = nodes[0].shape
    if shape is None or len(shape) != 2 or shape[1] is None:
        return None
    columns = [{"n": int(shape[1]), "layer": nodes[0].layer, "activation": None, "extras": [],
                "input": True, "shape": shape}]
    for node in nodes[1:]:
        layer, cls = node.layer, type(node.layer).__name__
        out = node.shape
        if out is None or isinstance(out, list) or len(out) != 2 or out[1] is None:
            return None
        if cls == "Activation":
            last = columns[-1]
            if last["input"]:
                return None
            name = _activation_name(layer)
            last["activation"] = name if last["activation"] in (None, "linear") else (
                f"{last['activation']}, {name}")
            last["extras"].append(layer)
        elif getattr(layer, "units", None) is not None and int(out[1]) == int(layer.units):
            columns.append({"n": int(out[1]), "layer": layer, "activation":
                            _activation_name(layer) or "linear", "extras": [], "input": False,
                            "shape": out})
        elif tuple(out) == tuple(columns[-1]["shape"]):  # Dropout, normalization, noise...
            columns[-1]["extras"].append(layer)
        else:
            return None
    widths = [c["n"] for c in columns]
    if len(columns) < 2 or max(widths) > _MAX_NEURONS_PER_LAYER or sum(widths) > _MAX_NEURONS:
        return None
    return columns


def _glyph(name, r):
    """A small curve of the activation ``name``, in a circle of radius ``r`` at the origin."""
    t = np.linspace(-3.0, 3.0, 41)
    if name in (None, "linear"):
        y = t
    elif name == "softmax":
        y = 1.0 / (1.0 + np.exp(-2 * t))
    else:
        try:
            from lamina import activations

            y = np.asarray(activations.get(name)(t.astype("float32")), dtype=float)
        except Exception:  # noqa: BLE001 - an unknown activation gets no glyph
            return None
    if y.shape != t.shape or not np.all(np.isfinite(y)):
        return None
    span = y.max() - y.min()
    y = (y - y.min()) / span - 0.5 if span > 0 else np.zeros_like(y)
    return t / 3.0 * 0.6 * r, y * 1.0 * r


def _text_width(text, scale=1.0):
    return max((len(line) for line in str(text).splitlines()), default=0) * _CHAR_W * scale


def _draw_neurons(columns, show_shapes, show_layer_names, show_weights, show_dtype,
                  show_trainable, dpi):
    plt = _pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle

    widest = max(c["n"] for c in columns)
    spacing = float(np.clip(3.2 / widest, 0.2, 0.55))
    radius = 0.36 * spacing

    headers, footers = [], []
    for col in columns:
        layer = col["layer"]
        if col["input"]:
            headers.append("Input")
            lines = [f"{col['n']} feature{'s' if col['n'] != 1 else ''}"]
        else:
            kind = type(layer).__name__
            if any(type(e).__name__ == "Activation" for e in col["extras"]):
                kind += "\n+ Activation"
            headers.append(f"{layer.name}\n({kind})" if show_layer_names else kind)
            units = f"{col['n']} unit{'s' if col['n'] != 1 else ''}"
            lines = [units, col["activation"]]
            params = _params(layer) + sum(_params(e) for e in col["extras"])
            lines.append(f"{params:,} params")
        lines += [f"+ {type(e).__name__}" for e in col["extras"] if type(e).__name__ != "Activation"]
        if show_shapes:
            lines.append(_fmt_shape(col["shape"]))
        if show_dtype:
            lines.append(str(getattr(layer, "dtype", "")))
        if show_trainable and not col["input"]:
            lines.append("trainable" if layer.trainable else "frozen")
        footers.append("\n".join(lines))

    label_w = max(_text_width(t) for t in headers + footers)
    gap = max(1.5, label_w + 0.35, 2.2 * radius + 0.6)
    header_h = max(t.count("\n") + 1 for t in headers) * _FONT * 1.5 / 72 + 0.25
    footer_h = max(t.count("\n") + 1 for t in footers) * _FONT * 1.45 / 72 + 0.25
    body_h = widest * spacing
    margin = gap / 2
    width = margin * 2 + gap * (len(columns) - 1)
    height = header_h + body_h + footer_h + 0.2
    fig = plt.figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    mid = footer_h + 0.1 + body_h / 2

    centers = []
    for i, col in enumerate(columns):
        x = margin + i * gap
        ys = mid + (np.arange(col["n"])[::-1] - (col["n"] - 1) / 2) * spacing
        centers.append((x, ys))

    # Connections first, so that the neurons are drawn over them.
    for i in range(1, len(columns)):
        (x0, ys0), (x1, ys1) = centers[i - 1], centers[i]
        segments = [((x0, a), (x1, b)) for a in ys0 for b in ys1]
        kernel = None
        if show_weights:
            weights = columns[i]["layer"].weights
            if weights and tuple(weights[0].shape) == (len(ys0), len(ys1)):
                kernel = np.asarray(weights[0].numpy(), dtype=float)
        if kernel is not None:
            scale = np.abs(kernel).max() or 1.0
            colors = [("#1f77b4" if w >= 0 else "#d62728") for w in kernel.ravel()]
            widths = 0.3 + 2.2 * np.abs(kernel.ravel()) / scale
            ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths,
                                             alpha=0.7, zorder=1))
        else:
            alpha = float(np.clip(6.0 / math.sqrt(len(segments)), 0.15, 0.8))
            ax.add_collection(LineCollection(segments, colors="0.45", linewidths=0.7,
                                             alpha=alpha, zorder=1))

    for i, col in enumerate(columns):
        x, ys = centers[i]
        face = "#e8e8e8" if col["input"] else ("#fff4d6" if i == len(columns) - 1 else "#dcecfb")
        glyph = None if col["input"] else _glyph(col["activation"].split(", ")[-1], radius)
        for j, y in enumerate(ys):
            ax.add_patch(Circle((x, y), radius, facecolor=face, edgecolor="0.2", linewidth=1.0,
                                zorder=2))
            if glyph is not None:
                ax.plot(x + glyph[0], y + glyph[1], color="0.15", linewidth=1.0, zorder=3)
            elif col["input"] and radius >= 0.1:
                ax.text(x, y, f"x{j}", ha="center", va="center", fontsize=_FONT * 0.8, zorder=3)
        ax.text(x, height - 0.12, headers[i], ha="center", va="top", fontsize=_FONT,
                fontweight="bold")
        ax.text(x, footer_h + 0.05 - 0.12, footers[i], ha="center", va="top", fontsize=_FONT,
                color="0.2", linespacing=1.3)
    return fig


# ---------------------------------------------------------------------------------------------
# plot_model: block diagrams


def _ranks(nodes):
    for node in nodes:
        node.rank = 1 + max((nodes[p].rank for p in node.parents), default=-1)


def _block_text(node, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                show_trainable):
    layer = node.layer
    kind = type(layer).__name__
    title = f"{layer.name} ({kind})" if show_layer_names else kind
    details = []
    if show_shapes:
        details.append(_fmt_shape(node.shape))
    if not node.is_input:
        details.append(f"{_params(layer):,} params")
    extra = []
    if show_layer_activations:
        name = _activation_name(layer)
        if name is not None:
            extra.append(f"activation: {name}")
    if show_dtype:
        extra.append(f"dtype: {getattr(layer, 'dtype', '?')}")
    if show_trainable and not node.is_input:
        extra.append("trainable" if layer.trainable else "frozen")
    lines = ["   ".join(details)] if details else []
    if extra:
        lines.append("   ".join(extra))
    return title, "\n".join(lines)


def _slots(nodes, by_rank):
    """Position of each node across its rank, in box widths: under its parents where possible."""
    slot = {}
    for rank in sorted(by_rank):
        members = by_rank[rank]
        if rank == 0:
            wanted = {i: k - (len(members) - 1) / 2 for k, i in enumerate(members)}
        else:
            wanted = {i: float(np.mean([slot[p] for p in nodes[i].parents])) for i in members}
        order = sorted(members, key=lambda i: (wanted[i], i))
        placed = []
        for i in order:  # keep the wanted places, pushed apart to one box width
            placed.append(max(wanted[i], placed[-1] + 1) if placed else wanted[i])
        shift = float(np.mean([wanted[i] for i in order]) - np.mean(placed))
        for i, p in zip(order, placed):
            slot[i] = p + shift
    return slot


def _draw_blocks(nodes, rankdir, texts, dpi, model_name, total_params):
    plt = _pyplot()
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    _ranks(nodes)
    by_rank = {}
    for i, node in enumerate(nodes):
        by_rank.setdefault(node.rank, []).append(i)
    box_w = max(max(_text_width(t, 1.1), _text_width(d)) for t, d in texts) + 0.4
    line_h = _FONT * 1.55 / 72
    box_h = max(1 + (d.count("\n") + 1 if d else 0) for _, d in texts) * line_h + 0.2
    vertical = rankdir in ("TB", "BT")
    step_along = (box_h + 0.45) if vertical else (box_w + 0.55)
    step_across = (box_w + 0.35) if vertical else (box_h + 0.35)
    n_ranks = max(by_rank) + 1
    slot = _slots(nodes, by_rank)
    low = min(slot.values())
    n_across = max(slot.values()) - low + 1
    margin = 0.25
    along = n_ranks * step_along
    across = n_across * step_across
    width, height = (across, along) if vertical else (along, across)
    width, height = width + 2 * margin, height + 2 * margin + 0.3
    fig = plt.figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.text(width / 2, height - 0.12, f"Model: {model_name}  ({total_params:,} params)",
            ha="center", va="top", fontsize=_FONT, color="0.35")

    centers = {}
    for i, node in enumerate(nodes):
        a = (node.rank + 0.5) * step_along
        if rankdir in ("TB", "RL"):
            a = along - a
        c = (slot[i] - low + 0.5) * step_across
        x, y = (c, a) if vertical else (a, across - c)
        centers[i] = (x + margin, y + margin)

    for i, node in enumerate(nodes):
        x, y = centers[i]
        for p in node.parents:
            px, py = centers[p]
            skip = node.rank - nodes[p].rank > 1 and (px == x or py == y)
            if vertical:
                start = (px, py - box_h / 2) if py > y else (px, py + box_h / 2)
                end = (x, y + box_h / 2) if py > y else (x, y - box_h / 2)
            else:
                start = (px + box_w / 2, py) if px < x else (px - box_w / 2, py)
                end = (x - box_w / 2, y) if px < x else (x + box_w / 2, y)
            ax.add_patch(FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=12, color="0.3", linewidth=1.1,
                connectionstyle=f"arc3,rad={0.6 if skip else 0.0}", zorder=1,
                shrinkA=0, shrinkB=1))
        face = "#e8e8e8" if node.is_input else "#dcecfb"
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.08", facecolor=face,
                                    edgecolor="0.25", linewidth=1.0, zorder=2))
        title, details = texts[i]
        lines = [title] + (details.splitlines() if details else [])
        top = y + (len(lines) - 1) / 2 * line_h
        for k, text in enumerate(lines):
            ax.text(x, top - k * line_h, text, ha="center", va="center", zorder=3,
                    fontsize=_FONT * 1.05 if k == 0 else _FONT,
                    fontweight="bold" if k == 0 else "normal", color="black" if k == 0 else "0.2")
    return fig


def plot_model(model, to_file="model.png", show_shapes=True, show_dtype=False,
               show_layer_names=False, rankdir=None, expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw the network with matplotlib (no pydot, no Graphviz) and save it to ``to_file``.

    Small stacks of Dense layers (up to 32 neurons a layer) are drawn as the
    tutorials draw them: inputs and neurons as circles, every connection as a
    line, each neuron showing the curve of its activation, and under each
    layer its units, activation and parameter count. Anything larger or
    branched is drawn as one box per layer with its output shape and
    parameter count, and arrows for the data flow.

    Args:
        model: a built model (Sequential, functional or subclassed).
        to_file: where to save the picture (the extension picks PNG, PDF,
            SVG...); ``None`` saves nothing.
        show_shapes: show output shapes (on by default, unlike Keras).
        show_dtype: show each layer's dtype.
        show_layer_names: show layer names as well as their classes.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right) for block
            diagrams (also ``"BT"``, ``"RL"``); ``None`` draws blocks top to
            bottom. Neuron diagrams always read left to right.
        expand_nested: accepted for Keras compatibility; a nested model is
            drawn as one block.
        dpi: resolution of the saved picture.
        show_layer_activations: name each block's activation.
        show_trainable: mark frozen layers.
        splines: accepted for Keras compatibility (arrows are straight).
        **kwargs: ``style="auto"`` (default), ``"neurons"`` or ``"blocks"`` to
            choose the drawing; ``show_weights=True`` colours the connections
            of a neuron diagram by the sign (blue positive, red negative) and
            size of the weights.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: if the model is not built yet, or ``style="neurons"`` is
            asked for a network too large or not a plain stack.
        ImportError: if matplotlib is not installed.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import lamina
        >>> model = lamina.Sequential([
        ...     lamina.layers.Dense(3, activation="relu", input_shape=(2,)),
        ...     lamina.layers.Dense(2, activation="softmax"),
        ... ])
        >>> fig = lamina.utils.plot_model(model, to_file=None)
        >>> len(fig.axes[0].patches)  # 2 inputs + 3 + 2 neurons
        7
    """
    style = kwargs.pop("style", "auto")
    show_weights = kwargs.pop("show_weights", False)
    if kwargs:
        raise TypeError(f"plot_model() got unexpected keyword arguments: {sorted(kwargs)}.")
    if style not in ("auto", "neurons", "blocks"):
        raise ValueError(
            f"The 'style' argument of plot_model must be 'auto', 'neurons' or 'blocks'. "
            f"Got {style!r} instead."
        )
    if rankdir not in (None, "TB", "LR", "BT", "RL"):
        raise ValueError(
            f"The 'rankdir' argument of plot_model must be 'TB' (top to bottom) or 'LR' (left "
            f"to right). Got {rankdir!r} instead."
        )
    nodes = _graph(model)
    if not nodes:
        raise ValueError(f"plot_model: model '{model.name}' has no layers to draw.")
    columns = _neuron_columns(nodes) if style != "blocks" else None
    if style == "neurons" and columns is None:
        raise ValueError(
            f"plot_model(style='neurons') draws plain stacks of Dense layers with at most "
            f"{_MAX_NEURONS_PER_LAYER} units each ({_MAX_NEURONS} neurons in all); model "
            f"'{model.name}' is larger or not a plain stack. Use style='blocks' (the default "
            "picks it)."
        )
    if columns is not None:
        fig = _draw_neurons(columns, show_shapes, show_layer_names, show_weights, show_dtype,
                            show_trainable, dpi)
    else:
        texts = [_block_text(n, show_shapes, show_dtype, show_layer_names,
                             show_layer_activations, show_trainable) for n in nodes]
        fig = _draw_blocks(nodes, rankdir or "TB", texts, dpi, model.name,
                           sum(int(np.prod(w.shape)) for w in model.weights))
    _save(fig, to_file, dpi)
    return fig
