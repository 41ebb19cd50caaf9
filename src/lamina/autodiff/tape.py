"""Reverse-mode differentiation: ``apply`` records primitives, ``GradientTape`` replays them.

The one path every op takes is ``apply(prim, inputs, **params)``: it runs the
primitive's forward on the input arrays and, when a tape is recording and an
input is tracked, attaches a ``Node`` to the output. ``GradientTape.gradient``
orders the recorded nodes from the target back to the sources, calls each
primitive's vector-Jacobian product, undoes broadcasting in ``unbroadcast``
(the only place that does) and accumulates gradients of tensors used twice.
"""

from __future__ import annotations

from threading import get_ident as _get_ident

import numpy as np

from lamina import config
from lamina.autodiff import _state
from lamina.autodiff import tensor as _t
from lamina.autodiff.reduce import sum_trailing
from lamina.autodiff.tensor import Node, Tensor, Variable, raw_value

__all__ = ["GradientTape", "Primitive", "apply", "unbroadcast", "stop_gradient"]


class Primitive:
    """One differentiable operation: ``fwd(*arrays, **params) -> (out, saved)`` and
    ``vjp(g, saved, needs) -> tuple of input gradients`` (``None`` where not needed).

    ``view`` marks primitives whose output may share memory with an input
    (reshape, transpose, indexing): their results are copied when an input is
    a variable, so a tensor taken from a variable never changes afterwards.

    ``vjp_into(g, saved, needs, outs)``, where a primitive has it, is ``vjp``
    writing the gradients of the inputs that have an array in ``outs`` into
    those arrays (the engine's flat gradient buffer), the same numbers.
    ``fwd_saved(*arrays, **params)``, where it has it, computes only what
    ``fwd`` saves (for a traced step that needs the gradient but not the value).
    """

    __slots__ = ("name", "fwd", "vjp", "view", "vjp_into", "fwd_saved")

    def __init__(self, name, fwd, vjp, view=False, vjp_into=None, fwd_saved=None):
        self.name = name
        self.fwd = fwd
        self.vjp = vjp
        self.view = view
        self.vjp_into = vjp_into
        self.fwd_saved = fwd_saved

    def __repr__(self):
        return f"<Primitive {self.name}>"


def _tracked_by(x, tape) -> bool:
    """Whether ``tape`` differentiates through tensor ``x``."""
    node = x._node
    if node is not None and tape in node.tapes:
        return True
    if id(x) in tape._watched:
        return True
    return isinstance(x, Variable) and x.trainable and tape._watch_accessed_variables


def as_input_array(x):
    """The array an op computes with: Python scalars stay weak (NumPy keeps the
    other operand's dtype); lists of floats become ``floatx`` arrays."""
    if isinstance(x, Tensor):
        return x.value
    if isinstance(x, np.ndarray) or isinstance(x, (int, float, bool, np.generic)):
        return x
    arr = np.asarray(x)
    if arr.dtype == np.float64 and not hasattr(x, "dtype"):
        arr = arr.astype(config.floatx())
    return arr


def apply(prim: Primitive, inputs: tuple, **params) -> Tensor:
    """Run ``prim`` on ``inputs`` and record it when a tape needs it.

    While a step is traced, the engine's recorder takes the call instead (it
    runs the same forward and also writes the call into the step's plan).
    """
    rec = _state.current
    if rec is not None and _state.owner != _get_ident():
        rec = None  # (another thread traces: not this code)
    if rec is not None:
        return rec.apply(prim, inputs, params)
    arrays = [as_input_array(x) for x in inputs]
    out, saved = prim.fwd(*arrays, **params)
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)
    elif prim.view and any(isinstance(x, Variable) for x in inputs):
        out = out.copy()
    return make_output(inputs, out, prim, saved, Tensor)


def make_output(inputs, out, prim, saved, cls, *extra):
    """The tensor of class ``cls`` for ``out``, with a tape node when a recording tape needs one."""
    state = _t._STATE
    if state:
        tapes = tuple(
            tape for tape in state
            if any(isinstance(x, Tensor) and _tracked_by(x, tape) for x in inputs)
        )
        if tapes:
            for tape in tapes:
                tape._note_inputs(inputs)
            node = Node(prim, inputs, saved, state if len(tapes) == len(state) else tapes)
            return cls(out, node, *extra)
    return cls(out, None, *extra)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        summed = sum_trailing(grad, axes, True)
        grad = grad.sum(axis=axes, keepdims=True) if summed is None else summed
    if grad.shape != shape:
        grad = np.broadcast_to(grad, shape)
    return grad


