"""The progress bar that ``fit``, ``evaluate`` and ``predict`` print, in Keras 3's format.

A training epoch looks like this (``verbose=1``)::

    Epoch 1/10
    35/35 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.9000 - loss: 0.3214

and like this with ``verbose=2`` (one line per epoch)::

    35/35 - 0s - 3ms/step - accuracy: 0.9000 - loss: 0.3214

Where the output goes decides how the bar behaves:

* a terminal, or a Jupyter/IPython notebook: one live line, redrawn in place
  with ``\\r`` at most once per ``interval`` seconds;
* anything else (a log file, a pipe, CI): ``verbose=1`` prints only the final
  line of each epoch, so logs never fill up with half-drawn bars;
* a console whose encoding cannot show ``━`` (some Windows code pages): the bar
  is drawn with ``=``, ``>`` and ``.`` instead, and nothing ever raises
  ``UnicodeEncodeError``.

Example:
    >>> from lamina.utils.progbar import Progbar
    >>> bar = Progbar(target=3, verbose=0)
    >>> for step in range(3):
    ...     bar.update(step + 1, [("loss", 0.5)])
"""

from __future__ import annotations

import codecs
import math
import numbers
import os
import sys
import time

import numpy as np

__all__ = ["Progbar", "resolve_verbose", "is_interactive", "print_msg", "end_open_line"]

# True while a live (``\r``-redrawn) bar line is on screen without its newline;
# ``print_msg`` then starts a new line first, so messages never glue onto the bar.
_line_open = False

_UNICODE_GLYPHS = ("━", "─")  # done, still to do (the latter only when there is no colour)
_ASCII_GLYPHS = ("=", ".")
_glyph_cache: dict[tuple[str, str], bool] = {}

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def is_interactive(stream=None) -> bool:
    """Whether ``stream`` (default ``sys.stdout``) shows a live, redrawable line.

    True for a terminal (``isatty()``), a Jupyter/IPython kernel's output
    stream, and PyCharm's run console; False for files, pipes and captured
    output.

    Example:
        >>> import io
        >>> is_interactive(io.StringIO())
        False
    """
    stream = sys.stdout if stream is None else stream
    if stream is None:  # pythonw on Windows has no stdout at all
        return False
    if "ipykernel" in sys.modules and type(stream).__module__.startswith("ipykernel"):
        return True
    if os.environ.get("PYCHARM_HOSTED"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # a closed or detached stream
        return False


def resolve_verbose(verbose):
    """Turn ``fit``'s ``verbose`` argument into 0, 1 or 2.

    ``"auto"`` becomes 1 (a live bar) when output goes to a terminal or a
    notebook and 2 (one line per epoch) otherwise; integers are kept.

    Args:
        verbose: ``"auto"``, 0 (silent), 1 (progress bar) or 2 (one line per epoch).

    Raises:
        ValueError: for anything else.

    Example:
        >>> resolve_verbose(2)
        2
        >>> resolve_verbose("auto") in (1, 2)
        True
    """
    if isinstance(verbose, str):
        if verbose == "auto":
            return 1 if is_interactive() else 2
    elif isinstance(verbose, (bool, int, np.integer)):
        return int(verbose)
    raise ValueError(
        "The 'verbose' argument must be 'auto', 0 (silent), 1 (progress bar) or 2 "
        f"(one line per epoch). Got {verbose!r} instead."
    )


def _stream_can_show(stream, text) -> bool:
    encoding = getattr(stream, "encoding", None)
    if not encoding:  # in-memory text streams take any character
        return True
    ok = _glyph_cache.get((encoding, text))
    if ok is None:
        try:
            codecs.encode(text, encoding)
            ok = True
        except (UnicodeEncodeError, LookupError):
            ok = False
        _glyph_cache[(encoding, text)] = ok
    return ok


def _supports_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if "ipykernel" in sys.modules and type(stream).__module__.startswith("ipykernel"):
        return True
    if os.environ.get("PYCHARM_HOSTED"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    if os.name == "nt":  # classic Windows consoles print the escape codes as text
        env = os.environ
        return bool(
            env.get("WT_SESSION")
            or env.get("ANSICON")
            or env.get("TERM_PROGRAM")
            or env.get("ConEmuANSI") == "ON"
        )
    return True


def _write(text: str) -> None:
    stream = sys.stdout
    if stream is None:
        return
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, errors="replace").decode(encoding))
    flush = getattr(stream, "flush", None)
    if flush is not None:
        flush()


