"""Run the hostile-file corpus, the bad-input table and the fault injection; print the counts.

    PYTHONPATH=src python3 tools/safety_report.py [--kills N]

The output is the "Safety" section of the README (Markdown), so its numbers are printed by
this tool, never typed by hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def hostile_counts():
    import hostile_runner
    import make_hostile_corpus

    folder = tempfile.mkdtemp(prefix="lamina_hostile_")
    try:
        corpus = make_hostile_corpus.build_corpus(folder)
        return hostile_runner.summarize(hostile_runner.run_all(corpus))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bad_input_counts():
    """(cases, passed, failed) of tests/reliability/test_bad_input.py, run by pytest."""
    test = os.path.join(ROOT, "tests", "reliability", "test_bad_input.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-p",
                           "no:cacheprovider", test], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    import re

    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|xfailed|error)",
                                               proc.stdout)}
    return counts


def main(argv=None):
    import argparse

    import fault_injection

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kills", type=int, default=12, help="kills per writer (default 12)")
    a = p.parse_args(argv)
    files = hostile_counts()
    inputs = bad_input_counts()
    faults = fault_injection.run(a.kills)
    tried = sum(inputs.values())
    clear = inputs.get("passed", 0)
    lines = [
        "## Safety",
        "",
        "Counted by `tools/safety_report.py` (rerun it to update this section):",
        "",
        f"- **Hostile files**: {files['files']} broken or malicious files (byte flips, "
        "truncations, JSON mutations, configs naming `os.system`/`subprocess.Popen`/Lambda "
        "byte code, oversized shapes and members, nested archives, symbolic links, duplicate "
        "members, every layer kind with hostile arguments), each loaded with `safe_mode` True "
        f"and False ({files['loads']} loads) under memory, CPU and time limits: "
        f"{files['outcomes'].get('refused', 0)} refused with a clear error, "
        f"{files['loaded_harmless']} loaded harmlessly (mutations that leave the file valid), "
        f"{files['failed']} failed; code run {files['code_ran']} times, files written "
        f"{files['wrote']}, planted paths read {files['secret_read']}.",
        f"- **Bad inputs**: {tried} tried (fit/evaluate/predict, train_on_batch, callbacks, "
        f"layer constructors and calls, datasets, the CLI), {clear} answered with a clear "
        "error naming the argument, what was expected and what arrived"
        + (f", {tried - clear} not yet" if tried != clear else "") + ".",
        f"- **Faults**: {faults['injected']} injected ({', '.join(f'{v[0]} kill -9 during {k}' for k, v in faults['by_kind'].items())}, "
        "and a fit killed at epoch 3 then resumed), "
        f"{faults['survived']} survived: no broken file left in place"
        + (", the resumed fit bit-identical to an uninterrupted one (run_eagerly=True; on the "
           f"compiled path the largest difference is {faults['resume_compiled_max_difference']:.1e})"
           if faults["resume_bit_identical"] else "") + ".",
    ]
    if files["failures"] or faults["failures"]:
        lines += ["", "Not yet:"] + [f"- {f}" for f in files["failures"][:10]] + [
            f"- {f['kind']} kill {f['kill']}: {f['detail']}" for f in faults["failures"]]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
