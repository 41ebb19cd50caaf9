"""``keras.preprocessing.sequence``: ``pad_sequences``, ragged lists as one array.

Example:
    >>> from lamina.preprocessing.sequence import pad_sequences
    >>> pad_sequences([[1], [2, 3]], padding="post").tolist()
    [[1, 0], [2, 3]]
"""

from __future__ import annotations

from lamina.utils.sequences import pad_sequences

__all__ = ["pad_sequences"]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
