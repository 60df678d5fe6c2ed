"""No import circles among botcore, adapters and workers (issue #15).

Every import counts: module level, inside functions and under ``if TYPE_CHECKING:`` (a circle
hidden in a function or a type hint is still two modules that cannot be understood apart). The
graph is read with :mod:`ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("botcore", "adapters", "workers")


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    """The module of ours that ``name`` (a module or a module's attribute) lives in."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of ours it imports (anywhere in its body)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    origin = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    origin = node.module or ""
                # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module.
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in mods else origin
                           for a in node.names]
            for target in targets:
                found = _resolve(target, mods)
                if found and found != name:
                    deps.add(found)
        graph[name] = deps
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_sees_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    graph = import_graph()
    # function-level: the adapter starts its transports lazily
    assert "adapters.telegram.polling" in graph["adapters.telegram.adapter"]
    # a package's submodule through ``from package import sub``
    assert "botcore.memory.sql_models" in graph["botcore.handoff.service"]
    assert len(graph) > 100


def test_no_import_circles() -> None:
    found = circles(import_graph())
    assert found == [], "import circles: " + "; ".join(" ↔ ".join(c) for c in found)


def test_botcore_imports_neither_adapters_nor_workers() -> None:
    graph = import_graph()
    wrong = sorted(f"{mod} → {dep}" for mod, deps in graph.items() if mod.startswith("botcore")
                   for dep in deps if dep.split(".")[0] in ("adapters", "workers"))
    assert wrong == []


def test_stages_import_neither_the_pipeline_nor_the_manager_nor_each_other() -> None:
    graph = import_graph()
    stages = sorted(m for m in graph if m.startswith("botcore.dialogue.stages."))
    assert len(stages) > 10
    above = ("botcore.dialogue.pipeline", "botcore.dialogue.manager")
    wrong = sorted(f"{s} → {d}" for s in stages for d in graph[s]
                   if d in above or d.startswith("botcore.dialogue.stages"))
    assert wrong == []
    # the turn is the bottom of the dialogue package; the session sits right above it
    assert [d for d in graph["botcore.dialogue.turn"] if d.startswith("botcore.dialogue")] == []
    for low in ("botcore.dialogue.session", "botcore.dialogue.command_router",
                "botcore.handoff.service"):
        assert not graph[low] & {*above, *stages}, low
