"""The shape of the code, held by tests: no import cycle, one class per name, long functions and late imports say
why.

Read from the source with `ast`, over every package outside tests/: nothing is imported, so a module
that fails to import still shows up here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("conformance", "simulators", "reports", "load", "features", "benchmarks")
MAX_FUNCTION_LINES = 60
# The comment that lets a function run longer; it sits on the line(s) right above the `def` (or its
# decorators) and says why, e.g. "# Long: one table of routes, read top to bottom like the API document."
LONG_FUNCTION_NOTE = "# Long:"
# Class names defined twice on purpose, each with the reason; empty, and it may only stay so. The harness's
# lenient views of the SUT's exports (conformance/sut.py) are named for what they are (ExportedCaseRecord ...),
# apart from the contract's wire models (simulators/model/sut_interface.py).
KNOWN_DUPLICATE_CLASSES: Mapping[str, str] = {}


@dataclass(frozen=True)
class SourceModule:
    name: str  # dotted, as imported: "conformance.campaign.view"; a package by its own name
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def shown_path(self) -> str:
        return str(self.path.relative_to(ROOT)) if self.path.is_relative_to(ROOT) else str(self.path)


def _modules() -> dict[str, SourceModule]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            modules[name] = SourceModule(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return modules


MODULES = _modules()


def _project_module(dotted: str) -> str | None:
    """The project module an import names: itself, else the nearest enclosing module (`a.b.Name` -> `a.b`)."""
    while dotted:
        if dotted in MODULES:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


def imports_of(module: SourceModule) -> set[str]:
    """Project modules `module` imports anywhere: at the top, inside functions, under TYPE_CHECKING.

    Every one counts: an import inside a function still ties the two modules together, and a
    TYPE_CHECKING import is how a cycle hides from the interpreter while it stays in the design.
    """
    found: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found.update(t for a in node.names if (t := _project_module(a.name)) is not None)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                # `from package import submodule` imports the submodule; `from module import Name` the module.
                target = f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source
                if (resolved := _project_module(target)) is not None:
                    found.add(resolved)
    found.discard(module.name)
    return found


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each a cycle or a knot of them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _describe(cycle: list[str], graph: Mapping[str, set[str]]) -> str:
    members = set(cycle)
    return "; ".join(f"{m} -> {', '.join(sorted(graph[m] & members))}" for m in cycle)


def test_no_import_cycle() -> None:
    graph = {name: imports_of(module) for name, module in MODULES.items()}
    cycles = import_cycles(graph)
    assert not cycles, "import cycles (break them; see CONTRIBUTING.md):\n" + "\n".join(
        _describe(c, graph) for c in cycles)


def test_the_cycle_finder_finds_a_cycle_through_an_import_inside_a_function() -> None:
    # The check above must be able to fail: a two-module cycle, one side imported inside a function.
    first = SourceModule("conformance.first", ROOT / "first.py", ast.parse("import conformance.second\n"))
    second = SourceModule("conformance.second", ROOT / "second.py",
                          ast.parse("def later() -> None:\n    from conformance import first\n"))
    known = dict(MODULES)
    MODULES.update({first.name: first, second.name: second})
    try:
        graph = {m.name: imports_of(m) for m in (first, second)}
    finally:
        MODULES.clear()
        MODULES.update(known)
    assert import_cycles(graph) == [["conformance.first", "conformance.second"]]


def _classes() -> Iterator[tuple[str, str]]:
    for module in MODULES.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                yield node.name, f"{module.shown_path}:{node.lineno}"


def test_every_class_name_is_unique() -> None:
    places: dict[str, list[str]] = defaultdict(list)
    for name, place in _classes():
        places[name].append(place)
    duplicates = {name: where for name, where in places.items() if len(where) > 1}
    unexpected = {name: where for name, where in duplicates.items() if name not in KNOWN_DUPLICATE_CLASSES}
    assert not unexpected, f"class names defined more than once (rename one): {unexpected}"
    resolved = set(KNOWN_DUPLICATE_CLASSES) - set(duplicates)
    assert not resolved, f"no longer duplicated: remove {sorted(resolved)} from KNOWN_DUPLICATE_CLASSES"


def _long_functions() -> Iterator[tuple[str, int]]:
    for module in MODULES.values():
        lines = module.path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length <= MAX_FUNCTION_LINES:
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = first - 2  # index of the line right above, in `lines`
            comment: list[str] = []
            while above >= 0 and lines[above].strip().startswith("#"):
                comment.insert(0, lines[above].strip())
                above -= 1
            if not any(line.startswith(LONG_FUNCTION_NOTE) and len(line) > len(LONG_FUNCTION_NOTE) + 10
                       for line in comment):
                yield f"{module.shown_path}:{node.lineno} {node.name}", length


def test_long_functions_say_why() -> None:
    unexplained = dict(_long_functions())
    assert not unexplained, (f"functions over {MAX_FUNCTION_LINES} lines without a '{LONG_FUNCTION_NOTE} why' "
                             f"comment above them (split them, or say why not): {unexplained}")


def _imports_inside_functions_without_reason() -> Iterator[str]:
    """Import blocks inside functions with no comment right above them (or on their first line).

    A block is a run of import statements separated at most by blank lines, as isort groups them; the
    comment says why the import waits for the call (start-up time, an optional dependency, ...).
    """
    for module in MODULES.values():
        lines = module.path.read_text(encoding="utf-8").splitlines()
        starts: set[int] = set()  # first line of each import statement inside a function
        spanned: set[int] = set()  # every line of those statements
        for function in ast.walk(module.tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        starts.add(node.lineno)
                        spanned.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        for row in sorted(starts):
            above = row - 2  # index in `lines` of the line above
            while above >= 0 and not lines[above].strip():
                above -= 1
            if above >= 0 and above + 1 in spanned:
                continue  # the block goes on from above: its first statement carries the reason
            if "#" in lines[row - 1] or (above >= 0 and lines[above].strip().startswith("#")):
                continue
            yield f"{module.shown_path}:{row} {lines[row - 1].strip()}"


def test_imports_inside_functions_say_why() -> None:
    unexplained = list(_imports_inside_functions_without_reason())
    assert not unexplained, ("imports inside functions without a comment saying why they wait for the call "
                             f"(move them to the top unless start-up time needs them there): {unexplained}")


@pytest.mark.parametrize(("source", "flagged"), [
    ("def f():\n    import json\n    return json\n", True),
    ("def f():\n    # Start-up time: json is slow to import here\n    import json\n    return json\n", False),
    ("def f():\n    import json  # start-up time\n    return json\n", False),
    ("def f():\n    # why\n    import json\n\n    import csv\n    return json, csv\n", False),
    ("import json\n\ndef f():\n    return json\n", False),
])
def test_the_import_rule_flags_what_it_should(tmp_path: Path, source: str, flagged: bool) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    known = dict(MODULES)
    MODULES.clear()
    MODULES["sample"] = SourceModule("sample", path, ast.parse(source))
    try:
        found = list(_imports_inside_functions_without_reason())
    finally:
        MODULES.clear()
        MODULES.update(known)
    assert bool(found) is flagged


@pytest.mark.parametrize(("source", "flagged"), [
    ("def f():\n" + "    x = 1\n" * 61, True),
    ("# Long: one table of routes, read top to bottom\ndef f():\n" + "    x = 1\n" * 61, False),
    ("# Long:\ndef f():\n" + "    x = 1\n" * 61, True),  # a note with no reason does not count
    ("def f():\n" + "    x = 1\n" * 59, False),
])
def test_the_length_rule_flags_what_it_should(tmp_path: Path, source: str, flagged: bool) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    known = dict(MODULES)
    MODULES.clear()
    MODULES["sample"] = SourceModule("sample", path, ast.parse(source))
    try:
        found = list(_long_functions())
    finally:
        MODULES.clear()
        MODULES.update(known)
    assert bool(found) is flagged
