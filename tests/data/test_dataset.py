"""``lamina.data.Dataset``: elements, shuffling, caching, prefetching, streaming and errors.

What tf.data gives for the same deterministic pipelines is checked in
``test_tf_data_fixtures.py``; this file covers what a recording cannot: random
orders, buffers, files, threads, memory and the messages.
"""

import gc
import logging
import os
import threading
import tracemalloc

import numpy as np
import pytest

import lamina
from lamina.data import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, TensorSpec
from lamina.data import experimental as data_experimental

# --------------------------------------------------------------------------------------------
# Elements, specs, cardinality


def test_elements_are_numpy_and_sources_are_read_only_views():
    x = np.arange(6.0).reshape(3, 2)
    rows = list(Dataset.from_tensor_slices(x))
    assert all(type(r) is np.ndarray and r.base is not None for r in rows)
    with pytest.raises(ValueError, match="read-only"):
        rows[0][0] = 5.0
    assert x[0, 0] == 0.0  # the user's array is untouched, and still writable
    x[0, 0] = 1.0
    scalars = list(Dataset.from_tensor_slices(np.arange(3)))
    assert [type(s) for s in scalars] == [np.int64] * 3  # rank 0: NumPy scalars, as TF gives


def test_map_gets_numpy_leaves_unpacked_and_may_use_lamina_ops():
    ds = Dataset.from_tensor_slices((np.arange(4.0), np.arange(4)))
    seen = []
    out = ds.map(lambda x, y: (seen.append((type(x), type(y))) or
                               lamina.ops.multiply(x, 2.0), y)).batch(4)
    (batch_x, batch_y), = list(out)
    assert type(batch_x) is np.ndarray and batch_x.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert seen[0] == (np.float64, np.int64)
    d = Dataset.from_tensor_slices({"a": np.arange(3)}).map(lambda d: d["a"] + 1)
    assert [int(v) for v in d] == [1, 2, 3]


def test_map_in_place_change_explains_read_only():
    ds = Dataset.from_tensor_slices(np.ones((2, 3)))

    def scale(x):
        x /= 2
        return x

    with pytest.raises(ValueError, match=r"Dataset.map: scale \(test_dataset.py:\d+\) raised "
                                         r"ValueError on element 0.*x = x / 255"):
        list(ds.map(scale))


def test_element_spec_len_cardinality_and_constants():
    ds = Dataset.from_tensor_slices((np.zeros((5, 3), "float32"), np.arange(5)))
    assert ds.element_spec == (TensorSpec((3,), "float32"), TensorSpec((), "int64"))
    assert repr(ds.batch(2).element_spec[0]) == "TensorSpec(shape=(None, 3), dtype=float32, name=None)"
    assert len(ds) == 5 and ds.cardinality().numpy() == np.int64(5)
    assert ds.repeat().cardinality() == INFINITE_CARDINALITY == -1
    assert ds.filter(lambda x, y: True).cardinality() == UNKNOWN_CARDINALITY == -2
    assert data_experimental.cardinality(ds.take(2)) == 2 and AUTOTUNE == -1
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds.filter(lambda x, y: True))
    assert bool(ds.repeat()) and "element_spec=" in repr(ds)
    spec = TensorSpec((None, 3), np.float32)
    assert spec.is_compatible_with(np.zeros((7, 3), "float32"))
    assert not spec.is_compatible_with(np.zeros((7, 4), "float32"))


def test_iteration_starts_fresh_and_as_numpy_iterator():
    ds = Dataset.range(3)
    it = iter(ds)
    assert int(next(it)) == 0 and [int(v) for v in ds] == [0, 1, 2]
    assert [int(v) for v in ds.as_numpy_iterator()] == [0, 1, 2]
    calls = []

    def gen(n):
        calls.append(n)
        yield from range(int(n))

    g = Dataset.from_generator(gen, output_signature=TensorSpec((), "int32"), args=(3,))
    assert [int(v) for v in g.repeat(2)] == [0, 1, 2, 0, 1, 2] and len(calls) == 2


def test_missing_tf_data_methods_say_so():
    with pytest.raises(AttributeError, match="Dataset.interleave is a tf.data method that lamina "
                                             "does not provide"):
        Dataset.range(3).interleave(lambda x: x)


# --------------------------------------------------------------------------------------------
# shuffle


