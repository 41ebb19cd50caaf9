"""``python -m lamina`` and the ``lamina`` console script: see ``lamina.cli``."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv=None) -> int:
    """Entry point of the ``lamina`` command; returns the exit status."""
    from lamina.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
