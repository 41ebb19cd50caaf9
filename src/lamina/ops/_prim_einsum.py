"""The ``einsum`` primitive: NumPy's subscripts, its forward, and a VJP that is einsum again.

``parse`` turns any subscripts NumPy accepts (explicit or implicit output, ``...``
broadcasting, a label repeated within one operand for a diagonal) into a canonical form:
one letter per axis, the output spelled out. ``contract`` evaluates a canonical form: a
pair of operands that is a plain or batched matrix product (every label shared by both
sides is either a batch axis or a contracted one) becomes one ``np.dot``/``np.matmul`` on
transposed views, which is BLAS; anything else goes to ``np.einsum`` with a contraction
order computed once per signature.

The gradient of operand ``i`` is the contraction of the output gradient with the other
operands into operand ``i``'s labels. Two details complete it: a label that only operand
``i`` has (summed in the forward) comes back by broadcasting, and a label repeated in
operand ``i`` (a diagonal) writes the gradient onto that diagonal of zeros. Where an
operand's axis of length 1 was broadcast, the gradient has the broadcast length and
``autodiff.tape.unbroadcast`` sums it back.
"""

from __future__ import annotations

import string
from math import prod

import numpy as np

from lamina.ops._table import _def

__all__ = ["EINSUM"]

_LETTERS = string.ascii_letters
_PARSED: dict = {}
_PAIRS: dict = {}
_PATHS: dict = {}


def _fail(subscripts, why):
    raise ValueError(f"einsum: invalid subscripts {subscripts!r}: {why}")


def parse(subscripts: str, shapes) -> tuple:
    """``(input labels, output labels, sizes)`` of ``subscripts`` for operands of ``shapes``.

    The labels are one letter per axis (``...`` replaced by letters of its own), the
    output is explicit (NumPy's implicit order where the subscripts give none) and
    ``sizes`` maps each label to its (broadcast) length.

    Example:
        >>> parse("...ij,jk", [(5, 2, 3), (3, 4)])
        (('aij', 'jk'), 'aik', {'a': 5, 'i': 2, 'j': 3, 'k': 4})
    """
    shapes = tuple(tuple(s) for s in shapes)
    key = (subscripts, shapes)
    hit = _PARSED.get(key)
    if hit is not None:
        return hit
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the subscripts must be a string; got {subscripts!r}.")
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1:
        _fail(subscripts, "more than one '->'.")
    lhs, out = spec.split("->") if "->" in spec else (spec, None)
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} name {len(ins)} operand(s) but "
            f"{len(shapes)} were given (shapes {', '.join(map(str, shapes))}).")
    for part in ins + ([out] if out is not None else []):
        rest = part.replace("...", "", 1)
        if "." in rest or not all(c in _LETTERS for c in rest):
            _fail(subscripts, "use letters, ',' between operands, '->' and '...' at most "
                  "once per operand.")
    unused = [c for c in _LETTERS if c not in spec]
    ranks = []
    for sub, shape in zip(ins, shapes):
        named = len(sub) - (3 if "..." in sub else 0)
        if len(shape) < named or ("..." not in sub and len(shape) != named):
            raise ValueError(
                f"einsum: operand subscripts {sub!r} in {subscripts!r} name {named} axes but "
                f"the operand has shape {shape} ({len(shape)} axes).")
        ranks.append(len(shape) - named)
    ell = "".join(unused[:max(ranks, default=0)])
    canon = tuple(sub.replace("...", ell[len(ell) - r:] if r else "") for sub, r in
                  zip(ins, ranks))
    if out is None:
        counts: dict = {}
        for c in lhs.replace("...", "").replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        out_c = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    else:
        if ell and "..." not in out:
            _fail(subscripts, "the operands have '...' axes, so the output needs '...' too.")
        out_c = out.replace("...", ell)
        if len(set(out_c)) != len(out_c):
            _fail(subscripts, f"the output {out!r} repeats a label.")
        missing = [c for c in out_c if c not in "".join(canon)]
        if missing:
            _fail(subscripts, f"output label(s) {missing} appear in no operand.")
    sizes: dict = {}
    for sub, shape in zip(canon, shapes):
        for c, n in zip(sub, shape):
            known = sizes.get(c)
            if known is None or known == 1:
                sizes[c] = n
            elif n != known and n != 1:
                raise ValueError(
                    f"einsum: label {c!r} of {subscripts!r} has length {known} in one place "
                    f"and {n} in another (shapes {', '.join(map(str, shapes))}).")
    result = (canon, out_c, sizes)
    if len(_PARSED) > 512:
        _PARSED.clear()
    _PARSED[key] = result
    return result


