"""``lamina.utils``: seeding, naming, data helpers and (optional) pictures."""

from __future__ import annotations

from lamina import random as _random

__all__ = ["Progbar", "PyDataset", "clear_session", "normalize", "pack_x_y_sample_weight",
           "plot_function", "plot_history", "plot_model", "set_random_seed", "to_categorical",
           "unpack_x_y_sample_weight"]

_LAZY = {
    "PyDataset": "lamina.utils.py_dataset",
    "pack_x_y_sample_weight": "lamina.utils.packing",
    "unpack_x_y_sample_weight": "lamina.utils.packing",
    "normalize": "lamina.utils.numerical",
    "to_categorical": "lamina.utils.numerical",
    "plot_history": "lamina.utils.plotting",
    "plot_model": "lamina.utils.plotting",
    "plot_function": "lamina.utils.plotting",
    "register_keras_serializable": "lamina.saving",
    "get_registered_object": "lamina.saving",
    "serialize_keras_object": "lamina.saving",
    "deserialize_keras_object": "lamina.saving",
}


def __getattr__(name):
    if name == "Progbar":
        from lamina.utils.progbar import Progbar

        return Progbar
    if name in _LAZY:  # matplotlib is imported only when a plot is drawn
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lamina.utils' has no attribute {name!r}")


def set_random_seed(seed: int) -> None:
    """Make lamina's runs repeatable: seeds initialization, shuffling and dropout.

    Resets lamina's own generator and, as Keras's function does, also seeds
    Python's ``random`` and NumPy's global state, so that a script's own
    sampling repeats too. lamina never reseeds anything unless asked.

    Args:
        seed: a non-negative integer.

    Example:
        >>> import lamina
        >>> lamina.utils.set_random_seed(0)
    """
    import random

    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"The 'seed' argument of set_random_seed must be a non-negative integer. "
            f"Got {seed!r} instead."
        )
    _random.set_global_seed(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))


def clear_session() -> None:
    """Reset automatic layer names (``dense``, ``dense_1``, ...), as Keras's clear_session."""
    from lamina.utils import naming

    naming.reset_uids()
