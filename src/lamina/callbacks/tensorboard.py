"""``TensorBoard``: write the logs as TensorBoard event files (with tensorboardX).

Keras writes these files with TensorFlow; lamina writes the same folders and
tags with tensorboardX (``pip install tensorboardX``, or ``lamina[tensorboard]``),
imported only when the first event is written, so ``tensorboard --logdir``
shows the same curves.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from lamina.callbacks.callback import Callback

__all__ = ["TensorBoard"]

_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end")


def _summary_writer(folder):
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(
            "The TensorBoard callback writes its event files with tensorboardX, which is not "
            "installed. Install it with `pip install tensorboardX` (or `pip install "
            "lamina[tensorboard]`), or log with CSVLogger('log.csv') instead."
        ) from None
    return SummaryWriter(logdir=folder)


class TensorBoard(Callback):
    """Write losses, metrics, the learning rate and weight histograms for TensorBoard.

    The layout and tags are Keras's: ``<log_dir>/train`` receives
    ``epoch_loss``, ``epoch_<metric>`` and ``epoch_learning_rate`` at step
    ``epoch`` (0-based), ``<log_dir>/validation`` the ``val_`` values under the
    same tags (``epoch_loss``, ...) and ``evaluation_<name>_vs_iterations`` at
    the optimizer's iteration count after each evaluation. With an integer
    ``update_freq`` (or ``"batch"``, which is 1) the training batches' logs go
    to ``train`` as ``batch_<name>`` every that many batches (counted over the
    whole run). ``histogram_freq`` adds ``<weight path>/histogram`` every that
    many epochs. View with ``tensorboard --logdir <log_dir>``.

    ``write_graph=True`` (the default) writes the model's JSON config as Keras
    does (tag ``keras`` in ``train`` at step 0, for the Graphs tab's conceptual
    graph of Sequential and Functional models); lamina has no op graph to add.
    ``write_images``, ``profile_batch`` and ``embeddings_freq`` are not
    supported: they warn and are ignored.

    Args:
        log_dir: the folder for the event files.
        histogram_freq: write weight histograms every this many epochs (0: never).
        write_graph: write the model's config for TensorBoard's Graphs tab (see above).
        write_images: not supported (warns when True).
        write_steps_per_second: also write the training steps per second
            (``epoch_steps_per_second``; ``batch_steps_per_second`` with batch logging).
        update_freq: ``"epoch"``, ``"batch"``, or a number of batches.
        profile_batch: not supported (warns unless 0).
        embeddings_freq: not supported (warns unless 0).
        embeddings_metadata: ignored.

    Requires tensorboardX (imported when the first event is written).

    Example:
        >>> from lamina import callbacks
        >>> board = callbacks.TensorBoard(log_dir="logs", histogram_freq=1)
        >>> board.update_freq
        'epoch'
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(
                update_freq, (int, np.integer)) or update_freq <= 0):
            raise ValueError("The 'update_freq' argument of TensorBoard must be 'epoch', "
                             f"'batch' or a positive number of batches. Got {update_freq!r} "
                             "instead.")
        if isinstance(histogram_freq, bool) or not isinstance(
                histogram_freq, (int, np.integer)) or histogram_freq < 0:
            raise ValueError("The 'histogram_freq' argument of TensorBoard must be a "
                             f"non-negative number of epochs. Got {histogram_freq!r} instead.")
        for name, value in (("write_images", write_images), ("profile_batch", profile_batch),
                            ("embeddings_freq", embeddings_freq)):
            if value:
                warnings.warn(f"TensorBoard({name}={value!r}) is not supported by lamina and "
                              "is ignored; the scalars and histograms are written.",
                              stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._batch_start = 0.0
        self._epoch_start = 0.0
        self._epoch_start_iterations = 0

    # -- writers ----------------------------------------------------------------------------
    def _writer(self, which):
        if which not in self._writers:
            self._writers[which] = _summary_writer(os.path.join(self.log_dir, which))
        return self._writers[which]

    def _scalars(self, which, prefix, logs, step):
        writer = None
        for name, value in logs.items():
            try:
                number = float(np.asarray(value))
            except (TypeError, ValueError):
                continue  # not a scalar (Keras writes scalars only)
            writer = writer or self._writer(which)
            writer.add_scalar(f"{prefix}{name}", number, global_step=int(step))
        return writer

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        return None if iterations is None else int(np.asarray(iterations))

    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        try:
            return float(np.asarray(optimizer.learning_rate))
        except (AttributeError, TypeError, ValueError):
            return None

    # -- hooks ------------------------------------------------------------------------------
    def _implements(self, hook: str) -> bool:
        if hook in _BATCH_HOOKS:
            return self.update_freq != "epoch"
        return super()._implements(hook)

    def set_model(self, model):
        super().set_model(model)
        self._close()
        if self.write_graph and type(model).__name__ in ("Functional", "Sequential"):
            self._write_model_config(model)

    def _write_model_config(self, model):
        """The model's JSON under the tag ``keras`` with the graph_keras_model plugin (as Keras)."""
        try:
            text = model.to_json()
        except Exception as err:  # noqa: BLE001 - as Keras: a config that fails is skipped
            warnings.warn(f"TensorBoard could not write the model's config: {err}",
                          stacklevel=3)
            return
        writer = self._writer("train")
        from tensorboardX.proto import types_pb2
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto

        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
            plugin_name="graph_keras_model", content=b"1"))
        tensor = TensorProto(dtype=types_pb2.DT_STRING, string_val=[text.encode("utf-8")])
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer._get_file_writer().add_summary(summary, global_step=0)
        writer.flush()

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False
        self._close()  # tensorboardX writes in a thread: closing drains it to the files

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_iterations = self._iterations() or 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        values = dict(logs or {})
        if self.write_steps_per_second:
            values = {"steps_per_second": 1.0 / max(time.perf_counter() - self._batch_start,
                                                    1e-9), **values}
        self._scalars("train", "batch_", values, step)

    def on_test_end(self, logs=None):
        iterations = self._iterations()
        if iterations is not None and logs:
            writer = self._scalars("validation", "", {
                f"evaluation_{name}_vs_iterations": value for name, value in logs.items()},
                iterations)
            if writer is not None:
                writer.flush()
        if not self._training:  # model.evaluate(callbacks=[board]) on its own
            self._close()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        rate = self._learning_rate()
        if rate is not None:
            train["learning_rate"] = rate
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            done = (self._iterations() or 0) - self._epoch_start_iterations
            train["steps_per_second"] = done / seconds
        if logs:
            for which, values in (("train", train), ("validation", val)):
                if values:
                    writer = self._scalars(which, "epoch_", values, epoch)
                    if writer is not None:
                        writer.flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._histograms(epoch)

    def _histograms(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = str(getattr(weight, "path", weight.name)).replace(":", "_")
                writer.add_histogram(f"{name}/histogram", np.asarray(weight.numpy()),
                                     global_step=int(epoch))
        writer.flush()
