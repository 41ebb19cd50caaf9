"""lamina.distribute: one replica in this process; several under ``mpiexec`` when it is there.

The ``mpiexec`` tests run small scripts in fresh processes and compare a run on
N processes with a run on one, on the same global batches and seed: the same
final weights and the same History.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import lamina
from lamina.distribute import _comm
from lamina.distribute._fit import split


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    try:
        import mpi4py  # noqa: F401 - the scripts need it
    except ImportError:
        return None
    return found


MPIEXEC = _mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None, reason="needs mpiexec and mpi4py (the mpi extra)")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1", "LAMINA_ENGINE_STRICT": "1"}

TRAIN = """
    import json, sys
    import numpy as np
    import lamina
    out, processes = sys.argv[1], int(sys.argv[2])
    lamina.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(86, 5)).astype("float32")  # 70 training rows: a last batch of 6
    y = (x @ rng.normal(size=(5, 1)) > 0).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=86).astype("float32")
    strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    rank = strategy.cluster_resolver.task_id
    if rank > 0:
        lamina.utils.set_random_seed(1000 + rank)  # other initial weights: rank 0's must win
    assert strategy.num_replicas_in_sync == processes
    with strategy.scope():
        model = lamina.Sequential([lamina.Input((5,)),
                                   lamina.layers.Dense(8, activation="relu"),
                                   lamina.layers.Dropout(0.0),
                                   lamina.layers.Dense(1, activation="sigmoid",
                                                       kernel_regularizer="l2")])
        model.compile(optimizer="adam", loss="binary_crossentropy",
                      metrics=["accuracy", "mae"], weighted_metrics=["mse"])
    lamina.utils.set_random_seed(3)  # the shuffle: the same on every rank
    history = model.fit(x, y, sample_weight=weights, batch_size=16, epochs=3,
                        validation_split=0.18, verbose=0)
    if strategy.cluster_resolver.task_id == 0:
        np.savez(out, *model.get_weights())
        with open(out + ".json", "w") as f:
            json.dump(history.history, f)
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _run(args, timeout=60):
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=ENV)
    return result, time.perf_counter() - start


def _mpi(n, *args, timeout=60):
    return _run([MPIEXEC, "-n", str(n), sys.executable, *args], timeout)


# -- one process ------------------------------------------------------------------------------
def _small_fit(strategy=None):
    lamina.utils.set_random_seed(5)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(37, 4)).astype("float32")
    y = rng.normal(size=(37, 1)).astype("float32")

    def build():
        model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(3),
                                   lamina.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return model

    if strategy is None:
        model = build()
    else:
        with strategy.scope():
            model = build()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return model, history.history


def test_one_process_is_one_replica_that_trains_as_without_a_strategy():
    strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == 1
    assert strategy.cluster_resolver.task_id == 0
    assert not lamina.distribute.has_strategy()
    with strategy.scope():
        assert lamina.distribute.get_strategy() is strategy
    model, history = _small_fit(strategy)
    assert model.__dict__["_distribute_strategy"] is strategy  # recorded by compile
    plain, plain_history = _small_fit()
    assert "_distribute_strategy" not in plain.__dict__
    assert history == plain_history
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "_gradient_reducer" not in model.optimizer.__dict__  # no Allreduce on one replica


def test_reduce_on_one_replica():
    strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    value = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(strategy.reduce("SUM", value), value)
    np.testing.assert_allclose(strategy.reduce("MEAN", value, axis=0), [2.0, 3.5])
    with pytest.raises(ValueError, match="reduce_op must be 'SUM' or 'MEAN'"):
        strategy.reduce("MAX", value)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_split_gives_each_row_to_one_rank_and_the_last_batch_no_more(size):
    for batch in range(size, 40):
        full = [split(batch, size, r) for r in range(size)]
        for rows in range(size, batch + 1):
            parts = [split(rows, size, r) for r in range(size)]
            covered = np.concatenate([np.arange(s, s + c) for s, c in parts])
            np.testing.assert_array_equal(covered, np.arange(rows))
            assert all(1 <= c <= f[1] for (_, c), f in zip(parts, full))


def test_launch_variables_give_the_number_of_processes():
    assert _comm.launched_size({}) == 1
    assert _comm.launched_size({"PMI_SIZE": "4"}) == 4
    assert _comm.launched_size({"OMPI_COMM_WORLD_SIZE": "3"}) == 3
    assert _comm.launched_size({"SLURM_STEP_NUM_TASKS": "1", "PMI_SIZE": "1"}) == 1


def test_launched_under_mpi_without_mpi4py_says_to_install_the_extra(monkeypatch):
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py fails
    monkeypatch.setattr(_comm, "_WORLD", None)
    with pytest.raises(ImportError, match=r"one of 2 processes.*Install the 'mpi' extra: "
                                          r"pip install 'lamina\[mpi\]'"):
        lamina.distribute.MultiWorkerMirroredStrategy()


