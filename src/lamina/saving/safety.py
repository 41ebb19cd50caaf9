"""Guards for reading model files that may come from anyone, and atomic writes.

Loading never runs code from a file. This module adds the checks around the
bytes themselves:

* zip archives: entries are read into memory (nothing is extracted); an
  archive whose entry names could point outside a folder (``../``, absolute
  paths, drive letters), that holds symbolic links or duplicate names, too many
  entries, or entries that are too large or decompress far beyond their stored
  size is refused as a whole;
* JSON: bounded size and nesting depth;
* HDF5: soft and external links, external or virtual datasets, non-numeric
  data and datasets that declare far more bytes than they store are refused;
* writing: every file is written to a temporary file in the destination's
  folder and renamed over it, so a failure never leaves half a file behind.

The limits are module constants; tests (or a user with a giant model) may
raise them.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import posixpath
import stat
import struct
import zipfile
import zlib

from lamina.utils.files import atomic_write  # noqa: F401  (saving's writes all go through it)

__all__ = [
    "DamagedFileError",
    "UnsafeFileError",
    "atomic_write",
    "check_h5_dataset",
    "open_h5_child",
    "parse_json",
    "read_zip",
    "reading",
    "require_regular_file",
    "require_h5py",
]

MAX_ZIP_ENTRIES = 10_000
MAX_JSON_BYTES = 64 * 2**20  # a model config is normally a few kilobytes
MAX_JSON_DEPTH = 200
MAX_ENTRY_BYTES = 16 * 2**30  # one archive entry (the weights of a large model)
MAX_TOTAL_BYTES = 32 * 2**30
# An entry larger than this that decompresses to more than MAX_EXPANSION times its stored
# size is a "zip bomb" (Keras stores entries uncompressed; DEFLATE of real weights gains
# a few times at most).
BOMB_FLOOR_BYTES = 2**20
MAX_EXPANSION = 100
H5_BOMB_FLOOR_BYTES = 64 * 2**20
H5_MAX_EXPANSION = 1000


class UnsafeFileError(ValueError):
    """A model file was refused because loading it could be unsafe or exhaust memory."""


class DamagedFileError(ValueError):
    """A model file could not be read: truncated, corrupted, or not the format its name says."""


_READ_ERRORS = (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError,
                AttributeError, OverflowError, EOFError, zlib.error, zipfile.BadZipFile,
                struct.error, MemoryError, NotImplementedError, RecursionError)
_NOT_EXPLANATIONS = (KeyError, IndexError, AttributeError, OverflowError, RecursionError,
                     struct.error, zlib.error)
_LAMINA_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _explains_itself(e: BaseException) -> bool:
    """True for lamina's own errors (raised in lamina's code with a message of its own)."""
    import traceback

    if isinstance(e, UnsafeFileError):
        return True
    if isinstance(e, _NOT_EXPLANATIONS):
        return False
    if isinstance(e, MemoryError):
        return type(e).__module__.startswith("lamina.")
    frames = traceback.extract_tb(e.__traceback__)
    return bool(frames) and os.path.abspath(frames[-1].filename).startswith(_LAMINA_DIR)


@contextlib.contextmanager
def reading(source, what: str = "model file"):
    """Turn what zipfile, h5py or NumPy raise on a damaged file into one clear error.

    lamina's own explanations pass through unchanged; anything raised deeper (a CRC
    mismatch, an HDF5 "address overflow", a raw ``MemoryError``) becomes a
    ``DamagedFileError`` that names the file, says what to do and keeps the library's
    words after "Details:".
    """
    try:
        yield
    except _READ_ERRORS as e:
        if _explains_itself(e):
            raise
        memory = isinstance(e, MemoryError)
        raise DamagedFileError(
            f"The {what} {_describe(source)} could not be read: "
            + ("reading it needed more memory than is available, which a valid file of its "
               "size never does" if memory else
               "it is damaged (truncated, corrupted or edited) or is not the format its name "
               "says")
            + ". Save the model again or download the file again. Details: "
            f"{type(e).__name__}: {str(e)[:300]}"
        ) from None


def require_regular_file(path, what: str = "model file") -> None:
    """Refuse paths that are not regular files (a FIFO would block, a device never ends)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # (the caller's own checks say what is missing)
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise UnsafeFileError(
            f"Refusing to read the {what} {_describe(path)}: it is {kind}, not a regular file "
            "(reading it could block or never end). Copy the model into a regular file first."
        )


