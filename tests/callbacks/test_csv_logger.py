"""CSVLogger: header once, a flushed row per epoch, append, separator, val_ columns."""

import numpy as np
import pytest

from lamina.callbacks import CallbackList, CSVLogger


def fit(logger, epoch_logs):
    cbs = CallbackList([logger])
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end()


def read(path):
    with open(path, newline="") as f:
        return f.read()


def test_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    fit(
        CSVLogger(path),
        [
            {"loss": 0.5, "accuracy": np.float32(0.25), "val_loss": 0.75, "val_accuracy": 0.125},
            {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.5, "val_accuracy": 0.25},
        ],
    )
    assert read(path) == (
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        "0,0.25,0.5,0.125,0.75\r\n"
        "1,0.5,0.25,0.25,0.5\r\n"
    )


def test_rows_are_flushed_each_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(str(path))
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0})
    assert read(path).splitlines() == ["epoch,loss,val_loss", "0,1.0,NA"]
    logger.on_epoch_end(1, {"loss": 0.5})
    assert read(path).splitlines()[-1] == "1,0.5,NA"
    logger.on_train_end()
    assert logger.csv_file.closed


def test_val_columns_added_when_first_epoch_has_no_validation(tmp_path):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.75}])
    assert read(path).splitlines() == ["epoch,loss,val_loss", "0,1.0,NA", "1,0.5,0.75"]


def test_append_writes_header_once(tmp_path):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path, append=True), [{"loss": 1.0, "val_loss": 2.0}])
    fit(CSVLogger(path, append=True), [{"loss": 0.5, "val_loss": 1.5}])
    assert read(path).splitlines() == ["epoch,loss,val_loss", "0,1.0,2.0", "0,0.5,1.5"]
    (tmp_path / "empty.csv").write_text("")
    fit(CSVLogger(tmp_path / "empty.csv", append=True), [{"loss": 1.0, "val_loss": 2.0}])
    assert read(tmp_path / "empty.csv").splitlines()[0] == "epoch,loss,val_loss"


def test_without_append_the_file_is_overwritten(tmp_path):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0}] * 3)
    fit(CSVLogger(path), [{"loss": 0.5, "val_loss": 1.5}])
    assert read(path).splitlines() == ["epoch,loss,val_loss", "0,0.5,1.5"]


def test_separator_and_array_values(tmp_path):
    path = tmp_path / "log.tsv"
    fit(CSVLogger(path, separator="\t"), [{"loss": 1.0, "val_loss": 2.0, "f1": np.array([1, 2])}])
    lines = read(path).splitlines()
    assert lines[0] == "epoch\tf1\tloss\tval_loss"
    assert lines[1].split("\t")[0] == "0" and lines[1].endswith("\t1.0\t2.0")
    assert "[1, 2]" in lines[1]


def test_reads_back_with_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), [{"loss": 1.0 / (e + 1), "val_loss": 2.0} for e in range(3)])
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["epoch", "loss", "val_loss"]
    assert frame["epoch"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(frame["loss"], [1.0, 0.5, 1.0 / 3])


def test_missing_folder_is_explained(tmp_path):
    logger = CSVLogger(tmp_path / "no_such_dir" / "log.csv")
    with pytest.raises(FileNotFoundError, match="does not exist.*os.makedirs"):
        logger.on_train_begin()
