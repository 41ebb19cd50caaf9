"""Keras masks through the merge layers, as in Keras 3.15.1.

``Concatenate`` joins its inputs' masks (an input without one counts as all True) along its
axis, and keeps a position where any entry of the joined masks' last axis is set. The
element-wise merges give the logical or of the masks, or no mask if an input has none;
``Maximum``/``Minimum``/``Multiply`` also read the masks for their values. ``Dot`` takes masked
inputs and gives no mask. The expected masks and values below are small enough to derive by
hand from those rules; each was checked against real Keras 3.15.1 (TensorFlow backend).
"""

import warnings

import numpy as np
import pytest

import lamina
from lamina import layers, ops

A = [[1, 1, 0], [1, 0, 0]]  # masks of two sequences of 3 steps
B = [[1, 0, 1], [0, 0, 0]]


def _mask(layer, shapes, masks):
    inputs = [ops.zeros(s) for s in shapes]
    masks = None if masks is None else \
        [None if m is None else ops.convert_to_tensor(np.array(m, bool)) for m in masks]
    out = layer.compute_mask(inputs, masks)
    return None if out is None else np.asarray(out).astype(int).tolist()


# (layer, input shapes, masks, the mask Keras 3.15.1 computes)
CONCAT_MASKS = [
    ("both", lambda: layers.Concatenate(), [(2, 3, 2), (2, 3, 4)], [A, B],
     [[1, 1, 1], [1, 0, 0]]),
    ("first_only", lambda: layers.Concatenate(), [(2, 3, 2), (2, 3, 4)], [A, None],
     [[1, 1, 1], [1, 1, 1]]),
    ("second_only", lambda: layers.Concatenate(), [(2, 3, 2), (2, 3, 4)], [None, B],
     [[1, 1, 1], [1, 1, 1]]),
    ("none", lambda: layers.Concatenate(), [(2, 3, 2), (2, 3, 4)], [None, None], None),
    ("mask_none", lambda: layers.Concatenate(), [(2, 3, 2), (2, 3, 4)], None, None),
    ("steps", lambda: layers.Concatenate(axis=1), [(2, 3, 2), (2, 2, 2)],
     [A, [[1, 0], [0, 1]]], [[1, 1, 0, 1, 0], [1, 0, 0, 0, 1]]),
    ("steps_negative_axis", lambda: layers.Concatenate(axis=-2), [(2, 3, 2), (2, 2, 2)],
     [A, [[1, 0], [0, 1]]], [[1, 1, 0, 1, 0], [1, 0, 0, 0, 1]]),
    ("steps_second_unmasked", lambda: layers.Concatenate(axis=1), [(2, 3, 2), (2, 2, 2)],
     [A, None], [[1, 1, 0, 1, 1], [1, 0, 0, 1, 1]]),
    ("mask_of_the_input_rank", lambda: layers.Concatenate(), [(2, 3), (2, 3)], [A, B], [1, 1]),
    ("rank_4", lambda: layers.Concatenate(axis=2), [(2, 3, 2, 2), (2, 3, 1, 2)],
     [np.ones((2, 3, 2)), np.zeros((2, 3, 1))], [[[1, 1, 0]] * 3] * 2),
]


@pytest.mark.parametrize("make, shapes, masks, expected",
                         [c[1:] for c in CONCAT_MASKS], ids=[c[0] for c in CONCAT_MASKS])
def test_concatenate_computes_the_mask_keras_does(make, shapes, masks, expected):
    assert _mask(make(), shapes, masks) == expected


@pytest.mark.parametrize("cls", [layers.Add, layers.Subtract, layers.Multiply, layers.Average,
                                 layers.Maximum, layers.Minimum])