def require_h5py():
    """Import and return h5py, or explain how to install it."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Reading and writing Keras model files (.keras, .weights.h5, .h5) needs the h5py "
            "package, which lamina does not install by default. Install it with "
            "`pip install h5py` (or `pip install lamina[files]`)."
        ) from None
    return h5py


# -- zip archives --------------------------------------------------------------------------------


def _unsafe_name(name: str) -> str | None:
    """Why an archive entry name is unsafe, or None."""
    if not name:
        return "it is empty"
    if "\x00" in name:
        return "it contains a NUL character"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "it is an absolute path"
    parts = name.replace("\\", "/").split("/")
    if any(part == ".." for part in parts):
        return "it contains '..' and would point outside the archive's folder"
    if posixpath.normpath(name.replace("\\", "/")).startswith(".."):
        return "it points outside the archive's folder"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def read_zip(source, wanted, *, what="model file") -> dict:
    """Check a whole zip archive and read the ``wanted`` entries into memory.

    Args:
        source: a path or a binary file object.
        wanted: ``{entry_name: byte_limit}``; entries not in the archive are absent
            from the result.
        what: how the archive is described in error messages.

    Returns:
        ``{entry_name: bytes}``.

    Raises:
        UnsafeFileError: for a hostile or malformed archive (the message says why).
    """
    try:
        archive = _open_zip(source, what)
    except zipfile.BadZipFile:
        raise ValueError(
            f"The {what} {_describe(source)} is not a zip archive, so it is not a Keras 3 "
            "'.keras' file. (A Keras 2 '.h5' file must keep its '.h5' name; a TensorFlow "
            "SavedModel folder cannot be read by lamina.)"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise UnsafeFileError(
                f"Refusing to load the {what} {_describe(source)}: it holds {len(infos)} "
                f"entries (a Keras file holds 3). The limit is {MAX_ZIP_ENTRIES}."
            )
        seen, total = set(), 0
        for info in infos:
            name = info.filename
            reason = _unsafe_name(name)
            if reason is not None:
                raise UnsafeFileError(
                    f"Refusing to load the {what} {_describe(source)}: its entry {name!r} is "
                    f"unsafe because {reason}. Nothing was extracted."
                )
            if _is_symlink(info):
                raise UnsafeFileError(
                    f"Refusing to load the {what} {_describe(source)}: its entry {name!r} is a "
                    "symbolic link, which a Keras file never contains. Nothing was extracted."
                )
            if name in seen:
                raise UnsafeFileError(
                    f"Refusing to load the {what} {_describe(source)}: the entry {name!r} "
                    "appears twice, so it is ambiguous which one would be read."
                )
            seen.add(name)
            if info.file_size > MAX_ENTRY_BYTES or (
                info.file_size > BOMB_FLOOR_BYTES
                and info.file_size > MAX_EXPANSION * max(info.compress_size, 1)
            ):
                raise UnsafeFileError(
                    f"Refusing to load the {what} {_describe(source)}: its entry {name!r} "
                    f"declares {_size(info.file_size)} but stores {_size(info.compress_size)} "
                    "(a possible decompression bomb)."
                )
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise UnsafeFileError(
                f"Refusing to load the {what} {_describe(source)}: its entries add up to "
                f"{_size(total)}, above the limit of {_size(MAX_TOTAL_BYTES)}."
            )
        out = {}
        for name, limit in wanted.items():
            if name not in seen:
                continue
            info = archive.getinfo(name)
            if info.file_size > limit:
                raise UnsafeFileError(
                    f"Refusing to load the {what} {_describe(source)}: its entry {name!r} is "
                    f"{_size(info.file_size)}, above the limit of {_size(limit)} for it."
                )
            with reading(source, what):
                out[name] = _bounded_read(archive, info, limit, source, what)
        return out


def _open_zip(source, what):
    try:
        return zipfile.ZipFile(source, "r")
    except zipfile.BadZipFile:
        raise
    except _READ_ERRORS:
        with reading(source, what):
            raise


def _bounded_read(archive, info, limit, source, what) -> bytes:
    """Read one entry, never more than ``limit`` bytes even if its header lies."""
    buffer = io.BytesIO()
    with archive.open(info, "r") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            buffer.write(chunk)
            if buffer.tell() > limit:
                raise UnsafeFileError(
                    f"Refusing to load the {what} {_describe(source)}: its entry "
                    f"{info.filename!r} decompresses to more than {_size(limit)}."
                )
    return buffer.getvalue()


def _describe(source) -> str:
    name = getattr(source, "name", source)
    return repr(os.fspath(name)) if isinstance(name, (str, os.PathLike)) else "(file object)"


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


# -- JSON -------------------------------------------------------------------------------------------


def parse_json(data, *, what="config.json"):
    """Parse JSON from untrusted bytes with bounded size and nesting depth."""
    if isinstance(data, bytes):
        if len(data) > MAX_JSON_BYTES:
            raise UnsafeFileError(
                f"Refusing to read {what}: it is {_size(len(data))}, above the limit of "
                f"{_size(MAX_JSON_BYTES)}."
            )
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{what} is not valid UTF-8 text: {e}.") from None
    elif len(data) > MAX_JSON_BYTES:
        raise UnsafeFileError(f"Refusing to read {what}: it is larger than {_size(MAX_JSON_BYTES)}.")
    # Reject deep nesting before the (recursive) parser sees it.
    depth = deepest = 0
    in_string = escaped = False
    for ch in data:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    raise UnsafeFileError(
                        f"Refusing to read {what}: it is nested more than {MAX_JSON_DEPTH} "
                        "levels deep (a model config needs a few dozen)."
                    )
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{what} is not valid JSON: {e}.") from None


# -- HDF5 -------------------------------------------------------------------------------------------


def open_h5_child(group, name: str, kind: str, *, where: str = "weights file"):
    """``group[name]`` after checking it is a hard link to a ``kind`` ("group"/"dataset").

    Returns None when ``name`` is not in ``group``.
    """
    h5py = require_h5py()
    if name not in group:
        return None
    link = group.get(name, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise UnsafeFileError(
            f"Refusing to read the {where}: '{group.name}/{name}' is a "
            f"{type(link).__name__}; Keras files never link to other places or files."
        )
    obj = group[name]
    expected = h5py.Group if kind == "group" else h5py.Dataset
    if not isinstance(obj, expected):
        raise ValueError(
            f"The {where} is malformed: '{obj.name}' should be a {kind} but is a "
            f"{type(obj).__name__}."
        )
    return obj


def check_h5_dataset(dataset, *, where: str = "weights file"):
    """Read a dataset into memory after refusing external, virtual, odd or bomb-like data."""
    import numpy as np

    if dataset.external:
        raise UnsafeFileError(
            f"Refusing to read the {where}: dataset '{dataset.name}' keeps its data in "
            "another file."
        )
    if dataset.is_virtual:
        raise UnsafeFileError(
            f"Refusing to read the {where}: dataset '{dataset.name}' is a virtual dataset "
            "that maps other files."
        )
    dtype = dataset.dtype
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise UnsafeFileError(
            f"Refusing to read the {where}: dataset '{dataset.name}' has dtype {dtype}, not "
            "a plain number type."
        )
    declared = math.prod(dataset.shape or ()) * dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > MAX_ENTRY_BYTES or (
        declared > H5_BOMB_FLOOR_BYTES and declared > H5_MAX_EXPANSION * max(stored, 1)
    ):
        raise UnsafeFileError(
            f"Refusing to read the {where}: dataset '{dataset.name}' declares "
            f"{_size(declared)} but stores {_size(stored)} (a possible decompression bomb)."
        )
    return np.asarray(dataset[()])


# -- atomic writes ----------------------------------------------------------------------------------


