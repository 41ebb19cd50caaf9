"""What the reliability fixes must still accept, and the helpers they added."""

import os
import time

import numpy as np
import pytest

import lamina
from lamina.utils import files, memory


def _model():
    m = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    m.compile("sgd", "mse")
    return m


def test_an_extra_trailing_axis_of_one_is_accepted_as_in_keras():
    # Keras's _adjust_input_rank squeezes (n, 3, 1) to (n, 3) and expands (n,) for Input((1,)).
    x, y = np.ones((8, 3, 1), "float32"), np.ones((8, 1), "float32")
    assert _model().fit(x, y, verbose=0).history["loss"]
    i = lamina.Input((3,))
    functional = lamina.Model(i, lamina.layers.Dense(2)(i))
    assert functional.predict(x, verbose=0).shape == (8, 2)
    one = lamina.Sequential([lamina.Input((1,)), lamina.layers.Dense(1)])
    assert one.predict(np.ones(8, "float32"), verbose=0).shape == (8, 1)


def test_pad_sequences_matches_keras_documented_examples():
    pad = lamina.utils.pad_sequences
    seqs = [[1], [2, 3], [4, 5, 6]]
    assert pad(seqs).tolist() == [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
    assert pad(seqs, value=-1).tolist() == [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]
    assert pad(seqs, padding="post").tolist() == [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
    assert pad(seqs, maxlen=2).tolist() == [[0, 1], [2, 3], [5, 6]]
    assert pad(seqs, maxlen=2, truncating="post").tolist() == [[0, 1], [2, 3], [4, 5]]
    assert pad(seqs).dtype == np.int32
    assert pad([np.ones((2, 3)), np.zeros((1, 3))], dtype="float32").shape == (2, 2, 3)


def test_a_model_trains_on_padded_ragged_data():
    x = lamina.utils.pad_sequences([[1.0, 2.0, 3.0], [1.0, 2.0]] * 4, dtype="float32")
    assert _model().fit(x, np.ones((8, 1)), verbose=0).history["loss"]


def test_stale_temporaries_of_killed_saves_are_removed_and_nothing_else(tmp_path):
    target = tmp_path / "m.keras"
    dead = tmp_path / ".m.keras.999999999-abcd1234.tmp"  # our pattern, a process that is gone
    old = tmp_path / ".m.keras.k2j4h5g6.tmp"  # the older pattern, untouched for 2 hours
    fresh = tmp_path / ".m.keras.zzzzzzzz.tmp"  # the older pattern, just written: kept
    alive = tmp_path / f".m.keras.{os.getpid()}-aaaaaaaa.tmp"  # a live writer's: kept
    other = tmp_path / ".other.keras.999999999-abcd1234.tmp"  # another file's: kept
    mine = tmp_path / ".m.keras.notes.tmp"  # not our pattern: kept
    for p in (dead, old, fresh, alive, other, mine):
        p.write_bytes(b"partial")
    past = time.time() - 7200
    os.utime(old, (past, past))
    _model().save(target)
    assert not dead.exists() and not old.exists()
    assert fresh.exists() and alive.exists() and other.exists() and mine.exists()
    assert lamina.models.load_model(target)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".m.keras.") and
                p not in {fresh.name, alive.name, mine.name}]


def test_atomic_write_names_its_temporary_with_the_process_id(tmp_path):
    seen = []
    with files.atomic_write(tmp_path / "a.bin") as f:
        seen = os.listdir(tmp_path)
        f.write(b"x")
    assert len(seen) == 1 and seen[0].startswith(f".a.bin.{os.getpid()}-")


def test_check_allocation_lets_small_arrays_through_and_names_big_ones():
    memory.check_allocation(1024, "a small array")
    with pytest.raises(memory.AllocationTooLargeError, match=r"huge thing would need 8\.0 PiB"):
        memory.check_allocation(2**53, "The huge thing", "Make it smaller.")
    assert isinstance(memory.AllocationTooLargeError("x"), MemoryError)
    assert memory.available_bytes() > 0


def test_evaluate_checks_finite_data_without_a_flag_array():
    from lamina.trainers import checks

    checks.check_finite(np.full((10, 3), 3e38, "float32"), "x")  # sums overflow, all finite
    with pytest.raises(ValueError, match="column 2"):
        checks.check_finite(np.array([[1.0, 2.0, np.nan]]), "x")
