"""The ``lamina`` command: run Keras tutorials unchanged, train on a CSV file, draw pictures.

Commands::

    lamina run SCRIPT.py [ARGS...]       run a Keras / tf.keras script with lamina
    lamina demo [--out DIR]              train the tutorial's red-wine network
    lamina train DATA.csv --target COL   train a dense network on a table
    lamina predict MODEL.keras DATA.csv  predict the rows of a table
    lamina summary MODEL.keras           print a saved model's layers

Problems with the user's input (a missing column, a wrong separator, a file
that is not there) end with a one-line message and exit status 2.

Example:
    >>> from lamina.cli import main
    >>> main(["--version"])  # doctest: +ELLIPSIS
    lamina ...
    0
"""

from __future__ import annotations

import argparse
import sys

from lamina.cli._common import CLIError

__all__ = ["CLIError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lamina`` command and its subcommands."""
    from lamina.cli import demo, predict, run, train

    parser = argparse.ArgumentParser(
        prog="lamina",
        description="Deep learning with the Keras API on NumPy: run Keras tutorials unchanged, "
                    "train a network on a CSV file, draw learning curves and network diagrams.",
    )
    parser.add_argument("--version", action="store_true", help="print lamina's version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run.add_parser(sub)
    demo.add_parser(sub)
    train.add_parser(sub)
    predict.add_parsers(sub)
    return parser


def main(argv=None) -> int:
    """Run the ``lamina`` command with ``argv`` (default ``sys.argv[1:]``); returns the status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if args.version:
        import lamina

        print(f"lamina {lamina.__version__}")
        return 0
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except CLIError as exc:
        print(f"lamina {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nlamina {args.command}: stopped (Ctrl-C).", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
