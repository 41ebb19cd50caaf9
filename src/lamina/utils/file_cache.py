"""``keras.utils.get_file``: Keras's file cache, without the network.

The cache is Keras's: ``cache_dir`` (default ``$KERAS_HOME`` or ``~/.keras``;
``/tmp/.keras`` when that is not writable) / ``cache_subdir`` / ``fname``, with
Keras's names for archives and their unpacked folders, so files that Keras
downloaded are found where Keras put them. A ``file://`` origin is copied into
the cache (and checked against ``file_hash``); any other origin is served from
the cache only, and a file that is not there (or fails its hash) gives an error
that says where to put it. Archives unpack through ``utils.archives``, which
refuses members that would land outside the target folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
import warnings

from lamina.utils.archives import safe_extract
from lamina.utils.files import atomic_write

__all__ = ["get_file", "hash_file", "keras_cache_dir", "validate_file"]


def keras_cache_dir(cache_dir=None) -> str:
    """Keras's cache root: ``cache_dir``, else ``$KERAS_HOME``, else ``~/.keras``; /tmp if read-only."""
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))
    base = os.path.expanduser(os.fspath(cache_dir))
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    return base


def _algorithm(algorithm: str, file_hash=None) -> str:
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError("The 'hash_algorithm' argument of get_file must be 'auto', 'sha256' or "
                         f"'md5'. Got {algorithm!r} instead.")
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None
                                 and len(str(file_hash)) == 64):
        return "sha256"
    return "md5"


def _hasher(algorithm: str, file_hash=None):
    return hashlib.new(_algorithm(algorithm, file_hash))


def hash_file(fpath, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file (``"sha256"`` or ``"md5"``), read in chunks.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "empty")
        >>> open(path, "wb").close()
        >>> hash_file(path)[:12]
        'e3b0c44298fc'
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """Whether the file's sha256 or md5 digest (``"auto"``: by the hash's length) is ``file_hash``."""
    digest = hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)
    return digest == str(file_hash).strip().lower()


def _names(fname, origin, datadir, extract):
    """Where the file goes and, when unpacking, the folder it unpacks to (Keras's names)."""
    given = fname is not None and os.fspath(fname) != ""
    if not given:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname or fname in (os.curdir, os.pardir) or os.path.splitdrive(fname)[0]:
            raise ValueError(f"get_file cannot take a file name from the origin {origin!r}. "
                             "Pass fname='name.ext'.")
    else:
        fname = os.fspath(fname)
        if os.sep in fname or (os.altsep and os.altsep in fname) or fname in ("..", "."):
            raise ValueError(
                f"The 'fname' argument of get_file must be a file name, not a path. Got "
                f"{fname!r}; to choose the folder, pass cache_dir= (and cache_subdir=)."
            )
    if not extract:
        return os.path.join(datadir, fname), None
    if given and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _local_source(origin: str):
    parts = urllib.parse.urlsplit(origin)
    if parts.scheme == "file":
        return urllib.request.url2pathname(parts.path)
    return None


def _no_network(origin, target, why):
    return FileNotFoundError(
        f"get_file cannot download {origin!r}: lamina does not use the network, and {why}. "
        f"Download it on a machine with network access and save it as {target!r} (or pass "
        "origin='file:///path/to/the/file' to copy a local file into the cache)."
    )


def _copy(source, target, origin):
    if not os.path.isfile(source):
        raise FileNotFoundError(f"get_file: the origin {origin!r} names {source!r}, which is not "
                                "a file. Check the path after 'file://'.")
    with open(source, "rb") as src, atomic_write(target) as dst:
        shutil.copyfileobj(src, dst)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """The path of ``origin``'s file in Keras's cache (copied there from a ``file://`` origin).

    Keras's arguments, defaults and cache layout. With ``extract=True`` the
    archive also unpacks (tar, tar.gz, tar.bz2, zip) and the unpacked folder's
    path is returned: ``<stem>_extracted`` for ``fname="data.tar.gz"``, ``fname``
    itself for a name without an extension (the archive is then kept as
    ``<fname>_archive``).

    Args:
        fname: the file's name in the cache (None: the last part of ``origin``'s path).
        origin: the URL; ``file://`` URLs are copied, others must already be cached.
        untar: deprecated: ``extract=True, archive_format="tar"``.
        md5_hash: deprecated: ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest of the file.
        cache_subdir: the folder under ``cache_dir`` (an absolute path is used as is).
        hash_algorithm: ``"auto"`` (by the hash's length), ``"sha256"`` or ``"md5"``.
        extract: unpack the archive.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of those, or None.
        cache_dir: the cache root (default ``$KERAS_HOME`` or ``~/.keras``).
        force_download: copy a ``file://`` origin again even when it is cached.

    Returns:
        The file's path, or the unpacked folder's path with ``extract=True``.

    Raises:
        FileNotFoundError: a non-``file://`` origin whose file is not cached.
        ValueError: the hash does not match, or an archive member is unsafe.

    Example:
        >>> import os, pathlib, tempfile
        >>> from lamina.utils import get_file
        >>> src = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
        >>> _ = src.write_text("hello")
        >>> path = get_file(origin=src.as_uri(), cache_dir=tempfile.mkdtemp())
        >>> os.path.basename(path), open(path).read()
        ('notes.txt', 'hello')
    """
    if origin is None:
        raise ValueError("get_file needs the 'origin' argument: the URL of the file (a "
                         "'file://' URL for a local file).")
    origin = os.fspath(origin)
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _algorithm(hash_algorithm, file_hash)  # refuses an unknown one before any copy
    datadir = os.path.join(keras_cache_dir(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    target, folder = _names(fname, origin, datadir, extract or untar)
    source = _local_source(origin)
    cached_ok = os.path.exists(target) and not force_download and (
        file_hash is None or validate_file(target, file_hash, hash_algorithm))
    fetched = False
    if not cached_ok:
        if source is None:
            why = ("force_download=True asks for a fresh copy" if force_download and
                   os.path.exists(target) else
                   "the cached file does not match file_hash" if os.path.exists(target) else
                   "the file is not in the cache")
            raise _no_network(origin, target, why)
        _copy(source, target, origin)
        fetched = True
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            os.remove(target)
            raise ValueError(
                f"get_file: {origin!r} does not match file_hash={file_hash!r} ({algorithm}); "
                "the file is damaged or "
                "not the one expected. Check the origin or the hash."
            )
    if not (extract or untar):
        return target
    if fetched or not os.path.isdir(folder):
        if not safe_extract(target, folder, "tar" if untar else archive_format):
            warnings.warn(f"get_file could not unpack {target!r}: it is not a tar or zip "
                          f"archive (archive_format={archive_format!r}).", stacklevel=2)
    return folder
