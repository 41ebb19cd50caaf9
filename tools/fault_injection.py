"""Kill lamina with SIGKILL while it writes files, and check that nothing broken is left.

    PYTHONPATH=src python3 tools/fault_injection.py [--kills N] [--json]

Three writers run in child processes and are killed with ``kill -9`` at random moments:
``model.save`` in a loop, ``fit`` with ``ModelCheckpoint`` saving every batch, and ``fit``
with ``BackupAndRestore`` backing up every epoch. After each kill the file under its final
name must be absent or load whole, and the next write must remove the temporary file the
killed one left. Then a ``fit`` killed at epoch 3 is run again and must end with weights
bit-identical to an uninterrupted run. Prints the counts (faults injected / survived).
"""

from __future__ import annotations

import glob
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")


# -- the children --------------------------------------------------------------------------------


def _model():
    import lamina

    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((32,)), lamina.layers.Dense(256, activation="relu"),
                               lamina.layers.Dense(256, activation="relu"),
                               lamina.layers.Dense(1)])
    model.compile("adam", "mse", run_eagerly=os.environ.get("LAMINA_FAULTS_EAGER") == "1")
    return model


def _data(n=256):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 32)).astype("float32")
    return x, (x[:, :1] * 2.0 + 1.0).astype("float32")


def child_save(folder):
    import numpy as np

    model = _model()
    path = os.path.join(folder, "model.keras")
    i = 0
    while True:
        model.layers[0].kernel.assign(model.layers[0].kernel.numpy() + np.float32(1e-3))
        model.save(path)
        i += 1
        if i == 1:
            open(os.path.join(folder, "ready"), "w").close()


