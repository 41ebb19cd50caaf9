"""Layer normalization as one primitive: the engine's fusion of Keras's chain, and the op.

``engine/fuse_norm.py`` replaces the ~20 forward and ~30 backward steps of Keras's chain of
ops, traced from a layer that writes it out (``ChainNorm`` below, as a user's own layer would),
by the ``layer_normalization`` primitive. These tests pin that the primitive then gives the
chain's numbers bit for bit (forward and every gradient, float32 and float64, with and without
scale and offset, over one or several axes), that it is the textbook layer normalization, that
the engine uses it where it should and not where the chain's values serve anything else, and
that traced training still equals eager training. ``LayerNormalization`` itself calls
``ops.layer_normalization``, the same primitive with its closed-form VJP, in eager and traced
steps alike: checked at the end.
"""

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.autodiff.tape import apply
from lamina.engine import fuse_norm
from lamina.ops import _primitives as P


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def _on_tape(norm, x, gamma, beta, g):
    """``norm(x, gamma, beta)`` on the tape: its output and the gradients of x and of the
    present gamma and beta for the output gradient ``g``."""
    tx = ops.convert_to_tensor(x)
    tg = None if gamma is None else lamina.Variable(gamma)
    tb = None if beta is None else lamina.Variable(beta)
    with lamina.GradientTape() as tape:
        tape.watch(tx)
        out = norm(tx, tg, tb)
    sources = [tx] + [v for v in (tg, tb) if v is not None]
    grads = tape.gradient(out, sources, output_gradients=ops.convert_to_tensor(g))
    return np.asarray(out), [np.asarray(v) for v in grads]


def _keras_chain(x, gamma, beta, axis, epsilon):
    """Keras's chain of ops for layer normalization (what the engine fuses)."""
    mean, variance = ops.moments(x, axes=axis, keepdims=True)
    inv = ops.rsqrt(ops.add(variance, epsilon))
    if gamma is not None:
        inv = ops.multiply(inv, gamma)
    shift = ops.negative(ops.multiply(mean, inv))
    if beta is not None:
        shift = ops.add(shift, beta)
    return ops.add(ops.multiply(x, inv), shift)


def _chain(x, gamma, beta, axis, epsilon, g):
    """The chain on the tape: outputs and gradients."""
    return _on_tape(lambda x, gamma, beta: _keras_chain(x, gamma, beta, axis, epsilon),
                    x, gamma, beta, g)


def _fused(x, gamma, beta, axis, epsilon, g):
    eps = np.asarray(epsilon, dtype=x.dtype)
    ins = (x, eps) + tuple(v for v in (gamma, beta) if v is not None)
    out, saved = P.LAYER_NORM.fwd(*ins, axis=axis, scale=gamma is not None,
                                  center=beta is not None)
    grads = P.LAYER_NORM.vjp(g, saved, (True, False) + (True,) * (len(ins) - 2))
    return out, [grads[0]] + [v for v in grads[2:]]


