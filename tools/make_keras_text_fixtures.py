#!/usr/bin/env python
"""Reference outputs of Keras's text and categorical preprocessing, for lamina's tests.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_text_fixtures.py

Writes tests/fixtures/keras/text.json: for each layer case its constructor arguments, the
data it adapts to, the vocabulary (or bin boundaries) Keras learns, and the outputs (values
and dtype) of calls on fixed inputs; then pad_sequences, timeseries_dataset_from_array
windows and text_dataset_from_directory's files, labels and subsets for a small folder it
writes into a temporary directory. Everything is fixed data (no randomness), so running it
twice gives the same file.
"""

import json
import os
import tempfile
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

TIES = ["b a c", "c a b", "d d e", "e f", "g"]  # a, b, c, d, e: 2 each, f, g: 1
WORDS = ["The quick brown fox!", "the LAZY dog, the end.", "Ünïcode ÉTÉ café\u00a0x",
         "fox\tand\ndog  dog", "a1 b2 [c3] (d4)"]
HASH_STRINGS = [""] + ["".join(chr(97 + (i * 7 + j * 3) % 26) for j in range(n))
                       for i, n in enumerate([1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33,
                                              63, 64, 65, 100, 129, 300])] + ["é", "日本語"]

# (case name, layer, constructor arguments, adapt data or None, [(input, input dtype) ...])
LAYER_CASES = [
    ("string_lookup_adapt_ties", "StringLookup", {}, [["b", "a", "c"], ["c", "a", "b"],
                                                      ["d", "d", "e"]],
     [([["a", "zz"], ["d", "e"]], "str")]),
    ("string_lookup_max_tokens", "StringLookup", {"max_tokens": 4},
     [["x", "y", "y", "z", "z", "w", "w"]], [([["w", "x", "y", "z"]], "str")]),
    ("string_lookup_mask", "StringLookup", {"mask_token": "", "vocabulary": ["a", "b"]}, None,
     [([["a", "", "q"]], "str")]),
    ("string_lookup_oov3", "StringLookup", {"num_oov_indices": 3, "vocabulary": ["a", "b"]},
     None, [([HASH_STRINGS[:12]], "str")]),
    ("string_lookup_oov3_salt", "StringLookup",
     {"num_oov_indices": 3, "vocabulary": ["a", "b"], "salt": [5, 9]}, None,
     [([HASH_STRINGS[:12]], "str")]),
    ("string_lookup_one_hot", "StringLookup", {"output_mode": "one_hot",
                                               "vocabulary": ["a", "b", "c"]}, None,
     [([["a"], ["z"], ["c"]], "str")]),
    ("string_lookup_multi_hot", "StringLookup", {"output_mode": "multi_hot",
                                                 "vocabulary": ["a", "b", "c"]}, None,
     [([["a", "b"], ["z", "a"]], "str"), (["a", "c", "c"], "str")]),
    ("string_lookup_count_pad", "StringLookup", {"output_mode": "count", "max_tokens": 6,
                                                 "pad_to_max_tokens": True,
                                                 "vocabulary": ["a", "b"]}, None,
     [([["a", "b", "a", "q"]], "str")]),
    ("string_lookup_tf_idf_adapt", "StringLookup", {"output_mode": "tf_idf"},
     [["a", "b", "b"], ["b", "c", "c"], ["c", "d", "a"]], [([["a", "b", "b", "q"]], "str")]),
    ("string_lookup_tf_idf_given", "StringLookup", {"output_mode": "tf_idf",
                                                    "vocabulary": ["a", "b"],
                                                    "idf_weights": [0.5, 2.0]}, None,
     [([["a", "b", "b", "q"]], "str")]),
    ("string_lookup_invert", "StringLookup", {"invert": True, "vocabulary": ["a", "b"]},
     None, [([[0, 1, 2, 5]], "int64")]),
    ("string_lookup_invert_mask", "StringLookup", {"invert": True, "mask_token": "[M]",
                                                   "vocabulary": ["a", "b"]}, None,
     [([[0, 1, 2, 3, 9]], "int64")]),
    ("integer_lookup_adapt_ties", "IntegerLookup", {},
     [[3, 1, 2, 2, 1, 3, 7, 9, 100]], [([[1, 2, 3, 7, 8]], "int64")]),
    ("integer_lookup_mask_oov3", "IntegerLookup", {"mask_token": 0, "num_oov_indices": 3,
                                                   "vocabulary": [5, 6]}, None,
     [([[0, 5, 6, 7, 8, 9, -4, 12]], "int64")]),
    ("integer_lookup_farmhash", "IntegerLookup", {"num_oov_indices": 3,
                                                  "oov_method": "farmhash",
                                                  "vocabulary": [5, 6]}, None,
     [([[5, 7, 8, 9, -4, 12, 1000003]], "int64")]),
    ("integer_lookup_multi_hot", "IntegerLookup", {"output_mode": "multi_hot",
                                                   "vocabulary": [3, 4]}, None,
     [([[3, 9], [4, 4]], "int64")]),
    ("integer_lookup_invert", "IntegerLookup", {"invert": True, "mask_token": 0,
                                                "vocabulary": [5, 6]}, None,
     [([[0, 1, 2, 3, 9]], "int64")]),
    ("text_vectorization_default", "TextVectorization", {}, WORDS,
     [(WORDS, "str"), (["fox fox zebra"], "str")]),
    ("text_vectorization_ties_seq", "TextVectorization", {"output_sequence_length": 4},
     TIES, [(TIES, "str"), ([["a b c d e f"], ["g"]], "str")]),
    ("text_vectorization_max_tokens", "TextVectorization", {"max_tokens": 5}, TIES,
     [(TIES, "str")]),
    ("text_vectorization_lower", "TextVectorization", {"standardize": "lower"}, WORDS,
     [(WORDS[:2], "str")]),
    ("text_vectorization_strip", "TextVectorization", {"standardize": "strip_punctuation"},
     WORDS, [(WORDS[:2], "str")]),
    ("text_vectorization_no_standardize", "TextVectorization", {"standardize": None}, WORDS,
     [(WORDS[:2], "str")]),
    ("text_vectorization_character", "TextVectorization",
     {"split": "character", "output_sequence_length": 6}, ["abca", "bcd", "é!"],
     [(["abz", "éa"], "str")]),
    ("text_vectorization_ngrams", "TextVectorization", {"ngrams": 2},
     ["a b c", "b c d"], [(["a b c d"], "str")]),
    ("text_vectorization_ngrams_tuple", "TextVectorization", {"ngrams": [2, 3]},
     ["a b c d", "b c"], [(["a b c d"], "str")]),
    ("text_vectorization_split_none", "TextVectorization", {"split": None},
     ["red", "blue", "red", "green light"], [([["red"], ["Green light"], ["x"]], "str")]),
    ("text_vectorization_multi_hot", "TextVectorization", {"output_mode": "multi_hot"},
     TIES, [(["a b zz", "g g g"], "str")]),
    ("text_vectorization_count", "TextVectorization", {"output_mode": "count",
                                                       "max_tokens": 8,
                                                       "pad_to_max_tokens": True},
     TIES, [(["a b zz a", "g g g"], "str")]),
    ("text_vectorization_tf_idf", "TextVectorization", {"output_mode": "tf_idf"},
     ["a b b c", "b c", "c d"], [(["a b zz b", "d"], "str")]),
    ("text_vectorization_vocabulary", "TextVectorization",
     {"vocabulary": ["hello", "world"], "output_sequence_length": 3}, None,
     [(["Hello, world! Hello again world"], "str")]),
    ("category_encoding_one_hot", "CategoryEncoding", {"num_tokens": 4,
                                                       "output_mode": "one_hot"}, None,
     [([[1], [3], [0]], "int64"), ([1, 2], "int64")]),
    ("category_encoding_multi_hot", "CategoryEncoding", {"num_tokens": 5}, None,
     [([[0, 1], [3, 3]], "int64"), ([1, 4, 4], "int64")]),
    ("category_encoding_count", "CategoryEncoding", {"num_tokens": 4,
                                                     "output_mode": "count"}, None,
     [([[1, 3, 3], [0, 0, 2]], "int64")]),
    ("hashing_strings", "Hashing", {"num_bins": 7}, None, [([[s] for s in HASH_STRINGS], "str")]),
    ("hashing_large_bins", "Hashing", {"num_bins": 1000003}, None,
     [([[s] for s in HASH_STRINGS], "str")]),
    ("hashing_ints", "Hashing", {"num_bins": 11}, None,
     [([[0], [1], [2], [-3], [123456789], [-98765]], "int64")]),
    ("hashing_floats", "Hashing", {"num_bins": 11}, None,
     [([[1.7], [2.2], [-3.9], [0.0]], "float32")]),
    ("hashing_mask", "Hashing", {"num_bins": 5, "mask_value": ""}, None,
     [([["a"], [""], ["c"], ["dd"]], "str")]),
    ("hashing_salt", "Hashing", {"num_bins": 13, "salt": 7}, None,
     [([[s] for s in HASH_STRINGS], "str")]),
    ("hashing_salt_pair_mask_int", "Hashing", {"num_bins": 13, "salt": [3, 1234567],
                                               "mask_value": 0}, None,
     [([[0], [1], [2], [77]], "int64")]),
    ("hashing_multi_hot", "Hashing", {"num_bins": 6, "output_mode": "multi_hot"}, None,
     [([["a", "b"], ["c", "c"]], "str")]),
    ("hashing_one_hot", "Hashing", {"num_bins": 6, "output_mode": "one_hot"}, None,
     [([["a"], ["b"]], "str")]),
    ("discretization_boundaries", "Discretization", {"bin_boundaries": [0.0, 1.0, 2.0]}, None,
     [([[-1.5, 0.0, 1.0, 3.4, 0.5, 2.0]], "float32")]),
    ("discretization_one_hot", "Discretization", {"bin_boundaries": [0.0, 1.0],
                                                  "output_mode": "one_hot"}, None,
     [([[-1.0], [0.5], [3.0]], "float32")]),
    ("discretization_count", "Discretization", {"bin_boundaries": [0.0, 1.0],
                                                "output_mode": "count"}, None,
     [([[-1.0, 0.5, 0.7], [3.0, 3.0, -2.0]], "float32")]),
    ("discretization_adapt", "Discretization", {"num_bins": 4},
     [[float(v)] for v in np.arange(100)], [([[10.0], [30.0], [60.0], [99.0]], "float32")]),
    ("discretization_adapt_skewed", "Discretization", {"num_bins": 5, "epsilon": 0.05},
     [[float(v)] for v in (np.arange(57) ** 1.7 / 13.0)], [([[0.5], [20.0], [100.0]], "float32")]),
    ("discretization_adapt_small", "Discretization", {"num_bins": 3},
     [[1.0], [2.0], [2.0], [5.0], [9.0]], [([[1.5], [2.0], [6.0]], "float32")]),
]


