"""Generate a corpus of hostile and broken model files and check that lamina refuses them safely.

    PYTHONPATH=src python3 tools/make_hostile_corpus.py [--out DIR] [--sample N] [--json]

The corpus (deterministic, generated into a temporary folder unless ``--out``) holds
mutations of valid ``.keras``, ``.weights.h5`` and legacy Keras 2 ``.h5`` files: byte flips,
truncations, JSON field mutations, configs naming arbitrary modules and functions (``os.system``,
``subprocess.Popen``, Lambda byte code that would write a canary file), oversized shapes and
members, nested archives, symbolic links, duplicate member names, and configs of every layer
kind lamina registers with hostile arguments (file paths where a vocabulary could be, code
objects, sizes of 10**12). Each file is loaded with ``safe_mode`` True and False in a forked
child with an address-space limit, a CPU limit and a wall-clock timeout
(``hostile_runner.py``). A file passes when it is refused with one of lamina's own clear
errors (raised in lamina's code, not a raw NumPy/h5py/zipfile traceback) or, for mutations
that keep the file meaningful (a flipped weight byte), loads; and in every case no code ran
(the canary file is absent, no process was spawned), no file was written and the planted
"secret" file a config names was never opened.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import marshal
import os
import random
import shutil
import stat
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "keras_files")
sys.path.insert(0, HERE)

import hostile_runner  # noqa: E402  (tools/hostile_runner.py)

SECRET_NAME = "lamina_secret_vocabulary.txt"
CANARY_NAME = "lamina_canary_written"


class Corpus:
    """Files and what is expected of each: ``refuse`` (must be refused) or ``any``."""

    def __init__(self, folder):
        self.folder = folder
        self.entries = []
        self.secret = os.path.join(folder, SECRET_NAME)
        self.canary = os.path.join(folder, CANARY_NAME)

    def path(self, name):
        return os.path.join(self.folder, name)

    def add(self, name, data, kind, expect="refuse", family="misc"):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        self.entries.append(dict(name=name, path=path, kind=kind, expect=expect, family=family))
        return path

    def add_path(self, name, kind, expect="refuse", family="misc"):
        self.entries.append(dict(name=name, path=self.path(name), kind=kind, expect=expect,
                                 family=family))


def _zip(members, compression=zipfile.ZIP_STORED):
    """A zip archive of ``[(name, bytes) | (ZipInfo, bytes)]`` (duplicates allowed)."""
    import warnings

    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression) as z:
        warnings.simplefilter("ignore")  # ("Duplicate name": duplicates are the point)
        for name, data in members:
            if isinstance(name, zipfile.ZipInfo):
                z.writestr(name, data)
            else:
                z.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


def _base_files(corpus):
    """A valid model saved by lamina (.keras and .weights.h5) and Keras 2's legacy files."""
    import numpy as np

    import lamina

    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(8, activation="relu"),
                               lamina.layers.BatchNormalization(),
                               lamina.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    model.fit(x, np.arange(16) % 3, epochs=1, verbose=0)
    keras_path = corpus.path("base.keras")
    model.save(keras_path)
    weights_path = corpus.path("base.weights.h5")
    model.save_weights(weights_path)
    legacy = os.path.join(FIXTURES, "legacy_sequential.h5")
    legacy_w = os.path.join(FIXTURES, "legacy_sequential_weights.h5")
    with open(keras_path, "rb") as f:
        keras_bytes = f.read()
    with open(weights_path, "rb") as f:
        weights_bytes = f.read()
    with open(legacy, "rb") as f:
        legacy_bytes = f.read()
    with open(legacy_w, "rb") as f:
        legacy_w_bytes = f.read()
    with zipfile.ZipFile(io.BytesIO(keras_bytes)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    return keras_bytes, weights_bytes, legacy_bytes, legacy_w_bytes, members


def _byte_flips(corpus, rng, name, data, kind, count):
    for i in range(count):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(buf))
            buf[pos] ^= 1 << rng.randrange(8)
        corpus.add(f"flip_{name}_{i:02d}{_suffix(kind)}", bytes(buf), kind, "any", "byte flip")


