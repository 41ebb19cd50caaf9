"""``lamina.data``: data utilities (Keras's ``to_categorical`` and ``normalize``, also reachable
as ``lamina.utils.to_categorical`` and ``lamina.utils.normalize``)."""

from lamina.data.numerical import normalize, to_categorical

__all__ = ["normalize", "to_categorical"]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
