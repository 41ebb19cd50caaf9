"""Files written safely: through a temporary file in the same folder, renamed at the end.

A crash, ``kill -9`` or exception while writing never leaves a half-written file
under the final name: readers see the old file or the new one, whole.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time

__all__ = ["atomic_write"]

# A temporary file of an older lamina (no process id in its name) counts as abandoned
# after this many seconds without a write.
STALE_SECONDS = 3600


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's), or we cannot tell: keep its file
    return True


def _remove_stale_temporaries(folder: str, base: str) -> None:
    """Remove temporaries that an ``atomic_write`` of ``base`` left when its process was killed.

    Only names of our own pattern are touched: ``.<base>.<pid>-<random>.tmp`` whose
    process no longer runs, and ``.<base>.<random>.tmp`` (an older pattern) untouched for
    ``STALE_SECONDS``. Anything else in the folder is left alone.
    """
    pattern = re.compile(r"\." + re.escape(base) + r"\.(?:(\d+)-)?[A-Za-z0-9_]{8}\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        full = os.path.join(folder, name)
        try:
            info = os.lstat(full)
            if not os.path.isfile(full) or os.path.islink(full):
                continue
            if match.group(1) is not None:
                pid = int(match.group(1))
                if pid == os.getpid() or _pid_alive(pid):
                    continue
            elif now - info.st_mtime < STALE_SECONDS:
                continue
            os.remove(full)
        except OSError:
            continue


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Write ``path`` through a temporary file in the same folder, renamed over it at the end.

    If the body raises, the temporary file is removed and ``path`` is untouched.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with atomic_write(os.path.join(folder, "a.txt"), "w") as f:
        ...     _ = f.write("hello")
        >>> open(os.path.join(folder, "a.txt")).read()
        'hello'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"Cannot save to {path!r}: it is an existing folder. Give a file name, e.g. "
            f"{os.path.join(path, 'model.keras')!r}."
        )
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save to {path!r}: the folder {folder!r} does not exist. Create it first "
            "(os.makedirs(folder, exist_ok=True))."
        )
    _remove_stale_temporaries(folder, os.path.basename(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.{os.getpid()}-",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