SHAPES = [  # x's shape, the axes, the shape of gamma and beta (as the layer broadcasts them)
    ((4, 5, 16), (2,), (16,)),
    ((6, 16), (1,), (16,)),
    ((3, 4, 5), (1, 2), (1, 4, 5)),
    ((3, 4, 5), (1,), (1, 4, 1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale,center", [(True, True), (False, True), (True, False),
                                          (False, False)])
@pytest.mark.parametrize("shape,axis,pshape", SHAPES)
def test_fused_primitive_repeats_the_chain_bit_for_bit(dtype, scale, center, shape, axis,
                                                        pshape):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gamma = rng.standard_normal(pshape).astype(dtype) if scale else None
    beta = rng.standard_normal(pshape).astype(dtype) if center else None
    g = rng.standard_normal(shape).astype(dtype)
    want_out, want = _chain(x, gamma, beta, axis, 1e-3, g)
    out, got = _fused(x, gamma, beta, axis, 1e-3, g)
    _same_bits(out, want_out)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _same_bits(a, b)


def test_fused_primitive_carries_infinities_and_nans_as_the_chain():
    x = np.array([[1.0, 2.0, np.inf, 4.0], [1.0, 1.0, 1.0, 1.0], [0.0, np.nan, 1.0, 2.0]],
                 dtype="float32")
    g = np.ones_like(x)
    gamma, beta = np.ones(4, "float32"), np.zeros(4, "float32")
    with np.errstate(all="ignore"):
        want_out, want = _chain(x, gamma, beta, (1,), 1e-6, g)
        out, got = _fused(x, gamma, beta, (1,), 1e-6, g)
    _same_bits(out, want_out)
    for a, b in zip(got, want):
        _same_bits(a, b)


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 2e-5)])
def test_fused_primitive_is_the_textbook_layer_normalization(dtype, tol):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((5, 7, 12)) * 2 - 1).astype(dtype)
    gamma, beta = rng.standard_normal(12).astype(dtype), rng.standard_normal(12).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    out, (dx, dgamma, dbeta) = _fused(x, gamma, beta, (2,), 1e-3, g)
    x64, g64, gm = x.astype("float64"), g.astype("float64"), gamma.astype("float64")
    mu = x64.mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(((x64 - mu) ** 2).mean(-1, keepdims=True) + 1e-3)
    xhat = (x64 - mu) * rstd
    np.testing.assert_allclose(out, xhat * gm + beta, rtol=tol, atol=tol)
    gh = g64 * gm
    want_dx = rstd * (gh - gh.mean(-1, keepdims=True) - xhat * (gh * xhat).mean(-1, keepdims=True))
    np.testing.assert_allclose(dx, want_dx, rtol=tol, atol=tol)
    np.testing.assert_allclose(dgamma, (g64 * xhat).sum((0, 1)), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(dbeta, g64.sum((0, 1)), rtol=tol, atol=tol * 10)


def test_fused_gradient_matches_float64_differences():
    from gradcheck import check_gradients

    rng = np.random.default_rng(5)
    eps = np.asarray(1e-3)

    def fn(x, gamma, beta):
        out = apply(P.LAYER_NORM, (x, eps, gamma, beta), axis=(1,), scale=True, center=True)
        return ops.multiply(out, np.linspace(-1, 2, 24).reshape(4, 6))

    check_gradients(fn, [rng.standard_normal((4, 6)), rng.standard_normal(6),
                         rng.standard_normal(6)])


# -- the engine pass ------------------------------------------------------------------------
def _fused_steps(model, kind="prim"):
    """How many fused steps of ``kind`` each compiled train plan has (the same for all)."""
    fn = model.make_train_function()
    counts = {sum(1 for st in e.compiled.plan.steps
                  if st.kind == kind and getattr(st.fn, "name", None) == "layer_normalization")
              for e in fn._entries.values() if e.compiled is not None}
    assert len(counts) == 1, counts
    return counts.pop()


class ChainNorm(layers.LayerNormalization):
    """Keras's layer normalization written out on ops, as a user's own layer would: the chain
    the engine fuses."""

    def call(self, inputs):
        ndim = len(inputs.shape)
        gamma, beta = self._broadcast(self.gamma, ndim), self._broadcast(self.beta, ndim)
        return _keras_chain(inputs, gamma, beta, tuple(self._axes), self.epsilon)


def _block(norm_kwargs, reuse_input=False, norm=ChainNorm):
    inputs = lamina.Input((6, 8))
    h = layers.Dense(8)(inputs)
    h = layers.Add()([inputs, h])
    n = norm(**norm_kwargs)(h)
    if reuse_input:  # the normalization's input also feeds something else
        n = layers.Add()([n, layers.Dense(8)(h)])
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(n))
    return lamina.Model(inputs, out)


def _first(norm_kwargs, reuse_input=False, norm=ChainNorm):
    inputs = lamina.Input((6, 8))
    h = norm(**norm_kwargs)(inputs)  # the model's input: no dx needed
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling1D()(h))
    return lamina.Model(inputs, out)


X = np.random.default_rng(0).standard_normal((40, 6, 8)).astype("float32") * 2 + 1
Y = (X[:, 0, :3].argmax(-1)).astype("int32")


def _train(make, kwargs, run_eagerly, reuse_input=False, norm=ChainNorm):
    lamina.utils.set_random_seed(11)
    model = make(kwargs, reuse_input, norm)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    history = model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    return model, history.history


VARIANTS = [
    ({}, 1),
    ({"center": False}, 1),
    ({"scale": False}, 1),
    ({"center": False, "scale": False}, 1),
    ({"epsilon": 0.1, "axis": -1}, 1),
    ({"axis": (1, 2)}, 1),
    ({"axis": 1}, 1),
]


@pytest.mark.parametrize("make", [_block, _first])
@pytest.mark.parametrize("kwargs,fused", VARIANTS)
def test_traced_training_fuses_and_equals_eager_training(make, kwargs, fused):
    traced, h1 = _train(make, kwargs, False)
    eager, h2 = _train(make, kwargs, True)
    assert _fused_steps(traced) == fused
    # (on the model's input with neither scale nor offset, nothing needs a gradient)
    backward = 0 if make is _first and not kwargs.get("center", True) and \
        not kwargs.get("scale", True) else fused
    assert _fused_steps(traced, "vjp") == backward
    assert h1 == h2
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        _same_bits(a, b)


def test_an_input_that_feeds_more_than_the_normalization_is_left_unfused():
    traced, h1 = _train(_block, {}, False, reuse_input=True)
    eager, h2 = _train(_block, {}, True, reuse_input=True)
    assert _fused_steps(traced) == 0
    assert h1 == h2
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        _same_bits(a, b)