def _truncations(corpus, name, data, kind, count):
    for i in range(count):
        cut = len(data) * (i + 1) // (count + 1)
        corpus.add(f"trunc_{name}_{i:02d}{_suffix(kind)}", data[:cut], kind, "refuse", "truncation")
    corpus.add(f"trunc_{name}_empty{_suffix(kind)}", b"", kind, "refuse", "truncation")


def _suffix(kind):
    return {"keras": ".keras", "weights": ".weights.h5", "legacy_model": ".h5",
            "legacy_weights": ".h5"}[kind]


def _code_payload(canary):
    """Lambda byte code, as Keras stores it, that would write the canary file if it ran."""
    source = f"lambda x: (open({canary!r}, 'w').write('ran'), x)[1]"
    code = compile(source, "<lambda>", "eval").co_consts[0]
    return base64.b64encode(marshal.dumps(code)).decode("ascii")


def _hostile_objects(corpus):
    """Config values that name code: each would run something if resolved naively."""
    canary = corpus.canary
    return {
        "os_system": {"module": "os", "class_name": "system", "config": f"touch {canary}",
                      "registered_name": "system"},
        "os_function": {"module": "os", "class_name": "function", "config": "system",
                        "registered_name": "function"},
        "popen": {"module": "subprocess", "class_name": "Popen",
                  "config": {"args": ["touch", canary]}, "registered_name": "Popen"},
        "builtins_eval": {"module": "builtins", "class_name": "eval",
                          "config": f"open({canary!r}, 'w')", "registered_name": "eval"},
        "importlib": {"module": "importlib", "class_name": "import_module", "config": "os"},
        "pickle": {"module": "pickle", "class_name": "loads", "config": "cos\nsystem\n."},
        "main_module": {"module": "__main__", "class_name": "Anything", "config": {}},
        "registered": {"module": None, "class_name": "Custom>system",
                       "registered_name": "os>system", "config": {}},
        "lambda_code": {"module": "builtins", "class_name": "function",
                        "config": {"code": _code_payload(canary), "defaults": None,
                                   "closure": None}, "registered_name": "function"},
        "dunder": {"module": "keras.layers", "class_name": "__class__", "config": {}},
    }


def _with_config(members, config, weights=None, metadata=None):
    out = dict(members)
    out["config.json"] = json.dumps(config).encode() if not isinstance(config, bytes) else config
    if weights is not None:
        out["model.weights.h5"] = weights
    if metadata is not None:
        out["metadata.json"] = metadata
    return _zip(list(out.items()))


