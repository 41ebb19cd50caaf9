"""``lamina train DATA.csv --target COLUMN``: a dense network for a table, with sensible defaults.

The task comes from the target's values: text or 2 distinct values give a
classifier (binary or multi-class), whole numbers numbered from 0 or 1 with
at most 20 values give a multi-class classifier, anything else regression
(``--task`` overrides); rows without a target are left out. Every other
column is a feature (``--drop`` leaves some out): text columns become
categories (one 0/1 input per value), a column with a different text in every
row (a name, an ID) or that counts the rows is left out, and missing cells are
filled with the training rows' median or most frequent value, each with a
note. That preprocessing is the model's first layer (``TableEncoding``, whose
config holds the vocabularies and fill values); the features are then scaled
by a ``Normalization`` layer adapted to the training rows, and for regression
the target is too (a final inverted ``Normalization``), so the saved model
takes the table's rows as they are and predicts in the target's units. The rows are shuffled, a validation share is held out, and
early stopping keeps the weights of the best validation epoch.

Outputs in ``--out``: ``model.keras``, ``model.meta.json`` (columns, task,
classes), ``learning_curve.png`` and ``metrics.json``.
"""

from __future__ import annotations

import os

import numpy as np

from lamina.cli._common import (
    CLIError,
    check_out_folder,
    describe,
    meta_path,
    note,
    plots_available,
    prepare_out_folder,
    save_model,
    use_file_backend,
    write_json,
)
from lamina.cli.columns import check_finite, encode_rows, plan_columns
from lamina.cli.table import read_table

__all__ = ["add_parser", "infer_task", "train"]

_MAX_CLASSES = 20


def add_parser(subparsers):
    """Add the ``train`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "train", help="train a dense network on a CSV file",
        description=describe(__doc__),
    )
    p.add_argument("data", metavar="DATA.csv", help="the table; first line = column names")
    p.add_argument("--target", required=True, metavar="COLUMN", help="the column to predict")
    p.add_argument("--out", metavar="DIR", help="output folder (default: <DATA>-model)")
    p.add_argument("--sep", help="column separator (default: detected from ',', ';', tab, '|')")
    p.add_argument("--drop", action="append", default=[], metavar="COLUMN",
                   help="leave a column out of the features (repeat, or separate with commas)")
    p.add_argument("--task", choices=("auto", "regression", "binary", "multiclass"),
                   default="auto", help="what to predict (default: from the target's values)")
    p.add_argument("--layers", default="64,64",
                   help="hidden layer sizes, e.g. 128,64 (default: 64,64; 0 for none)")
    p.add_argument("--activation", default="relu", help="hidden activation (default: relu)")
    p.add_argument("--loss", help="loss (default: mse, binary_crossentropy or "
                                  "sparse_categorical_crossentropy, by task)")
    p.add_argument("--optimizer", default="adam", help="optimizer (default: adam)")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="default: 0.001")
    p.add_argument("--epochs", type=int, default=200,
                   help="most epochs to train (default: 200; early stopping ends sooner)")
    p.add_argument("--batch-size", type=int, default=32, help="default: 32")
    p.add_argument("--validation-split", type=float, default=0.2,
                   help="share of the shuffled rows held out for validation (default: 0.2)")
    p.add_argument("--patience", type=int, default=20,
                   help="epochs without improvement before stopping (default: 20; 0: never)")
    p.add_argument("--no-scaling", action="store_true",
                   help="feed the raw feature values to the network (no Normalization layer)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                   help="0 silent, 1 progress bar, 2 one line per epoch")
    p.set_defaults(handler=lambda a: train(**{k: v for k, v in vars(a).items()
                                              if k not in ("handler", "command", "version")}))
    return p


# ---------------------------------------------------------------------------------------------
# Deciding the task


def _plain(value):
    """A JSON-friendly label: whole floats become ints."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def infer_task(values, is_text: bool):
    """``(task, classes, reason)`` for target ``values``; ``classes`` is None for regression."""
    if is_text:
        classes = sorted({str(v) for v in values})
        kind = "binary" if len(classes) == 2 else "multiclass"
        return kind, classes, f"text values, {len(classes)} classes"
    finite = values[np.isfinite(values)]
    unique = np.unique(finite)
    whole = bool(np.all(np.mod(unique, 1) == 0))
    if len(unique) == 2:
        return "binary", [_plain(u) for u in unique], "2 distinct values"
    if whole and 3 <= len(unique) <= _MAX_CLASSES and unique[0] in (0, 1) and np.array_equal(
            unique, np.arange(unique[0], unique[0] + len(unique))):
        return ("multiclass", [_plain(u) for u in unique],
                f"whole numbers {_plain(unique[0])}..{_plain(unique[-1])}")
    if whole and len(unique) <= _MAX_CLASSES:
        reason = (f"{len(unique)} distinct whole numbers {_plain(unique[0])}..{_plain(unique[-1])};"
                  " use --task multiclass to treat them as classes")
    else:
        reason = f"{len(unique)} distinct numbers"
    return "regression", None, reason


