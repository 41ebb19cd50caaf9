"""The check that runs one op case of a Keras fixture (tools/make_keras_more_ops_fixtures.py,
tools/make_keras_numpy_ops_fixtures.py): the op on the case's arguments, its outputs' values
and dtypes against Keras's, and the gradient of ``sum(output * c)`` against TensorFlow's."""

from __future__ import annotations

import numpy as np

import lamina
from lamina import ops


def _value(data, cid, v, tensors):
    if isinstance(v, dict) and "array" in v:
        t = ops.convert_to_tensor(data[f"{cid}/{v['array']}"])
        tensors[v["array"]] = t
        return t
    if isinstance(v, dict) and "list" in v:
        return [_value(data, cid, item, tensors) for item in v["list"]]
    if isinstance(v, list):
        return tuple(v)  # (JSON turned ``axes`` tuples into lists)
    return v


def check_case(data, case, value_atol=1e-6, align=None):
    """Run ``case`` of the fixture ``data``; ``align(op, ours, keras)`` may map our output
    values onto Keras's conventions first (e.g. the signs of singular vectors)."""
    cid, tensors = case["id"], {}
    args = [_value(data, cid, a, tensors) for a in case["args"]]
    kwargs = {k: _value(data, cid, v, tensors) for k, v in case["kwargs"].items()}
    with lamina.GradientTape() as tape:
        for key in case["grads"]:
            tape.watch(tensors[key])
        result = getattr(ops, case["op"])(*args, **kwargs)
        outs = list(result) if isinstance(result, (list, tuple)) else [result]
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):  # (inf or float32 max times c)
            for k, o in enumerate(outs):
                if f"{cid}/c{k}" in data:
                    total = ops.add(total, ops.sum(ops.multiply(o, data[f"{cid}/c{k}"])))
    assert len(outs) == case["outputs"]
    wants = [data[f"{cid}/out{k}"] for k in range(len(outs))]
    values = [o.numpy() for o in outs]
    if align is not None:
        values = align(case["op"], values, wants)
    for k, (o, want) in enumerate(zip(outs, wants)):
        assert o.dtype == want.dtype and o.shape == want.shape, (k, o.dtype, o.shape, want.dtype)
        np.testing.assert_allclose(values[k], want, rtol=1e-5, atol=value_atol)
    if case["grads"]:
        grads = tape.gradient(total, [tensors[k] for k in case["grads"]])
        for key, g in zip(case["grads"], grads):
            want = data[f"{cid}/d{key}"]
            if g is None:  # (lamina passes no gradient where TensorFlow passes zeros)
                assert not np.any(want), key
                continue
            np.testing.assert_allclose(g.numpy(), want, rtol=1e-5, atol=1e-5)
