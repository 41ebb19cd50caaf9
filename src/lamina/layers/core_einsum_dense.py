"""``EinsumDense``: a dense layer whose product is any einsum of the inputs and one kernel.

The equation names the input's axes, the kernel's and the output's, as in
``"abc,cd->abd"`` (a ``Dense`` on 3-D inputs) or ``"abc,cde->abde"`` (each step
projected to ``d`` heads of ``e`` values, as ``MultiHeadAttention`` does). The kernel's
shape follows from the input's shape and ``output_shape``; ``bias_axes`` picks the output
axes a bias runs along. Weights, configs and numbers are Keras 3's.
"""

from __future__ import annotations

import re

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer

__all__ = ["EinsumDense", "analyze_equation"]

_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"),
)


def _fmt(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        (",)" if len(shape) == 1 else ")")


def analyze_equation(equation, bias_axes, input_shape, output_shape, owner="EinsumDense"):
    """The weights an ``EinsumDense`` needs for inputs of ``input_shape``.

    Returns ``(kernel_shape, bias_shape or None, full output shape, input_axes,
    output_axes)``: the last two are the kernel's axes that meet the input and the
    output (what a ``VarianceScaling`` initializer counts as fans). ``output_shape``
    is the output without its batch axis (and without the axes ``...`` stands for).

    Example:
        >>> analyze_equation("abc,cd->abd", "d", (None, 5, 4), (None, 6))[:3]
        ([4, 6], [6], [None, None, 6])
    """
    input_shape = list(input_shape)
    match, elided_side = None, None
    for pattern, side in _FORMS:
        match = pattern.fullmatch(equation.replace(" ", ""))
        if match:
            elided_side = side
            break
    if match is None:
        raise ValueError(
            f"{owner}: the equation {equation!r} is not of a supported form. Use "
            "'<input>,<kernel>->' '<output>' with letters, such as 'abc,cd->abd', or with "
            "'...' at the start ('...b,bc->...c') or the end ('ab...,bc->ac...') of both the "
            "input and the output.")
    in_spec, kernel_spec, out_spec = match.groups()
    elided = len(input_shape) - len(in_spec)
    if elided < 0 or (elided_side is None and elided):
        raise ValueError(
            f"{owner}: the equation {equation!r} names {len(in_spec)} input axes but the "
            f"input has shape {_fmt(input_shape)} ({len(input_shape)} axes).")
    partial = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    full = [input_shape[0]] + partial
    if elided_side == "left":
        full[1:1] = input_shape[1:elided]
        in_pos = {c: i + elided for i, c in enumerate(in_spec)}
        out_pos = {c: i + elided for i, c in enumerate(out_spec)}
    else:
        if elided_side == "right":
            full += input_shape[len(input_shape) - elided:]
        in_pos = {c: i for i, c in enumerate(in_spec)}
        out_pos = {c: i for i, c in enumerate(out_spec)}
    if len(full) != len(out_spec) + (elided if elided_side else 0):
        raise ValueError(
            f"{owner}: output_shape={tuple(partial)} gives {len(full)} output axes (with the "
            f"batch axis) but the equation {equation!r} names {len(out_spec)}. Give one size "
            "per output axis after the batch axis (None where it equals the input's).")
    for c in in_spec:
        if c in out_pos and full[out_pos[c]] is not None and \
                input_shape[in_pos[c]] is not None and full[out_pos[c]] != input_shape[in_pos[c]]:
            raise ValueError(
                f"{owner}: axis {c!r} of {equation!r} is in the input and the output, but the "
                f"input has {input_shape[in_pos[c]]} there (shape {_fmt(input_shape)}) and "
                f"output_shape says {full[out_pos[c]]}.")
    for c in out_spec:
        if c not in in_spec and c not in kernel_spec:
            raise ValueError(
                f"{owner}: output axis {c!r} of {equation!r} is in neither the input "
                f"{in_spec!r} nor the kernel {kernel_spec!r}.")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, c in enumerate(kernel_spec):
        if c in out_pos:
            kernel_shape.append(full[out_pos[c]])
            output_axes.append(i)
        elif c in in_pos:
            kernel_shape.append(input_shape[in_pos[c]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"{owner}: kernel axis {c!r} of {equation!r} is in neither the input nor the "
                "output, so its size is unknown.")
        if kernel_shape[-1] is None:
            raise ValueError(
                f"{owner}: the size of kernel axis {c!r} of {equation!r} is unknown (input "
                f"shape {_fmt(input_shape)}, output_shape={tuple(partial)}); give it in "
                "output_shape.")
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(
                    f"{owner}: bias_axes={bias_axes!r} names {c!r}, which is not an output "
                    f"axis of {equation!r} (those are {out_spec!r}).")
        offset = elided if elided_side == "left" else 0
        first = min(out_spec.index(c) for c in bias_axes) if bias_axes else len(out_spec)
        bias_shape = [full[i + offset] if c in bias_axes else 1
                      for i, c in enumerate(out_spec) if i >= first]
        if elided_side != "left":
            bias_shape += [1] * elided
    return kernel_shape, bias_shape, full, input_axes, output_axes


class EinsumDense(Layer):
    """A dense layer computed as ``einsum(equation, inputs, kernel) + bias``.

    Args:
        equation: the einsum of the input and the kernel, e.g. ``"abc,cd->abd"``
            (``...`` allowed at the start or the end of the input and the output).
        output_shape: the output's shape without the batch axis (and without the axes
            ``...`` stands for); ``None`` where an axis equals the input's. An int is a
            1-D shape.
        activation: applied to the result (``None``: linear).
        bias_axes: the output axes a bias runs along (letters of the output), or
            ``None`` for no bias.
        kernel_initializer, bias_initializer: as for ``Dense`` (a ``VarianceScaling``
            kernel initializer counts its fans over the axes the kernel shares with the
            input and with the output).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: applied after each update.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.EinsumDense("abc,cd->abd", output_shape=(None, 6),
        ...                                   bias_axes="d")
        >>> layer(lamina.ops.ones((2, 5, 4))).shape
        (2, 5, 6)
        >>> layer.kernel.shape, layer.bias.shape
        ((4, 6), (6,))
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank or quantization_config is not None or gptq_unpacked_column_size:
            raise ValueError("EinsumDense: LoRA and quantization are not supported by lamina.")
        if not isinstance(equation, str):
            raise ValueError(f"The 'equation' argument of EinsumDense must be a string such as "
                             f"'abc,cd->abd'. Got {equation!r} instead.")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else \
            tuple(None if d is None else int(d) for d in output_shape)
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise ValueError(f"The 'bias_axes' argument of EinsumDense must be a string of "
                             f"output axes (e.g. 'd') or None. Got {bias_axes!r} instead.")
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._linear = self.activation is activations.get("linear")
        self.kernel = None
        self.bias = None

    def _analyze(self, input_shape):
        return analyze_equation(self.equation, self.bias_axes, tuple(input_shape),
                                self.partial_output_shape, f"EinsumDense '{self.name}'")

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = self._analyze(input_shape)
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and (
                init.input_axes is None or init.output_axes is None):
            # The fans of a kernel of any rank: the axes it shares with the input and output.
            init = type(init).from_config(
                {**init.get_config(), "input_axes": input_axes, "output_axes": output_axes})
        self.kernel = self.add_weight(
            name="kernel", shape=kernel_shape, initializer=init,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias", shape=bias_shape, initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True

    def call(self, inputs, training=None):
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return x if self._linear else self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(self._analyze(input_shape)[2])

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            output_shape=self.partial_output_shape,
            equation=self.equation,
            activation=activations.serialize(self.activation),
            bias_axes=self.bias_axes,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            quantization_config=None,
        )
        return config_