def print_msg(message, line_break: bool = True) -> None:
    """Print a message to ``sys.stdout`` without breaking a live progress bar.

    If a bar is being redrawn on the current line, the message starts on a new
    line. Characters the console cannot encode are replaced, never raised.

    Args:
        message: what to print (converted with ``str``).
        line_break: end with a newline.

    Example:
        >>> print_msg("Epoch 1/3")
        Epoch 1/3
    """
    global _line_open
    text = str(message) + ("\n" if line_break else "")
    if _line_open:
        text = "\n" + text
        _line_open = False
    _write(text)


def end_open_line() -> None:
    """Finish a live bar's line (e.g. after Ctrl-C), so later output starts cleanly.

    Does nothing when no bar line is open.

    Example:
        >>> end_open_line()
    """
    global _line_open
    if _line_open:
        _line_open = False
        _write("\n")


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, np.number, np.ndarray)) and not isinstance(
        value, bool
    )


def _as_display_value(value):
    """Arrays stay arrays (averaged later); tensors become arrays; the rest is kept."""
    if hasattr(value, "numpy") and not isinstance(value, (np.ndarray, np.generic)):
        try:
            return np.asarray(value.numpy())
        except Exception:  # pragma: no cover - an object with an odd numpy()
            return value
    return value


def _format_number(value) -> str:
    if isinstance(value, np.ndarray):
        value = float(np.mean(value))
    if abs(value) > 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