def _identity_fwd(x):
    return x, None


def _no_gradient(g, saved, needs):
    return (None,)


STOP_GRADIENT = Primitive("stop_gradient", _identity_fwd, _no_gradient)


def unbroadcast_into(grad: np.ndarray, shape: tuple, out: np.ndarray) -> np.ndarray:
    """``unbroadcast`` writing its result into ``out`` (an array of ``shape``)."""
    if grad.shape == shape:
        np.copyto(out, grad)
        return out
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    kept = out.reshape(tuple(n for i, n in enumerate(shape) if extra + i not in axes))
    summed = sum_trailing(grad, axes)
    if summed is None:
        np.add.reduce(grad, axes, None, kept)
    else:
        np.copyto(kept, summed)
    return out


def stop_gradient(x) -> Tensor:
    """Return ``x`` as a tensor through which no gradient flows."""
    if _state.active() is not None:
        return apply(STOP_GRADIENT, (x,))
    return Tensor(as_input_array(x) if not isinstance(x, Tensor) else x.value)


def _flatten(structure):
    if isinstance(structure, dict):
        out = []
        for key in structure:
            out.extend(_flatten(structure[key]))
        return out
    if isinstance(structure, (list, tuple)):
        out = []
        for item in structure:
            out.extend(_flatten(item))
        return out
    return [structure]


def _pack_like(structure, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, dict):
            return {k: build(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)):
            items = [build(v) for v in s]
            return type(s)(items) if isinstance(s, tuple) and not hasattr(s, "_fields") else items
        return next(it)

    return build(structure)


