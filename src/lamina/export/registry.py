"""The table of layer converters: the class name of a lamina layer to the function that writes
its ONNX nodes.

A converter is ``fn(graph, layer, inputs) -> outputs``: ``inputs`` are ``Value``s (ONNX name
and Keras shape), the result is one output name (or ``Value``) or a list of them. It reads
the layer's config attributes and weights and adds nodes with ``graph.op``. Only lamina's own
classes match, by exact class: a subclass may have changed ``call``.
"""

from __future__ import annotations

import importlib

__all__ = ["converter", "find", "handles_masks", "masked_layers", "supported_layers"]

_CONVERTERS: dict = {}
_MASK_AWARE: set = set()
# The modules that register converters (imported on first use).
_MODULES = ("core", "conv", "pooling", "reshaping", "normalization", "merging", "image", "recurrent", "wrappers", "attention", "preprocessing")
_loaded = False


def converter(*class_names: str, masks: bool = False):
    """Register the decorated function as the converter of the named layer classes.

    ``masks=True``: the converter reads its inputs' Keras masks (``Value.mask``) and returns
    ``Value``s with the masks of its outputs. Other converters see no masks: the walk passes a
    mask through the layers that pass it unchanged, and refuses the layers that would use it.
    """

    def register(fn):
        for name in class_names:
            _CONVERTERS[name] = fn
            if masks:
                _MASK_AWARE.add(name)
        return fn

    return register


def handles_masks(layer) -> bool:
    """Whether ``layer``'s converter reads and sets Keras masks itself."""
    return find(layer) is not None and type(layer).__name__ in _MASK_AWARE


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"lamina.export.{module}")
        _loaded = True


def find(layer):
    """The converter of ``layer``'s class, or ``None``."""
    _load()
    cls = type(layer)
    if not cls.__module__.startswith("lamina."):
        return None
    return _CONVERTERS.get(cls.__name__)


def masked_layers() -> list:
    """The layer classes whose converters read Keras masks, and those that pass them on."""
    _load()
    return sorted(_MASK_AWARE)


def supported_layers() -> list:
    """The names of the layer classes that ``model.export(..., format="onnx")`` converts
    (models built from them, Sequential or functional, nested or not, convert too).

    Example:
        >>> from lamina.export import supported_layers
        >>> "Dense" in supported_layers()
        True
    """
    _load()
    return sorted(_CONVERTERS)