def child_checkpoint(folder):
    import lamina

    model = _model()
    x, y = _data()

    class Ready(lamina.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if not os.path.exists(os.path.join(folder, "ready")):
                open(os.path.join(folder, "ready"), "w").close()

    cb = lamina.callbacks.ModelCheckpoint(os.path.join(folder, "ckpt.keras"), save_freq=1)
    model.fit(x, y, batch_size=32, epochs=10_000, verbose=0, callbacks=[cb, Ready()])


def child_backup(folder, epochs=10_000, kill_at=None, out=None):
    import numpy as np

    import lamina

    model = _model()
    x, y = _data(64)

    class Ready(lamina.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if not os.path.exists(os.path.join(folder, "ready")):
                open(os.path.join(folder, "ready"), "w").close()
            if kill_at is not None and epoch + 1 == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    backup = lamina.callbacks.BackupAndRestore(os.path.join(folder, "backup"))
    model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, callbacks=[backup, Ready()])
    if out:
        np.savez(out, *[w for w in model.get_weights()])


CHILDREN = {"save": child_save, "checkpoint": child_checkpoint, "backup": child_backup}


# -- the parent ----------------------------------------------------------------------------------


def _spawn(*args):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_ready(proc, folder, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(os.path.join(folder, "ready")):
            return True
        if proc.poll() is not None:
            raise RuntimeError(f"the writer died early: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.01)
    return False


def _temporaries(folder):
    return glob.glob(os.path.join(folder, "**", ".*.tmp"), recursive=True)


def _loads(path):
    import lamina

    try:
        lamina.models.load_model(path)
        return True, ""
    except Exception as e:  # noqa: BLE001 - a broken file is what is counted
        return False, f"{type(e).__name__}: {e}"


def _check_backup(folder):
    """The backup left by a killed fit must let a new fit resume (or start) without error."""
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", "backup", folder, "--epochs", "0"],
        env=dict(os.environ, PYTHONPATH=SRC), capture_output=True, timeout=120)
    return proc.returncode == 0, proc.stderr.decode()[-500:]


def inject(kind, kills, rng, scratch):
    """``kills`` SIGKILLs of the ``kind`` writer; returns per-kill records."""
    folder = os.path.join(scratch, kind)
    os.makedirs(folder, exist_ok=True)
    target = {"save": "model.keras", "checkpoint": "ckpt.keras", "backup": None}[kind]
    records = []
    for i in range(kills):
        ready = os.path.join(folder, "ready")
        if os.path.exists(ready):
            os.remove(ready)
        orphans_before = set(_temporaries(folder))
        proc = _spawn(kind, folder)
        try:
            if not _wait_ready(proc, folder):
                raise RuntimeError(f"the {kind} writer did not start")
            time.sleep(rng.uniform(0.0, 0.4))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if target is not None:
            path = os.path.join(folder, target)
            ok, why = _loads(path) if os.path.exists(path) else (True, "")
        else:
            ok, why = _check_backup(folder)
        # The killed write's temporaries of the kill before this one were cleaned by this run.
        stale = orphans_before & set(_temporaries(folder))
        records.append({"kind": kind, "kill": i, "survived": ok and not stale,
                        "detail": why or (f"stale temporaries kept: {sorted(stale)}" if stale
                                          else "")})
    return records


def resume_difference(scratch, kill_at=3, epochs=6, eager=True):
    """Largest weight difference between an uninterrupted fit and one killed after epoch
    ``kill_at`` and run again (0.0: bit-identical).

    ``eager=True`` compiles with ``run_eagerly=True``. On the engine's compiled path the
    re-run's first batches run while the step is being traced, before its plan (with its
    folded bias) is compiled, which can change the last bit of a few weights.
    """
    import numpy as np

    env = dict(os.environ, PYTHONPATH=SRC, LAMINA_FAULTS_EAGER="1" if eager else "0")
    tag = "eager" if eager else "compiled"
    whole_dir, killed_dir = (os.path.join(scratch, f"whole_{tag}"),
                             os.path.join(scratch, f"killed_{tag}"))
    os.makedirs(whole_dir)
    os.makedirs(killed_dir)
    me = [sys.executable, os.path.abspath(__file__), "--child", "backup"]
    a, b = os.path.join(scratch, f"a_{tag}.npz"), os.path.join(scratch, f"b_{tag}.npz")
    subprocess.run(me + [whole_dir, "--epochs", str(epochs), "--out", a], env=env, check=True,
                   timeout=300)
    first = subprocess.run(me + [killed_dir, "--epochs", str(epochs), "--kill-at", str(kill_at)],
                           env=env, timeout=300)
    assert first.returncode == -signal.SIGKILL, f"the run was not killed ({first.returncode})"
    subprocess.run(me + [killed_dir, "--epochs", str(epochs), "--out", b], env=env, check=True,
                   timeout=300)
    wa, wb = np.load(a), np.load(b)
    return max(float(np.max(np.abs(wa[k] - wb[k]))) for k in wa.files)


def run(kills=12, seed=0, resume=True):
    rng = random.Random(seed)
    scratch = tempfile.mkdtemp(prefix="lamina_faults_")
    import shutil

    try:
        records = []
        for kind in ("save", "checkpoint", "backup"):
            records += inject(kind, kills, rng, scratch)
        identical = compiled_diff = None
        if resume:
            identical = resume_difference(scratch, eager=True) == 0.0
            compiled_diff = resume_difference(scratch, eager=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    summary = {"injected": len(records), "survived": sum(r["survived"] for r in records),
               "by_kind": {}, "resume_bit_identical": identical,
               "resume_compiled_max_difference": compiled_diff,
               "failures": [r for r in records if not r["survived"]]}
    for r in records:
        k = summary["by_kind"].setdefault(r["kind"], [0, 0])
        k[0] += 1
        k[1] += r["survived"]
    if resume:
        summary["injected"] += 1
        summary["survived"] += bool(identical)
    return summary


def format_summary(s) -> str:
    parts = ", ".join(f"{k}: {v[1]}/{v[0]}" for k, v in s["by_kind"].items())
    lines = [f"faults: {s['injected']} injected, {s['survived']} survived ({parts}"
             + (f"; kill -9 at epoch 3 then resume (run_eagerly=True): "
                f"{'bit-identical' if s['resume_bit_identical'] else 'DIFFERENT'}, compiled "
                f"path: largest weight difference {s['resume_compiled_max_difference']:.1e}"
                if s["resume_bit_identical"] is not None else "") + ")"]
    lines += [f"  {f['kind']} kill {f['kill']}: {f['detail']}" for f in s["failures"]]
    return "\n".join(lines)


def main(argv=None):
    import argparse

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        p = argparse.ArgumentParser()
        p.add_argument("kind")
        p.add_argument("folder")
        p.add_argument("--epochs", type=int, default=10_000)
        p.add_argument("--kill-at", type=int, default=None)
        p.add_argument("--out", default=None)
        a = p.parse_args(argv[1:])
        if a.kind == "backup":
            child_backup(a.folder, a.epochs, a.kill_at, a.out)
        else:
            CHILDREN[a.kind](a.folder)
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kills", type=int, default=12, help="kills per writer (default 12)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    summary = run(a.kills)
    print(json.dumps(summary, indent=1) if a.json else format_summary(summary))
    return 0 if summary["survived"] == summary["injected"] else 1


if __name__ == "__main__":
    sys.exit(main())
