"""What the commands share: the user-error type, file helpers, optional features."""

from __future__ import annotations

import json
import os
import sys

__all__ = ["CLIError", "check_out_file", "describe", "load_model", "meta_path", "note",
           "plots_available", "prepare_out_folder", "save_model", "saving_available",
           "write_json"]


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
    import lamina.cli.encoding  # noqa: F401 - registers the layer `lamina train` models start with
    from lamina import saving

    try:
        return saving.load_model(path)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise CLIError(f"could not load the model {path!r}: {exc}") from None


def check_out_folder(folder: str) -> str:
    """``CLIError`` unless ``folder`` is a folder or can be made one (nothing is created yet: a
    run that fails on its input leaves no folder behind)."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CLIError(f"--out {folder!r} is a file, not a folder; give a folder for the outputs "
                       "(it is created if needed).")
    parent = os.path.abspath(folder)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise CLIError(f"cannot create the output folder {folder!r}: {parent!r} is not a "
                       "writable folder. Pick another --out.")
    return folder


def prepare_out_folder(folder: str) -> str:
    """Create the output folder ``folder`` (and its parents); ``CLIError`` when that cannot be."""
    check_out_folder(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create the output folder {folder!r}: {exc.strerror or exc}. "
                       "Pick another --out.") from None
    return folder


def check_out_file(path: str) -> None:
    """``CLIError`` unless ``path`` can be written as a file: not a folder, in a folder that exists."""
    if os.path.isdir(path):
        raise CLIError(f"--out {path!r} is a folder; give a file name, e.g. "
                       f"{os.path.join(path, 'predictions.csv')!r}.")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError(f"--out {path!r}: the folder {os.path.dirname(path) or parent!r} does not "
                       "exist; create it first, or give a path in an existing folder.")


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
