"""Files written safely: through a temporary file in the same folder, renamed at the end.

A crash, ``kill -9`` or exception while writing never leaves a half-written file
under the final name: readers see the old file or the new one, whole.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_write"]


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
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
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