def test_elementwise_merges_or_the_masks_and_drop_them_if_one_is_missing(cls):
    shapes = [(2, 3, 2), (2, 3, 2)]
    assert _mask(cls(), shapes, [A, B]) == [[1, 1, 1], [1, 0, 0]]
    assert _mask(cls(), shapes, [A, None]) is None
    assert _mask(cls(), shapes, [None, None]) is None
    assert _mask(cls(), shapes, None) is None


def test_dot_takes_masked_inputs_and_gives_no_mask():
    e = layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0, 2]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layers.Dot(axes=2)([e, e])
    assert layers.Dot(axes=2).supports_masking
    assert getattr(out, "_keras_mask", None) is None
    assert _mask(layers.Dot(axes=2), [(2, 3, 2), (2, 3, 2)], [A, B]) is None


def test_a_bad_mask_list_is_refused_with_the_layer_named():
    x = [ops.zeros((2, 3, 2)), ops.zeros((2, 3, 2))]
    m = ops.convert_to_tensor(np.array(A, bool))
    for layer in (layers.Concatenate(name="cat"), layers.Add(name="add")):
        with pytest.raises(ValueError, match=r"'(cat|add)'.*one mask \(or None\) per input"):
            layer.compute_mask(x, m)
        with pytest.raises(ValueError, match=r"'(cat|add)'.*got 1 mask\(s\) for 2 input"):
            layer.compute_mask(x, [m])


def _sequence_model(merge, unmasked_branch=False, seed=3):
    lamina.utils.set_random_seed(seed)
    ids = lamina.Input((None,), dtype="int32")
    e = layers.Embedding(20, 4, mask_zero=True)(ids)
    if unmasked_branch:  # a second input without a mask, joined along the steps
        steps = lamina.Input((2, 4))
        inputs, h = [ids, steps], merge([e, steps])
    else:
        inputs, h = ids, merge([e, layers.Dense(4)(e)])  # the Dense branch carries the mask
    return lamina.Model(inputs, layers.Dense(1)(layers.LSTM(3)(h)))


@pytest.mark.parametrize("case", ["concatenate", "concatenate_same", "concatenate_steps",
                                  "maximum", "minimum", "multiply", "add"])
def test_padded_steps_change_nothing_after_a_merge(case):
    make = {"concatenate": layers.Concatenate, "maximum": layers.Maximum,
            "minimum": layers.Minimum, "multiply": layers.Multiply, "add": layers.Add,
            "concatenate_steps": lambda: layers.Concatenate(axis=1)}.get(case)
    if case == "concatenate_same":  # the repro: the same masked sequence twice
        lamina.utils.set_random_seed(3)
        ids = lamina.Input((None,), dtype="int32")
        e = layers.Embedding(20, 4, mask_zero=True)(ids)
        model = lamina.Model(ids, layers.LSTM(2)(layers.Concatenate()([e, e])))
    else:
        model = _sequence_model(make(), unmasked_branch=case == "concatenate_steps")
    padded, short = np.array([[3, 5, 0, 0], [7, 1, 0, 0]]), np.array([[3, 5], [7, 1]])
    extra = [np.random.default_rng(0).standard_normal((2, 2, 4)).astype("float32")] \
        if case == "concatenate_steps" else []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no "does not support masking" warning)
        full = model.predict([padded] + extra if extra else padded, verbose=0)
        cut = model.predict([short] + extra if extra else short, verbose=0)
    np.testing.assert_allclose(full, cut, rtol=1e-6, atol=1e-7)
    assert not np.allclose(full, 0.0)


