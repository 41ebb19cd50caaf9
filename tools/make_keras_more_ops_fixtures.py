#!/usr/bin/env python
"""Reference numbers of Keras's ``tril``/``triu``, ``diag``/``diagonal``/``trace``,
``unstack``, ``slice``/``slice_update``, ``isclose``, ``nan_to_num``, ``cumprod`` and
``dot_product_attention``, for lamina's tests (tests/test_ops_more.py).

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_more_ops_fixtures.py

Writes tests/fixtures/keras/more_ops.npz: ``spec`` (a JSON string: the cases, with the
arguments of each call), each case's float inputs and integer arguments, its outputs
(``<id>/out<k>``, their dtype Keras's), the weights ``<id>/c<k>`` of the weighted sum whose
gradients are recorded and those gradients (``<id>/d<name>``); and ``model_json``, a
functional model applying these ops to an ``Input``, as Keras's ``to_json`` writes it, with
its predictions ``model/x`` -> ``model/out<k>``.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402
from ops_fixture_runner import run_case  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
RNG = np.random.default_rng(20261207)


def normal(*shape):
    return RNG.standard_normal(shape).astype("float32")


def ints(*shape, lo=-3, hi=4):
    return RNG.integers(lo, hi, shape).astype("int32")


_NONFINITE = np.array([[0.5, np.nan, -1.5, np.inf], [-np.inf, 2.0, np.nan, -0.25]], "float32")
# (No infinities: Keras 3.15.1's TensorFlow isclose finds inf close to -inf and not to inf,
# which later Keras fixed; lamina follows NumPy there, tested against np.isclose.)
_NEAR = np.array([1.0, 1.0, 2.0, 5.0, np.nan, np.nan, 0.0, -3.0], "float32")
_OTHER = np.array([1.0 + 1e-6, 1.1, 2.0, 5.5, 1.0, np.nan, 1e-9, -3.0 - 2e-5], "float32")
_ZEROS = np.array([[0.5, 0.0, 1.5, -2.0, 0.7], [1.2, 1.3, 0.0, 0.9, 0.0]], "float32")
_MASK = np.array([[True, True, False, True, False], [True, False, True, True, True],
                  [False, False, False, False, False], [True, True, True, True, True]])

# (id, op, positional arguments, keyword arguments). An argument that is a NumPy array is
# stored in the file (float ones are differentiated); everything else is written into the spec.
CASES = [
    ("tril", "tril", [normal(4, 4)], {}),
    ("tril_k-1_batched", "tril", [normal(2, 3, 4)], {"k": -1}),
    ("tril_k2", "tril", [normal(3, 5)], {"k": 2}),
    ("tril_int", "tril", [ints(3, 3)], {}),
    ("triu", "triu", [normal(3, 4)], {}),
    ("triu_k1_batched", "triu", [normal(2, 4, 3)], {"k": 1}),
    ("triu_k-2", "triu", [normal(4, 4)], {"k": -2}),
    ("unstack_axis0", "unstack", [normal(3, 2, 4)], {}),
    ("unstack_axis1", "unstack", [normal(3, 2, 4)], {"axis": 1}),
    ("unstack_axis-1_num", "unstack", [normal(2, 3, 4)], {"num": 4, "axis": -1}),
    ("slice", "slice", [normal(3, 4, 5), [1, 0, 2], [2, 4, 3]], {}),
    ("slice_rest", "slice", [normal(3, 4, 5), [1, 2, 0], [1, -1, 5]], {}),
    ("slice_tensor_starts", "slice", [normal(4, 5), np.array([2, 1], "int32"), [2, 3]], {}),
    ("slice_update", "slice_update", [normal(3, 5), [1, 2], normal(2, 2)], {}),
    ("slice_update_3d", "slice_update", [normal(2, 3, 4), [0, 1, 1], normal(1, 2, 3)], {}),
    ("slice_update_tensor_starts", "slice_update",
     [normal(4, 5), np.array([1, 2], "int32"), normal(3, 3)], {}),
    ("isclose", "isclose", [_NEAR, _OTHER], {}),
    ("isclose_equal_nan", "isclose", [_NEAR, _OTHER], {"equal_nan": True}),
    ("isclose_tolerances", "isclose", [_NEAR, _OTHER], {"rtol": 0.2, "atol": 0.01}),
    ("isclose_int", "isclose", [ints(2, 3), ints(2, 3)], {}),
    ("nan_to_num", "nan_to_num", [_NONFINITE], {}),
    ("nan_to_num_values", "nan_to_num", [_NONFINITE], {"nan": 1.0, "posinf": 9.0, "neginf": -9.0}),
    ("nan_to_num_int", "nan_to_num", [ints(2, 3)], {}),
    ("diag_vector", "diag", [normal(3)], {}),
    ("diag_vector_k1", "diag", [normal(3)], {"k": 1}),
    ("diag_vector_k-2", "diag", [normal(2)], {"k": -2}),
    ("diag_matrix", "diag", [normal(3, 4)], {}),
    ("diag_matrix_k1", "diag", [normal(3, 4)], {"k": 1}),
    ("diag_matrix_k-1", "diag", [normal(4, 3)], {"k": -1}),
    ("diagonal", "diagonal", [normal(3, 4)], {}),
    ("diagonal_offset_axes", "diagonal", [normal(2, 3, 4)], {"offset": 1, "axis1": 1, "axis2": 2}),
    ("diagonal_negative_offset_swapped", "diagonal", [normal(3, 2, 4)],
     {"offset": -1, "axis1": 2, "axis2": 0}),
    ("trace", "trace", [normal(3, 3)], {}),
    ("trace_offset_axes", "trace", [normal(2, 3, 4)], {"offset": 1, "axis1": 1, "axis2": 2}),
    ("trace_int", "trace", [ints(3, 4)], {"offset": -1}),
    ("trace_bool", "trace", [np.eye(3, dtype=bool)], {}),
    ("cumprod_flat", "cumprod", [normal(2, 3)], {}),
    ("cumprod_axis1", "cumprod", [normal(2, 7, 2)], {"axis": 1}),
    ("cumprod_zeros", "cumprod", [_ZEROS], {"axis": -1}),
    ("cumprod_int", "cumprod", [ints(2, 4)], {"axis": 0}),
    ("dot_product_attention", "dot_product_attention",
     [normal(2, 4, 2, 8), normal(2, 5, 2, 8), normal(2, 5, 2, 8)], {}),
    ("dot_product_attention_grouped", "dot_product_attention",
     [normal(1, 3, 4, 8), normal(1, 5, 2, 8), normal(1, 5, 2, 8)], {}),
    ("dot_product_attention_bias_mask_scale", "dot_product_attention",
     [normal(2, 4, 2, 3), normal(2, 5, 2, 3), normal(2, 5, 2, 3)],
     {"bias": normal(1, 2, 4, 5), "mask": _MASK[None, None], "scale": 0.3}),
    ("dot_product_attention_causal", "dot_product_attention",
     [normal(2, 4, 1, 4), normal(2, 4, 1, 4), normal(2, 4, 1, 4)], {"is_causal": True}),
]


# TensorFlow has no gradient for slice_update's XlaDynamicUpdateSlice (lamina's is checked
# against finite differences in tests/test_ops_gradients.py).
NO_GRADIENT = {"slice_update"}
# TensorFlow's cumprod gradient divides by the inputs and gives 0 where they are 0 (the true
# gradient is not 0 there: lamina's exact one is checked against finite differences).
NO_GRADIENT_CASES = {"cumprod_zeros"}


def _model(arrays):
    """A functional model of the ops Keras saves as operations of a config."""
    inp = keras.Input((4, 4), name="x")
    low = ops.tril(inp, k=-1)
    outs = [
        ops.cumprod(low, axis=-1),
        ops.triu(inp, k=1),
        ops.trace(inp, offset=1, axis1=1, axis2=2),
        ops.unstack(inp, axis=1)[2],
        ops.slice_update(inp, [0, 1, 1], ops.ones((1, 2, 2))),
        ops.nan_to_num(inp, nan=1.0),
        ops.diagonal(inp, offset=-1, axis1=1, axis2=2),
        ops.slice(inp, [0, 1, 1], [-1, 2, 3]),
        ops.isclose(inp, 0.5, atol=0.3),
        ops.dot_product_attention(*[ops.expand_dims(inp, 2)] * 3, is_causal=True, scale=0.5,
                                  mask=ops.greater(ops.ones((1, 1, 4, 4)), 0.0)),
    ]
    model = keras.Model(inp, outs)
    x = normal(3, 4, 4)
    x[0, 1, 2] = np.nan
    arrays["model/x"] = x
    for k, y in enumerate(model.predict(x, verbose=0)):
        arrays[f"model/out{k}"] = y
    return model.to_json()


def main():
    arrays, spec = {}, []
    for case in CASES:
        run_case(tf, ops, RNG, case, arrays, spec, NO_GRADIENT | NO_GRADIENT_CASES)
    arrays["spec"] = np.array(json.dumps(spec))
    arrays["model_json"] = np.array(_model(arrays))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "more_ops.npz", **arrays)
    print(f"wrote {len(spec)} cases to {OUT / 'more_ops.npz'} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