class Progbar:
    """A progress bar, printed to ``sys.stdout`` in Keras 3's format.

    ``verbose=1`` draws ``12/35 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 0.1234``: the
    step count, the bar, the time left (or, on the final line, the time the
    whole run took), the time per unit and the metrics in the order they first
    arrived. ``verbose=2`` prints one line when the target is reached:
    ``35/35 - 1s - 3ms/step - loss: 0.1234``. ``verbose=0`` prints nothing.

    A metric is shown as given if its name is *stateful*, otherwise as the
    average of the values passed so far, weighted by the steps each covered.
    By default every metric is averaged; ``stateful_metrics`` lists the
    exceptions, or ``stateless_metrics`` lists the only averaged ones (give at
    most one of the two).

    Values print with four decimals (``0.1234``), or in scientific notation
    when their magnitude is 0.001 or less (``1.0000e-04``).

    Args:
        target: total number of steps, or ``None`` if unknown (then the bar
            shows ``  12/Unknown``).
        width: characters in the bar.
        verbose: 0 (silent), 1 (bar) or 2 (one final line).
        interval: least number of seconds between two redraws of the bar.
        stateful_metrics: names of metrics to show as given, not averaged.
        stateless_metrics: names of the only metrics to average.
        unit_name: what a step is called in ``3ms/step``.

    Example:
        >>> bar = Progbar(target=2, verbose=2)
        >>> bar.update(1, [("loss", 0.5)])
        >>> bar.update(2, [("loss", 0.25)])  # doctest: +ELLIPSIS
        2/2 - 0s - ...s/step - loss: 0.2500
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar takes 'stateful_metrics' (names shown as given; the rest are "
                "averaged) or 'stateless_metrics' (names averaged; the rest shown as given), "
                f"not both. Got stateful_metrics={stateful_metrics!r} and "
                f"stateless_metrics={stateless_metrics!r}."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None

        self._dynamic_display = is_interactive()
        self._seen_so_far = 0
        self._values = {}  # name -> [sum of value * steps, steps]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Move the bar to step ``current`` and record metric values.

        Args:
            current: steps done so far (1-based).
            values: list of ``(name, value)`` pairs for the latest step.
            finalize: whether this is the last update; ``None`` means
                ``current >= target`` (never, when the target is unknown).
        """
        global _line_open
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        for name, value in values or ():
            if name not in self._values:
                self._values_order.append(name)
            value = _as_display_value(value)
            if self.stateful_metrics is not None:
                averaged = name not in self.stateful_metrics
            else:
                averaged = name in self.stateless_metrics
            if averaged and _is_number(value) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                if name in self._values:
                    self._values[name][0] += value * steps
                    self._values[name][1] += steps
                else:
                    self._values[name] = [value * steps, steps]
            else:
                # Shown as given (on the final update, as Keras does, too).
                self._values[name] = [value, 1]
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            if self._dynamic_display:
                stream = sys.stdout
                line, width = self._render_bar_line(
                    current, finalize, now, time_per_unit, stream, live=True
                )
                text = "\r" + line
                if self._prev_total_width > width:
                    text += " " * (self._prev_total_width - width)
                if finalize:
                    text += "\n"
                _write(text)
                _line_open = not finalize
                self._prev_total_width = width
            elif finalize:
                line, _ = self._render_bar_line(
                    current, finalize, now, time_per_unit, sys.stdout, live=False
                )
                print_msg(line)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            line = f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            line += self._format_time(time_per_unit) + self._format_metrics()
            print_msg(line)

        self._last_update = now

    def _is_throttled(self) -> bool:
        """Whether a non-final update now would not be drawn (too soon after the last)."""
        return self.verbose == 1 and time.time() - self._last_update < self.interval

    def add(self, n, values=None):
        """Advance the bar by ``n`` steps (see ``update``)."""
        self.update(self._seen_so_far + n, values)

    # ----------------------------------------------------------------- drawing

    def _render_bar_line(self, current, finalize, now, time_per_unit, stream, live):
        """Return (text with any colour codes, width on screen)."""
        color = live and _supports_color(stream)
        unicode_ok = _stream_can_show(stream, "".join(_UNICODE_GLYPHS))
        pieces = []  # (text, escape code or None)

        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            pieces.append((f"{current:{digits}d}/{self.target}", _BOLD))
            pieces.append((" ", None))
            done = min(max(int(self.width * current / self.target), 0), self.width)
            todo = self.width - done
            if not unicode_ok:
                bar = "=" * done
                if 0 < done < self.width:
                    bar = bar[:-1] + ">"
                pieces.append((bar, _GREEN))
                pieces.append(("." * todo, None))
            else:
                pieces.append(("━" * done, _GREEN))
                # Without colour the unfinished part must look different.
                pieces.append((("━" if color else "─") * todo, _WHITE))
            if not finalize:
                eta = time_per_unit * (self.target - current)
                if eta > 3600:
                    shown = f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
                elif eta > 60:
                    shown = f"{int(eta // 60)}:{int(eta % 60):02d}"
                else:
                    shown = f"{int(eta)}s"
            else:
                shown = f"{now - self._start:.0f}s"
        else:
            pieces.append((f"{current:7d}/Unknown", None))
            shown = f"{now - self._start:.0f}s"
        pieces.append((" ", None))
        pieces.append((shown, _BOLD))
        pieces.append((self._format_time(time_per_unit) + self._format_metrics(), None))

        plain = "".join(text for text, _ in pieces)
        if not color:
            return plain, len(plain)
        styled = "".join(
            f"{code}{text}{_RESET}" if code and text else text for text, code in pieces
        )
        return styled, len(plain)

    def _format_metrics(self) -> str:
        parts = []
        for name in self._values_order:
            total, count = self._values[name]
            if _is_number(total):
                shown = _format_number(total / max(1, count))
            else:
                shown = str(total)
            parts.append(f" - {name}: {shown}")
        return "".join(parts)

    def _format_time(self, time_per_unit) -> str:
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{self.unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1e3:.0f}ms/{self.unit_name}"
        return f" {time_per_unit * 1e6:.0f}us/{self.unit_name}"

    def _estimate_step_duration(self, current, now):
        """Seconds per step; the first step (often slow: set-up, caches) is left out once known."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
