"""Arrows point down: every import between our modules (at the top of a file or inside a
function, where lazy imports used to hide cycles) goes to a lower layer or stays inside its
own unit, and no group of modules imports itself in a circle. Only the settings module and
the entry points read or write the process environment."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

# Folder → package, as pyproject.toml installs them.
FOLDERS = {"citegraph": "citegraph", "graph": "citegraph.graph", "ingest": "citegraph.ingest",
           "ontology": "citegraph.ontology", "search": "citegraph.search",
           "webapp": "citegraph.webapp"}

# Lowest first. A module may import a unit of a lower layer, or its own unit; never a unit
# of its own layer or a higher one.
LAYERS = [
    ["citegraph.errors"],
    ["citegraph.settings"],
    ["citegraph.text", "citegraph.graph", "citegraph.bert_graph"],
    ["citegraph.ontology", "citegraph.embedding"],
    ["citegraph.ingest", "citegraph.search"],
    ["citegraph.evaluation", "citegraph.runtime"],
    ["citegraph.webapp"],
    ["citegraph.commands"],
    ["citegraph.cli"],
    ["citegraph.entry"],
    ["citegraph.__main__"],
]
# What may touch os.environ: the settings module and the process entry points.
ENVIRONMENT_ALLOWED = {"citegraph.settings"}


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([package, *parts])
            if name not in found:
                found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports anywhere in its file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; the package's __init__ is
            # counted only when a name is taken from it
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "citegraph":
                out.add(target)
    return out


def unit_of(module: str) -> tuple[int, str]:
    for rank, units in enumerate(LAYERS):
        for unit in units:
            if module == unit or module.startswith(unit + "."):
                return rank, unit
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py")


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def test_every_import_points_down_or_stays_in_its_unit():
    wrong = []
    for module, targets in graph().items():
        if module == "citegraph":
            continue  # the package's own __init__: a version string
        rank, unit = unit_of(module)
        for target in targets:
            target_rank, target_unit = unit_of(target)
            if target_unit != unit and target_rank >= rank:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports that do not point down:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles():
    edges = graph()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_only_settings_and_entry_points_touch_the_environment():
    pattern = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bputenv\b")
    touching = [name for name, path in modules().items()
                if name not in ENVIRONMENT_ALLOWED
                and pattern.search(path.read_text(encoding="utf-8"))]
    assert not touching, f"read or write the environment below the edge: {touching}"


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path):
    """The checks above can fail: a made-up upward import and cycle are found."""
    fake = tmp_path / "m.py"
    fake.write_text("from citegraph.webapp import create_app\n"
                    "def later():\n    from citegraph.search import service\n")
    known = {"citegraph.webapp", "citegraph.search", "citegraph.search.service",
             "citegraph.graph.m"}
    found = imports_of("citegraph.graph.m", fake, known)
    assert found == {"citegraph.webapp", "citegraph.search.service"}
    assert unit_of("citegraph.graph.m")[0] < unit_of("citegraph.webapp")[0]
