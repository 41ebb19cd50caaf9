"""``lamina train`` / ``predict`` on real tables: categories, ID columns, gaps, bad files."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina.cli import main
from lamina.cli.encoding import TableEncoding

DATA = os.path.join(os.path.dirname(lamina.datasets.__file__), "data")
CEREAL = os.path.join(DATA, "cereal.csv")
WINE = os.path.join(DATA, "winequality-red.csv")
QUICK = ["--epochs", "3", "--layers", "8", "--patience", "0", "--verbose", "0"]


@pytest.fixture(autouse=True)
def _clean():
    lamina.utils.clear_session()
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def _load(path):
    return lamina.saving.load_model(str(path))


def _train(capsys, data, target, out, *extra):
    status = main(["train", str(data), "--target", target, "--out", str(out), *QUICK, *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out, captured.err


def test_cereal_calories_regression_keeps_its_encoding_in_the_model_file(tmp_path, capsys):
    out, err = _train(capsys, CEREAL, "calories", tmp_path / "m")
    assert "column 'name' has a different value in every row (like a name or an ID); it is " \
           "left out." in err
    assert "Task: regression on 'calories'" in out and "predicting a number" in out
    assert "Features (14): mfr (" in out and "type (2 categories)" in out
    model = _load(tmp_path / "m" / "model.keras")
    encoding = model.get_layer("table_encoding")
    assert isinstance(encoding, TableEncoding)
    kinds = {c["name"]: c for c in encoding.get_config()["columns"]}
    assert "name" not in kinds and kinds["sugars"]["kind"] == "number"
    assert kinds["type"]["vocabulary"] == ["C", "H"]
    assert set(kinds["mfr"]["vocabulary"]) <= set("AGKNPQR") and len(kinds["mfr"]["vocabulary"]) > 4
    assert [type(layer).__name__ for layer in model.layers][:2] == ["TableEncoding",
                                                                    "Normalization"]
    assert main(["predict", str(tmp_path / "m" / "model.keras"), CEREAL]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows[0][-1] == "prediction" and len(rows) == 78
    assert rows[1][0] == "100% Bran" and np.isfinite(float(rows[1][-1]))


def test_cereal_mfr_classification_predicts_manufacturers(tmp_path, capsys):
    out, _ = _train(capsys, CEREAL, "mfr", tmp_path / "m", "--epochs", "40",
                    "--learning-rate", "0.01")
    assert "Task: multiclass on 'mfr' (text values, 7 classes): classification into 7 " \
           "classes." in out
    meta = json.loads((tmp_path / "m" / "model.meta.json").read_text())
    assert meta["classes"] == list("AGKNPQR") and "mfr" not in meta["features"]
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["train"]["accuracy"] > metrics["train"]["baseline_accuracy"]
    assert main(["predict", str(tmp_path / "m" / "model.keras"), CEREAL]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows[0][-8:] == ["prediction"] + [f"probability_{c}" for c in "AGKNPQR"]
    assert {r[-8] for r in rows[1:]} <= set("AGKNPQR")
    assert sum(float(p) for p in rows[1][-7:]) == pytest.approx(1.0, abs=1e-4)


def test_red_wine_needs_no_encoding_layer(tmp_path, capsys):
    out, err = _train(capsys, WINE, "quality", tmp_path / "m", "--epochs", "1")
    assert "Task: regression on 'quality'" in out and "note:" not in err
    model = _load(tmp_path / "m" / "model.keras")
    assert "TableEncoding" not in [type(layer).__name__ for layer in model.layers]


def _shop_csv(path, n=60, blanks=True):
    rng = np.random.default_rng(0)
    colors = np.array(["red", "green", "blue"])[rng.integers(0, 3, n)]
    size = rng.normal(10.0, 2.0, n)
    price = 3.0 * size + np.where(colors == "red", 20.0, 0.0)
    lines = ["id,size,color,price"]
    for i in range(n):
        s = "" if blanks and i in (3, 7) else f"{size[i]:.3f}"
        c = "" if blanks and i == 5 else colors[i]
        p = "" if blanks and i == 9 else f"{price[i]:.3f}"
        lines.append(f"{i + 1},{s},{c},{p}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_gaps_are_filled_inside_the_model_and_rows_without_target_left_out(tmp_path, capsys):
    data = _shop_csv(tmp_path / "shop.csv")
    _, err = _train(capsys, data, "price", tmp_path / "m", "--epochs", "2")
    assert "1 row with no 'price' (first on line 11) is left out." in err
    assert "column 'id' counts the rows (1, 2, ...), like an ID; it is left out." in err
    assert "column 'size' has 2 missing values (first on line 5); filled with the training " \
           "rows' median" in err
    assert "column 'color' has 1 missing value (first on line 7); filled with the most " \
           "frequent value" in err
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["n_train"] + metrics["n_validation"] == 59
    model = _load(tmp_path / "m" / "model.keras")
    columns = model.get_layer("table_encoding").columns
    fill_size = columns[0]["fill"]
    # The model itself fills a gap: a NaN cell predicts what the fill value predicts.
    rows = np.array([[np.nan, 0.0], [fill_size, 0.0]], "float32")
    pred = model.predict(rows, verbose=0)
    np.testing.assert_allclose(pred[0], pred[1], rtol=1e-6)

    new = tmp_path / "new.csv"
    new.write_text(f"id,size,color,price\n1,,blue,\n2,{fill_size},blue,\n3,9,purple,\n")
    assert main(["predict", str(tmp_path / "m" / "model.keras"), str(new)]) == 0
    captured = capsys.readouterr()
    assert "missing cells in 'size' are filled in as in training" in captured.err
    assert "column 'color' has 1 value the model did not see in training (first 'purple' on " \
           "line 4); treated as missing." in captured.err
    rows = _rows(captured.out)
    assert rows[1][:4] == ["1", "", "blue", ""]  # blank cells stay blank
    assert float(rows[1][-1]) == pytest.approx(float(rows[2][-1]), rel=1e-5)


def test_predict_without_meta_file_still_applies_the_encoding(tmp_path, capsys):
    data = _shop_csv(tmp_path / "shop.csv", blanks=False)
    _train(capsys, data, "price", tmp_path / "m", "--epochs", "2")
    assert main(["predict", str(tmp_path / "m" / "model.keras"), data]) == 0
    with_meta = capsys.readouterr().out
    os.remove(tmp_path / "m" / "model.meta.json")
    assert main(["predict", str(tmp_path / "m" / "model.keras"), data]) == 0
    assert capsys.readouterr().out == with_meta


def test_encoding_layer_config_is_checked():
    with pytest.raises(ValueError, match="'kind' 'number' or 'category'"):
        TableEncoding([{"name": "a", "kind": "code", "fill": 0}])
    with pytest.raises(ValueError, match="'fill' must index its vocabulary of 1"):
        TableEncoding([{"name": "a", "kind": "category", "vocabulary": ["x"], "fill": 3}])
    with pytest.raises(ValueError, match="finite number as 'fill'"):
        TableEncoding([{"name": "a", "kind": "number", "fill": float("nan")}])
    layer = TableEncoding([{"name": "a", "kind": "number", "fill": 1.5}])
    with pytest.raises(ValueError, match=r"expects 1 columns \(a\) but got input shape"):
        layer(np.zeros((2, 3), "float32"))


# --------------------------------------------------------------------------------------------
# Issue 17: the CLI's bad-input cases


@pytest.fixture
def plain_model(tmp_path, capsys):
    """A model trained on a table of numbers without gaps (no encoding layer)."""
    data = tmp_path / "nums.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    data.write_text("a,b,y\n" + "".join(f"{u:.3f},{v:.3f},{u + v:.3f}\n" for u, v in x))
    _train(capsys, data, "y", tmp_path / "plain")
    return str(tmp_path / "plain" / "model.keras")


@pytest.mark.parametrize("content, message", [
    ("a,b,y\n1,,3\n", r"column 'b' of .* has 1 missing value \(first on line 2\), and this model "
                      "was trained without gaps, so it cannot fill them"),
    ("a,b\n1,2\n3,inf\n", r"column 'b' of .* holds an infinite value \(inf\) on line 3"),
    ("a,b\n1,2\n3\n", "line 3 of .* has 1 fields but the header has 2"),
    ("", "is empty"),
    (b"a,b\n1,\xe92\n", "is not UTF-8 text"),
], ids=["blank", "inf", "ragged", "empty", "latin1"])
def test_predict_bad_tables(tmp_path, capsys, plain_model, content, message):
    import re

    path = tmp_path / "new.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["predict", plain_model, str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lamina predict: error: ") and "\n" not in err
    assert re.search(message, err), err
    assert "--drop" not in err  # predict has no --drop


def test_predict_out_must_be_a_file_in_an_existing_folder(tmp_path, capsys, plain_model):
    data = tmp_path / "nums.csv"
    assert main(["predict", plain_model, str(data), "--out", str(tmp_path)]) == 2
    assert f"--out '{tmp_path}' is a folder; give a file name" in capsys.readouterr().err
    missing = tmp_path / "nowhere" / "p.csv"
    assert main(["predict", plain_model, str(data), "--out", str(missing)]) == 2
    assert "the folder" in capsys.readouterr().err and not missing.parent.exists()
    assert main(["predict", plain_model, str(data), "--out", str(tmp_path / "p.csv")]) == 0
    assert (tmp_path / "p.csv").read_text().startswith("a,b,y,prediction\n")


def test_train_out_naming_a_file_and_no_traceback_in_a_subprocess(tmp_path, capsys):
    data = _shop_csv(tmp_path / "shop.csv", blanks=False)
    taken = tmp_path / "taken"
    taken.write_text("x")
    assert main(["train", data, "--target", "price", "--out", str(taken), *QUICK]) == 2
    assert f"--out '{taken}' is a file, not a folder" in capsys.readouterr().err
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-m", "lamina", "predict", "none.keras", data,
                             "--out", str(tmp_path)], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is a folder; give a file name" in result.stderr


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.cli import encoding

    assert run_doctests(encoding) >= 1