# -- contraction ------------------------------------------------------------------------------


def _pair_plan(a_sub, b_sub, out, sa, sb):
    """How ``a, b -> out`` is one (batched) matrix product, or ``None`` when it is not."""
    if len(set(a_sub)) != len(a_sub) or len(set(b_sub)) != len(b_sub):
        return None  # a diagonal
    size = dict(zip(a_sub, sa))
    for c, n in zip(b_sub, sb):
        if c in size and size[c] != n:
            return None  # a broadcast axis of length 1
        size[c] = n
    sum_a = tuple(i for i, c in enumerate(a_sub) if c not in b_sub and c not in out)
    sum_b = tuple(i for i, c in enumerate(b_sub) if c not in a_sub and c not in out)
    a_sub = "".join(c for c in a_sub if c in b_sub or c in out)
    b_sub = "".join(c for c in b_sub if c in a_sub or c in out)
    batch = [c for c in out if c in a_sub and c in b_sub]
    fa = [c for c in out if c in a_sub and c not in b_sub]
    fb = [c for c in out if c in b_sub and c not in a_sub]
    swap = bool(fa and fb) and out == "".join(batch + fb + fa)
    if swap:
        a_sub, b_sub, fa, fb, sum_a, sum_b = b_sub, a_sub, fb, fa, sum_b, sum_a
    contract = [c for c in a_sub if c in b_sub and c not in out]
    natural = batch + fa + fb
    perm = tuple(natural.index(c) for c in out)
    if perm == tuple(range(len(perm))):
        perm = None
    return (swap, sum_a, sum_b, a_sub, b_sub, batch, fa, fb, contract,
            tuple(size[c] for c in natural), perm)


def _merges(y, start, stop) -> bool:
    """Whether axes ``start:stop`` of ``y`` merge into one axis without a copy."""
    axes = [i for i in range(start, stop) if y.shape[i] != 1]
    return all(y.strides[i] == y.strides[j] * y.shape[j] for i, j in zip(axes, axes[1:]))


def _matrix(x, sub, lead, rows, cols):
    """``x`` as ``lead + (prod(rows), prod(cols))``: a view where one exists, else a copy."""
    nl, nr = len(lead), len(rows)
    shape = x.shape
    lead_shape = tuple(shape[sub.index(c)] for c in lead)
    r = prod(shape[sub.index(c)] for c in rows)
    k = prod(shape[sub.index(c)] for c in cols)
    order = [sub.index(c) for c in lead + rows + cols]
    y = x.transpose(order) if order != list(range(len(order))) else x
    if _merges(y, nl, nl + nr) and _merges(y, nl + nr, y.ndim):
        return y.reshape(lead_shape + (r, k))
    order = [sub.index(c) for c in lead + cols + rows]
    z = x.transpose(order)
    if _merges(z, nl, nl + len(cols)) and _merges(z, nl + len(cols), z.ndim):
        return z.reshape(lead_shape + (k, r)).swapaxes(-1, -2)
    return y.reshape(lead_shape + (r, k))  # a copy


def _permuted_target(left, right, natural_shape, n_lead, n_rows, perm):
    """A result buffer in output order and the matrix view of it a product can write, or ``None``.

    Where the output's labels are not in the product's natural order (batch, rows,
    columns), the product is written through a strided view straight into a buffer laid
    out in output order: the result is then contiguous, and what reads it next (the
    following einsum, a bias gradient's sum) needs no copy. ``None`` where that view is
    not one BLAS can write (NumPy would fall back to its own loop), or not a view.
    """
    buffer = np.empty(tuple(natural_shape[p] for p in perm),
                      np.result_type(left.dtype, right.dtype))
    view = buffer.transpose(tuple(perm.index(i) for i in range(len(perm))))
    split = n_lead + n_rows
    if not (_merges(view, n_lead, split) and _merges(view, split, view.ndim)):
        return None
    target = view.reshape(left.shape[:-1] + right.shape[-1:])
    item = buffer.itemsize
    if target.base is not buffer or target.strides[-1] != item or \
            target.strides[-2] < target.shape[-1] * item:
        return None
    return buffer, target


