"""Every script in ``examples/`` runs under ``lamina run`` and prints what the tutorial shows.

The scripts start together in separate processes (``--max-epochs 2`` keeps the
training short: these tests are about the scripts running unchanged); one
test trains the second tutorial's classifier for its full 20 epochs.
"""

import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
TIMEOUT = 180

# What each script must print (stdout), and whether it shows a figure.
EXPECTED = {
    "intro_01_linear_unit.py": (["Weights\n<Variable", "Bias\n<Variable",
                                 "After training: calories =", "Validation MAE"], False),
    "intro_02_random_weights.py": (["saved"], True),
    "intro_03_deep_network.py": (["Total params: 31"], False),
    "intro_04_red_wine.py": (["(1119, 11)", "Epoch 2/2", "val_loss", "Minimum validation loss"],
                             True),
    "ann_01_sequential.py": (["Total params: 17"], False),
    "ann_02_layers.py": (["Total params: 124"], False),
    "ann_03_activation.py": (["Both ways give the same outputs: True"], False),
    "ann_04_train.py": (["Epoch 2/2", "210/210", "accuracy", "Final training accuracy"], False),
    "ann_05_loss.py": (["optimizer: Adam learning rate: 9.99999"], False),
    "ann_06_regularization.py": (["L2 penalty of the second layer"], False),
    "red_wine.py": (["(1119, 11)", "validation MAE after 2 epochs"], False),
    "cnn_digits.py": (["train: (1438, 8, 8, 1)", "Total params: 21,386", "test accuracy:",
                       "predicted:"], False),
    "lstm_forecast.py": (["train: (936, 24, 1)", "Total params: 4,385", "test MAE:",
                          "next 12 values:"], False),
    "sentiment.py": (["vocabulary size:", "Total params: 3,217", "test accuracy:",
                      "predicted:"], False),
    "transformer_classifier.py": (["Total params:", "test accuracy:",
                                   "attention scores of the first review: (1, 2, 20, 20)",
                                   "predicted:"], False),
}


def _env():
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _start(script, figures, *options):
    return subprocess.Popen(
        [sys.executable, "-m", "lamina", "run", *options, "--save-figures", str(figures),
         os.path.join(EXAMPLES, script)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every example at once; collect ``{script: (returncode, stdout, stderr, figures)}``."""
    pytest.importorskip("matplotlib")
    started = {}
    for script in sorted(EXPECTED):
        figures = tmp_path_factory.mktemp(script.replace(".py", ""))
        started[script] = (_start(script, figures, "--max-epochs", "2"), figures)
    deadline = time.monotonic() + TIMEOUT
    results = {}
    for script, (proc, figures) in started.items():
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\n(killed after {TIMEOUT} s)"
        results[script] = (proc.returncode, out, err, figures)
    return results


def test_every_example_is_listed():
    scripts = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".py"))
    assert scripts == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(runs, script):
    returncode, out, err, figures = runs[script]
    assert returncode == 0, f"{script} failed:\n{err}"
    assert "Traceback" not in err
    expected, shows_figure = EXPECTED[script]
    for text in expected:
        assert text in out, f"{script}: {text!r} not in its output:\n{out}"
    if shows_figure:
        path = figures / "figure_1.png"
        assert path.exists() and os.path.getsize(path) > 5000


def test_second_tutorial_classifier_learns_the_ages(tmp_path):
    """The tutorial's 20 epochs with Adam(learning_rate=0.0001) reach over 85% accuracy."""
    proc = _start("ann_04_train.py", tmp_path)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "Epoch 20/20" in out
    accuracy = float(out.rsplit("Final training accuracy:", 1)[1].split()[0])
    assert accuracy > 0.85
