"""``lamina.data``: data utilities (Keras's ``to_categorical`` and ``normalize``, also reachable
as ``lamina.utils.to_categorical`` and ``lamina.utils.normalize``) and ``Dataset``, tf.data's
pipelines on NumPy (``tf.data`` under ``lamina run``)."""

from lamina.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    TensorSpec,
    experimental,
)
from lamina.data.numerical import normalize, to_categorical

__all__ = ["AUTOTUNE", "Dataset", "INFINITE_CARDINALITY", "TensorSpec", "UNKNOWN_CARDINALITY",
           "experimental", "normalize", "to_categorical"]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
