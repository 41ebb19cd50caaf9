"""Which columns of a table ``lamina train`` uses, and how: numbers, categories, or left out.

``plan_columns`` looks at every column but the target: a text column with a
different value in every row (a name, an ID) and a whole-number column that
counts the rows (1, 2, 3, ...) are left out with a note; other text columns
become categories (their sorted values are the vocabulary); missing cells are
filled with the training rows' median or most frequent category, with a note.
``encode_rows`` turns a table into the model's input rows (numbers, category
positions, NaN for a missing cell) for training and for ``lamina predict``,
refusing infinite values with the column's name and line.
"""

from __future__ import annotations

import numpy as np

from lamina.cli._common import CLIError, note

__all__ = ["encode_rows", "plan_columns", "text_rows", "check_finite"]

MAX_CATEGORIES = 100
_MOSTLY_NUMBERS = 0.9


def _line(row: int) -> int:
    return row + 2  # the header is line 1


def text_rows(table, name):
    """Column ``name`` as text (numbers written as the table wrote them, roughly), None = missing."""
    missing = set(table.missing.get(name, ()))
    if table.is_numeric(name):
        values = [_number_text(v) for v in table.numeric[name]]
    else:
        values = list(table.text[name])
    return [None if i in missing else v for i, v in enumerate(values)]


def _number_text(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def check_finite(table, names) -> None:
    """Raise ``CLIError`` naming the first of ``names`` with an infinite value, and its line."""
    for name in names:
        if not table.is_numeric(name):
            continue
        bad = np.flatnonzero(np.isinf(table.numeric[name]))
        if len(bad):
            raise CLIError(
                f"column {name!r} of {table.path} holds an infinite value "
                f"({table.numeric[name][bad[0]]:g}) on line {_line(bad[0])}"
                + (f" and {len(bad) - 1} more" if len(bad) > 1 else "")
                + "; the network needs finite numbers there. Fix those cells, or clear them "
                "to have them filled in.")


def _is_row_counter(values) -> bool:
    if len(values) < 10 or np.isnan(values).any() or not np.all(np.mod(values, 1) == 0):
        return False
    ordered = np.sort(values)
    return bool(np.array_equal(ordered, np.arange(ordered[0], ordered[0] + len(values))))


def _mostly_numbers(table, name):
    """``(row, text)`` of a value that is not a number, when most of the column is numbers."""
    values = table.text[name]
    missing = set(table.missing.get(name, ()))
    present = [(i, v) for i, v in enumerate(values) if i not in missing]
    words = []
    for i, v in present:
        try:
            float(v)
        except ValueError:
            words.append((i, v))
    if words and len(words) <= (1 - _MOSTLY_NUMBERS) * len(present):
        return words[0], len(words)
    return None


def plan_columns(table, features, train_rows, quiet=False):
    """The ``TableEncoding`` column dicts for ``features``, from the rows ``train_rows``.

    Prints a note for every column left out and every column with missing cells.
    """
    say = (lambda message: None) if quiet else note
    plan = []
    n = table.n_rows
    for name in features:
        missing = table.missing.get(name, [])
        if table.is_numeric(name):
            values = table.numeric[name]
            if len(missing) == n:
                say(f"column {name!r} is empty; it is left out.")
                continue
            if _is_row_counter(values):
                say(f"column {name!r} counts the rows ({_number_text(values.min())}, "
                    f"{_number_text(values.min() + 1)}, ...), like an ID; it is left out.")
                continue
            train = values[train_rows]
            train = train[np.isfinite(train)]
            fill = float(np.median(train if len(train) else values[np.isfinite(values)]))
            plan.append({"name": name, "kind": "number", "fill": fill})
            if missing:
                say(f"column {name!r} has {len(missing)} missing value"
                    f"{'s' if len(missing) > 1 else ''} (first on line {_line(missing[0])}); "
                    f"filled with the training rows' median, {fill:g}.")
            continue
        stray = _mostly_numbers(table, name)
        if stray:
            (row, text), count = stray
            raise CLIError(
                f"column {name!r} of {table.path} holds numbers, but {text!r} on line "
                f"{_line(row)}" + (f" (and {count - 1} more cells)" if count > 1 else "")
                + " is not a number; fix those cells, or clear them to have them filled in.")
        values = text_rows(table, name)
        present = [v for v in values if v is not None]
        distinct = len(set(present))
        if distinct == len(values) and n > 2:
            say(f"column {name!r} has a different value in every row (like a name or an ID); "
                "it is left out.")
            continue
        if distinct > MAX_CATEGORIES:
            say(f"column {name!r} has {distinct} different texts, too many to encode as "
                "categories; it is left out (encode it as numbers to use it).")
            continue
        # The vocabulary is what the training rows hold: a value seen only in validation rows
        # (or in new rows at predict time) counts as missing, as a value never trained on.
        train = [values[i] for i in train_rows if values[i] is not None] or present
        vocabulary = sorted(set(train))
        counts = {v: train.count(v) for v in vocabulary}
        mode = max(vocabulary, key=lambda v: (counts[v], -vocabulary.index(v)))
        plan.append({"name": name, "kind": "category", "vocabulary": vocabulary,
                     "fill": vocabulary.index(mode)})
        if missing:
            say(f"column {name!r} has {len(missing)} missing value"
                f"{'s' if len(missing) > 1 else ''} (first on line {_line(missing[0])}); "
                f"filled with the most frequent value, {mode!r}.")
    if not plan:
        raise CLIError("no usable feature columns are left (see the notes above); the table "
                       "needs at least one column of numbers or categories besides the target.")
    return plan


def encode_rows(table, plan, quiet=False) -> np.ndarray:
    """The model's input rows for ``table``: numbers, category positions, NaN where missing.

    A category value the vocabulary lacks counts as missing, with a note.
    """
    check_finite(table, [c["name"] for c in plan])
    columns = []
    for column in plan:
        name = column["name"]
        if column["kind"] == "number":
            if not table.is_numeric(name):
                raise CLIError(
                    f"column {name!r} of {table.path} must hold numbers (the model was trained "
                    f"on numbers there) but has values like {table.example_text(name)!r}.")
            columns.append(table.numeric[name].astype("float32"))
            continue
        index = {v: float(i) for i, v in enumerate(column["vocabulary"])}
        values = text_rows(table, name)
        unknown = [(i, v) for i, v in enumerate(values) if v is not None and v not in index]
        if unknown and not quiet:
            i, v = unknown[0]
            note(f"column {name!r} has {len(unknown)} value{'s' if len(unknown) > 1 else ''} "
                 f"the model did not see in training (first {v!r} on line {_line(i)}); "
                 "treated as missing.")
        columns.append(np.array([index.get(v, np.nan) if v is not None else np.nan
                                 for v in values], dtype="float32"))
    return np.stack(columns, axis=1)
