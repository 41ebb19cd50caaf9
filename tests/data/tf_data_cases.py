"""Deterministic tf.data pipelines, written once for both TensorFlow and lamina.

Each case is ``fn(D, T)``: ``D`` is ``tf.data.Dataset`` or ``lamina.data.Dataset``,
``T`` holds ``TensorSpec`` and the dtypes. ``tools/make_tf_data_fixtures.py``
records what TensorFlow gives for each (elements, cardinality, element_spec);
``test_tf_data_fixtures.py`` checks lamina against the recording. Cases marked
``ITERATE = False`` are endless: only their cardinality and spec are compared.
The functions given to ``map``/``filter`` use operators only, which work on
TensorFlow tensors and NumPy arrays alike.
"""

import numpy as np

X = np.arange(10, dtype=np.float64).reshape(5, 2)
Y = np.arange(5)
RAGGED = [1, 3, 2, 0, 4]


def _ragged(D, T, width=None):
    if width is None:
        return D.from_generator(lambda: (np.arange(k) for k in RAGGED),
                                output_signature=T.TensorSpec(shape=(None,), dtype=T.int64))
    return D.from_generator(lambda: (np.ones((k, width), np.float32) * k for k in RAGGED),
                            output_signature=T.TensorSpec(shape=(None, width), dtype=T.float32))


