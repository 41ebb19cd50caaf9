"""A fixed sample of the hostile-file corpus (``tools/make_hostile_corpus.py`` runs all of it).

Each file is loaded with ``safe_mode`` True and False in a forked child with memory, CPU and
time limits; it must be refused with lamina's own clear error (or, for a mutation that keeps
the file valid, load), with no code run, nothing written and the planted secret never read.
"""

import os
import sys

import pytest

pytest.importorskip("h5py")
if not hasattr(os, "fork"):
    pytest.skip("the corpus runner forks", allow_module_level=True)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))

import hostile_runner  # noqa: E402
import make_hostile_corpus  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hostile"))
    corpus = make_hostile_corpus.build_corpus(folder, quick=True)
    make_hostile_corpus.fixed_sample(corpus, per_family=3)
    return corpus, hostile_runner.run_all(corpus, timeout=20)


def test_the_sample_covers_every_family(results):
    corpus, _ = results
    families = {e["family"] for e in corpus.entries}
    assert {"byte flip", "truncation", "json mutation", "hdf5 mutation", "zip", "symlink",
            "duplicate member", "nested archive", "oversized", "layer kind",
            "not a file"} <= families


def test_every_sampled_file_is_refused_clearly_with_no_code_run_and_nothing_written(results):
    _, runs = results
    summary = hostile_runner.summarize(runs)
    assert summary["failed"] == 0, "\n".join(summary["failures"])
    assert summary["code_ran"] == summary["wrote"] == summary["secret_read"] == 0
    assert summary["outcomes"].get("refused", 0) >= 0.8 * summary["loads"]


def test_the_judge_tells_clear_errors_from_raw_ones():
    import zipfile

    def raised(exc):
        try:
            raise exc
        except Exception as e:  # noqa: BLE001
            return e

    raw = raised(zipfile.BadZipFile("Bad CRC-32 for file 'config.json'"))
    clear, why = hostile_runner.judge_exception(raw)
    assert not clear and "outside lamina" in why
    import lamina

    try:
        lamina.layers.Dense(0)
    except ValueError as e:
        assert hostile_runner.judge_exception(e)[0]
    try:
        int("x")
    except ValueError as e:
        assert not hostile_runner.judge_exception(e)[0]
