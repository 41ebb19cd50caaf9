"""``keras.backend``: Keras 3's few backend functions (settings, names, the backend's name).

The settings are ``lamina.config``'s own functions (``floatx``, ``epsilon``,
``image_data_format`` and their setters), ``clear_session`` is
``lamina.utils.clear_session`` and ``get_uid`` shares its counters with automatic
layer names, as in Keras. ``backend()`` is ``"numpy"``. The Keras 2 functions of
``tf.keras.backend`` (``K.mean``, ``K.random_normal``, ...) are not part of Keras 3's
``keras.backend``; scripts run with ``lamina run`` find them there (``lamina.compat_backend``).

Example:
    >>> import lamina as keras
    >>> keras.backend.floatx(), keras.backend.backend()
    ('float32', 'numpy')
"""

from __future__ import annotations

from lamina.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from lamina.utils import clear_session
from lamina.utils.naming import get_uid

__all__ = ["backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
           "is_keras_tensor", "set_epsilon", "set_floatx", "set_image_data_format"]


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic ``KerasTensor`` (what ``keras.Input`` returns).

    Example:
        >>> import lamina as keras
        >>> keras.backend.is_keras_tensor(keras.Input((3,)))
        True
    """
    from lamina.layers import KerasTensor

    return isinstance(x, KerasTensor)


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
