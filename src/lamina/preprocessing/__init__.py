"""``keras.preprocessing``: Keras 3's data-loading helpers, under their Keras paths.

``image`` (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``,
``smart_resize``), ``sequence`` (``pad_sequences``) and the data set builders
``image_dataset_from_directory``, ``text_dataset_from_directory`` and
``timeseries_dataset_from_array``. They are the functions ``lamina.utils`` and
``lamina.data`` define, loaded on first use. Keras 3 has no ``keras.preprocessing.text``;
use ``keras.layers.TextVectorization`` (scripts for ``tensorflow.keras`` run with
``lamina run`` find Keras 1's ``Tokenizer`` there).

Example:
    >>> import lamina as keras
    >>> keras.preprocessing.sequence.pad_sequences([[1, 2], [3]]).tolist()
    [[1, 2], [0, 3]]
"""

from __future__ import annotations

import importlib

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]

_LAZY = {
    "image": "lamina.preprocessing.image",
    "sequence": "lamina.preprocessing.sequence",
    "image_dataset_from_directory": "lamina.data.image_dataset",
    "text_dataset_from_directory": "lamina.data.text_dataset",
    "timeseries_dataset_from_array": "lamina.data.timeseries",
}


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = module if _LAZY[name].endswith(f".{name}") else getattr(module, name)
        globals()[name] = value
        return value
    if name == "text":
        raise AttributeError(
            "keras.preprocessing.text is Keras 2's; Keras 3 has no such module. Use "
            "keras.layers.TextVectorization, or run a tensorflow.keras script with `lamina run` "
            "to get its Tokenizer.")
    raise AttributeError(f"module 'lamina.preprocessing' has no attribute {name!r}")


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
