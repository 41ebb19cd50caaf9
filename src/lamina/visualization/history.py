"""``plot_history``: a History's learning curves, training against validation, best epoch marked."""

from __future__ import annotations

import math

import numpy as np

from lamina.visualization._common import _pyplot, _save


def _history_logs(history):
    """``({name: list}, epochs)`` from a History, a dict of lists or a pandas DataFrame."""
    if hasattr(history, "history") and isinstance(history.history, dict):
        logs, epochs = dict(history.history), list(getattr(history, "epoch", []) or [])
    elif isinstance(history, dict):
        logs, epochs = dict(history), []
    elif hasattr(history, "to_dict") and hasattr(history, "columns"):  # pandas DataFrame
        logs, epochs = {str(c): list(history[c]) for c in history.columns}, []
    else:
        raise TypeError(
            "plot_history takes the History that fit() returns (or its .history dict); got "
            f"{type(history).__name__}. Use `history = model.fit(...)` and pass `history`."
        )
    logs = {k: [np.nan if v is None else float(np.asarray(v)) for v in vals]
            for k, vals in logs.items() if isinstance(vals, (list, tuple, np.ndarray))}
    n = max((len(v) for v in logs.values()), default=0)
    if n == 0:
        raise ValueError(
            "plot_history got a History with no epochs recorded. Train first: "
            "`history = model.fit(x, y, epochs=10)`."
        )
    if len(epochs) != n:
        epochs = list(range(n))
    return logs, [e + 1 for e in epochs]  # epochs are shown 1-based, as fit prints them


def _metric_names(logs, metrics):
    base = []
    for key in logs:
        name = key[4:] if key.startswith("val_") else key
        if name not in base:
            base.append(name)
    if "loss" in base:
        base.remove("loss")
        base.insert(0, "loss")
    if metrics is None:
        return base
    if isinstance(metrics, str):
        metrics = [metrics]
    chosen = []
    for name in metrics:
        key = name[4:] if name.startswith("val_") and name[4:] in base else name
        if key not in base:
            from lamina.callbacks._utils import legacy_alias

            alias = legacy_alias(key)
            if alias in base:
                key = alias
            else:
                from lamina.utils.naming import closest

                hint = closest(key, base)
                raise ValueError(
                    f"plot_history: the History has no metric {name!r}. It has: {base}."
                    + (f" Did you mean {hint!r}?" if hint else "")
                )
        chosen.append(key)
    return chosen


def _higher_is_better(name):
    import re

    from lamina.callbacks.monitor_callback import _HIGHER_IS_BETTER

    return re.sub(r"_\d+$", "", name.lower()) in _HIGHER_IS_BETTER


def _series_epochs(values, epochs):
    """The epochs at which ``values`` were recorded (validation_freq > 1 records fewer)."""
    if len(values) == len(epochs):
        return epochs
    step = max(1, round(len(epochs) / max(1, len(values))))
    every = epochs[step - 1::step]
    return every[: len(values)] if len(every) >= len(values) else list(range(1, len(values) + 1))


def plot_history(history, metrics=None, *, to_file=None, title=None, figsize=None, dpi=100,
                 mark_best=True):
    """Learning curves: training and validation values per epoch, one panel per metric.

    Each panel shows a metric (``loss``, ``accuracy``, ``mae``, ...) for the
    training data and, when ``fit`` had validation data, for the validation
    data. The best epoch (lowest validation loss or error, highest accuracy;
    the training curve when there is no validation) is marked with a dot and a
    dotted line, and named in the legend.

    Args:
        history: the ``History`` returned by ``fit``, its ``.history`` dict, or a
            pandas DataFrame made from it.
        metrics: a name or list of names to draw (``"loss"``, ``"accuracy"``);
            ``None`` draws every metric, loss first. ``"val_loss"`` means ``"loss"``.
        to_file: save the figure there (PNG, PDF, SVG... from the extension).
        title: a title over all panels.
        figsize: ``(width, height)`` in inches; by default 4.8 x 3.6 per panel.
        dpi: resolution of the figure and the saved file.
        mark_best: mark the best epoch on each panel.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: for an empty History or a metric it does not have.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from lamina.utils import plot_history
        >>> fig = plot_history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.7]})
        >>> [ax.get_title() for ax in fig.axes]
        ['loss']
    """
    logs, epochs = _history_logs(history)
    names = _metric_names(logs, metrics)
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, dpi=dpi, layout="constrained",
                             figsize=figsize or (4.8 * ncols, 3.6 * nrows))
    few = len(epochs) <= 30
    for ax, name in zip(axes.flat, names):
        curves = []
        for key, label, color in ((name, "training", "C0"), (f"val_{name}", "validation", "C1")):
            values = logs.get(key)
            if values is None:
                continue
            xs = _series_epochs(values, epochs)
            ax.plot(xs, values, color=color, label=label, marker="o" if few else None,
                    markersize=3)
            curves.append((label, xs, np.asarray(values, dtype=float), color))
        if mark_best and curves and name not in ("learning_rate", "lr"):  # a setting, not a score
            label, xs, values, color = curves[-1]  # validation when there is one
            if np.isfinite(values).any():
                higher = _higher_is_better(name)
                best = int(np.nanargmax(values) if higher else np.nanargmin(values))
                ax.axvline(xs[best], color="0.5", linestyle=":", linewidth=1)
                ax.plot([xs[best]], [values[best]], "o", color=color, markersize=8,
                        markeredgecolor="black", zorder=3,
                        label=f"best {label}: epoch {xs[best]}, {values[best]:.4g}")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    _save(fig, to_file, dpi)
    return fig


# ---------------------------------------------------------------------------------------------
# plot_function
