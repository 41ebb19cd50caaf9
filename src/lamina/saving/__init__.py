"""``lamina.saving``: Keras 3 model files, read and written safely.

``model.save("m.keras")`` writes Keras 3.15's format (a zip of
``metadata.json``, ``config.json`` and ``model.weights.h5``) that Keras itself
loads; ``load_model`` reads files from lamina, from Keras 3 and, read-only,
Keras 2's ``.h5``. Loading never runs code from a file: classes are found by
name among lamina's own, the ones you register with
``register_keras_serializable``, or the ones you pass in ``custom_objects``.
h5py is needed for the weights (``pip install h5py``); lamina imports without it.

Example:
    >>> import os, tempfile
    >>> import lamina.saving
    >>> model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> lamina.saving.save_model(model, path)
    >>> type(lamina.saving.load_model(path)).__name__
    'Sequential'
"""

from __future__ import annotations

from lamina.saving.deserialization import deserialize_keras_object
from lamina.saving.keras_file import load_model, load_weights, save_model, save_weights
from lamina.saving.kinds import UnknownObjectError
from lamina.saving.safety import UnsafeFileError
from lamina.saving.serialization import serialize_keras_object
from lamina.utils.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope",
    "UnknownObjectError",
    "UnsafeFileError",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
