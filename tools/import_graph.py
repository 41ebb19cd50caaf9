"""The import graph of lamina's packages: every ``import lamina.X`` in every module (at module
level or inside functions), and the cycles between packages.

    python3 tools/import_graph.py            # edges and cycles
    python3 tools/import_graph.py --sizes    # modules by line count
"""

from __future__ import annotations

import ast
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "lamina")


def package_of(module: str) -> str:
    """``lamina.layers.core`` -> ``layers``; ``lamina.config`` -> ``config``; ``lamina`` -> ``lamina``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "lamina"


def modules():
    for folder, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                yield (rel[: -len(".__init__")] if rel.endswith(".__init__") else rel), path


def imports(module: str, path: str):
    """The lamina modules ``module`` imports (absolute names)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    is_package = path.endswith("__init__.py")
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "lamina")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.split(".")[0] != "lamina":
                continue
            if name == "lamina":  # from lamina import ops, config, ...
                out.update(f"lamina.{a.name}" for a in node.names)
            else:
                out.add(name)
    return out


def package_graph():
    graph: dict = {}
    for module, path in modules():
        src = package_of(module)
        for target in imports(module, path):
            dst = package_of(target)
            if dst != src and src != "lamina":
                graph.setdefault(src, set()).add(dst)
    return graph


def cycles(graph):
    """Strongly connected components with more than one package (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main(argv):
    if "--sizes" in argv:
        sizes = sorted(((sum(1 for _ in open(p, encoding="utf-8")), m) for m, p in modules()),
                       reverse=True)
        for n, m in sizes[:25]:
            print(f"{n:6d}  {m}")
        return 0
    graph = package_graph()
    for src in sorted(graph):
        print(f"{src:12s} -> {', '.join(sorted(graph[src]))}")
    found = cycles(graph)
    print("cycles:", found or "none")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