def _encode(values, classes, column):
    index = {c: i for i, c in enumerate(classes)}
    try:
        return np.array([index[_plain(v)] for v in values], dtype="int64")
    except KeyError as exc:
        raise CLIError(f"target {column!r} has the value {exc.args[0]!r}, which is not one of "
                       f"the classes {classes}.") from None


# ---------------------------------------------------------------------------------------------
# Preparing the data


def _parse_layers(text: str):
    text = (text or "").strip().lower()
    if text in ("", "0", "none"):
        return []
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise CLIError(f"--layers takes layer sizes separated by commas, e.g. 64,32; got "
                       f"{text!r}.") from None
    if any(s < 1 for s in sizes):
        raise CLIError(f"--layers sizes must be positive; got {text!r}.")
    return sizes


def _columns(table, target, drop):
    from lamina.utils.naming import closest

    if target not in table.names:
        hint = closest(target, table.names)
        raise CLIError(
            f"{table.path} has no column {target!r}"
            + (f" (did you mean {hint!r}?)" if hint else "")
            + f"; its columns are: {', '.join(table.names)}. Pass one of them to --target."
        )
    dropped = [c.strip() for item in drop for c in item.split(",") if c.strip()]
    for name in dropped:
        if name not in table.names:
            hint = closest(name, table.names)
            raise CLIError(f"--drop {name!r}: {table.path} has no such column"
                           + (f" (did you mean {hint!r}?)" if hint else "") + ".")
    features = [n for n in table.names if n != target and n not in dropped]
    if not features:
        raise CLIError(f"no feature columns are left once {target!r} is the target; keep at least "
                       "one column as input.")
    return features


def _rows_with_target(table, target):
    """The rows whose target cell is filled (the others are left out, with a note)."""
    missing = table.missing.get(target, [])
    if missing:
        if len(missing) == table.n_rows:
            raise CLIError(f"the target column {target!r} of {table.path} is empty; pass the "
                           "column to predict to --target.")
        note(f"{len(missing)} row{'s' if len(missing) > 1 else ''} with no {target!r} "
             f"(first on line {missing[0] + 2}) {'are' if len(missing) > 1 else 'is'} left out.")
    check_finite(table, [target])
    return np.setdiff1d(np.arange(table.n_rows), missing)


def _split(n, fraction, seed):
    if not 0.0 <= fraction < 1.0:
        raise CLIError(f"--validation-split must be at least 0 and below 1; got {fraction}.")
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction))
    if fraction and (n_val < 1 or n - n_val < 1):
        raise CLIError(f"--validation-split {fraction} leaves no rows for training or for "
                       f"validation with {n} rows; use a different share or more data.")
    return order[: n - n_val], order[n - n_val:]