def test_concatenate_passes_the_joined_mask_to_the_next_layer():
    e = layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0, 2], [0, 0, 3]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layers.Concatenate()([e, layers.Dense(3)(e)])
        steps = layers.Concatenate(axis=1)([e, ops.ones((2, 2, 2))])
    assert layers.Concatenate().supports_masking
    np.testing.assert_array_equal(np.asarray(out._keras_mask), [[1, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(np.asarray(steps._keras_mask),
                                  [[1, 0, 1, 1, 1], [0, 0, 1, 1, 1]])
    plain = layers.Concatenate()([ops.ones((1, 2)), ops.ones((1, 2))])
    assert getattr(plain, "_keras_mask", None) is None


def test_maximum_minimum_multiply_values_under_masks():
    # e: embeddings of ones, the step with id 0 masked out; d: ones, its first two steps
    # masked out; j: no mask. The values are the ones Keras 3.15.1 gives.
    e = layers.Embedding(20, 2, mask_zero=True, embeddings_initializer="ones")(
        np.array([[3, 0, 4, 0]]))
    d = layers.Embedding(20, 2, mask_zero=True, embeddings_initializer="ones")(
        np.array([[0, 0, 2, 2]]))
    j = ops.convert_to_tensor(np.array([[[2, -3], [5, -7], [0.5, 0.25], [-1, 4]]], "float32"))
    cases = {
        ("Maximum", "ej"): [[2, 1], [5, -7], [1, 1], [-1, 4]],
        ("Maximum", "je"): [[2, 1], [5, -7], [1, 1], [-1, 4]],
        ("Maximum", "edj"): [[2, 1], [5, -7], [1, 1], [1, 4]],
        ("Minimum", "ej"): [[1, -3], [5, -7], [0.5, 0.25], [-1, 4]],
        ("Minimum", "jed"): [[1, -3], [5, -7], [0.5, 0.25], [-1, 1]],
        ("Multiply", "ej"): [[2, -3], [5, -7], [0.5, 0.25], [-1, 4]],
        ("Multiply", "ed"): [[1, 1], [0, 0], [1, 1], [1, 1]],
        ("Add", "ej"): [[3, -2], [6, -6], [1.5, 1.25], [0, 5]],
    }
    named = {"e": e, "d": d, "j": j}
    for (cls, order), expected in cases.items():
        out = getattr(layers, cls)()([named[c] for c in order])
        np.testing.assert_array_equal(np.asarray(out)[0], expected, err_msg=f"{cls} {order}")
    both = layers.Multiply()([e, d])
    np.testing.assert_array_equal(np.asarray(both._keras_mask), [[1, 0, 1, 1]])


def test_masked_concatenate_model_traced_equals_eager():
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 20, (16, 5))
    ids[:, 3:] *= rng.integers(0, 2, (16, 2))  # padding at the end of some rows
    ids[ids[:, 3] == 0, 4] = 0
    y = rng.standard_normal((16, 1)).astype("float32")

    def once(run_eagerly):
        model = _sequence_model(layers.Concatenate(), seed=4)
        model.compile(optimizer="adam", loss="mse", run_eagerly=run_eagerly)
        history = model.fit(ids, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        return history["loss"], model.predict(ids, verbose=0)

    (loss_t, pred_t), (loss_e, pred_e) = once(False), once(True)
    np.testing.assert_allclose(loss_t, loss_e, rtol=1e-6)
    np.testing.assert_allclose(pred_t, pred_e, rtol=1e-6, atol=1e-7)


def test_a_merge_after_attention_keeps_the_mask_in_a_functional_model():
    # MultiHeadAttention takes the masks off its inputs (as Keras does), but in a functional
    # model the Add after it still sees the query's mask, as in Keras 3.15.1 (whose graph
    # keeps the masks it computed when it was built): the pooling leaves the padding out.
    lamina.utils.set_random_seed(5)
    ids = lamina.Input((None,), dtype="int32")
    x = layers.Embedding(9, 4, mask_zero=True)(ids)
    h = layers.Add()([x, layers.MultiHeadAttention(2, 2)(x, x)])
    model = lamina.Model(ids, layers.GlobalAveragePooling1D()(h))
    full = model.predict(np.array([[1, 2, 0, 0]]), verbose=0)
    np.testing.assert_allclose(full, model.predict(np.array([[1, 2]]), verbose=0),
                               rtol=1e-6, atol=1e-7)
