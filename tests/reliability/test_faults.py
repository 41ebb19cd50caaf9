"""kill -9 during saves leaves no broken file; a killed fit resumes bit-identically (a sample).

``tools/fault_injection.py`` runs the full count (12 kills per writer); this file runs a few.
"""

import os
import random
import sys

import pytest

pytest.importorskip("h5py")
if not hasattr(os, "fork"):
    pytest.skip("needs POSIX signals", allow_module_level=True)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))

import fault_injection  # noqa: E402


@pytest.mark.parametrize("kind, kills", [("save", 2), ("checkpoint", 1), ("backup", 1)])
def test_kill_9_while_writing_leaves_a_loadable_file(kind, kills, tmp_path):
    records = fault_injection.inject(kind, kills, random.Random(1), str(tmp_path))
    assert len(records) == kills
    assert all(r["survived"] for r in records), records


@pytest.mark.slow
def test_a_fit_killed_at_epoch_3_resumes_bit_identically(tmp_path):
    assert fault_injection.resume_difference(str(tmp_path), eager=True) == 0.0
