"""lamina's Dataset against tf.data: the same pipelines give the same elements, in the same order,
with the same dtypes, cardinality and element_spec (recorded from TensorFlow 2.21 by
``tools/make_tf_data_fixtures.py``; the pipelines are in ``tf_data_cases.py``)."""

import json
import os
import types

import numpy as np
import pytest
import tf_data_cases

from lamina.data import Dataset, TensorSpec

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "tf_data",
                       "tf_data.json")
with open(FIXTURE, encoding="utf-8") as _f:
    RECORDED = json.load(_f)["cases"]

T = types.SimpleNamespace(TensorSpec=TensorSpec, int32=np.int32, int64=np.int64,
                          float32=np.float32)


def _dtype_name(dtype):
    return "string" if dtype.kind in "US" else dtype.name


def encode(element):
    if isinstance(element, tuple):
        return {"tuple": [encode(e) for e in element]}
    if isinstance(element, dict):
        return {"dict": {str(k): encode(v) for k, v in element.items()}}
    assert isinstance(element, (np.ndarray, np.generic)), type(element)
    arr = np.asarray(element)
    if arr.ndim == 0:
        assert isinstance(element, np.generic)  # rank 0 comes out as a NumPy scalar, as in TF
    return {"dtype": _dtype_name(arr.dtype), "shape": list(arr.shape), "value": arr.tolist()}


def encode_spec(spec):
    if isinstance(spec, tuple):
        return {"tuple": [encode_spec(s) for s in spec]}
    if isinstance(spec, dict):
        return {"dict": {str(k): encode_spec(v) for k, v in spec.items()}}
    return {"dtype": _dtype_name(spec.dtype),
            "shape": None if spec.shape is None else list(spec.shape)}


def test_every_case_was_recorded():
    assert sorted(RECORDED) == sorted(tf_data_cases.CASES)


@pytest.mark.parametrize("name", sorted(tf_data_cases.CASES))
def test_same_as_tf_data(name):
    expected = RECORDED[name]
    ds = tf_data_cases.CASES[name](Dataset, T)
    assert int(ds.cardinality()) == expected["cardinality"]
    if tf_data_cases.ITERATE[name]:
        assert [encode(e) for e in ds] == expected["elements"]
        assert [encode(e) for e in ds] == expected["elements"]  # a second pass: the same
    assert encode_spec(ds.element_spec) == expected["element_spec"]
