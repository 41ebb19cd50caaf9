"""Progbar: Keras 3's line format, live vs. log-file output, ASCII fallback, verbose modes."""

import io
import re
import sys
import types

import pytest

from lamina.utils import progbar as progbar_module
from lamina.utils.progbar import Progbar, end_open_line, is_interactive, print_msg, resolve_verbose

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    """An in-memory stdout that says it is a terminal."""

    encoding = "utf-8"

    def isatty(self):
        return True


class Cp1252Terminal(io.TextIOWrapper):
    """A Windows-like console: a real encoder that cannot encode '━'."""

    def __init__(self, tty=True):
        super().__init__(io.BytesIO(), encoding="cp1252", write_through=True)
        self._tty = tty

    def isatty(self):
        return self._tty

    def text(self):
        return self.buffer.getvalue().decode("cp1252")


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now

    def time(self):
        return self.now


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("WT_SESSION", "1")  # colour on Windows too
    monkeypatch.setattr(progbar_module, "_line_open", False)
    yield


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "time", fake)
    return fake


def use_stdout(monkeypatch, stream):
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


def run_epoch(bar, clock, steps, step_seconds, values=lambda step: [("loss", 0.3214)]):
    for step in range(1, steps + 1):
        clock.now += step_seconds
        bar.update(step, values(step))


# ------------------------------------------------------------------- non-terminal


def test_log_file_gets_only_the_final_line(monkeypatch, clock):
    out = use_stdout(monkeypatch, io.StringIO())
    bar = Progbar(target=35, stateless_metrics=())
    run_epoch(bar, clock, 35, 0.003, lambda step: [("accuracy", 0.9), ("loss", 0.3214)])
    assert out.getvalue() == (
        "35/35 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.9000 - loss: 0.3214\n"
    )


def test_final_line_shows_elapsed_seconds_and_averaged_values(monkeypatch, clock):
    out = use_stdout(monkeypatch, io.StringIO())
    bar = Progbar(target=4)
    for step, loss in enumerate([1.0, 0.5, 0.25, 0.125], start=1):
        clock.now += 0.5
        bar.update(step, [("loss", loss)])
    # 2 s in all; the last value is shown as given on the final line, as Keras does.
    assert out.getvalue() == "4/4 ━━━━━━━━━━━━━━━━━━━━ 2s 500ms/step - loss: 0.1250\n"


