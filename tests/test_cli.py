"""The ``lamina`` command: run, demo, train, predict, summary; in-process and as a subprocess."""

import doctest
import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lamina
from lamina.cli import main
from lamina.cli._common import saving_available
from lamina.cli.train import infer_task

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
needs_saving = pytest.mark.skipif(
    not saving_available(), reason="lamina.saving (model.save / load_model) is not there yet")


def _env():
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _lamina(*args, cwd=None, timeout=120):
    """``python -m lamina ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "lamina", *args], capture_output=True,
                          text=True, env=_env(), cwd=cwd, timeout=timeout)


def _write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def _clean():
    import lamina.compat

    lamina.utils.clear_session()
    yield
    lamina.compat.uninstall()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# --------------------------------------------------------------------------------------------
# The command itself


def test_version_help_and_no_command(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lamina {lamina.__version__}"
    assert main([]) == 2
    assert "run" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert main(["nonsense"]) == 2


def test_console_script_entry_point_is_main():
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    assert 'lamina = "lamina.__main__:main"' in text
    from lamina.__main__ import main as entry

    assert entry(["--version"]) == 0


def test_python_dash_m_lamina():
    result = _lamina("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"lamina {lamina.__version__}"


@pytest.mark.skipif(shutil.which("lamina") is None, reason="lamina is not installed with pip")
def test_installed_console_script():
    result = subprocess.run(["lamina", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("lamina ")


def test_docstring_examples_run():
    module = importlib.import_module("lamina.cli")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, "lamina.cli"):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# --------------------------------------------------------------------------------------------
# lamina run

KERAS_SCRIPT = """
    import sys
    import warnings

    import tensorflow as tf
    from tensorflow import keras
    from tensorflow.keras import layers, callbacks
    import keras as keras2
    from keras.models import Sequential
    from keras.layers import Dense, Activation
    from keras.layers.core import Dense as CoreDense
    from keras.metrics import categorical_crossentropy

    print("argv", sys.argv[1:])
    print("same keras", keras is keras2 and Dense is CoreDense and Dense is layers.Dense)
    tf.random.set_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = keras.optimizers.Adam(lr=0.01)
    print("lr", round(float(opt.learning_rate), 6), "warned", bool(caught))
    x = tf.linspace(-1.0, 1.0, 5)
    c = tf.constant([[1.0, 2.0]])
    v = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(v * c))
    print("grad", float(tape.gradient(loss, v)))
    print("cce", round(float(categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])[0]), 4))
    print("devices", tf.config.list_physical_devices("GPU"))
    model = Sequential([Dense(4, input_shape=(1,)), Activation("relu"), Dense(1)])
    model.compile(optimizer=opt, loss="mse")
    x = tf.reshape(x, (-1, 1))
    history = model.fit(x, x, epochs=50, verbose=0,
                        callbacks=[callbacks.EarlyStopping(monitor="loss", patience=100)])
    print("epochs", len(history.history["loss"]))
    print("main", __name__)