def to_input(values, dtype):
    if dtype == "str":
        return tf.constant(values)
    return np.asarray(values, dtype=dtype)


def plain(value):
    arr = np.asarray(value)
    if arr.dtype.kind in "SO":
        return [[v.decode() if isinstance(v, bytes) else v for v in row]
                for row in arr.reshape(arr.shape[0], -1).tolist()] if arr.ndim > 1 else [
            v.decode() if isinstance(v, bytes) else v for v in arr.tolist()]
    if arr.dtype.kind == "f":
        return arr.astype(np.float64).tolist()
    return arr.tolist()


def layer_cases():
    out = []
    for name, cls, config, adapt, calls in LAYER_CASES:
        kwargs = {k: tuple(v) if k == "ngrams" and isinstance(v, list) else v
                  for k, v in config.items()}
        layer = getattr(keras.layers, cls)(**kwargs)
        if adapt is not None:
            layer.adapt(adapt)
        case = {"name": name, "layer": cls, "config": config, "adapt": adapt, "calls": []}
        if hasattr(layer, "get_vocabulary"):
            case["vocabulary"] = [int(v) if isinstance(v, (np.integer, int)) else str(v)
                                  for v in layer.get_vocabulary()]
            case["vocabulary_size"] = int(layer.vocabulary_size())
        if cls == "Discretization":
            case["bin_boundaries"] = [float(b) for b in layer.bin_boundaries]
        for values, dtype in calls:
            result = layer(to_input(values, dtype))
            if cls == "CategoryEncoding" and name.endswith("count"):
                weights = np.full(np.shape(values), 0.5, dtype="float32")
                weighted = layer(to_input(values, dtype), count_weights=weights)
                case["weighted"] = {"count_weights": weights.tolist(),
                                    "output": plain(weighted)}
            case["calls"].append({"input": values, "input_dtype": dtype,
                                  "output": plain(result), "dtype": result.dtype.name})
        out.append(case)
    return out


