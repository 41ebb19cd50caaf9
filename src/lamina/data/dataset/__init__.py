"""``lamina.data.Dataset``: tf.data's pipelines (``from_tensor_slices(...).shuffle(...).batch(...)``)
on NumPy, streamed element by element.

``base.py`` is the ``Dataset`` class and its methods; ``sources.py``,
``transformations.py``, ``batching.py`` and ``buffering.py`` hold the
datasets those methods return; ``structure.py`` walks elements (NumPy leaves in
tuples and dicts); ``specs.py`` has ``TensorSpec`` and the constants;
``functions.py`` calls the user's functions; ``cache_file.py`` is
``cache(filename)``'s file. Under ``lamina run`` this is ``tf.data``.
"""

from lamina.data.dataset import experimental
from lamina.data.dataset.base import Dataset
from lamina.data.dataset.specs import AUTOTUNE, INFINITE, UNKNOWN, TensorSpec

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

__all__ = ["AUTOTUNE", "Dataset", "INFINITE_CARDINALITY", "TensorSpec", "UNKNOWN_CARDINALITY",
           "experimental"]
