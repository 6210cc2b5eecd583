"""bpttviz's modules import only downward, in no circle, and take no private name of another.

The layers, lowest first (docs/architecture.md draws them): the core that
computes a gradient; forward-mode gradients; training and data; diagnostics;
figures; the guided steps; the widget app; serving; the command line and the
hub. A module may import its own layer and those below, never above. Every
import counts, those inside functions too: an import that waits for a call
is still a dependency.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "bpttviz"

#: Lowest first. A module belongs to the first entry its dotted name starts with.
LAYERS = [
    ("upstream", ["bpttviz.upstream"]),
    ("class protocol", ["bpttviz.class_protocol"]),
    ("core", ["bpttviz._validation", "bpttviz._files", "bpttviz.cells", "bpttviz.losses",
              "bpttviz.models", "bpttviz.schedules", "bpttviz.trace", "bpttviz.engine"]),
    ("forward-mode gradients", ["bpttviz.online"]),
    ("training and data", ["bpttviz.training", "bpttviz.es", "bpttviz.tasks"]),
    ("diagnostics", ["bpttviz.diagnostics"]),
    ("package", ["bpttviz"]),
    ("figures", ["bpttviz.figures", "bpttviz.plots"]),
    ("guided steps", ["bpttviz.steps"]),
    ("lessons", ["bpttviz.lessons"]),
    ("app", ["bpttviz.app"]),
    ("serving", ["bpttviz.serve", "bpttviz.notebooks"]),
    ("command line", ["bpttviz.cli", "bpttviz.hub"]),
]


def module_name(path: pathlib.Path) -> str:
    parts = ("bpttviz",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def layer_of(name: str) -> int:
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and \
                    (best is None or len(prefix) > len(best[1])):
                best = (i, prefix)
    assert best is not None, f"{name} belongs to no layer: add it to LAYERS"
    return best[0]


def imports(name: str):
    """``(imported module, imported attribute or None, line)`` for every bpttviz import."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "bpttviz":
                    yield a.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "bpttviz":
                continue
            for a in node.names:
                full = f"{target}.{a.name}"
                if full in MODULES:
                    yield full, None, node.lineno
                else:
                    yield target, a.name, node.lineno


def resolved(target: str) -> str:
    """The bpttviz module a dotted name lives in."""
    while target not in MODULES:
        target = target.rpartition(".")[0]
    return target


def ancestors(name: str) -> set:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


#: Who imports whom. An import of one's own package (``from .. import x`` of a name that
#: ``bpttviz/__init__.py`` re-exports) is left out: Python runs a package's ``__init__``
#: before any of its modules anyway, so it adds no order of its own.
EDGES = {name: sorted({resolved(t) for t, _, _ in imports(name)} - {name} - ancestors(name))
         for name in MODULES}


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_its_layer_and_below(name):
    mine = layer_of(name)
    upward = [f"{t} ({LAYERS[layer_of(resolved(t))][0]}, line {line})"
              for t, _, line in imports(name) if layer_of(resolved(t)) > mine]
    assert not upward, (f"{name} ({LAYERS[mine][0]}) imports from layers above it: "
                        + ", ".join(upward))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(name):
    private = [f"{t}.{attr} (line {line})" for t, attr, line in imports(name)
               if attr is not None and attr.startswith("_") and resolved(t) != name]
    assert not private, f"{name} imports private names: " + ", ".join(private)


def cycles_of(edges: dict) -> list:
    """The import circles of a graph: Tarjan's strongly connected components of more than one
    module."""
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return cycles


def test_there_is_no_import_cycle():
    cycles = cycles_of(EDGES)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_circle_of_three_and_not_a_chain():
    assert cycles_of({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles_of({"a": ["b"], "b": ["c"], "c": []}) == []


def test_an_upward_import_is_found_by_its_layers():
    assert layer_of("bpttviz.app.base") > layer_of("bpttviz.engine")
    assert layer_of("bpttviz.plots.style") > layer_of("bpttviz.diagnostics.jacobians")
    assert layer_of("bpttviz.cli") > layer_of("bpttviz.serve.settings") > layer_of("bpttviz.app")
