"""What a ``FeatureSpace`` is built from: ``Feature`` (a dtype, a preprocessing layer and
an output mode) and ``Cross`` (features hashed together), with Keras's config formats."""

from __future__ import annotations

from lamina.layers.layer import Layer

__all__ = ["Cross", "Feature", "TFDIdentity"]

_MODULE = "keras.src.layers.preprocessing.feature_space"


def _check_mode(what, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(
            f"The 'output_mode' argument of {what} must be one of "
            f"{', '.join(repr(m) for m in allowed)}. Got output_mode={output_mode!r} instead.")


def _saving():
    import importlib  # (lamina.saving sits above the layers)

    return importlib.import_module("lamina.saving")


def wrap_config(class_name: str, config: dict) -> dict:
    """``config`` in the ``{"module", "class_name", "config"}`` form Keras writes."""
    return {"module": _MODULE, "class_name": class_name, "config": config,
            "registered_name": class_name}


class Cross:
    """A cross of features (``FeatureSpace.cross``): their values hashed together."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        _check_mode("FeatureSpace.cross", output_mode, ("int", "one_hot"))
        if isinstance(feature_names, str) or len(feature_names) < 2:
            raise ValueError(
                "FeatureSpace.cross needs a list of at least two feature names; got "
                f"feature_names={feature_names!r}.")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = int(crossing_dim)
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict:
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"Cross({list(self.feature_names)}, crossing_dim={self.crossing_dim})"


class Feature:
    """A feature of a ``FeatureSpace``: the input dtype, its preprocessor and output mode."""

    def __init__(self, dtype, preprocessor, output_mode):
        _check_mode("FeatureSpace.feature", output_mode, ("int", "one_hot", "float"))
        if isinstance(preprocessor, dict):
            preprocessor = _saving().deserialize_keras_object(
                preprocessor, custom_objects={"TFDIdentity": TFDIdentity})
        if not callable(preprocessor):
            raise TypeError(
                "FeatureSpace.feature needs a preprocessor layer (a callable, e.g. "
                f"lamina.layers.StringLookup()); got {type(preprocessor).__name__}.")
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict:
        return {"dtype": self.dtype,
                "preprocessor": _saving().serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"Feature(dtype={self.dtype!r}, preprocessor={type(self.preprocessor).__name__}, "
                f"output_mode={self.output_mode!r})")


def as_spec(value, cls):
    """A ``Feature``/``Cross`` from itself or from its (Keras-format) config dict."""
    if isinstance(value, cls):
        return value
    if isinstance(value, dict) and "class_name" in value:
        if value["class_name"] != cls.__name__:
            raise ValueError(
                f"Expected a serialized {cls.__name__}; got class_name={value['class_name']!r}.")
        return cls.from_config(value["config"])
    return None


class TFDIdentity(Layer):
    """The preprocessor of ``FeatureSpace.float``: the values, as float32 (Keras's class name)."""

    _keras_file_name = (_MODULE, "TFDIdentity")  # (what Keras writes in .keras files)

    def call(self, inputs):
        from lamina import ops

        return ops.cast(inputs, "float32")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
