"""A stand-in for Keras's ``Lambda`` layer, used only to load files that contain one.

Keras stores a ``Lambda``'s function as Python byte code, which lamina never
runs. The function comes from you instead: with ``safe_mode=False`` and
``custom_objects={"<layer name>": function}`` the layer calls your function.
Without them, loading stops with an explanation (see ``serialization``).
"""

from __future__ import annotations

from lamina.layers.layer import Layer

__all__ = ["LambdaStandIn"]


class LambdaStandIn(Layer):
    """Calls ``function(inputs, **arguments)``; the function is never read from a file.

    Args:
        function: a Python function (given by you in ``custom_objects``).
        output_shape, mask: accepted for compatibility with Keras's config.
        arguments: keyword arguments passed to ``function``.

    Example:
        >>> import lamina.saving
        >>> from lamina.saving.lambda_layer import LambdaStandIn
        >>> def double(x):
        ...     return x * 2.0
        >>> LambdaStandIn(double)(lamina.ops.ones((1, 2))).numpy()
        array([[2., 2.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Lambda layer '{self.name}' needs a function; got {function!r}. Pass it in "
                f"custom_objects={{{self.name!r}: your_function}} with safe_mode=False."
            )
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def get_config(self) -> dict:
        from lamina.saving.serialization import serialize_keras_object

        config_ = super().get_config()
        config_.update(function=serialize_keras_object(self.function),
                       arguments=self.arguments)
        if self.output_shape_arg is not None:
            config_["output_shape"] = self.output_shape_arg
        return config_


LambdaStandIn.__name__ = "Lambda"
LambdaStandIn.__qualname__ = "Lambda"
