"""Reading a user's CSV file with the standard library, with errors that say what to change.

The separator is detected (``,``, ``;``, tab or ``|``) unless given. Numeric
columns become float64 arrays; other columns stay as text. Problems (an
empty file, rows of the wrong length, a separator that does not split the
header) raise ``CLIError`` with a one-line fix; missing cells are recorded per column.
"""

from __future__ import annotations

import csv
import os
import re

import numpy as np

from lamina.cli._common import CLIError

__all__ = ["Table", "read_table"]

SEPARATORS = (",", ";", "\t", "|")
_MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def _sep_name(sep: str) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(sep, repr(sep))


class Table:
    """A CSV file's columns: ``names`` in order, ``numeric[name]`` arrays, ``text[name]`` lists."""

    def __init__(self, path, sep, names, rows):
        self.path = path
        self.sep = sep
        self.names = names
        self.n_rows = len(rows)
        self.numeric: dict[str, np.ndarray] = {}
        self.text: dict[str, list] = {}
        self.missing: dict[str, list[int]] = {}
        for j, name in enumerate(names):
            values = [row[j].strip() for row in rows]
            self._add_column(name, values)

    def _add_column(self, name, values):
        missing = [i for i, v in enumerate(values) if v.lower() in _MISSING]
        present = [v for v in values if v.lower() not in _MISSING]
        numbers = _parse_floats(present)
        if numbers is None and present and all(_DECIMAL_COMMA.match(v) for v in present):
            numbers = _parse_floats([v.replace(",", ".") for v in present])
            values = [v.replace(",", ".") for v in values]
        if numbers is None or not present:
            if present:
                self.text[name] = values
                if missing:
                    self.missing[name] = missing
            else:  # an empty column: numeric, all missing
                self.numeric[name] = np.full(len(values), np.nan)
                self.missing[name] = missing
            return
        column = np.full(len(values), np.nan)
        keep = [i for i, v in enumerate(values) if v.lower() not in _MISSING]
        column[keep] = numbers
        self.numeric[name] = column
        if missing:
            self.missing[name] = missing

    def is_numeric(self, name: str) -> bool:
        """Whether every present value of column ``name`` is a number."""
        return name in self.numeric

    def example_text(self, name: str) -> str:
        """A value of a text column that is not a number, for error messages."""
        for value in self.text.get(name, []):
            if value.lower() not in _MISSING and _parse_floats([value]) is None:
                return value
        return ""

    def matrix(self, names) -> np.ndarray:
        """The numeric columns ``names`` side by side, as float32 rows."""
        return np.stack([self.numeric[n] for n in names], axis=1).astype("float32")


def _parse_floats(values):
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def _split_counts(line: str):
    return {sep: len(next(csv.reader([line], delimiter=sep))) for sep in SEPARATORS}


def detect_separator(lines) -> str:
    """The separator that splits the header into the most columns, consistently on the next lines."""
    header = lines[0]
    counts = _split_counts(header)
    best, best_n = ",", 1
    for sep in SEPARATORS:
        n = counts[sep]
        if n <= best_n:
            continue
        if all(_split_counts(line)[sep] == n for line in lines[1:6] if line.strip()):
            best, best_n = sep, n
    return best


def read_table(path: str, sep: str | None = None) -> Table:
    """Read ``path``; ``sep=None`` detects the separator. Raises ``CLIError`` for unusable files."""
    if not os.path.exists(path):
        raise CLIError(f"there is no file {path!r}. Check the path and the file name.")
    if os.path.isdir(path):
        raise CLIError(f"{path!r} is a folder; give the CSV file inside it.")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise CLIError(
            f"{path} is not UTF-8 text. Save it as 'CSV UTF-8' (or convert it, e.g. with "
            "`iconv -f latin1 -t utf-8`)."
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CLIError(f"{path} is empty. It needs a header line with the column names, then "
                       "one line per sample.")
    if sep is None:
        sep = detect_separator(lines)
    elif sep == "\\t":
        sep = "\t"
    rows = list(csv.reader(lines, delimiter=sep))
    header = [h.strip() for h in rows[0]]
    if len(header) == 1:
        counts = _split_counts(lines[0])
        other = max((s for s in SEPARATORS if s != sep), key=lambda s: counts[s])
        if counts[other] > 1:
            raise CLIError(
                f"the header of {path} is not split by {_sep_name(sep)} but looks separated by "
                f"{_sep_name(other)}; pass --sep '{other}' (or leave --sep out to detect it)."
            )
        raise CLIError(
            f"{path} has a single column ({header[0]!r}); lamina needs feature columns and a "
            "target column separated by ',' or ';'."
        )
    if any(not h for h in header):
        position = header.index("") + 1
        raise CLIError(f"column {position} of {path} has no name in the header line; give every "
                       "column a name (or delete the empty column).")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise CLIError(f"{path} has several columns called {duplicates[0]!r}; rename them so that "
                       "each column name is unique.")
    body = rows[1:]
    if not body:
        raise CLIError(f"{path} has a header but no data rows.")
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise CLIError(
                f"line {i + 2} of {path} has {len(row)} fields but the header has "
                f"{len(header)} (separator {_sep_name(sep)}); fix that line, or check that "
                "text values with the separator in them are in quotes."
            )
    return Table(path, sep, header, body)