PAD_CASES = [
    ({"sequences": [[1, 2, 3], [4], [5, 6]]}),
    ({"sequences": [[1, 2, 3], [4], [5, 6]], "maxlen": 2}),
    ({"sequences": [[1, 2, 3], [4], [5, 6]], "maxlen": 2, "truncating": "post"}),
    ({"sequences": [[1, 2, 3], [4], [5, 6]], "maxlen": 4, "padding": "post", "value": -1}),
    ({"sequences": [[1.5, 2.25], [4.0]], "dtype": "float32", "value": 0.5}),
    ({"sequences": [[], [7]], "maxlen": 3}),
    ({"sequences": [[[1, 2], [3, 4]], [[5, 6]]], "padding": "post"}),
]

SERIES_CASES = [
    {"n": 10, "targets": False, "sequence_length": 3, "sequence_stride": 3, "batch_size": 2},
    {"n": 20, "targets": True, "sequence_length": 4, "sampling_rate": 2, "batch_size": 3,
     "start_index": 2, "end_index": 17},
    {"n": 12, "targets": True, "sequence_length": 5, "batch_size": None},
    {"n": 30, "targets": True, "sequence_length": 3, "sequence_stride": 2, "batch_size": 4,
     "shuffle": True, "seed": 7},
]


def pad_cases():
    out = []
    for kwargs in PAD_CASES:
        result = keras.utils.pad_sequences(**kwargs)
        out.append({"kwargs": kwargs, "output": plain(result), "dtype": result.dtype.name})
    return out


