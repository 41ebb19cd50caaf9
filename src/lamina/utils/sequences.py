"""``pad_sequences``: a ragged list of sequences as one rectangular array (Keras's semantics)."""

from __future__ import annotations

import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (or cut) each sequence to one length and stack them into an array.

    Args:
        sequences: a list of sequences (lists or arrays; items may be arrays of one shape).
        maxlen: the length of every row; default the longest sequence.
        dtype: the array's dtype.
        padding: ``"pre"`` (default) pads at the start, ``"post"`` at the end.
        truncating: ``"pre"`` (default) drops items from the start of longer sequences,
            ``"post"`` from the end.
        value: the padding value.

    Returns:
        An array of shape ``(len(sequences), maxlen) + item_shape``.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]]).tolist()
        [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
        >>> pad_sequences([[1], [2, 3]], padding="post", value=-1).tolist()
        [[1, -1], [2, 3]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: 'sequences' must be a list of sequences; got "
                         f"{type(sequences).__name__}.")
    for arg, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f"pad_sequences: '{arg}' must be 'pre' or 'post'; got {given!r}.")
    lengths, item_shape = [], None
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(
                f"pad_sequences: 'sequences' must hold sequences, but element {i} is "
                f"{type(seq).__name__} {seq!r}.")
        lengths.append(len(seq))
        if item_shape is None and len(seq):
            item_shape = np.asarray(seq).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if isinstance(maxlen, bool) or int(maxlen) != maxlen or maxlen < 0:
        raise ValueError(f"pad_sequences: 'maxlen' must be a non-negative integer; got {maxlen!r}.")
    maxlen = int(maxlen)
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.object_)
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"pad_sequences: dtype {dtype!r} cannot hold the padding value {value!r}; pass "
            "dtype=object (or a string dtype) to pad text.")
    out = np.full((len(lengths), maxlen) + tuple(item_shape), value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or not maxlen:
            continue
        cut = np.asarray(seq)
        cut = cut[-maxlen:] if truncating == "pre" else cut[:maxlen]
        if cut.shape[1:] != tuple(item_shape):
            raise ValueError(
                f"pad_sequences: the items of sequence {i} have shape {cut.shape[1:]}, but "
                f"those of the first non-empty sequence have shape {tuple(item_shape)}.")
        if padding == "post":
            out[i, :len(cut)] = cut
        else:
            out[i, maxlen - len(cut):] = cut
    return out
