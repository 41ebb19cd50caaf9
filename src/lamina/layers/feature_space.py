"""``FeatureSpace``: one layer that preprocesses a table's columns for a model.

Each named feature has a preprocessing layer (lookups, hashing, normalization,
bucketing); ``adapt(dataset)`` learns their state from a ``lamina.data.Dataset``
of dicts, crosses hash pairs of features together, and the results are one-hot
encoded and concatenated (``output_mode="concat"``) or returned by name
(``"dict"``). ``get_inputs()``/``get_encoded_features()`` give the symbolic
inputs and outputs for a functional model on top.
"""

from __future__ import annotations

import numpy as np

from lamina.layers.feature_space_specs import Cross, Feature, TFDIdentity, as_spec, wrap_config
from lamina.layers.layer import Layer

__all__ = ["FeatureSpace"]

_KINDS = ("float", "float_rescaled", "float_normalized", "float_discretized",
          "integer_categorical", "string_categorical", "integer_hashed", "string_hashed")


def _layers():
    import lamina.layers as layers

    return layers


def _auto(name, base):
    from lamina.utils.naming import uniquify

    return name or uniquify(base)


def _to_array(x) -> np.ndarray:
    from lamina.autodiff.tensor import Tensor, raw_value

    return np.asarray(raw_value(x)) if isinstance(x, Tensor) else np.asarray(x)


