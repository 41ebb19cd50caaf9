"""ProgbarLogger driven as Keras's fit/evaluate/predict drive it, in a log file and a terminal."""

import io
import re
import sys

import pytest

from lamina.callbacks import CallbackList, ProgbarLogger
from lamina.utils import progbar as progbar_module

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = "━" * 20


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self):
        return True


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


class FakeModel:
    stop_training = False


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "time", fake)
    monkeypatch.setattr(progbar_module, "_line_open", False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    return fake


def fit(cbs, clock, epochs, steps, val=True, stop_after_batch=None, step_seconds=0.01):
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            clock.now += step_seconds
            cbs.on_train_batch_end(step, {"loss": 0.5, "accuracy": 0.75})
            if stop_after_batch == step:
                cbs.on_train_end()  # the trainer's clean-up after Ctrl-C
                return
        logs = {"loss": 0.5, "accuracy": 0.75}
        if val:
            cbs.on_test_begin()
            for step in range(2):
                cbs.on_test_batch_begin(step)
                cbs.on_test_batch_end(step, {"loss": 0.25})
            cbs.on_test_end({"loss": 0.25})
            logs["val_loss"] = 0.25
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end(logs)


def make(verbose, epochs, steps):
    return CallbackList(
        None,
        add_history=True,
        add_progbar=True,
        model=FakeModel(),
        verbose=verbose,
        epochs=epochs,
        steps=steps,
    )


def test_fit_in_a_log_file_prints_one_line_per_epoch(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = make(verbose=1, epochs=2, steps=3)
    assert not cbs.needs_batch_logs  # nothing is drawn per batch off a terminal
    fit(cbs, clock, epochs=2, steps=3)
    line = f"3/3 {BAR} 0s 10ms/step - accuracy: 0.7500 - loss: 0.5000 - val_loss: 0.2500"
    assert out.getvalue() == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_fit_verbose_2(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    fit(make(verbose=2, epochs=2, steps=3), clock, epochs=2, steps=3)
    line = "3/3 - 0s - 10ms/step - accuracy: 0.7500 - loss: 0.5000 - val_loss: 0.2500"
    assert out.getvalue() == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_auto_verbose_is_2_off_a_terminal_and_1_on_one(monkeypatch, clock):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert make(verbose="auto", epochs=1, steps=1)._progbar.verbose == 2
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert make(verbose="auto", epochs=1, steps=1)._progbar.verbose == 1


def test_single_epoch_has_no_epoch_line(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    fit(make(verbose=1, epochs=1, steps=2), clock, epochs=1, steps=2, val=False)
    assert out.getvalue() == f"2/2 {BAR} 0s 10ms/step - accuracy: 0.7500 - loss: 0.5000\n"


def test_fit_on_a_terminal_draws_live_and_keeps_validation_silent(monkeypatch, clock):
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = make(verbose=1, epochs=2, steps=3)
    cbs.on_train_begin()
    assert cbs.needs_batch_logs and not cbs.needs_test_batch_logs
    fit(cbs, clock, epochs=2, steps=3, step_seconds=0.1)
    epochs = out.getvalue().split("Epoch ")[1:]
    assert len(epochs) == 2
    first = epochs[0].split("\r")
    assert first[0] == "1/2\n"
    # Three live frames for three batches (no validation frames), then the final line.
    assert len(first) == 5
    assert first[1] == f"1/3 {'━' * 6}{'─' * 14} 0s 100ms/step - accuracy: 0.7500 - loss: 0.5000"
    assert first[-1].startswith(
        f"3/3 {BAR} 0s 100ms/step - accuracy: 0.7500 - loss: 0.5000 - val_loss: 0.2500"
    )
    assert first[-1].endswith("\n")


def test_evaluate_alone_prints_its_bar(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=2)
    cbs.on_test_begin()
    for step in range(2):
        clock.now += 0.002
        cbs.on_test_batch_begin(step)
        cbs.on_test_batch_end(step, {"loss": 0.25})
    cbs.on_test_end({"loss": 0.25, "accuracy": 1.0})
    assert out.getvalue() == f"2/2 {BAR} 0s 2ms/step - accuracy: 1.0000 - loss: 0.2500\n"


def test_predict_prints_no_metrics(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=4)
    assert not cbs.needs_predict_batch_outputs
    cbs.on_predict_begin()
    for step in range(4):
        clock.now += 0.002
        cbs.on_predict_batch_begin(step)
        cbs.on_predict_batch_end(step, {"outputs": [1.0]})
    cbs.on_predict_end()
    assert out.getvalue() == f"4/4 {BAR} 0s 2ms/step\n"


def test_unknown_steps_are_counted(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    cbs = make(verbose=2, epochs=1, steps=None)
    assert cbs.needs_batch_logs  # it has to count the batches
    fit(cbs, clock, epochs=1, steps=5, val=False)
    assert out.getvalue() == "5/5 - 0s - 10ms/step - accuracy: 0.7500 - loss: 0.5000\n"


def test_same_logger_used_for_evaluate_after_fit(monkeypatch, clock):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    logger = ProgbarLogger()
    fit(CallbackList([logger], verbose=2, epochs=1, steps=1), clock, epochs=1, steps=1)
    cbs = CallbackList([logger], verbose=2, epochs=1, steps=1)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 0.125})
    cbs.on_test_end({"loss": 0.125})
    assert out.getvalue().splitlines()[-1].endswith("- loss: 0.1250")
    assert len(out.getvalue().splitlines()) == 2


def test_interrupted_fit_ends_the_open_line(monkeypatch, clock):
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    fit(make(verbose=1, epochs=2, steps=5), clock, epochs=2, steps=5, stop_after_batch=1)
    text = out.getvalue()
    assert ANSI.sub("", text) == (
        f"Epoch 1/2\n\r1/5 {'━' * 4}{'─' * 16} 0s 10ms/step - accuracy: 0.7500 - loss: 0.5000\n"
    )
