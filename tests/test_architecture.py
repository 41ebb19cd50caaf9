"""The shape of the code base: packages import only downward, and modules stay small.

The floors are the ones ARCHITECTURE.md describes; a new package must be given one here (and
there). The import graph counts imports inside functions too (``tools/import_graph.py``).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "tools"))
import import_graph  # noqa: E402

# Floor of every package; a package may import from its own floor or below, never above.
FLOORS = {
    "config": 1, "utils": 1, "version": 1, "tree": 1,
    "autodiff": 2,
    "ops": 3,
    "engine": 4,
    "random": 5,
    "activations": 6, "initializers": 6, "regularizers": 6, "constraints": 6, "losses": 6,
    "metrics": 6, "optimizers": 6, "data": 6, "datasets": 6, "callbacks": 6,
    "distribute": 6,
    "layers": 7, "trainers": 7, "visualization": 7,
    "saving": 8, "export": 8,
    "models": 9,
    "applications": 10,
    "compat": 10, "compat_backend": 10, "compat_strings": 10, "cli": 10, "__main__": 10, "lamina": 10, "wrappers": 10,
    "compat_tf_ops": 10, "compat_tf_more": 10, "backend": 10, "preprocessing": 10,
}  # fmt: skip

# ~500 lines: past that, a module is split by concern.
MAX_MODULE_LINES = 500


def test_every_package_has_a_floor():
    packages = {import_graph.package_of(module) for module, _ in import_graph.modules()}
    missing = sorted(packages - set(FLOORS))
    assert not missing, f"give these packages a floor here and in ARCHITECTURE.md: {missing}"


def test_no_import_circle_between_packages():
    assert import_graph.cycles(import_graph.package_graph()) == []


def test_packages_import_only_from_their_floor_or_below():
    upward = [
        f"{src} (floor {FLOORS[src]}) imports {dst} (floor {FLOORS[dst]})"
        for src, targets in import_graph.package_graph().items()
        for dst in targets
        if FLOORS.get(dst, 0) > FLOORS.get(src, 0)
    ]
    assert not upward, "\n".join(upward)


def test_modules_are_small():
    sizes = {}
    for module, path in import_graph.modules():
        with open(path, encoding="utf-8") as f:
            sizes[module] = sum(1 for _ in f)
    assert len(sizes) > 50
    large = {m: n for m, n in sorted(sizes.items()) if n > MAX_MODULE_LINES}
    assert not large, f"split these modules by concern (limit {MAX_MODULE_LINES} lines): {large}"


def test_the_graph_sees_function_level_imports(tmp_path):
    # The checker itself: an import inside a function is an edge like any other.
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    from lamina.models import Model\n    import lamina.saving\n")
    assert import_graph.imports("lamina.layers.probe", str(path)) == {
        "lamina.models", "lamina.saving"}