class FeatureSpace(Layer):
    """Preprocesses a dict of feature columns into one vector (or a dict) for a model.

    Args:
        features: ``{name: Feature}`` where a feature comes from ``FeatureSpace.float()``,
            ``.float_rescaled()``, ``.float_normalized()``, ``.float_discretized()``,
            ``.integer_categorical()``, ``.string_categorical()``, ``.integer_hashed()``,
            ``.string_hashed()`` or ``.feature(dtype, preprocessor, output_mode)``, or is
            one of those kinds' names as a string (``"float_normalized"``).
        output_mode: ``"concat"`` (default: one float vector) or ``"dict"``.
        crosses: feature-name lists (or ``FeatureSpace.cross(...)``) to hash together.
        crossing_dim: the bins of a cross given as a name list.
        hashing_dim: the bins of ``"integer_hashed"``/``"string_hashed"`` shorthands.
        num_discretization_bins: the bins of ``"float_discretized"`` shorthands.

    Example:
        >>> import numpy as np, lamina.data
        >>> from lamina.utils import FeatureSpace
        >>> data = {"age": np.array([20.0, 40.0]), "city": np.array(["a", "b"])}
        >>> fs = FeatureSpace({"age": "float_normalized", "city": "string_categorical"})
        >>> fs.adapt(lamina.data.Dataset.from_tensor_slices(data), verbose=0)
        >>> fs(data).numpy()
        array([[-1.,  0.,  0.,  1.],
               [ 1.,  0.,  1.,  0.]], dtype=float32)
    """

    _keras_file_name = ("keras.utils", None)  # (what Keras writes in .keras files)

    # -- the feature kinds ---------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = _auto(name, "float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = _auto(name, "float_rescaled")
        layer = _layers().Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = _auto(name, "float_normalized")
        layer = _layers().Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = _auto(name, "float_discretized")
        layer = _layers().Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                         name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        name = _auto(name, "integer_categorical")
        layer = _layers().IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                        num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        name = _auto(name, "string_categorical")
        layer = _layers().StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                       num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = _auto(name, "string_hashed")
        return Feature("string", _layers().Hashing(name=f"{name}_preprocessor",
                                                   num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = _auto(name, "integer_hashed")
        return Feature("int32", _layers().Hashing(name=f"{name}_preprocessor",
                                                  num_bins=num_bins), output_mode)

    # -- construction ----------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features or not isinstance(features, dict):
            raise ValueError(
                "FeatureSpace needs `features`: a non-empty dict {name: feature}, e.g. "
                f"{{'age': 'float_normalized'}}; got features={features!r}.")
        if output_mode not in ("concat", "dict"):
            raise ValueError(
                "The 'output_mode' argument of FeatureSpace must be 'concat' or 'dict'. Got "
                f"output_mode={output_mode!r} instead.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {n: self._standardize_feature(n, v) for n, v in features.items()}
        self.crosses = [self._standardize_cross(c) for c in (crosses or [])]
        self.crosses_by_name = {c.name: c for c in self.crosses}
        layers = _layers()
        self.inputs = {n: layers.Input(shape=(1,), dtype=f.dtype, name=n)
                       for n, f in self.features.items()}
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        self.crossers = {c.name: layers.HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self.encoded_features = None
        self.concat = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, name, value):
        spec = as_spec(value, Feature)
        if spec is not None:
            return spec
        if value in ("float_discretized",):
            return self.float_discretized(num_bins=self.num_discretization_bins, name=name)
        if value in ("integer_hashed", "string_hashed"):
            return getattr(self, value)(self.hashing_dim, name=name)
        if isinstance(value, str) and value in _KINDS:
            return getattr(self, value)(name=name)
        raise ValueError(
            f"FeatureSpace: feature {name!r} must be a FeatureSpace.<kind>(...) feature or one "
            f"of {', '.join(repr(k) for k in _KINDS)}; got {value!r}.")

    def _standardize_cross(self, cross):
        spec = as_spec(cross, Cross)
        if spec is None:
            if not self.crossing_dim:
                raise ValueError(
                    "FeatureSpace: `crosses` given as name lists need `crossing_dim` (the "
                    "number of hash bins of each cross).")
            spec = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [n for n in spec.feature_names if n not in self.features]
        if unknown:
            raise ValueError(
                f"FeatureSpace: the cross {list(spec.feature_names)} names features that are "
                f"not in `features`: {unknown}. Known features: {sorted(self.features)}.")
        return spec

    # -- adapting ------------------------------------------------------------------------------
    def _adaptable(self) -> list:
        names = []
        for name, layer in self.preprocessors.items():
            if getattr(layer, "input_mean", None) is not None:
                continue  # a Normalization given its mean and variance
            if getattr(layer, "_has_input_vocabulary", False):
                continue
            if isinstance(layer, _layers().Discretization) and layer.num_bins is None:
                continue  # fixed bin boundaries
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset, verbose=1):
        """Learn every adaptable preprocessor's state from ``dataset``.

        Args:
            dataset: a ``lamina.data.Dataset`` of feature dicts (batched or not), or a
                dict of arrays.
            verbose: 1 shows a progress bar over the batches.
        """
        from lamina.data import Dataset

        if isinstance(dataset, dict):
            dataset = Dataset.from_tensor_slices(dataset)
        if not isinstance(dataset, Dataset):
            raise ValueError(
                "FeatureSpace.adapt() takes a lamina.data.Dataset of feature dicts or a dict of "
                f"arrays; got {type(dataset).__name__}. Use "
                "lamina.data.Dataset.from_tensor_slices(dict_of_columns).")
        names = self._adaptable()
        if names:
            self._adapt_on(dataset, names, verbose)
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    def _adapt_on(self, dataset, names, verbose):
        first = next(iter(dataset))
        if not isinstance(first, dict):
            raise ValueError(
                "FeatureSpace.adapt() needs a dataset of dicts {feature name: values}; its "
                f"elements are {type(first).__name__}. Map it, e.g. `ds.map(lambda x, y: x)`.")
        missing = [n for n in names if n not in first]
        if missing:
            raise ValueError(
                f"FeatureSpace.adapt(): the dataset has no column {missing}; it has "
                f"{sorted(first)}.")
        if np.ndim(first[names[0]]) == 0:
            dataset = dataset.batch(32)
        steps = int(dataset.cardinality())
        progbar = None
        if verbose:
            from lamina.utils.progbar import Progbar

            progbar = Progbar(target=steps if steps >= 0 else None, unit_name="step")
        streamed = [n for n in names if hasattr(self.preprocessors[n], "update_state")]
        whole = {n: [] for n in names if n not in streamed}
        for n in streamed:
            if hasattr(self.preprocessors[n], "reset_state"):
                self.preprocessors[n].reset_state()
        i = 0
        for i, batch in enumerate(dataset, start=1):
            for n in names:
                x = self._column(n, batch[n])
                if n in whole:
                    whole[n].append(x)
                else:
                    self.preprocessors[n].update_state(x)
            if progbar is not None:
                progbar.update(i)
        for n in streamed:
            self.preprocessors[n].finalize_state()
        for n, batches in whole.items():
            self.preprocessors[n].adapt(batches)
        if progbar is not None and steps < 0:
            progbar.update(i, finalize=True)

    def _column(self, name, x) -> np.ndarray:
        """A batch of one feature as an ``(n, 1)`` array of the feature's kind of values."""
        arr = _to_array(x)
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        elif arr.ndim == 1:
            arr = arr[:, None]
        dtype = self.features[name].dtype
        if arr.dtype.kind in "iufb":
            if dtype.startswith("float"):
                arr = arr.astype(dtype)
            elif dtype.startswith("int"):
                arr = arr.astype(np.int64)
        return arr

    # -- the encoded features ------------------------------------------------------------------
    def get_inputs(self) -> dict:
        """``{name: Input}``: the symbolic inputs of a model built on ``get_encoded_features()``."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoded features (one tensor, or a dict with ``output_mode="dict"``)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            pre = self._preprocess(self.inputs)
            self.encoded_features = self._merge(pre, self._cross(pre))
        return self.encoded_features

    def _preprocess(self, features):
        return {n: self.preprocessors[n](features[n]) for n in self.features}

    def _cross(self, features):
        return {c.name: self.crossers[c.name]([features[n] for n in c.feature_names])
                for c in self.crosses}

    def _cardinality(self, name, layer):
        layers = _layers()
        if isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, layers.CategoryEncoding):
            return layer.num_tokens
        if isinstance(layer, layers.Discretization):
            return layer.num_bins or len(layer.bin_boundaries) + 1
        if isinstance(layer, (layers.HashedCrossing, layers.Hashing)):
            return layer.num_bins
        raise ValueError(
            f"FeatureSpace: feature {name!r} has output_mode='one_hot' but its preprocessor "
            f"({type(layer).__name__}) has no known number of categories, so it cannot be "
            "one-hot encoded. Use output_mode='int'.")

    def _merge(self, pre, crossed):
        names = sorted(pre) + sorted(crossed)
        values = {**pre, **crossed}
        specs = {**self.features, **self.crosses_by_name}
        if not self._sublayers_built:
            self._make_encoders(names, values, specs)
        out = {}
        for n in names:
            encoder = self.one_hot_encoders.get(n)
            out[n] = encoder(values[n]) if encoder is not None else values[n]
        if self.output_mode == "dict":
            return out
        return self.concat([out[n] for n in names])

    @staticmethod
    def _output_dtype(layer, value) -> str:
        layers = _layers()
        known = (layers.IntegerLookup, layers.StringLookup, layers.Hashing, layers.Discretization,
                 layers.HashedCrossing, layers.CategoryEncoding)
        if isinstance(layer, known) and getattr(layer, "output_mode", None) == "int":
            return "int64"  # (lamina's symbolic tensors of these layers say float32)
        dtype = getattr(value, "dtype", None)
        return "string" if dtype in ("string", None) else str(np.dtype(dtype))

    def _make_encoders(self, names, values, specs):
        layers = _layers()
        self.one_hot_encoders = {}
        for n in names:
            layer = self.preprocessors.get(n) or self.crossers.get(n)
            dtype = self._output_dtype(layer, values[n])
            if specs[n].output_mode == "one_hot":
                if not dtype.startswith("int"):
                    raise ValueError(
                        f"FeatureSpace: feature {n!r} has output_mode='one_hot', so its "
                        f"preprocessor must return integers; it returns {dtype}.")
                self.one_hot_encoders[n] = layers.CategoryEncoding(
                    num_tokens=self._cardinality(n, layer), output_mode="multi_hot")
            elif self.output_mode == "concat" and (dtype.startswith("int") or
                                                   dtype == "string"):
                raise ValueError(
                    f"FeatureSpace cannot concatenate feature {n!r}: it is not encoded (dtype "
                    f"{dtype}). Use output_mode='dict', or a one-hot output for it.")
        if self.output_mode == "concat":
            self.concat = layers.Concatenate(axis=-1)

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError(
                    f"FeatureSpace '{self.name}' must be adapted first: call "
                    "`feature_space.adapt(dataset)` before using it.")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True
            self.built = True

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                f"FeatureSpace '{self.name}' is called on a dict {{feature name: values}}; got "
                f"{type(data).__name__}.")
        missing = [n for n in self.features if n not in data]
        if missing:
            raise ValueError(
                f"FeatureSpace '{self.name}': the input dict has no {missing}; it has "
                f"{sorted(data)}.")
        rebatched = any(np.ndim(_to_array(data[n])) == 0 for n in self.features)
        columns = {n: self._column(n, data[n]) for n in self.features}
        pre = self._preprocess(columns)
        merged = self._merge(pre, self._cross(pre))
        if not rebatched:
            return merged
        from lamina import ops

        if self.output_mode == "concat":
            return ops.squeeze(merged, axis=0)
        return {n: ops.squeeze(x, axis=0) if len(x.shape) == 2 and x.shape[0] == 1 else x
                for n, x in merged.items()}

    # -- configs and saving ----------------------------------------------------------------
    def get_config(self) -> dict:
        return {
            "features": {n: wrap_config("Feature", f.get_config())
                         for n, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [wrap_config("Cross", c.get_config()) for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {n: f.preprocessor.get_build_config() for n, f in self.features.items()}

    def build_from_config(self, config):
        for n, build in (config or {}).items():
            layer = self.features[n].preprocessor
            if not layer.built:
                layer.build_from_config(build)
        self._is_adapted = True
        self.built = True

    def save(self, filepath):
        """Write the FeatureSpace (config and adapted state) to a ``.keras`` file."""
        import importlib  # (lamina.saving sits above the layers)

        importlib.import_module("lamina.saving").save_model(self, filepath)
