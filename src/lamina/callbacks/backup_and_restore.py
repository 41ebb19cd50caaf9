"""``BackupAndRestore``: resume an interrupted ``fit`` where it stopped, as Keras does.

At the end of every epoch (or every ``save_freq`` batches) the callback writes
the training state to ``backup_dir/latest.weights.h5``: the model's weights,
the optimizer's state, and, in the file's attributes, the next epoch and the
state of lamina's random generators (data shuffling, dropout). When ``fit``
is run again with the same callback after a crash or Ctrl-C, it restores all
of that and continues from the next epoch, so the run ends with the same
weights as one that was never interrupted. The file is written atomically: a
crash during a save leaves the previous backup intact.
"""

from __future__ import annotations

import json
import os

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.utils.files import atomic_write

__all__ = ["BackupAndRestore"]

_WEIGHTS = "latest.weights.h5"
_METADATA = "training_metadata.json"
_STATE_ATTR = "lamina_training_state"
_PARTIAL = ".latest.partial.weights.h5"  # the next backup, while it is written


class BackupAndRestore(Callback):
    """Back up the training state each epoch; a re-run ``fit`` resumes from the backup.

    Args:
        backup_dir: a folder used only by this callback (created if needed).
        save_freq: ``"epoch"`` (exact resumption), or a number of batches (the
            interrupted epoch restarts from the weights of the last backup, as in Keras).
        double_checkpoint: also keep the previous backup (``*.bkp``), used when the
            latest cannot be read.
        delete_checkpoint: remove the backup files when training finishes.

    Example:
        >>> import tempfile, numpy as np
        >>> import lamina
        >>> backup = lamina.callbacks.BackupAndRestore(tempfile.mkdtemp())
        >>> model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0,
        ...                     callbacks=[backup])
        >>> len(history.history["loss"])
        3
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                "The 'backup_dir' argument of BackupAndRestore must be a folder path. Got "
                f"{backup_dir!r} instead."
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
            or save_freq <= 0
        ):
            raise ValueError(
                "The 'save_freq' argument of BackupAndRestore must be 'epoch' or a positive "
                f"number of batches. Got save_freq={save_freq!r} instead."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._weights_path = os.path.join(self.backup_dir, _WEIGHTS)
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0

    # -- restoring --------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(
                "BackupAndRestore needs a built model: give it an Input, or call it on a batch "
                f"of data before fit. Model '{self.model.name}' is not built."
            )
        self._current_epoch = 0
        for path in (self._weights_path, self._weights_path + ".bkp"):
            if not os.path.exists(path):
                continue
            try:
                self._restore(path)
                return
            except (OSError, ValueError):
                if not (self.double_checkpoint and os.path.exists(self._weights_path + ".bkp")):
                    raise
                if path.endswith(".bkp"):
                    raise

    def _restore(self, path):
        self.model.load_weights(path)
        import h5py  # (load_weights has checked that it is there)

        with h5py.File(path, "r") as f:
            raw = f.attrs.get(_STATE_ATTR)
        if raw is not None:
            state = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        elif os.path.exists(self._metadata_path):
            with open(self._metadata_path) as f:
                state = json.load(f)
        else:
            state = {}
        epoch = int(state.get("epoch", 0))
        self._current_epoch = epoch
        self.model._initial_epoch = epoch
        _set_random_state(self.model, state.get("random"))

    # -- saving -----------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def _save(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        state = {"epoch": self._current_epoch, "batch": self._last_batch_seen,
                 "random": _random_state(self.model)}
        # The weights and this state in one file, written under a temporary name (the
        # model's own save_weights writes it whole), completed, then renamed over the backup.
        partial = os.path.join(self.backup_dir, _PARTIAL)
        self.model.save_weights(partial)
        import h5py

        try:
            with h5py.File(partial, "r+") as f:
                f.attrs[_STATE_ATTR] = json.dumps(state)
            if self.double_checkpoint and os.path.exists(self._weights_path):
                os.replace(self._weights_path, self._weights_path + ".bkp")
            os.replace(partial, self._weights_path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        with atomic_write(self._metadata_path, "w") as f:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, f)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        for path in (self._weights_path, self._weights_path + ".bkp", self._metadata_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only if nothing else is in it
        except OSError:
            pass


def _generators(model):
    """``(key, np.random.Generator)`` for every generator a layer of ``model`` owns."""
    from lamina import random as lamina_random

    found = []
    for layer in [model, *model._all_layers()]:
        for name, value in sorted(vars(layer).items()):
            if isinstance(value, lamina_random.SeedGenerator):
                value = value.generator
            if isinstance(value, np.random.Generator):
                found.append((f"{layer.path}/{name}", value))
    return found


def _random_state(model) -> dict:
    from lamina import random as lamina_random

    return {
        "global": lamina_random.global_generator().bit_generator.state,
        "layers": {key: gen.bit_generator.state for key, gen in _generators(model)},
    }


def _set_random_state(model, state) -> None:
    if not state:
        return
    from lamina import random as lamina_random

    if state.get("global"):
        lamina_random.global_generator().bit_generator.state = state["global"]
    saved = state.get("layers") or {}
    for key, gen in _generators(model):
        if key in saved:
            gen.bit_generator.state = saved[key]