# ---------------------------------------------------------------------------------------------
# The model


def _describe(column):
    if column["kind"] == "category":
        return f"{column['name']} ({len(column['vocabulary'])} categories)"
    return column["name"]


def _build_model(encoding, n_features, task, n_classes, sizes, activation, x_train, y_train,
                 scaling):
    """The network, and the scaling kept outside it when Normalization is not available.

    ``encoding`` (a ``TableEncoding`` or None) comes first: it fills gaps and one-hot encodes
    the category columns, so the saved model takes the table's rows as they are.
    """
    import lamina
    from lamina import layers

    stack = [lamina.Input(shape=(n_features,))]
    outside = None
    if encoding is not None:
        stack.append(encoding)
        scaling = scaling and hasattr(layers, "Normalization")  # scaled inside, or not at all
    if scaling and hasattr(layers, "Normalization"):
        norm = layers.Normalization(name="feature_scaling")
        if encoding is not None:  # a copy encodes the rows; the model's own layer stays unbuilt
            x_train = np.asarray(type(encoding).from_config(encoding.get_config())(x_train))
        norm.adapt(x_train)
        stack.append(norm)
    elif scaling:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        outside = {"features": {"mean": mean.tolist(), "std": std.tolist()}}
    for size in sizes:
        stack.append(layers.Dense(size, activation=activation))
    if task == "regression":
        stack.append(layers.Dense(1))
        if scaling and outside is None:
            unscale = layers.Normalization(invert=True, name="target_unscaling")
            unscale.adapt(y_train.reshape(-1, 1).astype("float32"))
            stack.append(unscale)
        elif scaling:
            std = float(y_train.std()) or 1.0
            outside["target"] = {"mean": float(y_train.mean()), "std": std}
    elif task == "binary":
        stack.append(layers.Dense(1, activation="sigmoid"))
    else:
        stack.append(layers.Dense(n_classes, activation="softmax"))
    return lamina.Sequential(stack), outside


def scale_features(x, scaling):
    """Apply scaling recorded in the metadata (used only when the model does not scale itself)."""
    if not scaling or "features" not in scaling:
        return x
    f = scaling["features"]
    return ((x - np.asarray(f["mean"])) / np.asarray(f["std"])).astype("float32")


def unscale_target(y, scaling):
    """Undo target scaling recorded in the metadata (when the model does not do it itself)."""
    if not scaling or "target" not in scaling:
        return y
    return y * scaling["target"]["std"] + scaling["target"]["mean"]


def _scores(task, y_true, y_pred_raw, baseline):
    """Metrics in the target's own units (regression) or as accuracy (classification)."""
    if task == "regression":
        pred = y_pred_raw.reshape(-1)
        err = pred - y_true
        ss_tot = float(np.sum((y_true - y_true.mean()) ** 2)) or 1.0
        return {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err ** 2))),
                "r2": float(1.0 - np.sum(err ** 2) / ss_tot),
                "baseline_mae": float(np.mean(np.abs(y_true - baseline)))}
    if task == "binary":
        labels = (y_pred_raw.reshape(-1) > 0.5).astype("int64")
    else:
        labels = y_pred_raw.argmax(axis=-1)
    return {"accuracy": float(np.mean(labels == y_true)),
            "baseline_accuracy": float(np.mean(y_true == baseline))}


def _format_scores(scores):
    keys = [k for k in scores if not k.startswith("baseline")]
    text = ", ".join(f"{k} {scores[k]:.4g}" for k in keys)
    if "baseline_mae" in scores:
        text += f" (predicting the training mean: mae {scores['baseline_mae']:.4g})"
    if "baseline_accuracy" in scores:
        text += f" (always the most common class: accuracy {scores['baseline_accuracy']:.4g})"
    return text


# ---------------------------------------------------------------------------------------------


