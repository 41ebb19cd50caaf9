"""Ops on symbolic tensors in functional models (``x + inputs``, ``x[:, 0]``, ``ops.mean``)
and output shapes inferred for layers without ``compute_output_shape``."""

import numpy as np
import pytest

import lamina
from lamina import layers, ops


def _encoder():
    steps = lamina.Input((5, 4))
    x = layers.Dense(4, name="proj")(steps)
    res = x + steps
    scaled = 1.0 - res / 2.0
    pooled = ops.concatenate([scaled[:, 0], ops.mean(res, axis=1) * 2.0, -res[..., -1]],
                             axis=-1)
    return lamina.Model(steps, [layers.Dense(2, name="head")(pooled),
                                ops.relu(ops.sum(res, axis=-1))])


def _numpy_encoder(model, x):
    w, b = model.get_layer("proj").get_weights()
    res = x @ w + b + x
    scaled = 1.0 - res / 2.0
    pooled = np.concatenate([scaled[:, 0], res.mean(1) * 2.0, -res[..., -1]], axis=-1)
    hw, hb = model.get_layer("head").get_weights()
    return pooled @ hw + hb, np.maximum(res.sum(-1), 0)


def test_operators_and_ops_on_symbolic_tensors_compute_what_numpy_does():
    model = _encoder()
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    got = model.predict(x, verbose=0)
    want = _numpy_encoder(model, x)
    assert [g.shape for g in got] == [(3, 2), (3, 5)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert model.output_shape == [(None, 2), (None, 5)]


def test_symbolic_results_have_the_ops_shapes_and_dtypes():
    ids = lamina.Input((7,), dtype="int32")
    seq = lamina.Input((None, 3))
    assert ops.not_equal(ids, 0).dtype == "bool"
    assert ops.cast(ids, "float32").dtype == "float32"
    assert (seq * 2).shape == (None, None, 3)
    assert seq[:, 0].shape == (None, 3)
    assert ops.shape(seq) == (None, None, 3)
    assert ops.ndim(seq) == 3
    assert (2 - seq).shape == (None, None, 3)
    assert ops.transpose(seq, (0, 2, 1)).shape == (None, 3, None)


def test_model_layers_leave_out_the_ops_and_operations_keep_them():
    model = _encoder()
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]
    assert [layer.name for layer in model.layers][1:] == ["proj", "head"]
    kinds = {getattr(op, "class_name", type(op).__name__) for op in model.operations}
    assert {"Add", "TrueDivide", "Subtract", "GetItem", "Mean", "Multiply", "Negative",
            "Concatenate", "Sum", "Relu"} <= kinds
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(Add)" in text and "(GetItem)" in text and "(None, 5, 4)" in text


def test_traced_training_through_ops_matches_eager_training():
    x = np.random.default_rng(1).standard_normal((16, 5, 4)).astype("float32")
    ys = [np.zeros((16, 2), "float32"), np.ones((16, 5), "float32")]
    weights = []
    for eager in (False, True):
        lamina.utils.set_random_seed(3)
        model = _encoder()
        model.compile("adam", ["mse", "mse"], run_eagerly=eager)
        model.fit(x, ys, epochs=2, batch_size=8, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_a_model_with_ops_saves_and_loads_with_the_same_predictions(tmp_path):
    model = _encoder()
    x = np.random.default_rng(2).standard_normal((4, 5, 4)).astype("float32")
    path = tmp_path / "ops.keras"
    model.save(path)
    loaded = lamina.models.load_model(path)
    for a, b in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    rebuilt = lamina.Model.from_config(model.get_config())
    assert [type(op).__name__ for op in rebuilt.operations] == \
        [type(op).__name__ for op in model.operations]


def test_an_op_without_a_saved_form_is_refused_when_saving_with_the_fix():
    steps = lamina.Input((5, 4))
    model = lamina.Model(steps, ops.cumsum(layers.Dense(2)(steps), axis=1))
    assert model.predict(np.ones((1, 5, 4), "float32"), verbose=0).shape == (1, 5, 2)
    with pytest.raises(ValueError, match=r"ops\.cumsum.*custom layer"):
        model.get_config()


def test_a_keras_mask_computation_used_as_data_is_kept_when_loading():
    ids = lamina.Input((4,), dtype="int32")
    keep = ops.cast(ops.not_equal(ids, 0), "float32")
    model = lamina.Model(ids, layers.Dense(1)(keep))
    rebuilt = lamina.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    data = np.array([[1, 0, 2, 0]], "int32")
    np.testing.assert_array_equal(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0))


# -- output shapes found by running a layer -----------------------------------------------


class _Twice(layers.Layer):
    def call(self, x):
        return x * 2.0


class _Halves(layers.Layer):
    def call(self, x):
        return ops.split(x, 2, axis=1)


class _Pairs(layers.Layer):
    def call(self, x):
        return ops.reshape(x, (ops.shape(x)[0], -1, 2 * x.shape[-1]))


def test_inferred_shapes_keep_unknown_axes_unknown():
    assert _Twice()(lamina.Input((None, 3))).shape == (None, None, 3)
    assert [t.shape for t in _Halves()(lamina.Input((None, 10)))] == [(None, None, 10)] * 2
    assert _Pairs()(lamina.Input((None, 4))).shape == (None, None, 8)
    assert _Halves()(lamina.Input((6, 10)))[0].shape == (None, 3, 10)


# -- layer calls with other tensor arguments --------------------------------------------------


class _Cross(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=2, key_dim=4)

    def call(self, inputs, context):
        return self.att(inputs, context)


def test_a_layer_called_with_two_tensors_and_tensor_keywords_replays_and_reloads(tmp_path):
    q, c = lamina.Input((5, 8)), lamina.Input((7, 8))
    keep = lamina.Input((5, 7), dtype="bool")
    cross = _Cross()
    mha = layers.MultiHeadAttention(2, 4)
    model = lamina.Model([q, c, keep], [cross(q, c), mha(q, c, attention_mask=keep)])
    assert model.output_shape == [(None, 5, 8), (None, 5, 8)]
    rng = np.random.default_rng(4)
    a, b = rng.random((2, 5, 8), "float32"), rng.random((2, 7, 8), "float32")
    mask = np.ones((2, 5, 7), bool)
    mask[:, :, 3:] = False
    got = model.predict([a, b, mask], verbose=0)
    np.testing.assert_allclose(got[0], cross(a, b).numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[1], mha(a, b, attention_mask=mask).numpy(), rtol=1e-6)
    assert not np.allclose(got[1], mha(a, b).numpy())  # the mask was used
    path = tmp_path / "cross.keras"
    model.save(path)
    loaded = lamina.models.load_model(path, custom_objects={"_Cross": _Cross})
    for u, v in zip(loaded.predict([a, b, mask], verbose=0), got):
        np.testing.assert_array_equal(u, v)


def test_an_explicit_mask_tensor_reaches_the_layer():
    ids, keep = lamina.Input((6,), dtype="int32"), lamina.Input((6,), dtype="bool")
    emb, lstm = layers.Embedding(20, 4), layers.LSTM(3)
    model = lamina.Model([ids, keep], lstm(emb(ids), mask=keep))
    x = np.array([[3, 5, 1, 2, 7, 9]])
    first_two = np.array([[True, True, False, False, False, False]])
    short = lamina.Model(ids, lstm(emb(ids)))
    np.testing.assert_allclose(model.predict([x, first_two], verbose=0),
                               short.predict(x[:, :2], verbose=0), rtol=1e-6)