def test_shuffle_is_a_permutation_seeded_and_reshuffled_per_pass():
    ds = Dataset.range(100).shuffle(10, seed=7)
    first, second = [int(v) for v in ds], [int(v) for v in ds]
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert first != second  # reshuffle_each_iteration=True: a new order per pass
    again = Dataset.range(100).shuffle(10, seed=7)
    assert [int(v) for v in again] == first and [int(v) for v in again] == second
    fixed = Dataset.range(100).shuffle(10, seed=7, reshuffle_each_iteration=False)
    assert [int(v) for v in fixed] == [int(v) for v in fixed]
    repeated = [int(v) for v in Dataset.range(10).shuffle(10, seed=1).repeat(2)]
    assert sorted(repeated[:10]) == sorted(repeated[10:]) == list(range(10))
    assert repeated[:10] != repeated[10:]


def test_looking_at_element_spec_leaves_the_shuffle_orders_alone():
    def orders(look):
        ds = Dataset.range(30).shuffle(30, seed=4).map(lambda x: x * 2)
        if look:
            assert ds.element_spec == TensorSpec((), "int64")
        return [[int(v) for v in ds] for _ in range(2)]

    assert orders(True) == orders(False)


def test_shuffle_buffer_bounds_how_far_an_element_moves():
    order = [int(v) for v in Dataset.range(200).shuffle(5, seed=3)]
    # Element i enters the buffer after i - 4 outputs: it cannot come out earlier.
    assert all(pos >= i - 4 for pos, i in enumerate(order))
    assert [int(v) for v in Dataset.range(20).shuffle(1)] == list(range(20))


def test_shuffle_draws_uniformly_from_the_buffer():
    counts = np.zeros(4)
    for seed in range(2000):
        counts[int(next(iter(Dataset.range(10).shuffle(4, seed=seed))))] += 1
    assert counts.sum() == 2000 and np.all(np.abs(counts - 500) < 90)  # ~4.5 sigma


def test_shuffle_without_seed_follows_lamina_global_seed_not_numpy_state():
    state = np.random.get_state()[1].copy()
    lamina.utils.set_random_seed(5)
    np_state = np.random.get_state()[1].copy()
    a = [int(v) for v in Dataset.range(50).shuffle(50)]
    assert np.array_equal(np.random.get_state()[1], np_state)  # NumPy's global state unused
    lamina.utils.set_random_seed(5)
    assert [int(v) for v in Dataset.range(50).shuffle(50)] == a
    np.random.set_state(("MT19937", state, 624, 0, 0.0))


# --------------------------------------------------------------------------------------------
# cache


def _counting_source(n, calls):
    def gen():
        calls.append(1)
        for i in range(n):
            yield np.full(2, i, "float32"), i

    return Dataset.from_generator(gen, output_signature=(TensorSpec((2,), "float32"),
                                                         TensorSpec((), "int64")))


def test_cache_in_memory_replays_the_first_complete_pass(caplog):
    calls = []
    ds = _counting_source(5, calls).map(lambda x, y: (x * 2, y)).cache()
    with caplog.at_level(logging.WARNING, logger="lamina"):
        assert int(next(iter(ds))[1]) == 0  # a partial pass caches nothing...
    assert "stopped before its end" in caplog.text and len(calls) == 1
    first = [(x.tolist(), int(y)) for x, y in ds]
    assert [(x.tolist(), int(y)) for x, y in ds] == first and len(calls) == 2
    assert first[3] == ([6.0, 6.0], 3)


def test_cache_to_a_file_written_atomically_and_read_back_without_pickle(tmp_path):
    calls = []
    path = tmp_path / "rows"
    ds = _counting_source(2000, calls).cache(str(path))
    it = iter(ds)
    next(it)
    it.close()  # a pass stopped early leaves no file, and no temporary file
    assert os.listdir(tmp_path) == []
    first = [(x.tolist(), int(y)) for x, y in ds]
    assert sorted(os.listdir(tmp_path)) == ["rows.lamina-cache"] and len(calls) == 2
    reread = _counting_source(2000, calls).cache(str(path))  # another dataset, another program
    assert [(x.tolist(), int(y)) for x, y in reread] == first and len(calls) == 2
    with open(path.with_name("rows.lamina-cache"), "rb") as f:
        header = np.load(f, allow_pickle=False)  # plain .npy records
    assert b"lamina-dataset-cache" in header.tobytes()


