"""``Input`` and ``InputLayer``: declare the shape of a model's inputs."""

from __future__ import annotations

from lamina.layers.input_spec import KerasTensor, add_node
from lamina.layers.layer import Layer, standardize_dtype

__all__ = ["Input", "InputLayer"]


def _checked_shape(batch_shape, shape) -> tuple:
    """The batch shape as a tuple of ints and Nones; anything else is named in the error."""
    from lamina.layers.arguments import integer

    given = shape if shape is not None else batch_shape
    arg = "shape" if shape is not None else "batch_shape"
    if isinstance(given, (str, bytes, dict)) or not hasattr(batch_shape, "__iter__"):
        raise ValueError(f"Input: `{arg}` must be a tuple of integers (None for a size that "
                         f"varies), e.g. shape=(11,); got {given!r}.")
    out = []
    for d in batch_shape:
        try:
            out.append(None if d is None else integer("Input", arg, d, minimum=0))
        except ValueError:
            raise ValueError(
                f"Input: `{arg}` must be a tuple of non-negative integers (None for a size that "
                f"varies), e.g. shape=(11,); got {given!r}.") from None
    return tuple(out)


class InputLayer(Layer):
    """The entry point of a model: holds the input shape and dtype, computes nothing.

    Args:
        shape: shape of one sample, without the batch dimension (e.g. ``(11,)``).
        batch_size: optional fixed batch size.
        dtype: dtype of the inputs (default floatx).
        batch_shape: full shape including the batch dimension (instead of ``shape``).
        name: the layer's name.

    Example:
        >>> import lamina
        >>> lamina.layers.InputLayer(shape=(3,)).batch_shape
        (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        kwargs.pop("ragged", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("InputLayer: sparse inputs are not supported by lamina.")
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: pass `shape` or `batch_shape`, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "InputLayer needs the shape of one sample, e.g. `Input(shape=(11,))` "
                    "for 11 features."
                )
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = _checked_shape(batch_shape, shape)
        self.sparse = False
        self.optional = optional
        self.built = True
        tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name, history=(self, None))
        add_node(self, tensor, tensor)

    def call(self, inputs):
        return inputs

    def get_build_config(self):
        return None  # an input layer has nothing to build

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self) -> dict:
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config_):
        config_ = dict(config_)
        config_.pop("ragged", None)
        if isinstance(config_.get("dtype"), dict):
            config_["dtype"] = standardize_dtype(config_["dtype"])
        return cls(**config_)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input of a model: ``Input(shape=(11,))`` for 11 features per sample.

    Returns:
        A ``KerasTensor`` to put first in a ``Sequential`` or to pass to layers.

    Example:
        >>> import lamina
        >>> lamina.Input(shape=(3,)).shape
        (None, 3)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, optional=optional)
    return layer.output