CASES = {
    # sources
    "slices_python_ints": lambda D, T: D.from_tensor_slices([1, 2, 3, 4, 5]),
    "slices_python_floats": lambda D, T: D.from_tensor_slices([[1.0, 2.0], [3.0, 4.0]]),
    "slices_numpy_tuple": lambda D, T: D.from_tensor_slices((X, Y)),
    "slices_list_of_arrays": lambda D, T: D.from_tensor_slices([np.zeros(3), np.ones(3)]),
    "slices_dict": lambda D, T: D.from_tensor_slices(
        {"b": np.arange(4), "a": np.ones((4, 2), np.float32)}),
    "slices_nested": lambda D, T: D.from_tensor_slices(
        ((np.arange(3), np.arange(3) * 2), {"k": np.arange(3.0)})),
    "slices_strings": lambda D, T: D.from_tensor_slices(["a", "bc", "def"]),
    "slices_bools": lambda D, T: D.from_tensor_slices([True, False]),
    "from_tensors": lambda D, T: D.from_tensors(([1, 2], 3.0)),
    "from_tensors_array": lambda D, T: D.from_tensors(X),
    "range_stop": lambda D, T: D.range(5),
    "range_start_stop_step": lambda D, T: D.range(2, 10, 3),
    "range_negative_step": lambda D, T: D.range(5, 0, -2),
    "range_empty": lambda D, T: D.range(0),
    "generator_signature_tuple": lambda D, T: D.from_generator(
        lambda: ((np.full(2, i), i) for i in range(3)),
        output_signature=(T.TensorSpec(shape=(2,), dtype=T.float32),
                          T.TensorSpec(shape=(), dtype=T.int32))),
    "generator_output_types": lambda D, T: D.from_generator(
        lambda: iter([[1, 2], [3, 4]]), output_types=T.int64, output_shapes=(2,)),
    "generator_types_no_shapes": lambda D, T: D.from_generator(
        lambda: iter([1, 2, 3]), output_types=T.int32),
    # batching
    "batch": lambda D, T: D.range(10).batch(3),
    "batch_drop_remainder": lambda D, T: D.range(10).batch(3, drop_remainder=True),
    "batch_all": lambda D, T: D.range(10).batch(20),
    "batch_tuple": lambda D, T: D.from_tensor_slices((X, Y)).batch(2),
    "batch_dict": lambda D, T: D.from_tensor_slices({"b": np.arange(4), "a": np.ones((4, 2))})
    .batch(3),
    "batch_strings": lambda D, T: D.from_tensor_slices(["a", "bc", "def"]).batch(2),
    "batch_after_map": lambda D, T: D.range(7).map(lambda x: (x, x * 2)).batch(3),
    "batch_drop_all": lambda D, T: D.range(2).batch(3, drop_remainder=True),
    "batch_twice": lambda D, T: D.range(8).batch(2).batch(2),
    "unbatch": lambda D, T: D.range(10).batch(3).unbatch(),
    "unbatch_drop": lambda D, T: D.range(10).batch(3, drop_remainder=True).unbatch(),
    "unbatch_matrix": lambda D, T: D.from_tensors(X).unbatch(),
    "unbatch_tuple": lambda D, T: D.from_tensor_slices((X, Y)).batch(2).unbatch(),
    "padded_batch": lambda D, T: _ragged(D, T).padded_batch(2),
    "padded_batch_shapes": lambda D, T: _ragged(D, T).padded_batch(2, padded_shapes=[5]),
    "padded_batch_value": lambda D, T: _ragged(D, T).padded_batch(
        3, padded_shapes=(None,), padding_values=np.int64(-1)),
    "padded_batch_drop": lambda D, T: _ragged(D, T).padded_batch(2, drop_remainder=True),
    "padded_batch_2d": lambda D, T: _ragged(D, T, width=2).padded_batch(2),
    "padded_batch_tuple": lambda D, T: _ragged(D, T).map(lambda x: (x, x * 10)).padded_batch(
        2, padded_shapes=([4], [None]), padding_values=(np.int64(7), np.int64(-1))),
    "padded_batch_fixed": lambda D, T: D.from_tensor_slices(X).padded_batch(2),
    "padded_batch_strings": lambda D, T: D.from_tensor_slices([["a"], ["bc"]]).padded_batch(
        2, padded_shapes=[2]),
    # take, skip, repeat, filter
    "take": lambda D, T: D.range(10).take(3),
    "take_all": lambda D, T: D.range(10).take(-1),
    "take_zero": lambda D, T: D.range(10).take(0),
    "take_more": lambda D, T: D.range(10).take(20),
    "skip": lambda D, T: D.range(10).skip(3),
    "skip_all": lambda D, T: D.range(10).skip(-1),
    "skip_more": lambda D, T: D.range(10).skip(20),
    "skip_zero": lambda D, T: D.range(4).skip(0),
    "repeat": lambda D, T: D.range(3).repeat(2),
    "repeat_forever_take": lambda D, T: D.range(3).repeat().take(7),
    "repeat_empty_forever": lambda D, T: D.range(0).repeat().take(3),
    "repeat_zero": lambda D, T: D.range(3).repeat(0),
    "repeat_unknown": lambda D, T: D.range(4).filter(lambda x: x > 1).repeat(2),
    "filter": lambda D, T: D.range(10).filter(lambda x: x % 3 == 0),
    "filter_tuple": lambda D, T: D.from_tensor_slices((X, Y)).filter(lambda x, y: y > 2),
    "filter_take": lambda D, T: D.range(10).filter(lambda x: x > 1).take(3),
    "filter_skip": lambda D, T: D.range(10).filter(lambda x: x > 1).skip(3),
    "shuffle_buffer_one": lambda D, T: D.range(6).shuffle(1),
    # zip, concatenate
    "zip": lambda D, T: D.zip(D.range(3), D.range(5)),
    "zip_tuple": lambda D, T: D.zip((D.range(2), (D.range(3), D.range(4)))),
    "zip_dict": lambda D, T: D.zip({"a": D.range(3), "b": D.range(2).map(lambda x: x * 2)}),
    "zip_single": lambda D, T: D.zip(D.range(3)),
    "zip_infinite": lambda D, T: D.zip(D.range(3), D.range(2).repeat()),
    "zip_unknown": lambda D, T: D.zip(D.range(3), D.range(5).filter(lambda x: x > 0)),
    "concatenate": lambda D, T: D.range(3).concatenate(D.range(10, 12)),
    "concatenate_shapes": lambda D, T: D.from_tensor_slices(np.zeros((2, 3))).concatenate(
        D.from_tensor_slices(np.ones((2, 4)))),
    "concatenate_unknown": lambda D, T: D.range(3).concatenate(D.range(4).filter(lambda x: x > 1)),
    "concatenate_static_form": lambda D, T: D.concatenate(D.range(2), D.range(5, 7)),
    # map
    "map": lambda D, T: D.range(5).map(lambda x: x * 2),
    "map_returns_list": lambda D, T: D.range(3).map(lambda x: [x, x + 1]),
    "map_python_values": lambda D, T: D.range(3).map(lambda x: (x, 1, 2.0)),
    "map_unpacks_tuple": lambda D, T: D.from_tensor_slices((X, Y)).map(lambda x, y: (y, x[1])),
    "map_dict_argument": lambda D, T: D.from_tensor_slices({"a": Y, "b": Y * 3}).map(
        lambda d: d["a"] + d["b"]),
    "map_returns_dict": lambda D, T: D.range(3).map(lambda x: {"double": x * 2, "x": x}),
    "map_on_batches": lambda D, T: D.range(10).batch(4).map(lambda x: x * 2),
    "map_num_parallel_calls": lambda D, T: D.range(6).map(lambda x: x + 1, num_parallel_calls=-1),
    "enumerate": lambda D, T: D.range(3).map(lambda x: x * 10).enumerate(),
    "chain": lambda D, T: D.range(20).filter(lambda x: x % 2 == 0).map(lambda x: x * 3)
    .batch(4).unbatch().skip(2).take(5),
    "cache_prefetch": lambda D, T: D.range(5).map(lambda x: x + 1).cache().prefetch(2).batch(2),
    "prefetch_autotune": lambda D, T: D.range(4).prefetch(-1),
    # cardinality only (endless)
    "infinite": lambda D, T: D.range(10).repeat(),
    "infinite_batch": lambda D, T: D.range(10).repeat().batch(3),
    "infinite_skip": lambda D, T: D.range(10).repeat().skip(4),
    "infinite_concat_unknown": lambda D, T: D.range(3).filter(lambda x: x > 0).concatenate(
        D.range(2).repeat()),
    "unknown_repeat_forever": lambda D, T: D.range(3).filter(lambda x: x > 0).repeat(),
    "zip_infinite_unknown": lambda D, T: D.zip(D.range(2).repeat(),
                                               D.range(3).filter(lambda x: x > 0)),
    "infinite_shuffle_cache": lambda D, T: D.range(10).shuffle(4).cache().repeat(),
}

ITERATE = {name: not (name.startswith("infinite") or name in (
    "unknown_repeat_forever", "zip_infinite_unknown")) for name in CASES}
