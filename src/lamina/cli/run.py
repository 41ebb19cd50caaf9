"""``lamina run SCRIPT.py [ARGS...]``: run a script written for Keras or tf.keras, unchanged.

The script runs as ``__main__`` (as ``python SCRIPT.py`` would run it) after
``lamina.compat.install()``, so its ``import tensorflow as tf``, ``from
tensorflow import keras``, ``import keras`` and Keras 2 paths such as
``keras.layers.core`` all resolve to lamina. Two options help when trying a
tutorial: ``--max-epochs N`` caps every ``fit`` (a quick check that the script
runs), and ``--save-figures DIR`` saves each matplotlib figure that the
script shows into ``DIR`` instead of opening a window.
"""

from __future__ import annotations

import functools
import inspect
import os
import runpy
import sys
import traceback

from lamina.cli._common import CLIError, describe, note

__all__ = ["add_parser", "run_script"]


def add_parser(subparsers):
    """Add the ``run`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "run", help="run a Keras / tf.keras script unchanged, with lamina as the Keras",
        description=describe(__doc__),
    )
    p.add_argument("--max-epochs", type=int, metavar="N",
                   help="train at most N epochs in every fit() call (a quick trial run)")
    p.add_argument("--save-figures", metavar="DIR",
                   help="save the figures that plt.show() would display as DIR/figure_1.png, ...")
    p.add_argument("script", help="the Python file to run")
    p.add_argument("args", nargs="...", help="arguments passed on to the script (sys.argv[1:])")
    p.set_defaults(handler=lambda a: run_script(a.script, a.args, a.max_epochs, a.save_figures))
    return p


def _cap_epochs(limit: int):
    """Make every ``fit`` train at most ``limit`` epochs; returns a function that undoes it."""
    from lamina.trainers.trainer import Trainer

    original = Trainer.fit
    signature = inspect.signature(original)
    told = []

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        """``Model.fit`` with ``epochs`` capped."""
        bound = signature.bind(self, *args, **kwargs)
        epochs = bound.arguments.get("epochs", 1)
        if isinstance(epochs, int) and epochs > limit:
            bound.arguments["epochs"] = limit
            if not told:
                told.append(True)
                note(f"--max-epochs {limit}: fit(epochs={epochs}) trains {limit} epoch"
                     f"{'s' if limit != 1 else ''}.")
        return original(*bound.args, **bound.kwargs)

    Trainer.fit = fit
    return lambda: setattr(Trainer, "fit", original)


def _save_figures(folder: str):
    """Replace ``plt.show`` by saving the open figures into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    original = plt.show
    count = [0]

    def show(*args, **kwargs):
        """Save every open figure, then close them."""
        for number in plt.get_fignums():
            count[0] += 1
            path = os.path.join(folder, f"figure_{count[0]}.png")
            plt.figure(number).savefig(path, bbox_inches="tight")
            print(f"saved {path}")
        plt.close("all")

    plt.show = show
    return lambda: setattr(plt, "show", original)


def _script_traceback(exc: BaseException, script: str) -> None:
    """Print the traceback from the script's first frame on (lamina run's own frames add noise)."""
    tb = exc.__traceback__
    target = os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def run_script(script: str, args=(), max_epochs: int | None = None,
               save_figures: str | None = None) -> int:
    """Run ``script`` with ``sys.argv = [script, *args]`` under the Keras stand-ins.

    Returns the exit status: 0, the script's ``sys.exit`` code, or 1 after an
    uncaught exception (whose traceback is printed from the script's frames on).
    """
    if not os.path.exists(script):
        raise CLIError(f"there is no script {script!r}. Check the path.")
    if os.path.isdir(script):
        raise CLIError(f"{script!r} is a folder; give the .py file to run.")
    if max_epochs is not None and max_epochs < 1:
        raise CLIError(f"--max-epochs must be at least 1; got {max_epochs}.")
    import lamina.compat

    undo = []
    lamina.compat.install()
    undo.append(lamina.compat.uninstall)
    if max_epochs is not None:
        undo.append(_cap_epochs(max_epochs))
    if save_figures is not None:
        undo.append(_save_figures(save_figures))
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
        status = 0
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            status = code or 0
        else:
            print(code, file=sys.stderr)
            status = 1
    except KeyboardInterrupt:
        print("\nStopped (Ctrl-C).", file=sys.stderr)
        status = 130
    except Exception as exc:  # noqa: BLE001 - reported like Python reports it
        _script_traceback(exc, script)
        status = 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        for fn in reversed(undo):
            fn()
    return status
