"""The file behind ``Dataset.cache(filename)``: ``filename + ".lamina-cache"``.

The file is a sequence of ``.npy`` records (``np.save``, read back with
``allow_pickle=False``, so reading it can never run code): a header with the
elements' structure as JSON, then blocks of up to ``BLOCK`` elements (a count,
then each leaf of the block stacked), then an end mark. It is written through
a temporary file in the same folder and renamed when the pass completes
(``lamina.utils.files.atomic_write``), so a pass stopped early, or a crash,
never leaves a partial cache behind. As in tf.data, an existing file is read
instead of the input, in this and later programs; delete it to rebuild.
"""

from __future__ import annotations

import json
import os

import numpy as np

from lamina.data.dataset import structure
from lamina.utils.files import atomic_write

__all__ = ["Writer", "cache_path", "exists", "read"]

SUFFIX = ".lamina-cache"
FORMAT = "lamina-dataset-cache"
VERSION = 1
BLOCK = 1024  # elements per block
BLOCK_BYTES = 8 << 20  # or fewer, when their leaves pass 8 MiB
_END = -1


def cache_path(filename) -> str:
    """The file that ``cache(filename)`` writes."""
    return os.fspath(filename) + SUFFIX


def exists(path) -> bool:
    return os.path.isfile(path)


def _encode(definition):
    if definition == structure.LEAF:
        return "."
    if definition[0] is dict:
        keys = []
        for key in definition[1]:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"Dataset.cache(filename) stores dict keys that are strings or "
                                f"integers; got the key {key!r}. Cache in memory (cache()).")
            keys.append(["s" if isinstance(key, str) else "i", key])
        return {"dict": keys, "children": [_encode(c) for c in definition[2]]}
    return {"tuple": [_encode(c) for c in definition[1]]}  # namedtuples come back as tuples


def _decode(obj):
    if obj == ".":
        return structure.LEAF
    if "dict" in obj:
        keys = tuple(k if kind == "s" else int(k) for kind, k in obj["dict"])
        return (dict, keys, tuple(_decode(c) for c in obj["children"]))
    return (tuple, tuple(_decode(c) for c in obj["tuple"]))


class Writer:
    """Writes elements to the cache file; the file appears only when ``__exit__`` sees no error."""

    def __init__(self, path):
        self.path = path
        self._context = None
        self._file = None
        self._def = None
        self._block = []
        self._bytes = 0
        self._count = 0

    def __enter__(self):
        self._context = atomic_write(self.path, "wb")
        self._file = self._context.__enter__()
        return self

    def add(self, element):
        leaves, definition = structure.flatten_with_def(element)
        if self._def is None:
            self._def = definition
            self._save_header(definition)
        elif definition != self._def:
            raise ValueError(
                f"Dataset.cache: element {self._count} has the structure "
                f"{structure.describe(element)}, unlike the elements before it; a cache file "
                "holds elements of one structure."
            )
        if self._block and any(np.shape(a) != np.shape(b) or a.dtype != b.dtype
                               for a, b in zip(self._block[0], leaves)):
            self._flush()  # a block stacks elements of equal shapes
        self._block.append(leaves)
        self._bytes += sum(x.nbytes for x in leaves)
        self._count += 1
        if len(self._block) >= BLOCK or self._bytes >= BLOCK_BYTES:
            self._flush()

    def _save(self, array):
        try:
            np.save(self._file, array, allow_pickle=False)
        except ValueError as exc:
            raise TypeError(f"Dataset.cache(filename) cannot store an array of dtype "
                            f"{array.dtype} ({exc}); use cache() in memory.") from None

    def _save_header(self, definition):
        header = {"format": FORMAT, "version": VERSION,
                  "structure": None if definition is None else _encode(definition)}
        self._save(np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8))

    def _flush(self):
        if not self._block:
            return
        self._save(np.array([len(self._block)], dtype=np.int64))
        for column in zip(*self._block):
            self._save(np.stack(column))
        self._block, self._bytes = [], 0

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                if self._def is None:
                    self._save_header(None)  # an empty dataset
                self._flush()
                self._save(np.array([_END], dtype=np.int64))
        except BaseException as error:
            self._context.__exit__(type(error), error, error.__traceback__)
            raise
        return self._context.__exit__(exc_type, exc, tb)


def _load(f, path):
    try:
        return np.load(f, allow_pickle=False)
    except EOFError:
        raise ValueError(f"The dataset cache file {path!r} is incomplete; delete it so that the "
                         "next pass writes it again.") from None
    except ValueError as exc:
        raise ValueError(f"{path!r} is not a lamina dataset cache file ({exc}); delete it so "
                         "that the next pass writes it again.") from None


def read(path):
    """The elements stored in the cache file ``path``, block by block."""
    with open(path, "rb") as f:
        raw = _load(f, path)
        try:
            header = json.loads(raw.tobytes().decode("utf-8"))
            assert header["format"] == FORMAT
        except Exception:  # noqa: BLE001 - anything else is not our file
            raise ValueError(f"{path!r} is not a lamina dataset cache file; delete it or choose "
                             "another filename for cache().") from None
        if header["version"] != VERSION:
            raise ValueError(f"The dataset cache file {path!r} has version {header['version']}; "
                             f"this lamina reads version {VERSION}. Delete it to rebuild it.")
        if header["structure"] is None:
            _load(f, path)
            return
        definition = _decode(header["structure"])
        width = len(structure.paths(definition))
        while True:
            count = int(_load(f, path)[0])
            if count == _END:
                return
            leaves = [_load(f, path) for _ in range(width)]
            for leaf in leaves:
                leaf.flags.writeable = False
            for k in range(count):
                yield structure.pack(definition, [leaf[k] for leaf in leaves])