def series_cases():
    out = []
    for spec in SERIES_CASES:
        spec = dict(spec)
        n = spec.pop("n")
        data = np.arange(n * 2, dtype="float32").reshape(n, 2)
        targets = np.arange(n, dtype="int64") * 10 if spec.pop("targets") else None
        ds = keras.utils.timeseries_dataset_from_array(data, targets, **spec)
        batches = []
        for batch in ds:
            if targets is None:
                batches.append({"x": plain(batch)})
            else:
                batches.append({"x": plain(batch[0]), "y": plain(batch[1])})
        out.append({"n": n, "targets": targets is not None, "kwargs": spec, "batches": batches})
    return out


FILES = {"neg/a.txt": "awful film", "neg/b.txt": "bad, bad plot", "neg/sub/c.txt": "dull",
         "pos/x.txt": "great fun", "pos/y.TXT": "loved it, truly", "pos/z.txt": "wonderful",
         "pos/skip.md": "not a text file", "mixed/q.txt": "meh", "pos/w.txt": "Ünïcode ok"}


def directory_cases():
    out = []
    with tempfile.TemporaryDirectory() as root:
        for rel, text in FILES.items():
            path = Path(root, rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        specs = [
            {"shuffle": False},
            {"shuffle": False, "class_names": ["pos", "neg"], "label_mode": "categorical"},
            {"shuffle": False, "max_length": 4, "batch_size": 2},
            {"shuffle": True, "seed": 1337, "validation_split": 0.3, "subset": "training"},
            {"shuffle": True, "seed": 1337, "validation_split": 0.3, "subset": "validation"},
            {"shuffle": False, "labels": None},
        ]
        for kwargs in specs:
            ds = keras.utils.text_dataset_from_directory(root, verbose=False, **kwargs)
            texts, labels = [], []
            for batch in ds:
                if kwargs.get("labels", "inferred") is None:
                    texts += [t.decode("utf-8", "ignore") for t in batch.numpy().tolist()]
                else:
                    texts += [t.decode("utf-8", "ignore") for t in batch[0].numpy().tolist()]
                    labels += plain(batch[1])
            out.append({"kwargs": kwargs, "texts": texts, "labels": labels,
                        "class_names": None if ds.class_names is None else list(ds.class_names)})
    return {"files": FILES, "cases": out}


def text_model(K):
    L = K.layers
    vectorize = L.TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorize.adapt(["the cat sat on the mat", "a dog ran far", "the end is near",
                     "cats and dogs", "Dogs, cats... and the MAT!"])
    lookup = L.StringLookup(num_oov_indices=2, mask_token="")
    lookup.adapt([["red", "red", "blue"], ["green", "", "blue"]])
    text = K.Input((1,), dtype="string", name="text")
    h = L.GlobalAveragePooling1D()(L.Embedding(30, 4)(vectorize(text)))
    colour = L.Flatten()(L.Embedding(8, 2)(lookup(text)))
    return K.Model(text, L.Dense(2)(L.Concatenate()([h, colour])))


def case_mha_keywords(K):
    L = K.layers
    query, value = K.Input((4, 3), name="query"), K.Input((5, 2), name="value")
    key = L.Dense(3)(value)
    crossed = L.MultiHeadAttention(2, 2)(query=query, value=value, key=key)
    selfish = L.MultiHeadAttention(1, 3, use_bias=False)(crossed, crossed, key=crossed)
    return K.Model([query, value], selfish)



def text_model_input():
    r = np.random.default_rng(7)
    words = ["the", "cat", "dog", "red", "blue", "mat", "zebra", "and", "Far!"]
    return np.array([[" ".join(r.choice(words, size=int(r.integers(1, 8))))] for _ in range(6)]
                    + [["red"], ["green"], [""], ["blue"]])


def seeded_weights(model, seed):
    r = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([(r.standard_normal(tuple(w.shape)) * 0.5).astype("float32")
                               for w in layer.weights])


def model_files():
    """A TextVectorization + StringLookup model saved by Keras (lamina must load it with the
    same predictions) and the same model saved by lamina (Keras must load it so)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import lamina

    x = text_model_input()
    model = text_model(keras)
    seeded_weights(model, 11)
    model.save(OUT / "text_model_keras.keras")
    np.savez(OUT / "text_model_keras.npz", x=x, y=np.asarray(model(tf.constant(x))))
    lamina.utils.set_random_seed(0)
    ours = text_model(lamina)
    seeded_weights(ours, 12)
    y = np.asarray(ours(x))
    ours.save(OUT / "text_model_lamina.keras")
    keras_y = np.asarray(keras.models.load_model(OUT / "text_model_lamina.keras")(tf.constant(x)))
    if np.max(np.abs(keras_y - y)) > 1e-5:
        raise AssertionError("Keras predicts lamina's text model differently")
    np.savez(OUT / "text_model_lamina.npz", x=x, y=y, keras_y=keras_y)


CONFIG_CASES = [
    ("TextVectorization", {"max_tokens": 10, "ngrams": 2, "output_sequence_length": 4,
                           "vocabulary": ["a", "b"]}),
    ("TextVectorization", {"output_mode": "tf_idf", "vocabulary": ["a", "b"],
                           "idf_weights": [0.5, 1.5], "standardize": "lower", "split": None}),
    ("StringLookup", {"vocabulary": ["a", "b"], "mask_token": "", "num_oov_indices": 2}),
    ("StringLookup", {"output_mode": "multi_hot", "max_tokens": 5, "pad_to_max_tokens": True}),
    ("IntegerLookup", {"vocabulary": [4, 5], "invert": True, "mask_token": 0}),
    ("Hashing", {"num_bins": 5, "salt": 3, "mask_value": "x"}),
    ("Hashing", {"num_bins": 4, "output_mode": "multi_hot"}),
    ("Discretization", {"bin_boundaries": [0.0, 1.0], "output_mode": "count"}),
    ("Discretization", {"num_bins": 3, "epsilon": 0.1}),
    ("CategoryEncoding", {"num_tokens": 4, "output_mode": "count"}),
]


def config_cases():
    out = []
    for cls, kwargs in CONFIG_CASES:
        layer = getattr(keras.layers, cls)(**kwargs, name="probe")
        out.append({"layer": cls, "kwargs": kwargs,
                    "serialized": json.loads(json.dumps(keras.saving.serialize_keras_object(
                        layer)))})
    return out


def main():
    model_files()
    record = {"keras_version": keras.__version__, "layers": layer_cases(), "pad": pad_cases(),
              "configs": config_cases(),
              "timeseries": series_cases(), "directory": directory_cases()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "text.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    print(f"wrote {OUT / 'text.json'}: {len(record['layers'])} layer cases")


if __name__ == "__main__":
    main()