def test_cache_file_keeps_structure_strings_and_ragged_elements(tmp_path):
    ds = Dataset.from_generator(
        lambda: ({"tokens": np.arange(k), "name": f"n{k}"} for k in (3, 1, 2)),
        output_signature={"tokens": TensorSpec((None,), "int64"), "name": TensorSpec((), str)})
    cached = ds.cache(str(tmp_path / "c"))
    first = [(e["tokens"].tolist(), str(e["name"])) for e in cached]
    second = [(e["tokens"].tolist(), str(e["name"])) for e in cached]
    assert first == second == [([0, 1, 2], "n3"), ([0], "n1"), ([0, 1], "n2")]
    bad = tmp_path / "bad.lamina-cache"
    bad.write_bytes(b"not a cache")
    with pytest.raises(ValueError, match="not a lamina dataset cache file"):
        list(Dataset.range(3).cache(str(tmp_path / "bad")))


# --------------------------------------------------------------------------------------------
# prefetch


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "lamina-prefetch"]


def test_prefetch_keeps_order_and_leaves_no_thread_when_stopped_early():
    ds = Dataset.range(1000).map(lambda x: x * 2).prefetch(3)
    assert [int(v) for v in ds] == list(range(0, 2000, 2))
    for _ in ds.take(5):
        pass
    for _batch in ds.batch(10).prefetch(AUTOTUNE):
        break
    del _batch
    gc.collect()
    assert _prefetch_threads() == []


def test_prefetch_buffer_is_bounded():
    produced = []
    ds = Dataset.range(1000).map(lambda x: produced.append(int(x)) or x).prefetch(2)
    it = iter(ds)
    next(it)
    for _ in range(100):
        if len(produced) >= 4:
            break
        threading.Event().wait(0.005)
    assert len(produced) <= 5  # the one taken, two queued, one waiting to be put (+1 computing)
    it.close()
    assert _prefetch_threads() == []


def test_prefetch_runs_lamina_ops_only_while_the_consumer_waits():
    # lamina's tracer is process-wide: a map calling lamina.ops must not run in the prefetch
    # thread while the consumer (a training step being traced) holds an element.
    calls = []
    with_ops = Dataset.range(50).map(lambda x: calls.append(1) or lamina.ops.add(x, 1))
    it = iter(with_ops.prefetch(4))
    assert int(next(it)) == 1
    held = len(calls)
    threading.Event().wait(0.05)
    assert len(calls) == held  # the worker waits while the element is out
    assert [int(v) for v in it] == list(range(2, 51))
    numpy_calls = []
    numpy_only = Dataset.range(50).map(lambda x: numpy_calls.append(1) or x + 1)
    it = iter(numpy_only.prefetch(4))
    next(it)
    for _ in range(100):
        if len(numpy_calls) >= 5:
            break
        threading.Event().wait(0.005)
    assert len(numpy_calls) >= 5  # NumPy-only functions run ahead
    it.close()


def test_prefetch_hands_exceptions_to_the_consumer():
    def boom(x):
        if x == 3:
            raise KeyError("three")
        return x

    with pytest.raises(KeyError, match=r"Dataset.map: boom \(test_dataset.py:\d+\) raised "
                                       r"KeyError on element 3"):
        list(Dataset.range(10).map(boom).prefetch(2))
    assert _prefetch_threads() == []


# --------------------------------------------------------------------------------------------
# Streaming


