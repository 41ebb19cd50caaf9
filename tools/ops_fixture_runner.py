"""The runner the Keras op-fixture scripts share (make_keras_more_ops_fixtures.py,
make_keras_numpy_ops_fixtures.py): one case through Keras's op on TensorFlow tensors, its
outputs and the gradient of ``sum(output * c)`` (a fixed random ``c`` per float output)
recorded for tests/ops_fixture_cases.py. Run only with the reference environment."""

import numpy as np


def run_case(tf, ops, rng, case, arrays, out, no_gradient=()):
    """Record ``case = (cid, op, args, kwargs)`` into ``arrays`` (npz entries) and ``out``
    (the JSON spec). ``no_gradient`` holds ops and case ids whose gradients TensorFlow lacks
    or gets wrong (lamina's are checked against finite differences instead)."""
    cid, op, args, kwargs = case
    tensors = {}

    def convert(key, value):
        if isinstance(value, np.ndarray):
            arrays[f"{cid}/{key}"] = value
            tensors[key] = tf.constant(value)
            return {"array": key}, tensors[key]
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            pairs = [convert(f"{key}_{i}", v) for i, v in enumerate(value)]
            return {"list": [p[0] for p in pairs]}, [p[1] for p in pairs]
        return value, value

    spec_args, call_args = zip(*[convert(f"a{i}", a) for i, a in enumerate(args)])
    spec_kwargs, call_kwargs = {}, {}
    for k, v in kwargs.items():
        spec_kwargs[k], call_kwargs[k] = convert(k, v)
    watched = {k: t for k, t in tensors.items() if t.dtype.is_floating
               and op not in no_gradient and cid not in no_gradient}
    with tf.GradientTape() as tape:
        for t in watched.values():
            tape.watch(t)
        result = getattr(ops, op)(*call_args, **call_kwargs)
        outs = list(result) if isinstance(result, (list, tuple)) else [result]
        total = 0.0
        for k, o in enumerate(outs):
            o = tf.convert_to_tensor(o)
            arrays[f"{cid}/out{k}"] = np.asarray(ops.convert_to_numpy(o))
            if o.dtype.is_floating:
                c = rng.standard_normal(o.shape).astype(o.dtype.as_numpy_dtype)
                arrays[f"{cid}/c{k}"] = c
                total = total + tf.reduce_sum(o * c)
    grads = {}
    if watched and not isinstance(total, float):
        for key, g in zip(watched, tape.gradient(total, list(watched.values()))):
            arrays[f"{cid}/d{key}"] = g.numpy() if g is not None else \
                np.zeros(watched[key].shape, watched[key].dtype.as_numpy_dtype)
            grads[key] = True
    out.append({"id": cid, "op": op, "args": list(spec_args), "kwargs": spec_kwargs,
                "outputs": len(outs), "grads": sorted(grads)})
