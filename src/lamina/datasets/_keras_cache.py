"""Keras's downloaded data sets, read from Keras's cache folder (lamina never downloads).

The folder is ``$KERAS_HOME/datasets`` or ``~/.keras/datasets`` (``/tmp/.keras``
when the home folder is not writable), read at each call. A file that is not
there gives an error that says what to download, from where, and where to put
it. The CIFAR batches are Python pickles: ``load_pickle`` unpickles them with
an ``Unpickler`` that builds only dicts, lists, strings, numbers and NumPy
arrays, and refuses any other class or function (no code from a file runs).
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zipfile

import numpy as np

__all__ = ["datasets_dir", "find", "load_npz", "load_pickle", "locate", "missing_file_error",
           "read_member"]

# The only globals a CIFAR batch needs: NumPy's array reconstruction (NumPy 1 and 2
# spellings), and codecs.encode, which Python 3's protocol-2 pickles use for bytes.
_ALLOWED = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
})


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load '{module}.{name}': a data set file holds only arrays, lists "
            "and strings, so this file is damaged or not what it claims to be"
        )


def load_pickle(data: bytes, source: str):
    """Unpickle a CIFAR batch (bytes keys, as Keras reads it) allowing only arrays and builtins."""
    try:
        return _ArraysOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise ValueError(f"Could not read '{source}': {err}. Download the file again.") from None


def keras_homes():
    """The folders Keras keeps its files in, in the order Keras picks them."""
    if "KERAS_HOME" in os.environ:
        return [os.environ["KERAS_HOME"]]
    home = os.path.expanduser("~")
    return [os.path.join(home, ".keras"), os.path.join("/tmp", ".keras")]


def datasets_dir() -> str:
    """Where Keras puts downloaded data sets (the first of ``keras_homes()``, ``datasets``)."""
    return os.path.join(os.path.expanduser(keras_homes()[0]), "datasets")


def find(*relative):
    """The first of the ``relative`` paths (under any Keras home's ``datasets``) that exists."""
    for home in keras_homes():
        for rel in relative:
            path = os.path.join(os.path.expanduser(home), "datasets", rel)
            if os.path.exists(path):
                return path
    return None


def missing_file_error(dataset: str, what: str, url: str, place: str, size: str,
                       call: str = "load_data"):
    """The error for a data set whose file is not in Keras's cache: what to fetch, and where."""
    target = os.path.join(datasets_dir(), place)
    return FileNotFoundError(
        f"{dataset}.{call}() reads {what} from Keras's cache folder, and it is not there "
        f"(lamina does not download). Download {url} ({size}) and save it as {target}"
        " (set the KERAS_HOME environment variable to use another folder than ~/.keras). "
        f"A machine with Keras fills the same folder with `keras.datasets.{dataset}.{call}()`."
    )


def locate(path, dataset: str, what: str, url: str, size: str, call: str = "load_data") -> str:
    """The file ``path`` (a name in Keras's ``datasets`` folder, or a full path), or the error."""
    path = os.fspath(path)
    if os.path.isabs(path) and os.path.exists(path):
        return path
    found = find(path)
    if found is None:
        raise missing_file_error(dataset, what, url, path, size, call)
    return found


def load_npz(path: str) -> dict:
    """The arrays of an ``.npz`` file, object arrays (ragged lists) included, read safely.

    Numeric arrays load with pickling off; an object array's pickle goes through
    the unpickler that builds only arrays, lists, strings and numbers. A damaged
    or foreign file gives a ``ValueError`` that names it.
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith(".npy"):
                    arrays[name[:-4]] = _read_npy(archive.read(name), f"{path}:{name}")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise ValueError(f"Could not read '{path}' as an .npz file: {err}. Download it again.") \
            from None
    return arrays


def _read_npy(data: bytes, source: str):
    stream = io.BytesIO(data)
    major, _ = np.lib.format.read_magic(stream)
    if major == 1:
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif major in (2, 3):  # 3.0 differs from 2.0 only in the header's text encoding
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"unsupported .npy format version {major}")
    if not dtype.hasobject:
        return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
    try:
        return _ArraysOnlyUnpickler(stream).load()
    except (pickle.UnpicklingError, EOFError, TypeError) as err:
        raise ValueError(f"'{source}': {err}") from None


def read_member(archive: str, member: str) -> bytes:
    """The bytes of one file inside a ``.tar.gz`` archive, read in memory (nothing extracted)."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            info = tar.getmember(member)
            if not info.isfile():
                raise KeyError(member)
            return tar.extractfile(info).read()
    except KeyError:
        raise ValueError(
            f"'{archive}' has no file '{member}': it is not the archive this data set comes in "
            "(or the download was cut short). Download it again."
        ) from None
    except (tarfile.TarError, OSError, EOFError) as err:
        raise ValueError(f"Could not read the archive '{archive}': {err}. Download it again.") \
            from None