def _pair(plan, a, b):
    swap, sum_a, sum_b, a_sub, b_sub, batch, fa, fb, contract, natural_shape, perm = plan
    if swap:
        a, b = b, a
    if sum_a:
        a = np.add.reduce(a, sum_a)
    if sum_b:
        b = np.add.reduce(b, sum_b)
    left = _matrix(a, a_sub, batch, fa, contract)
    right = _matrix(b, b_sub, batch, contract, fb)
    if perm is not None and contract:
        placed = _permuted_target(left, right, natural_shape, len(batch), len(fa), perm)
        if placed is not None:
            np.matmul(left, right, out=placed[1])
            return placed[0]
    if not contract:
        out = np.multiply(left, right)  # an outer product: (.., m, 1) * (.., 1, n)
    elif batch:
        out = np.matmul(left, right)
    else:
        out = np.dot(left, right)
    out = out.reshape(natural_shape)
    return out if perm is None else out.transpose(perm)


def contract(subs, out, arrays):
    """Evaluate canonical subscripts (``parse``'s labels) on ``arrays``."""
    if len(arrays) == 2:
        key = (subs, out, arrays[0].shape, arrays[1].shape)
        plan = _PAIRS.get(key, False)
        if plan is False:
            plan = _pair_plan(subs[0], subs[1], out, arrays[0].shape, arrays[1].shape)
            if len(_PAIRS) > 512:
                _PAIRS.clear()
            _PAIRS[key] = plan
        if plan is not None:
            return _pair(plan, arrays[0], arrays[1])
    spec = ",".join(subs) + "->" + out
    if len(arrays) <= 2:
        return np.einsum(spec, *arrays)
    key = (spec,) + tuple(a.shape for a in arrays)
    path = _PATHS.get(key)
    if path is None:
        path = np.einsum_path(spec, *arrays, optimize="greedy")[0]
        if len(_PATHS) > 256:
            _PATHS.clear()
        _PATHS[key] = path
    return np.einsum(spec, *arrays, optimize=path)


# -- the primitive ----------------------------------------------------------------------------


def _einsum_fwd(*operands, subscripts):
    arrays = [np.asarray(x) for x in operands]
    subs, out, sizes = parse(subscripts, [a.shape for a in arrays])
    result = contract(subs, out, arrays)
    if any(np.may_share_memory(result, a) for a in arrays):
        # (``np.einsum`` answers a transpose or a diagonal of one operand with a view)
        result = result.copy()
    return result, (arrays, subs, out, sizes)


def _diagonal_view(x, sub, labels):
    """The writable view of ``x`` (labels ``sub``, some repeated) along unique ``labels``."""
    shape = tuple(x.shape[sub.index(c)] for c in labels)
    strides = tuple(sum(x.strides[i] for i, d in enumerate(sub) if d == c) for c in labels)
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=True)


def _operand_gradient(g, i, arrays, subs, out, sizes):
    target = subs[i]
    others = [s for j, s in enumerate(subs) if j != i]
    rest = [g] + [a for j, a in enumerate(arrays) if j != i]
    seen = set(out).union(*others)
    labels = "".join(dict.fromkeys(target))  # unique, in order
    kept = "".join(c for c in labels if c in seen)
    grad = contract((out, *others), kept, rest)
    if kept != labels:  # labels only this operand had: the gradient is constant along them
        shape = tuple(sizes[c] if c in kept else 1 for c in labels)
        order = [kept.index(c) for c in labels if c in kept]
        grad = np.broadcast_to(grad.transpose(order).reshape(shape),
                               tuple(sizes[c] for c in labels))
    if labels == target:
        return grad
    full = np.zeros(tuple(sizes[c] for c in target), dtype=grad.dtype)
    _diagonal_view(full, target, labels)[...] = grad
    return full


def _einsum_vjp(g, s, n):
    arrays, subs, out, sizes = s
    g = np.asarray(g)
    return tuple(_operand_gradient(g, i, arrays, subs, out, sizes) if need else None
                 for i, need in enumerate(n))


# The forward never returns memory of its operands (see ``_einsum_fwd``), so an einsum of a
# variable needs no defensive copy of its result.
EINSUM = _def("einsum", _einsum_fwd, _einsum_vjp)