def train(data, target, out=None, sep=None, drop=(), task="auto", layers="64,64",
          activation="relu", loss=None, optimizer="adam", learning_rate=1e-3, epochs=200,
          batch_size=32, validation_split=0.2, patience=20, no_scaling=False, seed=0,
          verbose=None) -> int:
    """Train on ``data`` to predict ``target``; write the outputs into ``out``. Returns 0 or 1."""
    import lamina
    from lamina import callbacks, optimizers

    if epochs < 1 or batch_size < 1 or patience < 0:
        raise CLIError("--epochs and --batch-size must be at least 1, --patience at least 0.")
    if learning_rate <= 0:
        raise CLIError(f"--learning-rate must be positive; got {learning_rate}.")
    sizes = _parse_layers(layers)
    try:  # names are checked before the data is read
        from lamina import activations, losses

        activations.get(activation)
        optimizers.get(optimizer)
        if loss:
            losses.get(loss)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    table = read_table(data, sep)
    candidates = _columns(table, target, list(drop))
    rows = _rows_with_target(table, target)

    text_target = not table.is_numeric(target)
    raw_y = (np.array(table.text[target]) if text_target else table.numeric[target])[rows]
    auto_task, classes, reason = infer_task(raw_y, text_target)
    if len(set(raw_y.tolist())) < 2:
        raise CLIError(f"target {target!r} has a single value ({_plain(raw_y[0])!r}) in every "
                       "row; there is nothing to learn. Check the --target column.")
    if task == "auto":
        task = auto_task
    elif task == "regression" and text_target:
        raise CLIError(f"--task regression needs a numeric target, but {target!r} has text values "
                       f"like {table.example_text(target)!r}. Use --task auto to classify.")
    elif task in ("binary", "multiclass"):
        reason = "chosen with --task"
        if classes is None:
            classes = [_plain(v) for v in np.unique(raw_y)]
        if task == "binary" and len(classes) != 2:
            raise CLIError(f"--task binary needs 2 classes, but {target!r} has {len(classes)} "
                           "distinct values. Use --task multiclass.")
    if task == "regression":
        y = raw_y.astype("float32")
        classes = None
    else:
        if len(classes) > 100:
            raise CLIError(f"target {target!r} has {len(classes)} distinct values, too many to "
                           "treat as classes; use --task regression if it is a quantity.")
        y = _encode(raw_y, classes, target)
    out = check_out_folder(out or os.path.splitext(os.path.basename(data))[0] + "-model")

    lamina.utils.set_random_seed(seed)
    train_idx, val_idx = _split(len(y), validation_split, seed)
    plan = plan_columns(table, candidates, rows[train_idx])
    features = [c["name"] for c in plan]
    x = encode_rows(table, plan)[rows]
    encoding = None
    if any(c["kind"] == "category" for c in plan) or np.isnan(x).any():
        from lamina.cli.encoding import TableEncoding

        encoding = TableEncoding(plan, name="table_encoding")
        x = encoding.fill_missing(x)  # fit refuses NaN; the layer fills new rows the same way
    x_train, y_train, x_val, y_val = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    what = "predicting a number" if task == "regression" else \
        f"classification into {len(classes)} classes"
    print(f"Task: {task} on {target!r} ({reason}): {what}.")
    print(f"Features ({len(features)}): {', '.join(_describe(c) for c in plan)}")
    print(f"Rows: {len(train_idx)} for training, {len(val_idx)} for validation (shuffled, "
          f"seed {seed}); separator {table.sep!r}.")

    model, outside = _build_model(encoding, len(features), task, len(classes or []), sizes,
                                  activation, x_train, y_train, not no_scaling)
    fit_x_train, fit_x_val = scale_features(x_train, outside), scale_features(x_val, outside)
    fit_y_train, fit_y_val = y_train, y_val
    if outside and "target" in outside:
        t = outside["target"]
        fit_y_train = ((y_train - t["mean"]) / t["std"]).astype("float32")
        fit_y_val = ((y_val - t["mean"]) / t["std"]).astype("float32")
    default_loss = {"regression": "mse", "binary": "binary_crossentropy",
                    "multiclass": "sparse_categorical_crossentropy"}[task]
    try:
        opt = type(optimizers.get(optimizer))(learning_rate=learning_rate)
        model.compile(optimizer=opt, loss=loss or default_loss,
                      metrics=["mae"] if task == "regression" else ["accuracy"])
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    model.summary()
    monitor = "val_loss" if len(val_idx) else "loss"
    cbs = []
    if patience:
        cbs.append(callbacks.EarlyStopping(monitor=monitor, patience=patience,
                                           restore_best_weights=True))
    try:
        history = model.fit(
            fit_x_train, fit_y_train, batch_size=batch_size, epochs=epochs, callbacks=cbs,
            validation_data=(fit_x_val, fit_y_val) if len(val_idx) else None,
            verbose="auto" if verbose is None else verbose)
    except (ValueError, TypeError) as exc:
        raise CLIError(str(exc).splitlines()[0]) from None

    losses = np.asarray(history.history[monitor], dtype=float)
    best_epoch = int(np.nanargmin(losses)) + 1 if np.isfinite(losses).any() else len(losses)
    stopped_early = len(history.epoch) < epochs
    if stopped_early:
        print(f"Stopped after {len(history.epoch)} epochs: {monitor} had not improved for "
              f"{patience} epochs.")
    if patience:
        print(f"Best epoch: {best_epoch} (lowest {monitor}); the model keeps its weights.")

    def predict(xs):
        """Model outputs for ``xs``, in the target's units for regression."""
        raw = np.asarray(model.predict(xs, verbose=0, batch_size=256), dtype=float)
        return unscale_target(raw, outside) if task == "regression" else raw

    baseline = float(y_train.mean()) if task == "regression" else int(np.bincount(y_train).argmax())
    results = {"train": _scores(task, y_train, predict(fit_x_train), baseline)}
    if len(val_idx):
        results["validation"] = _scores(task, y_val, predict(fit_x_val), baseline)
    for part, scores in results.items():
        print(f"{part.capitalize()}: {_format_scores(scores)}")

    meta = {
        "lamina_version": lamina.__version__, "data": os.path.basename(data),
        "separator": table.sep, "target": target, "features": features, "task": task,
        "classes": classes, "scaling": outside,
    }
    metrics = {
        "task": task, "target": target, "loss": loss or default_loss, "optimizer": optimizer,
        "learning_rate": learning_rate, "layers": sizes, "activation": activation,
        "n_train": int(len(train_idx)), "n_validation": int(len(val_idx)),
        "epochs_run": len(history.epoch), "best_epoch": best_epoch,
        "stopped_early": stopped_early, **results,
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
    }
    written, status = [], 0
    prepare_out_folder(out)  # (only now: a run that fails before leaves no folder behind)
    model_file = os.path.join(out, "model.keras")
    try:
        if save_model(model, model_file):
            written.append(model_file)
    except Exception as exc:  # noqa: BLE001 - the other outputs are still worth writing
        note(f"the model could not be saved to {model_file}: {exc}")
        status = 1
    write_json(meta_path(model_file), meta)
    write_json(os.path.join(out, "metrics.json"), metrics)
    written += [meta_path(model_file), os.path.join(out, "metrics.json")]
    if plots_available():
        use_file_backend()
        import matplotlib.pyplot as plt

        from lamina import visualization as plotting

        curve = os.path.join(out, "learning_curve.png")
        plotting.plot_history(history, to_file=curve, title=f"{target}: {task}")
        plt.close("all")
        written.append(curve)
    else:
        note("learning_curve.png was not drawn: it needs matplotlib (`pip install matplotlib`).")
    print("Wrote: " + ", ".join(written))
    return status
