"""``keras.ops.linalg``: ``inv``, ``det``, ``solve`` and ``cholesky`` (with gradients), and
``qr`` and ``svd`` (values only: no gradient flows through their factors).

Each works on the matrices in the last two axes of its input, with batch axes in front.
Integer inputs are computed in ``floatx()``.
"""

from __future__ import annotations

from lamina.autodiff.tape import apply
from lamina.autodiff.tensor import Tensor
from lamina.ops import _prim_linalg as P
from lamina.ops._array import swapaxes
from lamina.ops._core import expand_dims, shape, squeeze
from lamina.ops._numpy_more import _as_float

__all__ = ["cholesky", "det", "inv", "qr", "slogdet", "solve", "svd"]


def _square(name, x, arg="x"):
    x = _as_float(x)
    s = shape(x)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(
            f"{name}: `{arg}` must hold square matrices in its last two axes, shape "
            f"(..., M, M). Got shape {s}."
        )
    return x


def inv(x) -> Tensor:
    """The inverse of each square matrix in ``x``.

    Example:
        >>> from lamina import ops
        >>> ops.inv([[2.0, 0.0], [0.0, 4.0]]).numpy()
        array([[0.5 , 0.  ],
               [0.  , 0.25]], dtype=float32)
    """
    return apply(P.INV, (_square("inv", x),))


def det(x) -> Tensor:
    """The determinant of each square matrix in ``x``: shape ``(...,)``.

    Example:
        >>> from lamina import ops
        >>> float(ops.det([[1.0, 2.0], [3.0, 4.0]]))
        -2.0
    """
    return apply(P.DET, (_square("det", x),))


def solve(a, b) -> Tensor:
    """``x`` with ``a @ x = b``: ``b`` is ``(..., M)`` (one right-hand side) or
    ``(..., M, N)``; the result has the shape of ``b``.

    Example:
        >>> from lamina import ops
        >>> ops.solve([[2.0, 0.0], [0.0, 4.0]], [1.0, 1.0]).numpy()
        array([0.5 , 0.25], dtype=float32)
    """
    a = _square("solve", a, "a")
    b = _as_float(b, a)
    a = _as_float(a, b)
    sa, sb = shape(a), shape(b)
    vector = len(sb) == 1 or len(sb) == len(sa) - 1
    if len(sb) < 1 or (sb[-1] if vector else (sb[-2] if len(sb) > 1 else -1)) != sa[-1]:
        raise ValueError(
            f"solve: `b` must be (..., M) or (..., M, N) for `a` of shape {sa} (M = {sa[-1]}). "
            f"Got b of shape {sb}."
        )
    if vector:
        return squeeze(apply(P.SOLVE, (a, expand_dims(b, -1))), -1)
    return apply(P.SOLVE, (a, b))


def cholesky(x, upper=False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix in ``x``: the lower
    triangle ``L`` with ``L @ L.T = x`` (its transpose, upper, with ``upper=True``).

    Example:
        >>> from lamina import ops
        >>> ops.cholesky([[4.0, 2.0], [2.0, 2.0]]).numpy()
        array([[2., 0.],
               [1., 1.]], dtype=float32)
    """
    low = apply(P.CHOLESKY, (_square("cholesky", x),))
    return swapaxes(low, -1, -2) if upper else low


def qr(x, mode="reduced") -> tuple:
    """The QR factors ``(q, r)`` of each matrix in ``x`` (``mode`` 'reduced' or 'complete').
    No gradient: lamina passes none through the factors."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` must be 'reduced' or 'complete'. Got mode={mode!r}.")
    x = _as_float(x)
    if len(shape(x)) < 2:
        raise ValueError(f"qr: `x` must be at least 2-D, (..., M, N). Got shape {shape(x)}.")
    return apply(P.QR_Q, (x,), mode=mode), apply(P.QR_R, (x,), mode=mode)


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition ``(u, s, vh)`` of each matrix in ``x`` (only ``s``
    with ``compute_uv=False``). No gradient: lamina passes none through the factors."""
    x = _as_float(x)
    if len(shape(x)) < 2:
        raise ValueError(f"svd: `x` must be at least 2-D, (..., M, N). Got shape {shape(x)}.")
    s = apply(P.SVD_S, (x,))
    if not compute_uv:
        return s
    full = bool(full_matrices)
    return apply(P.SVD_U, (x,), full=full), s, apply(P.SVD_VH, (x,), full=full)


def slogdet(x) -> tuple:
    """``(sign, log|det|)`` of each square matrix in ``x``: the determinant without its
    overflow. The gradient flows through ``log|det|`` (``inv(x).T``); the sign has none.

    Example:
        >>> from lamina import ops
        >>> sign, logdet = ops.slogdet([[0.0, 2.0], [3.0, 0.0]])
        >>> float(sign), round(float(logdet), 4)
        (-1.0, 1.7918)
    """
    x = _square("slogdet", x)
    return apply(P.SIGNDET, (x,)), apply(P.LOGABSDET, (x,))
