"""``keras.preprocessing.image``: image files to arrays and back (Pillow, imported on use).

Example:
    >>> import numpy as np
    >>> from lamina.preprocessing import image
    >>> image.smart_resize(np.zeros((4, 6, 3)), (2, 2)).shape
    (2, 2, 3)
"""

from __future__ import annotations

from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
