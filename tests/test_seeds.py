"""Every code block of the two tutorials lamina is built from runs, with lamina as the Keras.

The tutorials live in ``../shared/seeds/`` beside the repository (skipped when absent). Each
seed's blocks run in order in one namespace, as in a notebook, after
``lamina.compat.install()``; the namespace holds what the tutorial's text prepares off-page:
the red-wine split, the age data of the second tutorial, and the exercise checker ``q_3``.
"""

import os
import re

import numpy as np
import pytest

import lamina
import lamina.compat
from lamina.datasets import red_wine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "..", "shared", "seeds")


def _blocks(filename):
    with open(os.path.join(SEEDS, filename), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def age_data(seed=0):
    """The second tutorial's data: 2,100 people aged 13-100; older ones mostly have label 1."""
    rng = np.random.default_rng(seed)
    ages, labels = [], []
    for _ in range(50):  # the 5% who go against the trend
        ages += [rng.integers(13, 65), rng.integers(65, 101)]
        labels += [1, 0]
    for _ in range(1000):
        ages += [rng.integers(13, 65), rng.integers(65, 101)]
        labels += [0, 1]
    ages = np.array(ages, dtype="float64")
    labels = np.array(labels)
    order = rng.permutation(len(ages))
    ages, labels = ages[order], labels[order]
    scaled = ((ages - 13) / (100 - 13)).reshape(-1, 1)
    return scaled, labels


class _Checker:
    def check(self):
        return None


@pytest.fixture
def namespace(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    lamina.compat.install()
    lamina.utils.set_random_seed(0)
    (x_train, y_train), (x_valid, y_valid) = red_wine.load_data()
    scaled, labels = age_data()
    ns = {
        "__name__": "__seed__",
        "q_3": _Checker(),
        "X_train": x_train, "y_train": y_train, "X_valid": x_valid, "y_valid": y_valid,
        "scaled_train_samples": scaled, "train_labels": labels,
    }
    yield ns
    lamina.compat.uninstall()
    plt.close("all")


@pytest.mark.skipif(not os.path.isdir(SEEDS), reason="../shared/seeds is not beside the repository")
def test_first_seed_runs(namespace, capsys):
    blocks = _blocks("000_1ae29c0dbf3719aa.txt")
    assert len(blocks) >= 8
    for i, code in enumerate(blocks):
        exec(compile(code, f"seed000-block{i}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "(1119, 11)" in out
    assert "Weights" in out and "sequential" in out
    history = namespace["history"]
    assert len(history.history["loss"]) == 10
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]


@pytest.mark.skipif(not os.path.isdir(SEEDS), reason="../shared/seeds is not beside the repository")
def test_second_seed_runs(namespace):
    blocks = _blocks("003_02c98f53be9d1953.txt")
    assert len(blocks) >= 6
    from keras.layers import Dense

    # The tutorial's first block uses `layers` one line before defining it; a reader runs the
    # definition first.
    namespace["layers"] = [Dense(units=3, input_shape=(2,), activation="relu"),
                           Dense(units=2, activation="softmax")]
    namespace["regularizers"] = lamina.regularizers
    for i, code in enumerate(blocks):
        exec(compile(code, f"seed003-block{i}", "exec"), namespace)
    model = namespace["model"]
    assert [layer.units for layer in model.layers] == [16, 32, 2]
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-4)
