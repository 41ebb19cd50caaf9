"""TerminateOnNaN stops (or raises) on a NaN/inf batch loss and says so."""

import numpy as np
import pytest

from lamina.callbacks import CallbackList, TerminateOnNaN


class FakeModel:
    def __init__(self):
        self.stop_training = False


def run_batches(callback, losses):
    model = FakeModel()
    cbs = CallbackList(
        [callback], add_history=True, model=model, verbose=0, epochs=1, steps=len(losses)
    )
    assert cbs.needs_batch_logs
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    ran = 0
    for step, loss in enumerate(losses):
        cbs.on_train_batch_begin(step)
        cbs.on_train_batch_end(step, {"loss": loss})
        ran += 1
        if model.stop_training:
            break
    cbs.on_epoch_end(0, {"loss": losses[ran - 1]})
    cbs.on_train_end()
    return model, ran


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, np.float32("nan")])
def test_stops_on_invalid_loss_and_says_so(bad, capsys):
    model, ran = run_batches(TerminateOnNaN(), [0.5, 0.4, bad, 0.3])
    assert ran == 3 and model.stop_training
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"
    assert model.history.epoch == [0]  # on_epoch_end / on_train_end still ran


def test_finite_losses_and_missing_loss_do_nothing(capsys):
    model, ran = run_batches(TerminateOnNaN(), [0.5, 1e30, 0.0])
    assert ran == 3 and not model.stop_training
    cb = TerminateOnNaN()
    cb.set_model(FakeModel())
    cb.on_train_batch_end(0, {"accuracy": np.nan})
    cb.on_train_batch_end(0, None)
    assert not cb.model.stop_training and capsys.readouterr().out == ""


def test_raise_error():
    cb = TerminateOnNaN(raise_error=True)
    cb.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 7"):
        cb.on_train_batch_end(7, {"loss": float("nan")})