class GradientTape:
    """Records operations so that gradients can be computed afterwards.

    Trainable variables read inside the ``with`` block are watched
    automatically; other tensors are watched with ``tape.watch(x)``.

    Args:
        persistent: allow more than one call to ``gradient``.
        watch_accessed_variables: watch trainable variables automatically.

    Example:
        >>> import lamina
        >>> x = lamina.Variable(3.0)
        >>> with lamina.GradientTape() as tape:
        ...     y = x * x
        >>> float(tape.gradient(y, x))
        6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._watched: dict = {}
        self._accessed: dict = {}
        self._recording = False
        self._used = False

    def __enter__(self):
        self._recording = True
        _t._set_active(_t._ACTIVE + [self])
        return self

    def __exit__(self, *exc):
        self._recording = False
        _t._set_active([t for t in _t._ACTIVE if t is not self])
        return False

    def _note_inputs(self, inputs):
        for x in inputs:
            if isinstance(x, Variable) and (x.trainable or id(x) in self._watched):
                self._accessed[id(x)] = x

    def watch(self, tensor) -> None:
        """Track ``tensor`` (or a list of them) so gradients can be taken with respect to it."""
        for x in _flatten(tensor):
            if not isinstance(x, Tensor):
                raise TypeError(
                    "GradientTape.watch() needs lamina tensors or variables; got "
                    f"{type(x).__name__}. Convert it first with "
                    "`x = lamina.ops.convert_to_tensor(x)` and use that `x` in your computation."
                )
            self._watched[id(x)] = x
            if isinstance(x, Variable):
                self._accessed[id(x)] = x

    def watched_variables(self) -> list:
        """The variables this tape has seen used in recorded operations."""
        return list(self._accessed.values())

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self._watched.clear()
        self._accessed.clear()

    def stop_recording(self):
        """Context manager that pauses recording for this tape."""
        tape = self

        class _Pause:
            def __enter__(self_inner):
                tape._recording = False
                _t._set_active(list(_t._ACTIVE))

            def __exit__(self_inner, *exc):
                tape._recording = True
                _t._set_active(list(_t._ACTIVE))
                return False

        return _Pause()

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """Gradient of ``target`` (summed if not scalar) with respect to ``sources``.

        Args:
            target: a tensor, or a list of tensors whose sum is differentiated.
            sources: a variable/tensor or a (nested) list or dict of them.
            output_gradients: initial gradients for each target (default ones).
            unconnected_gradients: ``"none"`` gives ``None`` for a source the
                target does not depend on; ``"zero"`` gives zeros.

        Returns:
            Tensors of the sources' shapes, in the structure of ``sources``.
        """
        if self._used and not self._persistent:
            raise RuntimeError(
                "This GradientTape has already computed gradients once and is not "
                "persistent. Use `GradientTape(persistent=True)` to call gradient() "
                "several times, or open a new tape for each gradient."
            )
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                "The 'unconnected_gradients' argument of GradientTape.gradient must be "
                f"'none' or 'zero'. Got {unconnected_gradients!r} instead."
            )
        self._used = True
        flat_sources = _flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(
                    "GradientTape.gradient() takes gradients with respect to lamina "
                    f"variables or watched tensors; a source is a {type(s).__name__}. "
                    "Pass model.trainable_variables, a lamina.Variable, or a tensor you "
                    "watched with tape.watch()."
                )
        targets = _flatten(target)
        if output_gradients is None:
            seeds = [None] * len(targets)
        else:
            seeds = _flatten(output_gradients)
        rec = _state.current
        if rec is not None and _state.owner != _get_ident():
            rec = None  # (another thread traces: not this code)
        grads = backward(self, targets, seeds, flat_sources, rec)
        out = []
        for s, g in zip(flat_sources, grads):
            dtype = s.dtype
            if dtype.kind not in "fc":
                g = None  # integer sources have no gradient, as in TensorFlow
            if g is None:
                if unconnected_gradients == "zero":
                    out.append(Tensor(np.zeros(s.shape, dtype)))
                else:
                    out.append(None)
                continue
            if rec is not None:
                out.append(rec.gradient_output(g, dtype))
                continue
            if g.dtype != dtype and dtype.kind == "f":
                g = g.astype(dtype)
            out.append(Tensor(g if g.flags.writeable else g.copy()))
        if isinstance(sources, (list, tuple, dict)):
            packed = _pack_like(sources, out)
            if hasattr(sources, "_fields"):  # a namedtuple keeps its type
                return type(sources)(*packed)
            return packed
        return out[0]


def backward(tape, targets, seeds, sources, rec=None) -> list:
    """Gradients (arrays or ``None``) of the sum of ``targets`` for each source.

    ``rec``: the engine's recorder while a step is traced; the VJP calls, the
    broadcasting undone and the sums of gradients are then also written into
    the plan (see ``lamina.engine.trace``).
    """
    source_ids = {id(s) for s in sources}
    depends: dict = {}
    order: list = []
    visited: set = set()
    stack = [(t, False) for t in targets if isinstance(t, Tensor)]
    while stack:
        t, done = stack.pop()
        k = id(t)
        node = t._node
        live = node is not None and tape in node.tapes
        if done:
            # A leaf counts only if this tape tracked it (watched, or a trainable variable).
            d = k in source_ids and (live or _tracked_by(t, tape))
            if live:
                for inp in node.inputs:
                    if isinstance(inp, Tensor) and depends.get(id(inp)):
                        d = True
                if d:
                    order.append(t)
            depends[k] = d
            continue
        if k in visited:
            continue
        visited.add(k)
        stack.append((t, True))
        if live:
            for inp in node.inputs:
                if isinstance(inp, Tensor) and id(inp) not in visited:
                    stack.append((inp, False))

    grads: dict = {}
    for t, seed in zip(targets, seeds):
        if not isinstance(t, Tensor) or not depends.get(id(t)):
            continue
        value = raw_value(t)
        if seed is None:
            g = np.ones_like(value)
        elif rec is not None:
            g = rec.seed(seed, value.dtype)
        else:
            g = _t.to_array(seed).astype(value.dtype)
        k = id(t)
        if k not in grads:
            grads[k] = g
        else:
            grads[k] = grads[k] + g if rec is None else rec.call(np.add, grads[k], g)

    for t in reversed(order):
        g = grads.get(id(t))
        if g is None:
            continue
        node = t._node
        inputs = node.inputs
        needs = tuple(isinstance(x, Tensor) and depends.get(id(x), False) for x in inputs)
        if rec is not None:
            in_grads = rec.vjp(t, g, needs)
        else:
            in_grads = node.prim.vjp(g, node.saved, needs)
        for x, gx, need in zip(inputs, in_grads, needs):
            if not need or gx is None:
                continue
            shape = raw_value(x).shape
            if rec is not None:
                if gx.shape != shape:
                    gx = rec.call(unbroadcast, gx, shape)
            else:
                if not isinstance(gx, np.ndarray):
                    gx = np.asarray(gx)
                gx = unbroadcast(gx, shape)
            k = id(x)
            prev = grads.get(k)
            if prev is None:
                grads[k] = gx
            else:
                grads[k] = prev + gx if rec is None else rec.call(np.add, prev, gx)
    return [grads.get(id(s)) for s in sources]