def _config_mutations(corpus, members, quick=False):
    base = json.loads(members["config.json"])
    objects = _hostile_objects(corpus)
    layers = base["config"]["layers"]
    dense_index = next(i for i, layer in enumerate(layers) if layer["class_name"] == "Dense")

    def mutate(tag, fn, expect="refuse"):
        config = copy.deepcopy(base)
        fn(config)
        corpus.add(f"json_{tag}.keras", _with_config(members, config), "keras", expect,
                   "json mutation")

    def dense(config):
        return config["config"]["layers"][dense_index]["config"]

    for tag, obj in objects.items():
        mutate(f"model_is_{tag}", lambda c, obj=obj: c.update(copy.deepcopy(obj)))
        mutate(f"layer_is_{tag}", lambda c, obj=obj: c["config"]["layers"].__setitem__(
            dense_index, copy.deepcopy(obj)))
        mutate(f"activation_{tag}", lambda c, obj=obj: dense(c).update(activation=copy.deepcopy(obj)))
        mutate(f"initializer_{tag}", lambda c, obj=obj: dense(c).update(
            kernel_initializer=copy.deepcopy(obj)))
        mutate(f"optimizer_{tag}", lambda c, obj=obj: c.setdefault("compile_config", {}).update(
            optimizer=copy.deepcopy(obj)))
        mutate(f"loss_{tag}", lambda c, obj=obj: c.setdefault("compile_config", {}).update(
            loss=copy.deepcopy(obj)))
    for tag, name in (("str_os_system", "os.system"), ("str_eval", "eval"),
                      ("str_dunder_import", "__import__"), ("str_path", corpus.secret)):
        mutate(f"activation_{tag}", lambda c, name=name: dense(c).update(activation=name))
        mutate(f"class_{tag}", lambda c, name=name: c["config"]["layers"][dense_index].update(
            class_name=name))
        mutate(f"module_{tag}", lambda c, name=name: c["config"]["layers"][dense_index].update(
            module=name))
    lambda_layer = {"module": "keras.layers", "class_name": "Lambda", "config": {
        "name": "evil", "function": {"class_name": "__lambda__", "config": {
            "code": _code_payload(corpus.canary), "defaults": None, "closure": None}},
        "arguments": {}}, "registered_name": None}
    mutate("lambda_layer", lambda c: c["config"]["layers"].insert(1, copy.deepcopy(lambda_layer)))
    for value in (10**12, 2**63, -5, 0, "abc", None, 1e308, [1, 2], True, {"a": 1}, 3.5):
        mutate(f"units_{value!s:.10}".replace(" ", ""), lambda c, v=value: dense(c).update(units=v),
               "any" if value in (0,) else "refuse")
    for tag, shape in (("huge", [None, 10**12]), ("negative", [None, -3]), ("text", "x"),
                       ("nested", [[None, 4]]), ("rank40", [None] + [2] * 40),
                       ("float", [None, 4.5])):
        mutate(f"batch_shape_{tag}", lambda c, s=shape: c["config"]["layers"][0]["config"].update(
            batch_shape=s), "any" if tag == "float" else "refuse")
        # (a built Sequential model keeps its Input's shape: the build config is not needed)
        mutate(f"build_config_{tag}", lambda c, s=shape: c.update(
            build_config={"input_shape": s}), "any")
    for dtype in ("object", "V10", "<U5", "float128", "complex128", "int4", "os.system"):
        mutate(f"dtype_{dtype}".replace("<", "lt"), lambda c, d=dtype: dense(c).update(dtype=d),
               "any" if dtype == "float128" else "refuse")
    for tag, config in (("empty_dict", {}), ("list", []), ("string", "model"), ("number", 3),
                        ("null", None), ("no_layers", {"class_name": "Sequential", "config": {}}),
                        ("layers_not_list", {"class_name": "Sequential",
                                             "config": {"layers": "Dense"}})):
        corpus.add(f"json_whole_{tag}.keras", _with_config(members, config), "keras",
                   "any" if tag == "no_layers" else "refuse", "json mutation")
    if not quick:
        many = copy.deepcopy(base)
        many["config"]["layers"] = [many["config"]["layers"][0]] + [
            {"module": "keras.layers", "class_name": "Dense",
             "config": {"units": 1, "name": f"d{i}"}} for i in range(3000)]
        corpus.add("json_3000_layers.keras", _with_config(members, many), "keras", "refuse",
                   "oversized")
    deep = "[" * 100_000 + "]" * 100_000
    corpus.add("json_deep.keras", _with_config(members, deep.encode()), "keras", "refuse",
               "oversized")
    corpus.add("json_not_utf8.keras", _with_config(members, b"\xff\xfe{\x00}"), "keras",
               "refuse", "json mutation")
    corpus.add("json_invalid.keras", _with_config(members, b"{'class_name': Dense,"), "keras",
               "refuse", "json mutation")
    for tag, meta in (("version1", b'{"keras_version": "1.0"}'), ("list", b"[1, 2]"),
                      ("garbage", b"\x00\x01"), ("deep", b"[" * 5000 + b"]" * 5000)):
        corpus.add(f"meta_{tag}.keras", _with_config(members, base, metadata=meta), "keras",
                   "any" if tag in ("version1", "list") else "refuse", "json mutation")


def _h5_file(build):
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        build(f)
    return buffer.getvalue()


