"""lamina's version: the one place it is written (``pyproject.toml`` reads it from here)."""

__version__ = "0.1.0"


def version() -> str:
    """Return lamina's version string (Keras's ``keras.version()``)."""
    return __version__