"""


def test_run_resolves_keras_and_tensorflow_imports_to_lamina(tmp_path, capsys):
    script = _write(tmp_path / "tutorial.py", KERAS_SCRIPT)
    assert main(["run", script, "first", "--flag"]) == 0
    out = capsys.readouterr().out
    assert "argv ['first', '--flag']" in out
    assert "same keras True" in out
    assert "lr 0.01 warned True" in out
    assert "grad 30.0" in out  # d/dv sum((v*c)^2) = 2v(1 + 4) at v = 3
    assert "cce 0.6931" in out
    assert "devices []" in out
    assert "epochs 50" in out and "main __main__" in out
    assert "keras" not in sys.modules or not hasattr(sys.modules["keras"], "_what")  # undone
    assert sys.argv[0] != script


def test_compat_stand_ins_that_tutorials_use():
    import lamina.compat

    lamina.compat.install()
    import keras
    import tensorflow as tf
    from tensorflow.keras.utils import PyDataset, plot_history, to_categorical

    assert to_categorical is lamina.utils.to_categorical and PyDataset is lamina.utils.PyDataset
    assert plot_history is lamina.utils.plot_history
    assert keras.backend.clear_session is lamina.utils.clear_session
    assert tf.keras.backend.floatx() == "float32"

    @tf.function
    def double_relu(x):
        return 2 * tf.nn.relu(x)

    np.testing.assert_allclose(np.asarray(double_relu(tf.constant([-1.0, 3.0]))), [0.0, 6.0])
    np.testing.assert_allclose(float(tf.math.reduce_std(tf.constant([1.0, 3.0]))), 1.0)
    np.testing.assert_allclose(np.asarray(tf.pow(2.0, 3.0)), 8.0)
    def two_shuffles():  # an op seed gives a new order at each call, as in TensorFlow
        return [np.asarray(tf.random.shuffle(np.arange(6), seed=1)) for _ in range(2)]

    tf.random.set_seed(3)
    first = two_shuffles()
    tf.random.set_seed(3)
    np.testing.assert_array_equal(two_shuffles(), first)  # set_seed restarts the streams
    assert sorted(first[0].tolist()) == list(range(6))
    assert double_relu.compiled_for((np.array([-1.0, 3.0], "float32"),)) is None  # traced once
    assert tf.config.list_physical_devices("GPU") == [] and not tf.test.is_gpu_available()
    assert tf.distribute.MirroredStrategy().num_replicas_in_sync == 1  # lamina.distribute
    with pytest.raises(AttributeError, match="tensorflow.distribute.TPUStrategy is a TensorFlow"):
        tf.distribute.TPUStrategy()
    with pytest.raises(AttributeError, match="keras.utils.audio_dataset_from_directory is a "
                                             "Keras API that lamina does not provide"):
        keras.utils.audio_dataset_from_directory("recordings")


def test_run_max_epochs_caps_every_fit(tmp_path, capsys):
    script = _write(tmp_path / "tutorial.py", KERAS_SCRIPT)
    assert main(["run", "--max-epochs", "2", script]) == 0
    captured = capsys.readouterr()
    assert "epochs 2" in captured.out
    assert "fit(epochs=50) trains 2 epochs" in captured.err
    from lamina.trainers.trainer import Trainer

    assert Trainer.fit.__name__ == "fit" and not hasattr(Trainer.fit, "__wrapped__")


def test_run_tensorflow_only_api_names_what_is_missing(tmp_path, capsys):
    script = _write(tmp_path / "tfdata.py", """
        import tensorflow as tf
        dataset = tf.data.Dataset.from_tensor_slices([1, 2, 3]).batch(2)
        print("batches", [b.tolist() for b in dataset], int(dataset.cardinality()))
        records = tf.data.TFRecordDataset(["data.tfrecord"])
    """)
    assert main(["run", script]) == 1
    captured = capsys.readouterr()
    assert "batches [[1, 2], [3]] 2" in captured.out  # tf.data is lamina.data.Dataset
    err = captured.err
    assert "tensorflow.data.TFRecordDataset is a TensorFlow API that lamina does not " \
           "provide" in err
    assert 'tfdata.py", line 5' in err and "runpy" not in err  # the script's frames only
    distribute = _write(tmp_path / "distribute.py", """
        import tensorflow as tf
        strategy = tf.distribute.TPUStrategy()
    """)
    assert main(["run", distribute]) == 1
    assert "tensorflow.distribute.TPUStrategy is a TensorFlow API" in capsys.readouterr().err


def test_run_exit_codes_and_missing_script(tmp_path, capsys):
    assert main(["run", _write(tmp_path / "exit3.py", "import sys; sys.exit(3)")]) == 3
    assert main(["run", _write(tmp_path / "ok.py", "import sys; sys.exit()")]) == 0
    assert main(["run", str(tmp_path / "missing.py")]) == 2
    assert "there is no script" in capsys.readouterr().err


def test_run_save_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    script = _write(tmp_path / "plot.py", """
        import matplotlib.pyplot as plt
        plt.plot([0, 1], [1, 0])
        plt.show()
        plt.plot([0, 1], [0, 1])
        plt.show()
    """)
    figures = tmp_path / "figures"
    assert main(["run", "--save-figures", str(figures), script]) == 0
    assert sorted(os.listdir(figures)) == ["figure_1.png", "figure_2.png"]
    assert os.path.getsize(figures / "figure_1.png") > 1000


def test_run_as_subprocess(tmp_path):
    script = _write(tmp_path / "tutorial.py", KERAS_SCRIPT)
    result = _lamina("run", "--max-epochs", "1", script, "x")
    assert result.returncode == 0, result.stderr
    assert "argv ['x']" in result.stdout and "epochs 1" in result.stdout


# --------------------------------------------------------------------------------------------
# lamina train: deciding the task


@pytest.mark.parametrize("values, text, task, classes", [
    (np.array([0.0, 1.0, 1.0]), False, "binary", [0, 1]),
    (np.array([3.0, 7.0, 3.0]), False, "binary", [3, 7]),
    (np.array([0.0, 1.0, 2.0, 2.0]), False, "multiclass", [0, 1, 2]),
    (np.array([1.0, 2.0, 3.0, 4.0]), False, "multiclass", [1, 2, 3, 4]),
    (np.array([3.0, 4.0, 5.0, 8.0]), False, "regression", None),  # red-wine quality
    (np.array([0.5, 1.5, 2.25]), False, "regression", None),
    (np.arange(30.0), False, "regression", None),
    (np.array(["yes", "no", "yes"]), True, "binary", ["no", "yes"]),
    (np.array(["a", "b", "c"]), True, "multiclass", ["a", "b", "c"]),
])
def test_infer_task(values, text, task, classes):
    got_task, got_classes, reason = infer_task(values, text)
    assert (got_task, got_classes) == (task, classes)
    assert reason


# --------------------------------------------------------------------------------------------
# lamina train


def _regression_csv(path, n=200, sep=","):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 50.0, 1000.0]
    y = 2.0 * x[:, 0] + 0.3 * x[:, 1] - 0.01 * x[:, 2] + 500.0
    lines = [sep.join(["a", "b", "c", "price"])]
    lines += [sep.join(f"{v:.4f}" for v in (*row, t)) for row, t in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _classes_csv(path, n=240, sep=",", labels=("no", "yes"), decimal=","):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 2))
    k = np.digitize(x[:, 0] + x[:, 1], [0.0] if len(labels) == 2 else [-0.6, 0.6])
    lines = [sep.join(["f1", "f2", "label"])]
    for row, c in zip(x, k):
        values = [f"{v:.3f}".replace(".", decimal if sep == ";" else ".") for v in row]
        lines.append(sep.join([*values, str(labels[c])]))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_train_regression_writes_outputs_and_scales_inside_the_model(tmp_path, capsys):
    data = _regression_csv(tmp_path / "houses.csv")
    out = tmp_path / "out"
    status = main(["train", data, "--target", "price", "--out", str(out), "--epochs", "40",
                   "--verbose", "0", "--layers", "16", "--learning-rate", "0.01"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "Task: regression on 'price'" in printed
    assert "Rows: 160 for training, 40 for validation" in printed
    metrics = _read_json(out / "metrics.json")
    assert metrics["task"] == "regression" and metrics["n_train"] == 160
    assert metrics["loss"] == "mse" and metrics["layers"] == [16]
    assert len(metrics["history"]["loss"]) == metrics["epochs_run"] <= 40
    assert 1 <= metrics["best_epoch"] <= metrics["epochs_run"]
    # Features and target scaled in the model: a target around 500 with a spread of 3 is
    # learned in 40 epochs (without scaling, r2 stays far below 0).
    assert metrics["validation"]["r2"] > 0.9
    assert metrics["validation"]["mae"] < metrics["validation"]["baseline_mae"] / 3
    meta = _read_json(out / "model.meta.json")
    assert meta["features"] == ["a", "b", "c"] and meta["target"] == "price"
    assert meta["classes"] is None
    if hasattr(lamina.layers, "Normalization"):
        assert meta["scaling"] is None  # the model scales its own inputs
    if "matplotlib" in sys.modules or importlib.util.find_spec("matplotlib"):
        assert os.path.getsize(out / "learning_curve.png") > 1000
    if saving_available():
        assert os.path.exists(out / "model.keras")


def test_train_falls_back_to_stored_scaling_without_normalization(tmp_path, monkeypatch, capsys):
    monkeypatch.delattr(lamina.layers, "Normalization", raising=False)
    data = _regression_csv(tmp_path / "houses.csv")
    out = tmp_path / "out"
    assert main(["train", data, "--target", "price", "--out", str(out), "--epochs", "40",
                 "--verbose", "0", "--layers", "16", "--learning-rate", "0.01"]) == 0
    meta = _read_json(out / "model.meta.json")
    features = meta["scaling"]["features"]
    assert len(features["mean"]) == 3 and features["std"][2] > 50
    assert meta["scaling"]["target"]["mean"] == pytest.approx(510, abs=20)
    metrics = _read_json(out / "metrics.json")
    assert metrics["validation"]["r2"] > 0.9  # reported in the target's own units


def test_train_binary_text_labels(tmp_path, capsys):
    data = _classes_csv(tmp_path / "pass.csv")
    out = tmp_path / "out"
    assert main(["train", data, "--target", "label", "--out", str(out), "--epochs", "15",
                 "--verbose", "0"]) == 0
    assert "Task: binary on 'label' (text values, 2 classes)" in capsys.readouterr().out
    meta = _read_json(out / "model.meta.json")
    assert meta["task"] == "binary" and meta["classes"] == ["no", "yes"]
    metrics = _read_json(out / "metrics.json")
    assert metrics["loss"] == "binary_crossentropy"
    assert metrics["validation"]["accuracy"] > 0.85


def test_train_multiclass_semicolons_and_decimal_commas(tmp_path, capsys):
    data = _classes_csv(tmp_path / "iris.csv", sep=";", labels=(0, 1, 2))
    out = tmp_path / "out"
    assert main(["train", data, "--target", "label", "--out", str(out), "--epochs", "15",
                 "--verbose", "0", "--optimizer", "rmsprop", "--learning-rate", "0.01",
                 "--batch-size", "16", "--activation", "tanh", "--patience", "0"]) == 0
    printed = capsys.readouterr().out
    assert "multiclass" in printed and "separator ';'" in printed
    metrics = _read_json(out / "metrics.json")
    assert metrics["epochs_run"] == 15 and metrics["optimizer"] == "rmsprop"
    assert metrics["loss"] == "sparse_categorical_crossentropy"
    assert metrics["validation"]["accuracy"] > 0.7


def test_train_drop_and_task_override(tmp_path, capsys):
    data = _regression_csv(tmp_path / "houses.csv")
    out = tmp_path / "out"
    assert main(["train", data, "--target", "price", "--out", str(out), "--epochs", "2",
                 "--verbose", "0", "--drop", "b,c", "--validation-split", "0"]) == 0
    meta = _read_json(out / "model.meta.json")
    assert meta["features"] == ["a"]
    assert "validation" not in _read_json(out / "metrics.json")


BAD_INPUTS = [
    ("empty.csv", "", ["--target", "y"], "is empty"),
    ("semi.csv", "a;b;y\n1;2;3\n4;5;6\n", ["--target", "y", "--sep", ","],
     "looks separated by ';'; pass --sep ';'"),
    ("stray.csv", "a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(12)) + "x,2,1\n",
     ["--target", "y"], "column 'a' of .*stray.csv holds numbers, but 'x' on line 14 is not a "
                        "number; fix those cells, or clear them"),
    ("inf.csv", "a,b,y\n1,2,3\n4,inf,6\n7,8,9\n", ["--target", "y"],
     r"column 'b' of .*inf.csv holds an infinite value \(inf\) on line 3; the network needs "
     "finite numbers"),
    ("inftarget.csv", "a,y\n1,2\n4,-inf\n7,8\n", ["--target", "y"],
     "column 'y' .* holds an infinite value"),
    ("notarget.csv", "a,y\n1,\n4,NA\n", ["--target", "y"], "target column 'y' .* is empty"),
    ("latin1.csv", "a,café,y\n1,2,3\n".encode("latin-1"), ["--target", "y"],
     "is not UTF-8 text. Save it as 'CSV UTF-8'"),
    ("onlyid.csv", "name,y\na,1\nb,2\nc,1\n", ["--target", "y"],
     "no usable feature columns are left"),
    ("ragged.csv", "a,b,y\n1,2\n4,5,6\n", ["--target", "y"],
     "line 2 of .*ragged.csv has 2 fields but the header has 3"),
    ("header.csv", "a,b,y\n", ["--target", "y"], "no data rows"),
    ("ok.csv", "a,b,y\n1,2,3\n4,5,6\n", ["--target", "Y"],
     "no column 'Y' \\(did you mean 'y'\\?\\); its columns are: a, b, y"),
    ("same.csv", "a,b,y\n1,2,3\n4,5,3\n", ["--target", "y"], "single value"),
    ("ok.csv", "a,b,y\n1,2,3\n4,5,6\n", ["--target", "y", "--optimizer", "adamm"],
     "Unknown optimizer 'adamm'.*Did you mean 'adam'"),
    ("ok.csv", "a,b,y\n1,2,3\n4,5,6\n", ["--target", "y", "--layers", "big"],
     "--layers takes layer sizes"),
    ("ok.csv", "a,b,y\n1,2,3\n4,5,6\n", ["--target", "y", "--drop", "q"], "--drop 'q'"),
]


@pytest.mark.parametrize("name, content, args, message", BAD_INPUTS,
                         ids=[f"{b[0]}-{b[2][-1]}" for b in BAD_INPUTS])
def test_train_bad_input_is_one_line_with_exit_code_2(tmp_path, capsys, name, content, args,
                                                      message):
    import re

    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    status = main(["train", str(path), "--out", str(tmp_path / "out"), "--verbose", "0", *args])
    err = capsys.readouterr().err
    assert status == 2
    *notes, line = err.strip().splitlines()  # one error line, after any notes
    assert line.startswith("lamina train: error: ") and all(n.startswith("note: ") for n in notes)
    assert re.search(message, line), line


def test_train_bad_input_in_a_subprocess_has_no_traceback(tmp_path):
    path = tmp_path / "wine.csv"
    path.write_text('"a";"b";"quality"\n1;2;5\n3;4;6\n')
    result = _lamina("train", str(path), "--target", "Quality", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"lamina train: error: {path} has no column 'Quality' (did you mean 'quality'?); its "
        "columns are: a, b, quality. Pass one of them to --target.")


def test_train_missing_file_and_missing_target_option(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nothing.csv"), "--target", "y"]) == 2
    assert "there is no file" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "nothing.csv")]) == 2  # argparse: --target required
    assert "--target" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# lamina predict / summary


@needs_saving
def test_predict_and_summary_after_train(tmp_path, capsys):
    data = _classes_csv(tmp_path / "pass.csv")
    out = tmp_path / "out"
    assert main(["train", data, "--target", "label", "--out", str(out), "--epochs", "10",
                 "--verbose", "0"]) == 0
    capsys.readouterr()
    predictions = tmp_path / "pred.csv"
    assert main(["predict", str(out / "model.keras"), data, "--out", str(predictions)]) == 0
    rows = predictions.read_text().splitlines()
    assert rows[0] == "f1,f2,label,prediction,probability_no,probability_yes"
    assert len(rows) == 241
    right = sum(r.split(",")[2] == r.split(",")[3] for r in rows[1:])
    assert right / 240 > 0.85
    first = rows[1].split(",")
    assert float(first[4]) + float(first[5]) == pytest.approx(1.0, abs=1e-5)
    assert main(["summary", str(out / "model.keras")]) == 0
    printed = capsys.readouterr().out
    assert "Total params" in printed and "Classes: no, yes" in printed


@needs_saving
def test_predict_regression_to_stdout_and_missing_columns(tmp_path, capsys):
    data = _regression_csv(tmp_path / "houses.csv")
    out = tmp_path / "out"
    assert main(["train", data, "--target", "price", "--out", str(out), "--epochs", "5",
                 "--verbose", "0"]) == 0
    capsys.readouterr()
    assert main(["predict", str(out / "model.keras"), data]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "a,b,c,price,prediction" and len(rows) == 201
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["predict", str(out / "model.keras"), str(bad)]) == 2
    assert "lacks the column 'c'" in capsys.readouterr().err


def test_predict_and_summary_user_errors(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "none.keras"), "x.csv"]) == 2
    assert "there is no model file" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "none.keras")]) == 2
    if not saving_available():
        fake = tmp_path / "model.keras"
        fake.write_bytes(b"")
        assert main(["summary", str(fake)]) == 2
        assert "cannot read `.keras` files yet" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# lamina demo


def test_demo_writes_model_curve_and_diagram(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "1", "--verbose", "0"]) == 0
    captured = capsys.readouterr()
    assert "1119 wines to train on, 480 to validate" in captured.out
    assert "Validation MAE after 1 epochs" in captured.out
    files = sorted(os.listdir(out))
    if importlib.util.find_spec("matplotlib"):
        assert {"learning_curve.png", "model.png"} <= set(files)
        assert os.path.getsize(out / "model.png") > 5000
    if saving_available():
        assert "red_wine.keras" in files
        model = lamina.saving.load_model(str(out / "red_wine.keras"))
        assert [layer.units for layer in model.layers] == [512, 512, 512, 1]
    else:
        assert "cannot write `.keras` files yet" in captured.err
