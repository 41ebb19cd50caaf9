"""The registry of layer gradient checks: every differentiable layer has a case here.

A case builds a float64 layer and an input; ``check_layer`` compares the tape's gradients of
``sum(layer(x) * c)`` (``c`` fixed random weights, so that outputs whose plain sum is constant
are still tested) with respect to the input and to every trainable weight against central
differences. Cases live in ``cases_*.py`` next to this file, one file per layer family, each
defining ``CASES = [LayerCase(...), ...]``; ``test_layer_gradients.py`` collects them all and
fails when a public layer has no case (or is not listed as having no gradient to check).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import lamina
from lamina import ops


@dataclass
class LayerCase:
    """One gradient check: ``make()`` returns a float64 layer, ``x`` is its input."""

    name: str
    make: object
    x: object
    training: bool = False
    covers: tuple = ()
    atol: float = 1e-6
    rtol: float = 1e-5
    kwargs: dict = field(default_factory=dict)
    input_gradient: bool = True  # False for integer inputs (ids): only the weights are checked

    @property
    def classes(self):
        return self.covers or (self.name.split("/")[0],)


def _sum(layer, x, c, training, kwargs):
    out = layer(x, training=training, **kwargs)
    return ops.sum(ops.multiply(out, c))


def _as_inputs(x):
    return [np.asarray(a, np.float64) for a in x] if isinstance(x, (list, tuple)) else \
        np.asarray(x, np.float64)


def check_layer(case: LayerCase, eps: float = 1e-6) -> None:
    """Assert the tape's gradients of ``case``'s layer match central differences (float64)."""
    layer = case.make()
    x = _as_inputs(case.x)
    several = isinstance(x, list)
    probe = layer(x, training=case.training, **case.kwargs)
    c = np.random.default_rng(7).standard_normal(np.shape(probe))
    variables = list(layer.trainable_variables)
    assert all(v.dtype == np.float64 for v in variables), "build the case's layer in float64"

    xs = [ops.convert_to_tensor(a) for a in (x if several else [x])]
    with lamina.GradientTape() as tape:
        for t in xs:
            tape.watch(t)
        s = _sum(layer, xs if several else xs[0], c, case.training, case.kwargs)
    grads = tape.gradient(s, xs + variables, unconnected_gradients="zero")

    def value():
        return float(np.asarray(_sum(layer, [t for t in arrays] if several else arrays[0], c,
                                     case.training, case.kwargs)))

    arrays = [np.array(a) for a in (x if several else [x])]
    targets = [(f"input {i}", a) for i, a in enumerate(arrays)]
    targets += [(f"weight '{v.name}'", v) for v in variables]
    pairs = list(zip(targets, grads))
    if not case.input_gradient:
        pairs = pairs[len(arrays):]
    for (what, target), got in pairs:
        holder = target.value if isinstance(target, lamina.Variable) else target
        expected = np.zeros_like(holder)
        it = np.nditer(holder, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = holder[i]
            holder[i] = old + eps
            plus = value()
            holder[i] = old - eps
            minus = value()
            holder[i] = old
            expected[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(np.asarray(got), expected, atol=case.atol, rtol=case.rtol,
                                   err_msg=f"{case.name}: gradient of {what} is wrong")