def test_prediction_plans_fuse_the_forward_and_equal_the_eager_call():
    lamina.utils.set_random_seed(2)
    model = _block({})
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    fn = model.make_predict_function()
    got = model.predict(X, batch_size=8, verbose=0)
    for entry in [e for e in fn._entries.values() if e.compiled is not None]:
        names = [getattr(st.fn, "name", None) for st in entry.compiled.plan.steps]
        assert names.count("layer_normalization") == 1 and "reciprocal" not in names
    _same_bits(got, np.concatenate([np.asarray(model(X[i:i + 8])) for i in range(0, 40, 8)]))


def test_a_rewrite_that_would_change_a_number_is_not_made(monkeypatch):
    exact = P.LAYER_NORM.vjp

    def off_by_a_bit(g, saved, needs):
        grads = list(exact(g, saved, needs))
        grads[0] = np.nextafter(grads[0], np.inf) if grads[0] is not None else None
        return tuple(grads)

    monkeypatch.setattr(P.LAYER_NORM, "vjp", off_by_a_bit)
    traced, h1 = _train(_block, {}, False)
    assert _fused_steps(traced) == 0  # the pass checked its rewrite and declined it
    eager, h2 = _train(_block, {}, True)
    assert h1 == h2


def test_plans_without_meta_pass_unchanged():
    class Bare:
        meta = None

    bare = Bare()
    assert fuse_norm.fuse_layer_norm(bare) is bare


# -- the op and the layer -------------------------------------------------------------------
def _op(x, gamma, beta, axis, epsilon, g):
    """``ops.layer_normalization`` on the tape: outputs and gradients (the closed-form VJP)."""
    return _on_tape(lambda x, gamma, beta: ops.layer_normalization(
        x, gamma, beta, axis=axis, epsilon=epsilon), x, gamma, beta, g)


@pytest.mark.parametrize("affine", ["both", "scale", "center", "neither"])
@pytest.mark.parametrize("x_shape,axis,p_shape", SHAPES)
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-11), ("float32", 2e-5)])
def test_the_op_is_the_chain_forward_bit_for_bit_and_its_gradient_to_rounding(
        x_shape, axis, p_shape, affine, dtype, tol):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(x_shape) * 3 + 1).astype(dtype)
    gamma = rng.standard_normal(p_shape).astype(dtype) if affine in ("both", "scale") else None
    beta = rng.standard_normal(p_shape).astype(dtype) if affine in ("both", "center") else None
    g = rng.standard_normal(x_shape).astype(dtype)
    out, grads = _op(x, gamma, beta, axis, 1e-3, g)
    want_out, want_grads = _chain(x, gamma, beta, axis, 1e-3, g)
    _same_bits(out, want_out)
    for got, want in zip(grads, want_grads):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


@pytest.mark.parametrize("kwargs", [{}, {"center": False}, {"scale": False}, {"axis": (1, 2)}])
def test_the_layer_is_one_primitive_each_way_and_traced_training_equals_eager(kwargs):
    traced, h1 = _train(_block, kwargs, False, norm=layers.LayerNormalization)
    eager, h2 = _train(_block, kwargs, True, norm=layers.LayerNormalization)
    assert _fused_steps(traced) == 1 and _fused_steps(traced, "vjp") == 1
    fn = traced.make_train_function()
    for entry in [e for e in fn._entries.values() if e.compiled is not None]:
        names = {getattr(st.fn, "name", None) for st in entry.compiled.plan.steps}
        assert not names & {"rsqrt", "reciprocal", "sqrt"}, names  # (no chain left)
    assert h1 == h2
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        _same_bits(a, b)


def test_the_op_checks_its_arguments_and_keeps_keras_defaults():
    x = np.arange(5, dtype="float32")
    np.testing.assert_allclose(np.asarray(ops.layer_normalization(x)),
                               [-1.4142135, -0.70710677, 0.0, 0.7071067, 1.4142135], rtol=1e-6)
    with pytest.raises(ValueError, match="axis=3 is out of range"):
        ops.layer_normalization(np.ones((2, 3)), axis=3)
    x3 = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    want = np.asarray(ops.layer_normalization(x3, axis=-1))
    for axis in (np.int64(2), [2, -1], (np.int64(-1),)):  # NumPy ints, one axis named twice
        _same_bits(ops.layer_normalization(x3, axis=axis), want)
    with pytest.raises(ValueError, match="gamma must have the shape"):
        ops.layer_normalization(np.ones((2, 3, 4)), np.ones(5), axis=(1, 2))
    with pytest.raises(ValueError, match=r"beta must have the shape of the normalized axes \(4,\)"):
        ops.layer_normalization(np.ones((2, 3, 4)), beta=np.ones(3))
    half = ops.layer_normalization(np.arange(6, dtype="float16").reshape(2, 3))
    assert str(half.dtype) == "float16"
    with pytest.warns(UserWarning, match="rms_scaling=True is deprecated"):
        ops.layer_normalization(x, rms_scaling=True)