def _weights_mutations(corpus, members, weights):
    import h5py
    import numpy as np

    config = json.loads(members["config.json"])
    keras_zip = _zip(list(members.items()))

    def copy_weights(f, change=None):
        with h5py.File(io.BytesIO(weights), "r") as src:
            for key in src:
                src.copy(src[key], f, name=key)
            for key, value in src.attrs.items():
                f.attrs[key] = value
        if change is not None:
            change(f)

    def first_dataset(f):
        found = []
        f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset)
                     and not found else None)
        return found[0]

    def replace(f, name, **kwargs):
        del f[name]
        f.create_dataset(name, **kwargs)

    secret = corpus.secret
    variants = {
        "soft_link": lambda f: _relink(f, first_dataset(f), h5py.SoftLink("/nowhere")),
        "external_link": lambda f: _relink(f, first_dataset(f), h5py.ExternalLink(secret, "/x")),
        "external_data": lambda f: replace(f, first_dataset(f), shape=(4, 8), dtype="f4",
                                           external=[(secret, 0, 128)]),
        "object_dtype": lambda f: replace(f, first_dataset(f), data=np.array(["a", "b"],
                                          dtype=h5py.string_dtype())),
        "compound_dtype": lambda f: replace(f, first_dataset(f), data=np.zeros(3, "i4,f4")),
        "huge_declared": lambda f: replace(f, first_dataset(f), shape=(2**40,), dtype="f4",
                                           chunks=(1024,)),
        "huge_2d": lambda f: replace(f, first_dataset(f), shape=(2**20, 2**20), dtype="f8",
                                     chunks=(64, 64)),
        "wrong_shape": lambda f: replace(f, first_dataset(f), data=np.zeros((5, 7), "f4")),
        "scalar": lambda f: replace(f, first_dataset(f), data=np.float32(1)),
        "nan_values": lambda f: replace(f, first_dataset(f), data=np.full((4, 8), np.nan, "f4")),
        "group_for_dataset": lambda f: (f.__delitem__(first_dataset(f)),
                                        f.create_group(first_dataset_name[0])),
        "emptied": lambda f: [f.__delitem__(k) for k in list(f.keys())],
        "vars_renamed": lambda f: f.move(first_dataset(f), first_dataset(f) + "_x"),
    }
    first_dataset_name = []
    with h5py.File(io.BytesIO(weights), "r") as src:
        src.visititems(lambda name, obj: first_dataset_name.append(name)
                       if isinstance(obj, h5py.Dataset) and not first_dataset_name else None)
    expect_any = {"nan_values"}
    for tag, change in variants.items():
        try:
            data = _h5_file(lambda f, change=change: copy_weights(f, change))
        except Exception as e:  # noqa: BLE001 - a variant h5py cannot write here
            print(f"(skipped h5 variant {tag}: {e})", file=sys.stderr)
            continue
        expect = "any" if tag in expect_any else "refuse"
        corpus.add(f"h5_{tag}.weights.h5", data, "weights", expect, "hdf5 mutation")
        corpus.add(f"h5_{tag}_in_zip.keras", _with_config(members, config, weights=data),
                   "keras", expect, "hdf5 mutation")
    for tag, member in (("zip_as_weights", keras_zip), ("garbage_weights", b"GARBAGE" * 100),
                        ("empty_weights", b""), ("keras_as_weights", keras_zip)):
        corpus.add(f"nested_{tag}.keras", _with_config(members, config, weights=member), "keras",
                   "refuse", "nested archive")
    corpus.add("nested_zip_as_config.keras", _with_config(members, keras_zip), "keras", "refuse",
               "nested archive")
    corpus.add("nested_zip_in_zip.keras", _zip([("inner.keras", keras_zip)]), "keras", "refuse",
               "nested archive")
    no_weights = {k: v for k, v in members.items() if k != "model.weights.h5"}
    corpus.add("zip_no_weights.keras", _zip(list(no_weights.items())), "keras", "refuse", "zip")
    no_config = {k: v for k, v in members.items() if k != "config.json"}
    corpus.add("zip_no_config.keras", _zip(list(no_config.items())), "keras", "refuse", "zip")


def _relink(f, name, link):
    del f[name]
    f[name] = link


