"""``lamina predict MODEL.keras DATA.csv`` and ``lamina summary MODEL.keras``.

``predict`` reads the rows, picks the columns the model was trained on (named
in ``MODEL.meta.json`` when ``lamina train`` made the model; otherwise every
numeric column, in order) and writes the rows back with a ``prediction``
column, plus one probability column per class for classifiers. ``summary``
prints the model's layers and what ``lamina train`` recorded about it.
"""

from __future__ import annotations

import csv
import json
import os
import sys

import numpy as np

from lamina.cli._common import CLIError, check_out_file, describe, load_model, meta_path, note
from lamina.cli.columns import check_finite, encode_rows
from lamina.cli.table import read_table
from lamina.cli.train import scale_features, unscale_target

__all__ = ["add_parsers", "predict", "summary"]


def add_parsers(subparsers):
    """Add the ``predict`` and ``summary`` subcommands to ``subparsers``."""
    p = subparsers.add_parser("predict", help="predict the rows of a CSV file with a saved model",
                              description=describe(__doc__))
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("data", metavar="DATA.csv")
    p.add_argument("--out", metavar="FILE", help="write the CSV there (default: print it)")
    p.add_argument("--sep", help="column separator of DATA.csv (default: detected)")
    p.set_defaults(handler=lambda a: predict(a.model, a.data, a.out, a.sep))
    s = subparsers.add_parser("summary", help="print a saved model's layers and parameters")
    s.add_argument("model", metavar="MODEL.keras")
    s.set_defaults(handler=lambda a: summary(a.model))


def _read_meta(model_path):
    path = meta_path(model_path)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise CLIError(f"could not read {path}: {exc}. Delete it, or train the model again.") \
            from None


def _n_inputs(model):
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):
        return None
    return shape[-1] if isinstance(shape, tuple) and len(shape) == 2 else None


def _fmt(value):
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return ""  # a missing cell stays empty
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)


def _encoding_layer(model):
    from lamina.cli.encoding import TableEncoding

    for layer in getattr(model, "layers", ()):
        if isinstance(layer, TableEncoding):
            return layer
    return None


def _check_columns(data, table, features):
    missing = [f for f in features if f not in table.names]
    if missing:
        raise CLIError(
            f"{data} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} that the model was trained on; it needs "
            f"{', '.join(features)}."
        )


def _model_inputs(model, meta, table, data):
    """The rows to give the model: through its ``TableEncoding`` when ``lamina train`` made one."""
    encoding = _encoding_layer(model)
    if encoding is not None:
        plan = encoding.columns
        _check_columns(data, table, [c["name"] for c in plan])
        gaps = [c["name"] for c in plan if table.missing.get(c["name"])]
        if gaps:
            note(f"missing cells in {', '.join(repr(g) for g in gaps)} are filled in as in "
                 "training (the model holds the fill values).")
        return encoding.fill_missing(encode_rows(table, plan))
    if meta:
        features = meta["features"]
        _check_columns(data, table, features)
    else:
        features = [n for n in table.names if table.is_numeric(n)]
        expected = _n_inputs(model)
        if expected is not None and expected != len(features):
            raise CLIError(
                f"the model takes {expected} inputs but {data} has {len(features)} numeric "
                f"columns ({', '.join(features)}); remove the extra columns (such as the target)."
            )
    text = [f for f in features if not table.is_numeric(f)]
    if text:
        raise CLIError(f"column {text[0]!r} of {data} is not numeric (values like "
                       f"{table.example_text(text[0])!r}); the model needs numbers there.")
    for name in features:
        rows = table.missing.get(name)
        if rows:
            raise CLIError(
                f"column {name!r} of {data} has {len(rows)} missing value"
                f"{'s' if len(rows) > 1 else ''} (first on line {rows[0] + 2}), and this model "
                "was trained without gaps, so it cannot fill them; fill them in or remove "
                "those rows.")
    check_finite(table, features)
    return scale_features(table.matrix(features), (meta or {}).get("scaling"))


def predict(model_path: str, data: str, out: str | None = None, sep: str | None = None) -> int:
    """Write ``data``'s rows with the model's predictions to ``out`` (or stdout). Returns 0."""
    if out:
        check_out_file(out)
    model = load_model(model_path)
    meta = _read_meta(model_path)
    table = read_table(data, sep)
    x = _model_inputs(model, meta, table, data)
    scaling = (meta or {}).get("scaling")
    raw = np.asarray(model.predict(x, verbose=0, batch_size=256), dtype=float)
    bad = np.flatnonzero(~np.isfinite(raw.reshape(len(x), -1)).all(axis=1))
    if len(bad):
        raise CLIError(f"the model's prediction for {len(bad)} row{'s' if len(bad) > 1 else ''} "
                       f"of {data} is not a finite number (first on line {bad[0] + 2}); check "
                       "the values there (far outside those trained on?).")
    task = (meta or {}).get("task", "regression" if raw.ndim < 2 or raw.shape[1] == 1 else
                            "multiclass")
    classes = (meta or {}).get("classes")
    extra_names, extra_cols = [], []
    if task == "regression":
        pred = unscale_target(raw, scaling).reshape(len(x), -1)
        if pred.shape[1] == 1:
            extra_names, extra_cols = ["prediction"], [pred[:, 0]]
        else:
            extra_names = [f"prediction_{j}" for j in range(pred.shape[1])]
            extra_cols = [pred[:, j] for j in range(pred.shape[1])]
    else:
        if task == "binary":
            p1 = raw.reshape(-1)
            probs = np.stack([1.0 - p1, p1], axis=1)
        else:
            probs = raw.reshape(len(x), -1)
        classes = classes or list(range(probs.shape[1]))
        labels = [classes[i] for i in probs.argmax(axis=1)]
        extra_names = ["prediction"] + [f"probability_{c}" for c in classes]
        extra_cols = [labels] + [probs[:, j] for j in range(probs.shape[1])]
    header = table.names + extra_names
    try:
        stream = open(out, "w", newline="", encoding="utf-8") if out else sys.stdout
    except OSError as exc:
        raise CLIError(f"cannot write --out {out!r}: {exc.strerror or exc}.") from None
    try:
        writer = csv.writer(stream, delimiter=table.sep, lineterminator="\n")
        writer.writerow(header)
        for i in range(table.n_rows):
            row = [_fmt(table.numeric[n][i]) if table.is_numeric(n) else table.text[n][i]
                   for n in table.names]
            writer.writerow(row + [_fmt(col[i]) for col in extra_cols])
    finally:
        if out:
            stream.close()
    if out:
        print(f"Wrote {table.n_rows} predictions to {out}.", file=sys.stderr)
    return 0


def summary(model_path: str) -> int:
    """Print the saved model's summary and its training metadata. Returns 0."""
    model = load_model(model_path)
    model.summary()
    meta = _read_meta(model_path)
    if meta:
        print(f"Trained by `lamina train` on {meta.get('data')}: {meta.get('task')} of "
              f"{meta.get('target')!r}.")
        print(f"Inputs ({len(meta['features'])}): {', '.join(meta['features'])}")
        if meta.get("classes") is not None:
            print(f"Classes: {', '.join(str(c) for c in meta['classes'])}")
    return 0
