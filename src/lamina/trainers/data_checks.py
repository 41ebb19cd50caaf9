"""Data that cannot train, named before NumPy fails on it.

Text in an array, ragged lists of sequences, labels whose shape does not match
the output for a built-in loss, NaN or infinite sample weights, and batches
too large for memory: each gets a message that names the argument, what was
expected, what arrived and the fix. ``trainers.data`` and the trainer's
``fit``/``evaluate``/``predict`` call these.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_batch_memory", "check_sample_weight", "check_target_shape",
           "ragged_error", "text_error"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def text_error(name: str, arr: np.ndarray) -> TypeError:
    """The error for an array of strings (or bytes) given where numbers are needed."""
    where = ""
    example = None
    if arr.ndim == 2 and arr.shape[1] <= 1000:
        cols = []
        for j in range(arr.shape[1]):
            try:
                arr[:, j].astype(np.float64)
            except ValueError:
                cols.append(j)
                if example is None:
                    for v in arr[:, j]:
                        try:
                            float(v)
                        except ValueError:
                            example = v
                            break
        if cols:
            shown = ", ".join(str(c) for c in cols[:8]) + (", ..." if len(cols) > 8 else "")
            where = f" in column{'s' if len(cols) > 1 else ''} {shown} (of {arr.shape[1]})"
    if example is None and arr.size:
        example = arr.reshape(-1)[0]
    if isinstance(example, bytes):
        example = example.decode("utf-8", "replace")
    shown_value = f", e.g. '{str(example)[:40]}'" if example is not None else ""
    return TypeError(
        f"'{name}' holds text{where}{shown_value} (an array of dtype {arr.dtype}, shape "
        f"{arr.shape}); a model needs numbers. Encode the text first: category ids with "
        "`np.unique(column, return_inverse=True)[1]`, one-hot columns with `pd.get_dummies`, or "
        "numbers stored as text with `x.astype('float32')` (Keras's StringLookup and "
        "TextVectorization layers are not in lamina yet)."
    )


def ragged_error(name: str, data) -> ValueError:
    """The error for a list of sequences of different lengths."""
    lengths = sorted({len(s) for s in data if hasattr(s, "__len__") and not isinstance(s, str)})
    span = f" ({lengths[0]} to {lengths[-1]} items)" if len(lengths) > 1 else ""
    return ValueError(
        f"'{name}' is a ragged list: its {_plural(len(data), 'element')} are sequences of "
        f"different lengths{span}, and a model needs one rectangular array. Pad them to one "
        f"length with `lamina.utils.pad_sequences({name})` (Keras's `keras.utils.pad_sequences`), "
        "or, for several inputs, pass a list of NumPy arrays."
    )


# Built-in losses that compare y and the output element by element (so both need one shape).
_ELEMENTWISE = {
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "huber_loss", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence",
    "poisson", "binary_focal_crossentropy", "categorical_focal_crossentropy",
}
_SPARSE = {"sparse_categorical_crossentropy"}


def check_target_shape(model, loss_name: str, y, output_shape) -> None:
    """Raise when ``y``'s shape cannot match the model's output for a built-in loss.

    Keras would broadcast ``(n, 2)`` labels against a ``(n, 1)`` output and train on
    nonsense; here the output, both shapes and the fix are named instead.
    """
    import re

    name = re.sub(r"(?<!^)(?=[A-Z])", "_", loss_name).lower() if loss_name else ""
    if not isinstance(y, np.ndarray) or not isinstance(output_shape, tuple) or y.ndim == 0:
        return
    out = tuple(output_shape)[1:]
    got = tuple(y.shape[1:])
    if name in _SPARSE:
        want = out[:-1]
        if got == want or got == want + (1,) or any(d is None for d in want):
            return
        expected = f"{(None,) + want} or {(None,) + want + (1,)} (one class id per sample)"
        fix = ("For one-hot labels use loss='categorical_crossentropy'; otherwise give one "
               "integer label per sample.")
    elif name in _ELEMENTWISE:
        if any(d is None for d in out):
            return
        if got == out or (got + (1,) == out) or (got == out + (1,)):
            return
        expected = f"{(None,) + out} like the output"
        units = out[-1] if out else 1
        width = got[-1] if got else 1
        fix = (f"The last layer has {units} unit{'s' if units != 1 else ''} but y has "
               f"{width} column{'s' if width != 1 else ''}: give the last layer Dense({width}) "
               "units, or pass the matching label columns.")
    else:
        return
    output = getattr(model, "outputs", None)
    layer = None
    if output:
        history = getattr(output[0], "_keras_history", None)
        layer = getattr(history[0], "name", None) if history else None
    if layer is None:
        layers = [lyr for lyr in getattr(model, "layers", []) if type(lyr).__name__ != "InputLayer"]
        layer = layers[-1].name if layers else model.name
    raise ValueError(
        f"The labels y have shape {tuple(y.shape)}, but the output of model '{model.name}' "
        f"(layer '{layer}') has shape {(None,) + out}; with loss '{name}' y must have shape "
        f"{expected}. {fix}"
    )


def check_sample_weight(sw, name: str = "sample_weight") -> None:
    """Raise if sample weights hold NaN or infinite values (the loss would be NaN)."""
    if isinstance(sw, dict):
        for key, value in sw.items():
            check_sample_weight(value, f"{name}[{key!r}]")
        return
    if isinstance(sw, list):
        for i, value in enumerate(sw):
            check_sample_weight(value, f"{name}[{i}]")
        return
    if not isinstance(sw, np.ndarray) or sw.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(sw)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(sw), -1).any(axis=1)) if sw.ndim else np.array([0])
        kind = "NaN" if np.isnan(sw).any() else "infinite values"
        first = ", ".join(str(int(r)) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise ValueError(
            f"'{name}' contains {kind} ({_plural(len(rows), 'row')}, e.g. row {first}); every "
            "weight must be a finite number, or the loss becomes NaN. Give those samples a "
            "weight of 0 to leave them out, or drop them."
        )


def _row_bytes(model) -> int | None:
    """Bytes one sample's activations take in a step (outputs of every layer), if known."""
    total = 0
    itemsize = np.dtype(getattr(model, "dtype", "float32") or "float32").itemsize
    for layer in getattr(model, "layers", []):
        try:
            shapes = layer.output.shape
        except Exception:  # noqa: BLE001 - a layer with no single symbolic output
            continue
        shapes = shapes if isinstance(shapes, list) else [shapes]
        for shape in shapes:
            if not isinstance(shape, tuple) or any(d is None for d in shape[1:]):
                return None
            total += math.prod(shape[1:]) * itemsize
    return total or None


def check_batch_memory(model, rows: int, what: str, training: bool) -> None:
    """Refuse a batch whose activations cannot fit in memory, saying what would fit.

    ``rows`` is the number of samples in one batch (``min(batch_size, n)``). A
    training step keeps each layer's output for the backward pass and one gradient
    of the same size, so its estimate is three times the forward activations.
    """
    from lamina.utils.memory import available_bytes, check_allocation, format_bytes

    per_row = _row_bytes(model)
    if not per_row or rows <= 0:
        return
    factor = 3 if training else 1
    need = rows * per_row * factor
    if need <= 2**26:
        return
    fits = max(int(available_bytes() // (per_row * factor) // 2), 1)
    check_allocation(
        need, f"A batch of {rows:,} samples in {what} ({format_bytes(per_row)} of layer "
        f"outputs per sample{', kept for the gradients' if training else ''})",
        f"Pass a smaller batch_size (about {fits:,} samples would fit).")