def _zip_mutations(corpus, members, quick=False):
    items = list(members.items())
    for tag, name in (("traversal", "../../evil.txt"), ("absolute", "/tmp/evil.txt"),
                      ("drive", "C:\\evil.txt"), ("backslash", "..\\..\\evil.txt"),
                      ("nul", "config.json\x00.txt"), ("empty_name", "")):
        try:
            corpus.add(f"zip_{tag}.keras", _zip(items + [(name, b"x")]), "keras", "refuse", "zip")
        except Exception as e:  # noqa: BLE001 - zipfile refuses to write some names
            print(f"(skipped zip variant {tag}: {e})", file=sys.stderr)
    for target in ("config.json", "model.weights.h5"):
        info = zipfile.ZipInfo(target)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        rest = [(k, v) for k, v in items if k != target]
        corpus.add(f"zip_symlink_{target}.keras", _zip(rest + [(info, corpus.secret.encode())]),
                   "keras", "refuse", "symlink")
        corpus.add(f"zip_duplicate_{target}.keras", _zip(items + [(target, members[target])]),
                   "keras", "refuse", "duplicate member")
    big = 8 * 2**20 if quick else 200 * 2**20  # (quick: still far beyond 100x its stored size)
    bomb = _zip(items[:-1] + [("model.weights.h5", b"\x00" * big)], zipfile.ZIP_DEFLATED)
    corpus.add("zip_deflate_bomb.keras", bomb, "keras", "refuse", "oversized")
    if not quick:
        big_config = _zip([(k, v) for k, v in items if k != "config.json"]
                          + [("config.json", b" " * (70 * 2**20))], zipfile.ZIP_DEFLATED)
        corpus.add("zip_70mb_config.keras", big_config, "keras", "refuse", "oversized")
        corpus.add("zip_many_entries.keras",
                   _zip(items + [(f"junk/{i}", b"") for i in range(10_050)]), "keras", "refuse",
                   "oversized")
    corpus.add("zip_empty.keras", _zip([]), "keras", "refuse", "zip")
    corpus.add("not_zip_png.keras", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "keras", "refuse", "zip")
    corpus.add("not_h5_text.h5", b"hello, not HDF5\n" * 10, "legacy_model", "refuse", "zip")
    corpus.add("zip_named_h5.h5", _zip(items), "legacy_model", "any", "zip")
    # Not regular files at all.
    os.mkdir(corpus.path("a_folder.keras"))
    corpus.add_path("a_folder.keras", "keras", "refuse", "not a file")
    os.symlink(corpus.secret, corpus.path("symlink_to_secret.keras"))
    corpus.add_path("symlink_to_secret.keras", "keras", "refuse", "symlink")
    os.symlink("/dev/zero", corpus.path("symlink_to_dev_zero.keras"))
    corpus.add_path("symlink_to_dev_zero.keras", "keras", "refuse", "symlink")
    os.symlink(corpus.path("missing"), corpus.path("symlink_dangling.keras"))
    corpus.add_path("symlink_dangling.keras", "keras", "refuse", "symlink")
    if hasattr(os, "mkfifo"):
        os.mkfifo(corpus.path("a_fifo.keras"))
        corpus.add_path("a_fifo.keras", "keras", "refuse", "not a file")
        os.mkfifo(corpus.path("a_fifo.weights.h5"))
        corpus.add_path("a_fifo.weights.h5", "weights", "refuse", "not a file")


