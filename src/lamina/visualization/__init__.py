"""``lamina.visualization``: learning curves, network diagrams and one-input functions, drawn
with matplotlib alone (also reachable as ``lamina.utils.plot_*``, Keras's names).

``plot_history`` draws a History's curves (training against validation, one
panel per metric, best epoch marked); ``plot_model`` draws a network without
pydot or Graphviz (neurons and connections for small stacks of Dense layers,
one box per layer otherwise); ``plot_function`` draws what a one-input model
computes. matplotlib is optional and imported only when a picture is drawn.
Each function returns the matplotlib ``Figure`` and saves it when given a
file name.
"""

from __future__ import annotations

from lamina.visualization.diagrams import plot_model
from lamina.visualization.functions import plot_function
from lamina.visualization.history import plot_history

__all__ = ["plot_function", "plot_history", "plot_model"]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
