"""Mistakes explained before the first step of ``fit``.

Looks at the labels, the last layer's units and activation and the loss
together, and at NaN/inf in the data, and says in plain words what is wrong
and what fits instead. Definite mistakes raise ``ValueError``; runnable but
suspicious setups warn.
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina.trainers.data_checks import check_target_shape

__all__ = ["check_before_fit", "check_finite"]

_SPARSE = {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"}
_CATEGORICAL = {"categorical_crossentropy", "CategoricalCrossentropy"}
_BINARY = {"binary_crossentropy", "BinaryCrossentropy", "binary_focal_crossentropy",
           "BinaryFocalCrossentropy"}


def _loss_name(loss) -> str:
    if isinstance(loss, str):
        return loss
    fn = getattr(loss, "fn", None)
    if fn is not None:
        return getattr(fn, "__name__", type(loss).__name__)
    return getattr(loss, "__name__", type(loss).__name__)


def _last_dense(model):
    """(units, activation name) of the layer that makes the output, if it is recognisable."""
    layers = getattr(model, "layers", [])
    units = activation = None
    for layer in reversed(layers):
        act = getattr(layer, "activation", None)
        if activation is None and act is not None:
            activation = getattr(act, "__name__", None)
        if hasattr(layer, "units"):
            units = layer.units
            break
        if type(layer).__name__ not in ("Activation", "Dropout", "GaussianNoise",
                                        "GaussianDropout", "AlphaDropout"):
            break
    return units, activation


def check_finite(arr, name, columns=None) -> None:
    """Raise if ``arr`` holds NaN or infinite values, naming the column and row count."""
    if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr, dtype=np.float64)):  # one pass, no array of flags
            return
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    rows = int(bad.reshape(len(arr), -1).any(axis=1).sum()) if arr.ndim else 1
    if arr.ndim == 2:
        cols = np.flatnonzero(bad.any(axis=0))
        names = ", ".join(
            f"{c}" + (f" ('{columns[c]}')" if columns is not None and c < len(columns) else "")
            for c in cols[:5]
        )
        where = f" in column{'s' if len(cols) > 1 else ''} {names}"
    else:
        where = ""
    kind = "NaN" if np.isnan(arr).any() else "infinite values"
    raise ValueError(
        f"{name} contains {kind}{where} ({rows} row{'s' if rows != 1 else ''}). Training or "
        "evaluating on them makes the loss NaN. Fill or drop those rows first (e.g. `df.dropna()` or "
        "`df.fillna(df.mean())`)."
    )


def check_before_fit(model, loss, x, y, columns=None, warn=True) -> None:
    """Check data, labels, output layer and loss together; raise or warn in plain words.

    ``evaluate`` runs the same checks with ``warn=False`` (the warnings are about training).
    """
    check_finite(x, "x", columns)
    if y is None or isinstance(y, (list, dict)) or loss is None:
        return
    check_finite(y, "y")
    name = _loss_name(loss)
    from_logits = bool(getattr(loss, "from_logits", False) or
                       getattr(loss, "_fn_kwargs", {}).get("from_logits", False))
    units, activation = _last_dense(model)
    try:
        out_shape = model.compute_output_shape(model._input_batch_shape())
        out_units = out_shape[-1] if isinstance(out_shape, tuple) else None
    except Exception:  # noqa: BLE001 - shape checks are advisory
        out_units = units
        out_shape = None
    units = out_units or units
    y_arr = np.asarray(y)

    if warn and activation == "softmax" and units == 1:
        warnings.warn(
            "The last layer applies softmax to a single unit, so it always outputs 1.0 and "
            "cannot learn. For a yes/no target use Dense(1, activation='sigmoid') with "
            "loss='binary_crossentropy'; for K classes use Dense(K, activation='softmax').",
            stacklevel=3,
        )
    if warn and activation == "sigmoid" and name in _CATEGORICAL and units and units > 1:
        warnings.warn(
            f"The last layer uses sigmoid on {units} units with categorical cross-entropy: "
            "sigmoid outputs do not sum to 1 across classes. Use activation='softmax' for "
            "one class per sample, or loss='binary_crossentropy' for several labels per sample.",
            stacklevel=3,
        )

    if name in _SPARSE and units:
        labels = y_arr
        if labels.ndim == 2 and labels.shape[1] == units and units > 1:
            row_sums = labels.sum(axis=1)
            if np.all((labels == 0) | (labels == 1)) and np.allclose(row_sums, 1):
                raise ValueError(
                    f"y looks one-hot encoded (shape {labels.shape}) but the loss is "
                    "sparse_categorical_crossentropy, which expects one integer class label per "
                    "sample. Use loss='categorical_crossentropy', or pass "
                    "`y.argmax(axis=1)` as the labels."
                )
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim == 1 and labels.size:
            if labels.dtype.kind == "f" and not np.all(np.mod(labels, 1) == 0):
                raise ValueError(
                    "sparse_categorical_crossentropy expects integer class labels 0..K-1, but y "
                    f"has non-integer values (e.g. {float(labels[np.mod(labels, 1) != 0][0]):g}). For a "
                    "numeric target use a regression loss such as 'mse' or 'mae'."
                )
            lo, hi = labels.min(), labels.max()
            if lo == 1 and hi == units:
                raise ValueError(
                    f"The class labels run from 1 to {units}, but the last layer's {units} units "
                    f"stand for classes 0 to {units - 1}. Subtract 1 from the labels "
                    "(`y - 1`)."
                )
            if lo < 0 or hi >= units:
                raise ValueError(
                    f"The class labels run from {lo:g} to {hi:g}, but the last layer has {units} "
                    f"units, i.e. classes 0 to {units - 1}. Give the last layer "
                    f"Dense({int(hi) + 1}) units if there are {int(hi) + 1} classes, or "
                    "renumber the labels from 0."
                )
    if name in _CATEGORICAL and units and units > 1:
        if y_arr.ndim == 1 or (y_arr.ndim == 2 and y_arr.shape[1] == 1):
            raise ValueError(
                f"y has one integer label per sample (shape {y_arr.shape}) but the loss is "
                "categorical_crossentropy, which expects one-hot rows of length "
                f"{units}. Use loss='sparse_categorical_crossentropy', or one-hot encode y "
                f"with `lamina.utils.to_categorical(y, {units})`."
            )
        if y_arr.ndim == 2 and y_arr.shape[1] != units:
            raise ValueError(
                f"y has {y_arr.shape[1]} columns but the last layer has {units} units; with "
                "categorical_crossentropy both must equal the number of classes."
            )
    if name in _BINARY and not from_logits and y_arr.size and units == 1:
        lo, hi = float(np.min(y_arr)), float(np.max(y_arr))
        if lo < 0 or hi > 1:
            raise ValueError(
                f"binary_crossentropy expects labels between 0 and 1, but y runs from {lo:g} to "
                f"{hi:g}. For several classes use Dense(K, activation='softmax') with "
                "'sparse_categorical_crossentropy'; for a numeric target use 'mse' or 'mae'."
            )
    if isinstance(out_shape, tuple):  # the specific explanations above come first
        check_target_shape(model, name, y_arr, out_shape)
