"""Unpacking ``.tar``/``.tar.gz``/``.tar.bz2``/``.zip`` archives without trusting their member names.

Every member is checked before anything is written: an absolute name, a name
that climbs out of the target folder (``..``), a link (symbolic or hard), a
device or a FIFO refuses the whole archive with a ``ValueError`` that names the
member. The archive unpacks into a temporary folder beside the target, renamed
into place at the end, so a failure leaves no half-filled folder behind.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile

__all__ = ["archive_kind", "safe_extract"]


def archive_kind(path: str, archive_format="auto"):
    """``"tar"``, ``"zip"`` or None: the first of ``archive_format``'s kinds that ``path`` is."""
    if archive_format is None:
        return None
    kinds = ["tar", "zip"] if archive_format == "auto" else archive_format
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    for kind in kinds:
        if kind not in ("tar", "zip"):
            raise ValueError(f"The 'archive_format' argument must be 'auto', 'tar', 'zip', a list "
                             f"of those, or None. Got {archive_format!r} instead.")
        if (kind == "tar" and tarfile.is_tarfile(path)) or (
                kind == "zip" and zipfile.is_zipfile(path)):
            return kind
    return None


def _check_name(name: str, archive: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or os.path.isabs(name) or os.path.splitdrive(name)[0] \
            or ".." in parts:
        raise ValueError(
            f"Refusing to unpack '{archive}': its member '{name}' would be written outside the "
            "target folder (an absolute path or '..'). Archives from untrusted sources can "
            "overwrite files this way; check where the file came from."
        )


def _tar_members(tar: tarfile.TarFile, archive: str):
    members = tar.getmembers()
    for info in members:
        _check_name(info.name, archive)
        if not (info.isfile() or info.isdir()):
            what = "a link" if (info.issym() or info.islnk()) else "a device or FIFO"
            raise ValueError(
                f"Refusing to unpack '{archive}': its member '{info.name}' is {what}; lamina "
                "unpacks only regular files and folders (a link can point outside the target "
                "folder)."
            )
    return members


def _zip_members(archive_file: zipfile.ZipFile, archive: str):
    members = archive_file.infolist()
    for info in members:
        _check_name(info.filename, archive)
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) == 0o120000:  # a symbolic link stored by Unix zip
            raise ValueError(
                f"Refusing to unpack '{archive}': its member '{info.filename}' is a link; lamina "
                "unpacks only regular files and folders."
            )
    return members


def _extract_into(path: str, kind: str, folder: str) -> None:
    if kind == "tar":
        with tarfile.open(path) as tar:
            for info in _tar_members(tar, path):
                target = os.path.join(folder, info.name)
                if info.isdir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target) or folder, exist_ok=True)
                with tar.extractfile(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    else:
        with zipfile.ZipFile(path) as archive_file:
            for info in _zip_members(archive_file, path):
                target = os.path.join(folder, info.filename)
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target) or folder, exist_ok=True)
                with archive_file.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def safe_extract(path: str, destination: str, archive_format="auto") -> bool:
    """Unpack the archive ``path`` into the folder ``destination`` (replacing it); False if no archive.

    Args:
        path: the archive file.
        destination: the folder to create (an existing one is replaced once the new
            contents are complete).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of
            those, or None (do not unpack).

    Raises:
        ValueError: a member is absolute, climbs out with ``..``, or is a link or device.
    """
    kind = archive_kind(path, archive_format)
    if kind is None:
        return False
    parent = os.path.dirname(os.path.abspath(destination))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(destination)}.")
    try:
        _extract_into(path, kind, staging)
        if os.path.isdir(destination) and not os.path.islink(destination):
            shutil.rmtree(destination)
        elif os.path.lexists(destination):
            os.remove(destination)
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True
