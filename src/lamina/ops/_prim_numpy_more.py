"""Primitives of the inverse trigonometric and hyperbolic functions, ``cbrt``, ``arctan2``
and ``logaddexp`` (used by ``_numpy_more.py``): NumPy's function beside its derivative.
"""

from __future__ import annotations

import numpy as np

from lamina.ops._table import _def

__all__ = [
    "ARCCOS", "ARCCOSH", "ARCSIN", "ARCSINH", "ARCTAN", "ARCTAN2", "ARCTANH", "CBRT", "COSH",
    "LOGADDEXP", "SINH",
]  # fmt: skip


def _unary(name, fwd, grad):
    """A one-input primitive whose VJP is ``g * grad(x, out)``."""

    def f(x):
        out = fwd(x)
        return out, (x, out)

    def v(g, s, n):
        with np.errstate(divide="ignore", invalid="ignore"):  # (inf at the domain's ends)
            return (g * grad(s[0], s[1]),)

    return _def(name, f, v)


ARCSIN = _unary("arcsin", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x))
ARCCOS = _unary("arccos", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x))
ARCTAN = _unary("arctan", np.arctan, lambda x, y: 1 / (1 + x * x))
ARCSINH = _unary("arcsinh", np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1))
ARCCOSH = _unary("arccosh", np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1))
ARCTANH = _unary("arctanh", np.arctanh, lambda x, y: 1 / (1 - x * x))
SINH = _unary("sinh", np.sinh, lambda x, y: np.cosh(x))
COSH = _unary("cosh", np.cosh, lambda x, y: np.sinh(x))
CBRT = _unary("cbrt", np.cbrt, lambda x, y: 1 / (3 * y * y))


def _arctan2_fwd(a, b):
    return np.arctan2(a, b), (a, b)


def _arctan2_vjp(g, s, n):
    a, b = s
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a * a + b * b
        return (g * b / r if n[0] else None, -g * a / r if n[1] else None)


ARCTAN2 = _def("arctan2", _arctan2_fwd, _arctan2_vjp)


def _logaddexp_fwd(a, b):
    out = np.logaddexp(a, b)
    return out, (a, b, out)


def _logaddexp_vjp(g, s, n):
    a, b, out = s
    return (g * np.exp(a - out) if n[0] else None, g * np.exp(b - out) if n[1] else None)


LOGADDEXP = _def("logaddexp", _logaddexp_fwd, _logaddexp_vjp)
