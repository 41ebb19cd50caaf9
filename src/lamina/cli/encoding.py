"""``TableEncoding``: the first layer of a ``lamina train`` model whose table has text or gaps.

The model's input is one number per table column: the value of a numeric
column, or for a category column the position of its text in the layer's
vocabulary; NaN marks a missing cell (and a category the vocabulary lacks).
The layer fills missing cells with the value it was given (the training rows'
median, or their most frequent category) and replaces each category column by
one 0/1 column per vocabulary entry. Everything it knows is in its config
(column names, kinds, fill values, vocabularies), so a ``.keras`` file keeps
the preprocessing with the weights and ``lamina predict`` applies it to new
rows. The class is registered as ``lamina_cli>TableEncoding``: to load such a
file in Python, ``import lamina.cli.encoding`` first.
"""

from __future__ import annotations

import math

import numpy as np

from lamina import ops
from lamina.layers import Layer
from lamina.saving import register_keras_serializable

__all__ = ["TableEncoding"]

_KINDS = ("number", "category")


def _check_columns(columns):
    if not isinstance(columns, (list, tuple)) or not columns:
        raise ValueError("TableEncoding 'columns' must be a non-empty list of column dicts; got "
                         f"{type(columns).__name__}.")
    checked = []
    for i, column in enumerate(columns):
        if not isinstance(column, dict) or column.get("kind") not in _KINDS:
            raise ValueError(f"TableEncoding column {i} must be a dict with 'kind' 'number' or "
                             f"'category'; got {column!r:.80}.")
        name, fill = column.get("name"), column.get("fill")
        if not isinstance(name, str):
            raise ValueError(f"TableEncoding column {i} needs a 'name' string; got {name!r:.80}.")
        if isinstance(fill, bool) or not isinstance(fill, (int, float)) or not math.isfinite(fill):
            raise ValueError(f"TableEncoding column {name!r} needs a finite number as 'fill'; "
                             f"got {fill!r:.80}.")
        entry = {"name": name, "kind": column["kind"], "fill": float(fill)}
        if column["kind"] == "category":
            vocabulary = column.get("vocabulary")
            if (not isinstance(vocabulary, list) or not vocabulary
                    or not all(isinstance(v, str) for v in vocabulary)):
                raise ValueError(f"TableEncoding category column {name!r} needs a 'vocabulary' "
                                 "list of strings.")
            if not 0 <= fill < len(vocabulary):
                raise ValueError(f"TableEncoding category column {name!r}: 'fill' must index "
                                 f"its vocabulary of {len(vocabulary)}; got {fill}.")
            entry["vocabulary"] = list(vocabulary)
        checked.append(entry)
    return checked


@register_keras_serializable(package="lamina_cli")
class TableEncoding(Layer):
    """Fills a table's missing cells and one-hot encodes its category columns.

    Args:
        columns: one dict per input column, in order: ``{"name", "kind": "number",
            "fill"}`` or ``{"name", "kind": "category", "vocabulary": [...],
            "fill": index}``.

    Input shape ``(batch, len(columns))``; output shape ``(batch, n_numbers +
    sum of the vocabulary sizes)``: the numeric columns first, then each
    category column's 0/1 block.

    Example:
        >>> import numpy as np
        >>> layer = TableEncoding([{"name": "size", "kind": "number", "fill": 2.0},
        ...     {"name": "color", "kind": "category", "vocabulary": ["blue", "red"], "fill": 1}])
        >>> np.asarray(layer(np.array([[1.0, 0.0], [np.nan, np.nan]], "float32"))).tolist()
        [[1.0, 1.0, 0.0], [2.0, 0.0, 1.0]]
    """

    def __init__(self, columns, **kwargs):
        super().__init__(**kwargs)
        self.columns = _check_columns(columns)
        self._fill = np.array([c["fill"] for c in self.columns], dtype="float32")
        self._numbers = np.array([i for i, c in enumerate(self.columns) if c["kind"] == "number"],
                                 dtype="int64")
        self._categories = [(i, np.arange(len(c["vocabulary"]), dtype="float32"))
                            for i, c in enumerate(self.columns) if c["kind"] == "category"]

    @property
    def output_width(self) -> int:
        """The number of values the layer gives per row."""
        return len(self._numbers) + sum(len(codes) for _, codes in self._categories)

    def fill_missing(self, x: np.ndarray) -> np.ndarray:
        """``x`` (rows of this layer's input) with NaN cells replaced by the fill values, as
        ``call`` does; ``fit`` refuses NaN inputs, so training rows are filled first."""
        x = np.asarray(x, dtype="float32")
        return np.where(np.isnan(x), self._fill, x)

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != len(self.columns):
            raise ValueError(f"TableEncoding '{self.name}' expects {len(self.columns)} columns "
                             f"({', '.join(c['name'] for c in self.columns)}) but got input "
                             f"shape {tuple(input_shape)}.")
        super().build(input_shape)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        x = ops.where(ops.isnan(x), self._fill, x)
        parts = []
        if len(self._numbers):
            parts.append(ops.take(x, self._numbers, axis=1))
        for index, codes in self._categories:
            column = ops.take(x, np.array([index]), axis=1)
            parts.append(ops.cast(ops.equal(column, codes), "float32"))
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_width)

    def get_config(self):
        return {**super().get_config(), "columns": [dict(c) for c in self.columns]}
