"""``lamina.utils``: seeding, naming, data helpers, image files and (optional) pictures."""

from __future__ import annotations

__all__ = ["CustomObjectScope", "FeatureSpace", "Progbar", "PyDataset", "Sequence",
           "array_to_img", "clear_session", "custom_object_scope", "get_file",
           "image_dataset_from_directory",
           "img_to_array", "load_img", "normalize", "pack_x_y_sample_weight", "pad_sequences",
           "plot_function",
           "plot_history", "plot_model", "save_img", "set_random_seed",
           "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical",
           "unpack_x_y_sample_weight"]

_LAZY = {
    "FeatureSpace": "lamina.layers.feature_space",
    "PyDataset": "lamina.utils.py_dataset",
    "set_random_seed": "lamina.random",
    "pack_x_y_sample_weight": "lamina.utils.packing",
    "unpack_x_y_sample_weight": "lamina.utils.packing",
    "normalize": "lamina.data.numerical",
    "to_categorical": "lamina.data.numerical",
    "plot_history": "lamina.visualization",
    "plot_model": "lamina.visualization",
    "plot_function": "lamina.visualization",
    "register_keras_serializable": "lamina.saving",
    "get_registered_object": "lamina.saving",
    "serialize_keras_object": "lamina.saving",
    "deserialize_keras_object": "lamina.saving",
    "CustomObjectScope": "lamina.saving",
    "custom_object_scope": "lamina.saving",
    "get_custom_objects": "lamina.saving",
    "get_registered_name": "lamina.saving",
    "load_img": "lamina.utils.image_utils",  # Pillow is imported only when an image is read
    "img_to_array": "lamina.utils.image_utils",
    "array_to_img": "lamina.utils.image_utils",
    "save_img": "lamina.utils.image_utils",
    "image_dataset_from_directory": "lamina.data.image_dataset",
    "get_file": "lamina.utils.file_cache",
    "pad_sequences": "lamina.utils.sequences",
    "text_dataset_from_directory": "lamina.data.text_dataset",
    "timeseries_dataset_from_array": "lamina.data.timeseries",
}


def __getattr__(name):
    if name == "Progbar":
        from lamina.utils.progbar import Progbar

        return Progbar
    if name in _LAZY:  # matplotlib is imported only when a plot is drawn
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "Sequence":  # Keras 3's other name for PyDataset
        from lamina.utils.py_dataset import PyDataset

        return PyDataset
    raise AttributeError(f"module 'lamina.utils' has no attribute {name!r}")


def clear_session() -> None:
    """Reset automatic layer names (``dense``, ``dense_1``, ...), as Keras's clear_session."""
    from lamina.utils import naming

    naming.reset_uids()


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
