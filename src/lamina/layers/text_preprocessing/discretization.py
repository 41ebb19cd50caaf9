"""``Discretization``: real values to bucket indices, boundaries given or learned as quantiles."""

from __future__ import annotations

import numpy as np

from lamina.layers.layer import Layer
from lamina.layers.text_preprocessing.encoding import (
    MissingArgumentError,
    as_host_array,
    check_mode,
    check_sparse,
    encode,
    encoded_shape,
    host_call,
)
from lamina.layers.text_preprocessing.index_lookup import adapt_batches

__all__ = ["Discretization"]


# -- Keras's approximate quantiles: a weighted summary (values, weights), kept in float32 ----
def _summary(values, epsilon):
    """Every ``step``-th sorted value, weighted ``step`` (all values when there are few)."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _compress(summary, epsilon):
    """Re-bin a summary at cumulative-weight fractions ``epsilon, 2 epsilon, ..., 1``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    share = cumulative / cumulative[-1]
    values = np.interp(fractions, share, summary[0])
    cumulative = np.interp(fractions, share, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((values, weights)).astype("float32")


def _merge(a, b, epsilon):
    both = np.concatenate((a, b), axis=1)
    return _compress(np.take(both, np.argsort(both[0]), axis=1), epsilon)


class Discretization(Layer):
    """Buckets real values: index ``i`` for ``bin_boundaries[i-1] <= x < bin_boundaries[i]``.

    Boundaries are given, or learned by ``adapt`` as approximately evenly spaced
    quantiles (``num_bins`` buckets, summary precision ``epsilon``), as Keras
    computes them. ``output_mode`` ``"one_hot"``, ``"multi_hot"`` or ``"count"``
    encodes the bucket indices.

    Args:
        bin_boundaries: increasing boundaries (``n`` of them give ``n + 1`` buckets).
        num_bins: the number of buckets ``adapt`` learns (instead of boundaries).
        epsilon: the quantile summary's error tolerance (default 0.01).
        output_mode: ``"int"`` (default, int32 indices), ``"one_hot"``, ``"multi_hot"``,
            ``"count"``.
        sparse: only ``False``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]])).numpy()
        array([[0, 2, 3, 1]], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        check_sparse("Discretization", sparse)
        self.output_mode = check_mode("Discretization", output_mode,
                                      ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"The 'num_bins' argument of Discretization must be >= 0. Got "
                f"num_bins={num_bins!r} instead.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization takes `bin_boundaries` or `num_bins` (then call adapt()), not "
                f"both. Got bin_boundaries={bin_boundaries!r} and num_bins={num_bins!r}.")
        if num_bins is None and bin_boundaries is None:
            raise MissingArgumentError(
                "Discretization needs `bin_boundaries`, or `num_bins` and then adapt(data).")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.sparse = False
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    def adapt(self, data, steps=None):
        """Learn ``num_bins`` quantile boundaries from ``data`` (arrays or batches)."""
        if self.num_bins is None:
            raise ValueError(
                "This Discretization layer was given `bin_boundaries`; adapt() needs a layer "
                "created with `num_bins` instead.")
        self.reset_state()
        for batch in adapt_batches(data, steps, "Discretization", whole=()):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        values = np.array(as_host_array(data)).astype("float32")
        self.summary = _merge(_summary(values, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def build(self, input_shape=None):
        self.built = True

    def build_from_config(self, config):
        self.build(None)  # (nothing to create: a call on zeros would not be text)

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization '{self.name}' has no boundaries yet: pass `bin_boundaries` or "
                "call adapt(data) before using it.")
        return host_call(self._bucketize, inputs)

    def _depth(self) -> int:
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def _bucketize(self, inputs):
        arr = as_host_array(inputs)
        if arr.dtype.kind not in "iufb":
            raise TypeError(
                f"Discretization '{self.name}' expects numbers; got an array of dtype {arr.dtype}.")
        ids = np.digitize(arr, np.asarray(self.bin_boundaries, dtype=np.float64)).astype(np.int32)
        dtype = "int32" if self.output_mode == "int" else self.dtype
        return encode(ids, self.output_mode, self._depth(), dtype)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def get_config(self) -> dict:
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)
