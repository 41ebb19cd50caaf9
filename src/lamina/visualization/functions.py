"""``plot_function``: what a model of one input computes, drawn over a range."""

from __future__ import annotations

import numpy as np

from lamina.visualization._common import _pyplot, _save
from lamina.visualization.diagrams import _activation_name


def _single_unit_title(model):
    layers = [layer for layer in getattr(model, "layers", [])
              if type(layer).__name__ != "InputLayer"]
    if len(layers) != 1 or getattr(layers[0], "units", None) != 1:
        return None
    weights = [np.asarray(w.numpy() if hasattr(w, "numpy") else w) for w in layers[0].weights]
    if not weights or weights[0].size != 1:
        return None
    lines = [f"Weight: {weights[0].ravel()[0]:0.2f}"]
    if len(weights) > 1:
        lines.append(f"Bias: {weights[1].ravel()[0]:0.2f}")
    name = _activation_name(layers[0])
    if name not in (None, "linear"):
        lines.append(f"Activation: {name}")
    return "\n".join(lines)


def plot_function(model, x_range=(-1, 1), *, num=101, to_file=None, title=None, ylim=None,
                  figsize=None, dpi=100):
    """Draw the function a one-input model computes, ``y = model(x)``, over ``x_range``.

    For a single unit (``Dense(1)`` on one input) the title gives its weight
    and bias, as the tutorials' random-weights figure does; a model with
    several outputs draws one line per output. Any function of one array also
    works (an activation such as ``lamina.activations.relu``).

    Args:
        model: a model taking one feature (input shape ``(None, 1)``), or a
            function ``f(x)``.
        x_range: ``(low, high)``, the inputs drawn.
        num: how many points between ``low`` and ``high``.
        to_file: save the figure there.
        title: replaces the automatic title.
        ylim: ``(low, high)`` for the vertical axis; automatic by default.
        figsize: ``(width, height)`` in inches.
        dpi: resolution of the figure and the saved file.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ValueError: if the model takes more than one input feature.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import lamina
        >>> model = lamina.Sequential([lamina.layers.Dense(1, input_shape=[1])])
        >>> fig = lamina.utils.plot_function(model)
        >>> fig.axes[0].get_title().splitlines()[1]
        'Bias: 0.00'
    """
    lo, hi = (float(v) for v in x_range)  # 101 points by default: x = 0 is one of them
    if not hi > lo:
        raise ValueError(f"plot_function: x_range must be (low, high) with low < high; got {x_range!r}.")
    x = np.linspace(lo, hi, int(num), dtype="float32")
    if hasattr(model, "predict"):
        shape = None
        try:
            shape = model.input_shape
        except (AttributeError, ValueError):
            pass
        if isinstance(shape, (tuple, list)) and shape and isinstance(shape[0], (tuple, list)):
            raise ValueError(
                f"plot_function draws models with one input; model '{model.name}' has "
                f"{len(shape)} inputs."
            )
        if shape is not None and (len(shape) != 2 or shape[-1] != 1):
            raise ValueError(
                f"plot_function draws models that take one number per sample (input shape "
                f"(None, 1)); model '{model.name}' takes input shape {tuple(shape)}. Use "
                "plot_history for learning curves or plot_model for the network's layout."
            )
        y = np.asarray(model.predict(x[:, None], verbose=0), dtype=float)
        auto_title = _single_unit_title(model) or f"Model '{model.name}'"
    elif callable(model):
        out = model(x)
        y = np.asarray(out.numpy() if hasattr(out, "numpy") else out, dtype=float)
        auto_title = getattr(model, "__name__", type(model).__name__)
    else:
        raise TypeError(f"plot_function takes a model or a function; got {type(model).__name__}.")
    y = y.reshape(len(x), -1)
    plt = _pyplot()
    fig = plt.figure(figsize=figsize or (6.0, 4.5), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    if y.shape[1] == 1:
        ax.plot(x, y[:, 0], "k")
    else:
        for j in range(y.shape[1]):
            ax.plot(x, y[:, j], label=f"output {j}")
        ax.legend(fontsize="small")
    ax.set_xlim(lo, hi)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("Input: x")
    ax.set_ylabel("Target y")
    ax.set_title(title if title is not None else auto_title)
    ax.grid(alpha=0.3)
    _save(fig, to_file, dpi)
    return fig


# ---------------------------------------------------------------------------------------------
# plot_model: collecting the graph