def _hostile_arguments(cls, corpus, objects):
    """Three configs per layer class: paths, code objects and huge sizes for its arguments."""
    import inspect

    try:
        params = [p for p in inspect.signature(cls.__init__).parameters.values()
                  if p.name not in ("self", "name", "kwargs", "args") and p.kind in
                  (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params] or ["units"]
    return {
        "paths": {n: corpus.secret for n in names},
        "code": {n: copy.deepcopy(objects["os_system"]) for n in names},
        "huge": {n: 10**12 for n in names},
    }


QUICK_KINDS = ("Conv2D", "Dense", "Embedding", "LSTM", "MaxPooling2D", "Normalization",
               "Reshape", "Rescaling")


def _layer_kinds(corpus, members, quick=False):
    from lamina.utils import registry

    base = json.loads(members["config.json"])
    objects = _hostile_objects(corpus)
    kinds = registry.classes("layer")
    # Keras preprocessing layers that read vocabulary files, which lamina does not have: a
    # config naming one must be refused without the path being touched.
    extra = {"StringLookup": {"vocabulary": corpus.secret},
             "IntegerLookup": {"vocabulary": corpus.secret},
             "TextVectorization": {"vocabulary": corpus.secret},
             "Hashing": {"num_bins": 10**12}}
    for name, cls in sorted(kinds.items()):
        if name in ("Sequential", "Model", "Functional", "InputLayer"):
            continue
        if quick and name not in QUICK_KINDS:
            continue
        for tag, args in _hostile_arguments(cls, corpus, objects).items():
            config = copy.deepcopy(base)
            config["config"]["layers"].insert(1, {"module": "keras.layers", "class_name": name,
                                                  "config": dict(args, name=f"hostile_{tag}"),
                                                  "registered_name": None})
            corpus.add(f"kind_{name}_{tag}.keras", _with_config(members, config), "keras",
                       "any", "layer kind")
    for name, args in extra.items():
        config = copy.deepcopy(base)
        config["config"]["layers"].insert(1, {"module": "keras.layers", "class_name": name,
                                              "config": dict(args, name="vocab"),
                                              "registered_name": None})
        # (Hashing keeps no table: 10**12 bins cost nothing, so loading it is harmless)
        corpus.add(f"kind_{name}_vocabulary.keras", _with_config(members, config), "keras",
                   "any" if name == "Hashing" else "refuse", "layer kind")


def build_corpus(folder, sample=None, quick=False):
    """Write the corpus into ``folder``; returns the ``Corpus``.

    ``sample``: keep every n-th generated file only. ``quick``: the test suite's fixed
    sample: the oversized members shrink to a few MiB (still refused for the same
    reasons) and a few layer kinds stand for all.
    """
    corpus = Corpus(folder)
    with open(corpus.secret, "w") as f:
        f.write("secret\nvocabulary\n")
    rng = random.Random(20261207)
    keras_bytes, weights_bytes, legacy_bytes, legacy_w_bytes, members = _base_files(corpus)
    _byte_flips(corpus, rng, "keras", keras_bytes, "keras", 30)
    _byte_flips(corpus, rng, "weights", weights_bytes, "weights", 20)
    _byte_flips(corpus, rng, "legacy", legacy_bytes, "legacy_model", 15)
    _byte_flips(corpus, rng, "legacyw", legacy_w_bytes, "legacy_weights", 10)
    _truncations(corpus, "keras", keras_bytes, "keras", 10)
    _truncations(corpus, "weights", weights_bytes, "weights", 8)
    _truncations(corpus, "legacy", legacy_bytes, "legacy_model", 8)
    _truncations(corpus, "legacyw", legacy_w_bytes, "legacy_weights", 5)
    _config_mutations(corpus, members, quick)
    _weights_mutations(corpus, members, weights_bytes)
    _zip_mutations(corpus, members, quick)
    _layer_kinds(corpus, members, quick)
    if sample:
        corpus.entries = corpus.entries[::sample]
    return corpus


def fixed_sample(corpus, per_family=3):
    """The first ``per_family`` files of each family (the test suite's fixed sample)."""
    counts, kept = {}, []
    for entry in corpus.entries:
        counts[entry["family"]] = counts.get(entry["family"], 0) + 1
        if counts[entry["family"]] <= per_family:
            kept.append(entry)
    corpus.entries = kept
    return corpus


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="folder for the corpus (default: a temporary folder)")
    parser.add_argument("--sample", type=int, default=None, help="keep every n-th file")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--verbose", action="store_true", help="one line per file")
    args = parser.parse_args(argv)
    folder = args.out or tempfile.mkdtemp(prefix="lamina_hostile_")
    os.makedirs(folder, exist_ok=True)
    try:
        corpus = build_corpus(folder, args.sample)
        results = hostile_runner.run_all(corpus)
    finally:
        if not args.out:
            shutil.rmtree(folder, ignore_errors=True)
    summary = hostile_runner.summarize(results)
    if args.verbose:
        for r in results:
            print(f"{r['outcome']:>9} {r['safe_mode']!s:>5} {r['name']}: {r['detail'][:150]}")
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(hostile_runner.format_summary(summary))
    return 0 if summary["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
