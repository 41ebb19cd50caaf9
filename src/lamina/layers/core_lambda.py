"""``Lambda``: a layer that calls your function (``keras.layers.Lambda``).

Saving stores the function by name (``def my_fn``; a ``lambda`` is refused, since lamina never
writes Python code into a file); loading such a file needs the function back through
``custom_objects`` with ``safe_mode=False``. A Lambda has no weights: use a ``Layer`` subclass
for anything that trains.
"""

from __future__ import annotations

from lamina.layers.layer import Layer

__all__ = ["Lambda"]


class Lambda(Layer):
    """Calls ``function(inputs, **arguments)``; the function is never read from a file.

    Args:
        function: a Python function (given by you in ``custom_objects``).
        output_shape, mask: accepted for compatibility with Keras's config.
        arguments: keyword arguments passed to ``function``.

    Example:
        >>> import lamina
        >>> def double(x):
        ...     return x * 2.0
        >>> lamina.layers.Lambda(double)(lamina.ops.ones((1, 2))).numpy()
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
        # The function is saved by name (a lambda is refused): lamina never writes code.
        config_ = super().get_config()
        config_.update(function=self.function, arguments=self.arguments)
        if self.output_shape_arg is not None:
            config_["output_shape"] = self.output_shape_arg
        return config_
