"""What the commands share: the user-error type, file helpers, optional features."""

from __future__ import annotations

import json
import os
import sys

__all__ = ["CLIError", "describe", "load_model", "meta_path", "note", "plots_available", "save_model",
           "saving_available", "write_json"]


class CLIError(Exception):
    """A problem with the user's input: printed as one line, exit code 2, no traceback."""


def describe(doc: str) -> str:
    """A module docstring without its first line and reST quoting, for ``--help``."""
    return doc.split("\n\n", 1)[1].replace("``", "")


def note(message: str) -> None:
    """A remark on stderr, kept apart from results printed on stdout."""
    print(f"note: {message}", file=sys.stderr)


def saving_available() -> bool:
    """Whether this lamina can write and read ``.keras`` files."""
    try:
        import lamina.saving  # noqa: F401
    except ImportError:
        return False
    from lamina.models import Model

    return hasattr(Model, "save")


def save_model(model, path: str) -> bool:
    """Save ``model`` to ``path``; False (with a note) when saving is not available."""
    if not saving_available():
        note(f"the model file {path} was not written: this version of lamina cannot write "
             "`.keras` files yet (lamina.saving is missing).")
        return False
    try:
        model.save(path)
    except ImportError as exc:  # h5py, which .keras files need, is optional
        note(f"the model file {path} was not written: {exc}")
        return False
    return True


def load_model(path: str):
    """Load a ``.keras`` file, with user errors for a missing file or no saving support."""
    if not os.path.exists(path):
        raise CLIError(f"there is no model file {path!r}. Check the path (train one with "
                       "`lamina train DATA.csv --target COLUMN`).")
    if not saving_available():
        raise CLIError("this version of lamina cannot read `.keras` files yet (lamina.saving "
                       "is missing).")
    from lamina import saving

    try:
        return saving.load_model(path)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise CLIError(f"could not load the model {path!r}: {exc}") from None


def meta_path(model_path: str) -> str:
    """The file beside a model that records how ``lamina train`` prepared its data."""
    root, _ = os.path.splitext(model_path)
    return root + ".meta.json"


def write_json(path: str, data) -> None:
    """Write ``data`` to ``path`` as indented UTF-8 JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


def plots_available() -> bool:
    """Whether matplotlib can be imported (pictures are skipped with a note otherwise)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def use_file_backend() -> None:
    """Draw off-screen: the commands save pictures to files, never open windows."""
    import matplotlib

    matplotlib.use("Agg")