def test_a_long_pipeline_holds_only_its_buffers():
    def pipeline(n):
        return (Dataset.range(n).map(lambda i: (np.full(64, i % 7, "float32"), i % 2))
                .shuffle(500, seed=0).map(lambda x, y: (x * 2, y)).batch(128).prefetch(2))

    list(pipeline(10))  # (the modules it uses are loaded before measuring)
    tracemalloc.start()
    try:
        rows = sum(len(y) for _, y in pipeline(20_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 20_000
    assert peak < 1_500_000  # the rows are 5 MB; the buffers hold about 900 of them


def test_batch_of_slices_copies_and_has_the_right_shapes():
    x = np.arange(10.0)
    batches = list(Dataset.from_tensor_slices((x, x > 4)).batch(4))
    assert [b[0].shape for b in batches] == [(4,), (4,), (2,)]
    batches[0][0][0] = 99.0
    assert x[0] == 0.0 and batches[1][1].dtype == np.bool_


# --------------------------------------------------------------------------------------------
# Errors


def test_from_tensor_slices_names_components_with_different_lengths():
    with pytest.raises(ValueError, match=r"different first dimensions.*\[0\] has 3 \(shape "
                                         r"\(3, 2\)\), \[1\] has 4 \(shape \(4,\)\)"):
        Dataset.from_tensor_slices((np.zeros((3, 2)), np.zeros(4)))
    with pytest.raises(ValueError, match="is a scalar.*from_tensors"):
        Dataset.from_tensor_slices(5)


def test_batch_names_the_element_and_its_shape_and_points_to_padded_batch():
    ds = Dataset.from_generator(lambda: (np.zeros(k) for k in (3, 3, 3, 4)),
                                output_signature=TensorSpec((None,), "float64"))
    with pytest.raises(ValueError, match=r"element 3 has shape \(4,\), but element 2 \(the first "
                                         r"of its batch\) has shape \(3,\).*padded_batch"):
        list(ds.batch(2))
    pairs = Dataset.range(4).map(lambda i: (np.zeros(int(i) // 3 + 1), i))
    with pytest.raises(ValueError, match=r"component \[0\] of element 3 has shape \(2,\)"):
        list(pairs.batch(4))
    assert [b.shape for b in ds.padded_batch(2)] == [(2, 3), (2, 4)]


def test_batch_and_zip_name_elements_whose_structures_differ():
    mixed = Dataset.range(4).map(lambda i: (i, i) if i < 3 else {"a": i})
    with pytest.raises(ValueError, match=r"element 3 has the structure \{'a': TensorSpec.*but "
                                         r"element 2 \(the first of its batch\) has \(TensorSpec"):
        list(mixed.batch(2))
    with pytest.raises(TypeError, match="nested\\) tuple or dict of datasets; got int"):
        Dataset.zip(Dataset.range(2), 3)
    with pytest.raises(TypeError, match=r"element 2 \(the first of the dataset given to "
                                        r"concatenate\) is \(TensorSpec"):
        list(Dataset.range(2).concatenate(Dataset.range(2).map(lambda x: (x, x))))


def test_map_filter_and_generator_errors_name_the_element_and_function():
    def needs_two(x, y):
        return x

    with pytest.raises(TypeError, match=r"needs_two \(test_dataset.py:\d+\) raised TypeError on "
                                        r"element 0.*unpacks a tuple element"):
        list(Dataset.range(3).map(needs_two))
    with pytest.raises(ZeroDivisionError, match=r"<lambda> .* on element 2"):
        list(Dataset.range(5).map(lambda x: 1 // (int(x) - 2)))
    with pytest.raises(TypeError, match="must return a scalar boolean.*element 0 it returned "
                                        "int64"):
        list(Dataset.range(3).filter(lambda x: x))
    bad_shape = Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]),
                                       output_signature=TensorSpec((2,), "int32"))
    with pytest.raises(ValueError, match=r"yielded element 1 of shape \(3,\) where an element "
                                         r"of shape \(2,\) was expected"):
        list(bad_shape)
    with pytest.raises(TypeError, match="not from_generator\\(gen\\(\\), ...\\)|rather than "
                                        "from_generator\\(gen\\(\\)"):
        Dataset.from_generator(iter([1]), output_types="int32")
    with pytest.raises(ValueError, match="padded shape .3,. of component .0. of the elements|"
                                         "larger than the padded shape"):
        list(Dataset.from_tensor_slices((np.zeros((2, 4)), np.zeros(2))).padded_batch(
            2, padded_shapes=([3], [])))
    with pytest.raises(ValueError, match="The 'batch_size' argument of Dataset.batch must be a "
                                         "positive integer. Got 0"):
        Dataset.range(3).batch(0)


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.data.dataset import base, specs

    assert run_doctests(base) >= 1 and run_doctests(specs) >= 1


def test_a_ragged_list_is_refused_with_the_lengths_and_the_fix():
    with pytest.raises(ValueError, match=r"ragged list.*\(3, 4\).*pad_sequences"):
        Dataset.from_tensor_slices([[1, 2, 3], [1, 2, 3, 4]])
    # Equal lengths are one array, as before.
    assert Dataset.from_tensor_slices([[1, 2], [3, 4]]).cardinality() == 2


def test_a_pandas_text_column_becomes_a_string_component():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [60, 41], "thal": ["fixed", "normal"]})
    first = next(iter(Dataset.from_tensor_slices(dict(frame)).batch(2)))
    assert first["thal"].tolist() == ["fixed", "normal"] and first["thal"].dtype.kind == "U"
    with pytest.raises(TypeError, match="numeric or string NumPy array"):
        Dataset.from_tensor_slices(np.array(["a", None], dtype=object))
