"""``Dense`` and ``Activation``: the layers of every tutorial network."""

from __future__ import annotations

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer

__all__ = ["Activation", "Dense"]


class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: number of outputs (a positive integer).
        activation: name or function; ``None`` means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer: default ``"glorot_uniform"``.
        bias_initializer: default ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: applied after each update.
        input_shape / input_dim: on a first layer, the shape of one sample.

    Inputs of shape ``(batch, ..., d)`` give outputs ``(batch, ..., units)``.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.Dense(2, kernel_initializer="ones")
        >>> layer(lamina.ops.ones((1, 3))).numpy()
        array([[3., 3.]], dtype=float32)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        if quantization_config is not None:
            raise ValueError("Dense: quantization (quantization_config) is not supported by lamina.")
        if isinstance(units, bool) or not isinstance(units, int) and not (
            hasattr(units, "__index__") and not isinstance(units, float)
        ) or int(units) <= 0:
            raise ValueError(
                f"The 'units' argument of Dense must be a positive integer (the number of "
                f"outputs). Got units={units!r} instead."
            )
        if lora_rank:
            raise ValueError("Dense: LoRA (lora_rank) is not supported by lamina.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self._linear = self.activation is activations.get("linear")

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}' needs to know the size of the last input dimension; "
                f"got input shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs, training=None):
        if self.bias is not None:
            x = ops.dense(inputs, self.kernel, self.bias)
        else:
            x = ops.matmul(inputs, self.kernel)
        return x if self._linear else self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            quantization_config=None,
        )
        return config_


class Activation(Layer):
    """Applies an activation function to its inputs.

    Args:
        activation: name (``"relu"``) or function.

    Example:
        >>> import lamina
        >>> lamina.layers.Activation("relu")(lamina.ops.convert_to_tensor([-1.0, 2.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["activation"] = activations.serialize(self.activation)
        return config_