def test_tf_distribute_under_lamina_run_is_lamina_distribute():
    lamina.compat.install()
    try:
        import tensorflow as tf

        assert tf.distribute.MultiWorkerMirroredStrategy is \
            lamina.distribute.MultiWorkerMirroredStrategy
        assert tf.distribute.get_strategy().num_replicas_in_sync == 1
    finally:
        lamina.compat.uninstall()


# -- several processes ---------------------------------------------------------------------------
@needs_mpi
def test_processes_end_with_the_weights_and_history_of_one(tmp_path):
    # 2 processes split each batch of 16 evenly; 3 split it 6/5/5 (and the last one 2/2/2),
    # so their gradients must be weighted by their rows to give one process's update.
    script = _write(tmp_path, "train.py", TRAIN)
    one, _ = _run([sys.executable, script, str(tmp_path / "one.npz"), "1"])
    assert one.returncode == 0, one.stderr
    a = np.load(tmp_path / "one.npz")
    h1 = json.loads((tmp_path / "one.npz.json").read_text())
    assert len(a.files) == 4
    assert sorted(h1) == ["accuracy", "loss", "mae", "mse", "val_accuracy", "val_loss",
                          "val_mae", "val_mse"]
    for processes in (2, 3):
        out = str(tmp_path / f"p{processes}.npz")
        many, _ = _mpi(processes, script, out, str(processes))
        assert many.returncode == 0, many.stderr
        b = np.load(out)
        for key in a.files:
            np.testing.assert_allclose(b[key], a[key], rtol=0, atol=1e-5)
        hn = json.loads(open(out + ".json").read())
        assert sorted(hn) == sorted(h1)
        for key in h1:
            np.testing.assert_allclose(hn[key], h1[key], rtol=1e-5, err_msg=key)


RANK_FILES = """
    import os, sys
    import numpy as np
    import lamina
    folder, epochs = sys.argv[1], int(sys.argv[2])
    strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    rank = strategy.cluster_resolver.task_id
    lamina.utils.set_random_seed(10 + rank)  # different initial weights: rank 0's are used
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    with strategy.scope():
        model = lamina.Sequential([lamina.Input((5,)), lamina.layers.Dense(8),
                                   lamina.layers.BatchNormalization(synchronized=True),
                                   lamina.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
    callbacks = [lamina.callbacks.CSVLogger(os.path.join(folder, f"log{rank}.csv")),
                 lamina.callbacks.ModelCheckpoint(os.path.join(folder, f"model{rank}.keras")),
                 lamina.callbacks.BackupAndRestore(os.path.join(folder, "backup"),
                                                   delete_checkpoint=False)]
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=1, callbacks=callbacks)
    np.savez(os.path.join(folder, f"weights{rank}.npz"), *model.get_weights())
    print("epochs", rank, len(history.history["loss"]))
"""


@needs_mpi
def test_rank_zero_writes_files_and_backup_resumes_every_rank(tmp_path):
    script = _write(tmp_path, "files.py", RANK_FILES)
    first, _ = _mpi(2, script, str(tmp_path), "2")
    assert first.returncode == 0, first.stderr
    names = sorted(os.listdir(tmp_path))
    assert "log0.csv" in names and "model0.keras" in names and "backup" in names
    assert "log1.csv" not in names and "model1.keras" not in names
    assert first.stdout.count("Epoch 1/2") == 1  # rank 0 alone prints progress
    assert first.stderr.count("have synchronized=True, which lamina.distribute does not") == 1
    # Every rank holds the same model: weights and BatchNormalization's moving statistics.
    w0, w1 = np.load(tmp_path / "weights0.npz"), np.load(tmp_path / "weights1.npz")
    assert len(w0.files) == 8
    for key in w0.files:
        np.testing.assert_array_equal(w0[key], w1[key])
    resumed, _ = _mpi(2, script, str(tmp_path), "4")  # resumes at epoch 3 on both ranks
    assert resumed.returncode == 0, resumed.stderr
    assert "epochs 0 2" in resumed.stdout and "epochs 1 2" in resumed.stdout


FAILING = """
    import sys, time
    import numpy as np
    import lamina
    strategy = lamina.distribute.MultiWorkerMirroredStrategy(timeout_seconds=1)
    rank = strategy.cluster_resolver.task_id
    with strategy.scope():
        model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")

    class Fail(lamina.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if rank == 1 and epoch == 1:
                if sys.argv[1] == "raise":
                    raise RuntimeError("rank 1 fails on purpose")
                time.sleep(120)  # "stall": rank 0 waits for it in the next Allreduce

    x = np.ones((8, 3), "float32")
    model.fit(x, x[:, :1], batch_size=4, epochs=1000, verbose=0, callbacks=[Fail()])
"""


@needs_mpi
@pytest.mark.parametrize("how, message", [
    ("raise", "rank 1 of 2 raised RuntimeError: rank 1 fails on purpose. Stopping all 2"),
    ("stall", "rank 0 of 2 waited more than 1 s in Allreduce"),
])
def test_a_failing_rank_stops_every_rank(tmp_path, how, message):
    script = _write(tmp_path, "fail.py", FAILING)
    result, seconds = _mpi(2, script, how, timeout=40)
    assert result.returncode != 0
    assert message in result.stderr
    assert seconds < 20