def test_verbose_2_prints_one_line_at_the_end(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    bar = Progbar(target=35, verbose=2)
    run_epoch(bar, clock, 34, 0.003)
    assert out.getvalue() == ""
    clock.now += 0.003
    bar.update(35, [("loss", 0.3214)])
    assert out.getvalue() == "35/35 - 0s - 3ms/step - loss: 0.3214\n"


def test_verbose_0_prints_nothing(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    run_epoch(Progbar(target=5, verbose=0), clock, 5, 0.1)
    assert out.getvalue() == ""


# ----------------------------------------------------------------------- terminal


def test_terminal_redraws_in_place_with_colour(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    bar = Progbar(target=10, interval=0.0, stateless_metrics=())
    run_epoch(bar, clock, 10, 0.01)
    text = out.getvalue()
    assert text.count("\r") == 10 and text.endswith("\n") and text.count("\n") == 1
    assert "\x1b[32m" in text and "\x1b[1m" in text
    frames = [ANSI.sub("", frame) for frame in text.split("\r")[1:]]
    assert frames[4] == " 5/10 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - loss: 0.3214"
    assert frames[-1] == "10/10 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - loss: 0.3214\n"
    # The done part is green, the rest is not: 10 of 20 cells at step 5.
    raw_frame = text.split("\r")[5]
    assert "\x1b[32m" + "━" * 10 + "\x1b[0m" in raw_frame


def test_terminal_updates_are_throttled(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    bar = Progbar(target=100, interval=0.05)
    run_epoch(bar, clock, 100, 0.001)  # 100 steps in 0.1 s
    text = out.getvalue()
    assert text.count("\r") == 3  # step 1, once after 0.05 s, and the final line
    assert text.endswith("\n")


def test_eta_and_first_step_excluded_from_step_time(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=100, interval=0.0)
    clock.now += 2.0  # a slow first step
    bar.update(1)
    clock.now += 9.0
    bar.update(10)  # 1 s per step from then on
    last = out.getvalue().split("\r")[-1]
    # 90 steps left at 1 s each; the 2 s first step is not counted.
    assert last == " 10/100 ━━────────────────── 1:30 1s/step"


@pytest.mark.parametrize(
    "seconds_per_step, expected",
    [
        (0.000004, "0s 4us/step"),
        (0.02, "1s 20ms/step"),
        (5.0, "7:30 5s/step"),
        (100.0, "2:30:00 100s/step"),
    ],
)
def test_time_formats(monkeypatch, clock, seconds_per_step, expected):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=100, interval=0.0)
    for step in (1, 10):
        clock.now += seconds_per_step * (1 if step == 1 else 9)
        bar.update(step)
    assert out.getvalue().split("\r")[-1].endswith(expected)


def test_unknown_target(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=None, interval=0.0)
    run_epoch(bar, clock, 12, 0.002)
    assert out.getvalue().split("\r")[-1] == "     12/Unknown 0s 2ms/step - loss: 0.3214"


def test_no_colour_uses_a_different_glyph_for_the_rest(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=4, interval=0.0, width=8)
    run_epoch(bar, clock, 1, 0.5)
    # ETA: 3 steps left at 0.5 s.
    assert out.getvalue() == "\r1/4 ━━────── 1s 500ms/step - loss: 0.3214"
    assert "\x1b" not in out.getvalue()


def test_shorter_line_is_padded_over_the_longer_one(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=3, interval=0.0, width=3, stateful_metrics=["loss"])
    clock.now += 1.0
    bar.update(1, [("loss", -123.25)])
    clock.now += 1.0
    bar.update(2, [("loss", 0.5)])
    first, second = out.getvalue().split("\r")[1:]
    assert first == "1/3 ━── 2s 1s/step - loss: -123.2500"
    assert second == "2/3 ━━─ 1s 1s/step - loss: 0.5000" + " " * (len(first) - 33)


def test_notebook_is_live(monkeypatch, clock):
    class OutStream(io.StringIO):
        def isatty(self):
            return False

    OutStream.__module__ = "ipykernel.iostream"
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    out = use_stdout(monkeypatch, OutStream())
    assert is_interactive()
    bar = Progbar(target=2, interval=0.0)
    run_epoch(bar, clock, 2, 0.1)
    assert out.getvalue().count("\r") == 2 and "\x1b[32m" in out.getvalue()
    monkeypatch.delitem(sys.modules, "ipykernel")
    assert not is_interactive()


def test_pycharm_console_is_live(monkeypatch):
    use_stdout(monkeypatch, io.StringIO())
    assert not is_interactive()
    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert is_interactive()


# ----------------------------------------------------------------- ASCII fallback


def test_ascii_fallback_on_a_console_that_cannot_encode_the_bar(monkeypatch, clock):
    out = use_stdout(monkeypatch, Cp1252Terminal(tty=True))
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=4, interval=0.0, width=8, stateless_metrics=())
    run_epoch(bar, clock, 4, 0.5)
    frames = out.text().split("\r")[1:]
    assert frames[0] == "1/4 =>...... 1s 500ms/step - loss: 0.3214"
    assert frames[2] == "3/4 =====>.. 0s 500ms/step - loss: 0.3214"
    assert frames[3] == "4/4 ======== 2s 500ms/step - loss: 0.3214\n"


def test_ascii_fallback_in_a_log_file_and_odd_characters_never_crash(monkeypatch, clock):
    out = use_stdout(monkeypatch, Cp1252Terminal(tty=False))
    bar = Progbar(target=2)
    run_epoch(bar, clock, 2, 0.5, lambda step: [("损失", 0.5)])
    assert out.text() == "2/2 ==================== 1s 500ms/step - ??: 0.5000\n"


def test_is_interactive_survives_odd_streams(monkeypatch):
    class Closed(io.StringIO):
        def isatty(self):
            raise ValueError("I/O operation on closed file")

    assert not is_interactive(Closed())
    assert not is_interactive(object())
    monkeypatch.setattr(sys, "stdout", None)
    assert not is_interactive()
    print_msg("nowhere to go")  # pythonw: no stdout, no crash


# ------------------------------------------------------------- values and options


def test_values_are_averaged_by_steps_unless_stateful(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=10, interval=0.0, stateful_metrics=["acc"])
    clock.now += 1
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    clock.now += 1
    bar.update(3, [("loss", 0.0), ("acc", 0.7)])  # covers 2 steps
    assert out.getvalue().split("\r")[-1].endswith(" - loss: 0.3333 - acc: 0.7000")


def test_number_format_switches_to_scientific_below_1e_3(monkeypatch, clock):
    out = use_stdout(monkeypatch, io.StringIO())
    bar = Progbar(target=1, stateless_metrics=())
    clock.now += 0.5
    bar.update(1, [("a", 1e-4), ("b", 0.0), ("c", 12.345678), ("d", -0.5), ("e", "text")])
    assert out.getvalue().endswith(
        " - a: 1.0000e-04 - b: 0.0000e+00 - c: 12.3457 - d: -0.5000 - e: text\n"
    )


def test_add_advances_by_n(monkeypatch, clock):
    out = use_stdout(monkeypatch, io.StringIO())
    bar = Progbar(target=6)
    for _ in range(3):
        clock.now += 1
        bar.add(2)
    # Step 1 was never reported alone, so the time per step is 3 s / 6 (as in Keras).
    assert out.getvalue() == "6/6 ━━━━━━━━━━━━━━━━━━━━ 3s 500ms/step\n"


def test_stateful_and_stateless_together_is_an_error():
    with pytest.raises(ValueError, match="not both"):
        Progbar(10, stateful_metrics=["a"], stateless_metrics=["b"])


# ------------------------------------------------------------------- helpers


def test_resolve_verbose(monkeypatch):
    use_stdout(monkeypatch, io.StringIO())
    assert resolve_verbose("auto") == 2
    use_stdout(monkeypatch, Terminal())
    assert resolve_verbose("auto") == 1
    assert [resolve_verbose(v) for v in (0, 1, 2, True)] == [0, 1, 2, 1]
    with pytest.raises(ValueError, match="'verbose' argument must be 'auto', 0.*Got 'loud'"):
        resolve_verbose("loud")
    with pytest.raises(ValueError):
        resolve_verbose(None)


def test_print_msg_starts_a_new_line_after_a_live_bar(monkeypatch, clock):
    out = use_stdout(monkeypatch, Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    bar = Progbar(target=4, interval=0.0, width=4)
    clock.now += 1
    bar.update(1)
    print_msg("Epoch 3: something happened")
    print_msg("and more")
    assert out.getvalue() == "\r1/4 ━─── 3s 1s/step\nEpoch 3: something happened\nand more\n"
    clock.now += 1
    bar.update(2)
    end_open_line()
    end_open_line()
    assert out.getvalue().endswith("2/4 ━━── 2s 1s/step\n")
