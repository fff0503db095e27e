"""The package's imports point one way: down the layer order the README's Layout section documents.

Read from the source with ``ast`` (nothing is imported): every ``import`` and ``from … import`` anywhere in a
module — at the top, inside a function (a lazy import is still a dependency, it only runs later), and under
``if TYPE_CHECKING:``. **TYPE_CHECKING imports count for the layer order**: an annotation naming a higher layer's
class still ties the lower layer to it (the fix is a ``Protocol`` in the lower layer, as ``domain.instruments.Master``
is for the catalog). They do not count for the module-cycle check, because they never run: two modules of one room
may name each other's types.

Three checks:

* no module imports a module of a higher layer;
* no cycle between rooms (a room is a package under ``airalgo_desktop/`` or a top-level module), so two rooms of one
  layer may use each other only one way;
* no cycle between modules (runtime imports, lazy ones included).

A new room or top-level module must be given a layer in :data:`LAYERS` first — the test fails on an unknown one.
``tests/``, ``benchmarks/`` and ``docs/`` scripts sit outside the package and may import any layer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "airalgo_desktop"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# low → high; a module may import its own layer (without cycles) and any layer below it
LAYERS: list[tuple[str, set[str]]] = [
    ("domain and base modules", {"domain", "__init__", "logs", "config", "transport", "resources", "keystore",
                                 "listeners", "console"}),
    ("store, api", {"store", "api"}),
    ("instruments", {"instruments"}),
    # settings reads and writes services' objects (alerts, guard settings, watchlist entries) for desk and ui
    ("services, sim, settings", {"services", "sim", "settings"}),
    ("desk", {"desk"}),  # the desk/ package (hub + parts); a desk.py module would be the same room
    ("ui", {"ui"}),
    ("app, entry points, harness", {"app", "__main__", "cli", "harness"}),
]
RANK = {room: rank for rank, (_, rooms) in enumerate(LAYERS) for room in rooms}


@dataclass(frozen=True)
class Import:
    """One import statement's target inside the package."""

    source: str  # importing module, e.g. airalgo_desktop.store.bars
    target: str  # imported module, e.g. airalgo_desktop.domain.bars
    line: int
    type_only: bool  # under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        return f"{self.source} (line {self.line}) imports {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    """``airalgo_desktop/ui/chart.py`` → ``airalgo_desktop.ui.chart``; a package's ``__init__`` → the package."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    """The room of a package module: ``airalgo_desktop.ui.chart`` → ``ui``, ``airalgo_desktop.cli`` → ``cli``, the
    package itself → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement below ``node`` (function bodies too), with whether it sits under TYPE_CHECKING."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, type_only
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), True)
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), type_only)
        else:
            yield from _walk(child, type_only)


def imports_of(path: Path, modules: set[str], root: Path = ROOT) -> list[Import]:
    """The package-internal imports of one file, each resolved to the most specific module it names."""
    source = module_name(path, root)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []
    for node, type_only in _walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            assert isinstance(node, ast.ImportFrom)
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from .ui import theme`` imports the module ui.theme; ``from .ui.chart import X`` the module ui.chart
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in modules else stem for a in node.names]
        for target in dict.fromkeys(targets):
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                while target not in modules and "." in target:  # ``import airalgo_desktop.ui.chart.X``: the module
                    target = target.rpartition(".")[0]
                found.append(Import(source, target, node.lineno, type_only))
    return found


def package_imports(root: Path = ROOT) -> list[Import]:
    """Every package-internal import of every module under ``root``."""
    files = sorted(root.rglob("*.py"))
    modules = {module_name(f, root) for f in files}
    return [imp for f in files for imp in imports_of(f, modules, root)]


def upward(imports: list[Import]) -> list[str]:
    """Imports that point up the layer order, and modules whose room has no layer."""
    problems = []
    for imp in imports:
        for module in (imp.source, imp.target):
            if room_of(module) not in RANK:
                problems.append(f"{module}: room {room_of(module)!r} has no layer in LAYERS (tests/test_layering.py)")
        src, dst = RANK.get(room_of(imp.source)), RANK.get(room_of(imp.target))
        if src is not None and dst is not None and dst > src:
            problems.append(f"{imp}: {LAYERS[src][0]} must not import {LAYERS[dst][0]}")
    return sorted(set(problems))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one node (Tarjan), each sorted: every cycle of the graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def _edges(pairs: Iterator[tuple[str, str]]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for a, b in pairs:
        if a != b:
            edges.setdefault(a, set()).add(b)
    return edges


def room_cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles between rooms (every import counts)."""
    return cycles(_edges((room_of(i.source), room_of(i.target)) for i in imports))


def module_cycles(imports: list[Import]) -> list[list[str]]:
    """Cycles between modules over the imports that run (TYPE_CHECKING ones never do)."""
    return cycles(_edges((i.source, i.target) for i in imports if not i.type_only))


# ----------------------------------------------------------------------------------------------- the package
IMPORTS = package_imports()


def test_the_reader_sees_the_package() -> None:
    sources = {i.source for i in IMPORTS}
    assert {"airalgo_desktop.app", "airalgo_desktop.store.bars", "airalgo_desktop.ui.main_window"} <= sources
    assert any(i.type_only for i in IMPORTS)  # ui.main_window's chart import lives under TYPE_CHECKING


def test_no_import_points_up_the_layers() -> None:
    problems = upward(IMPORTS)
    assert not problems, "imports that point up the layers (README, Layout):\n" + "\n".join(problems)


def test_no_cycle_between_rooms() -> None:
    found = room_cycles(IMPORTS)
    groups = "\n".join(" ↔ ".join(group) for group in found)
    assert not found, f"rooms in one import cycle (each reaches the others):\n{groups}"


def test_no_cycle_between_modules() -> None:
    found = module_cycles(IMPORTS)
    groups = "\n".join(" ↔ ".join(group) for group in found)
    assert not found, f"modules in one import cycle (each reaches the others):\n{groups}"


# ----------------------------------------------------------------------------------------------- the reader itself
def _package(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package_imports(root)


def test_lazy_relative_and_type_checking_imports_are_all_read(tmp_path: Path) -> None:
    imports = _package(tmp_path, {
        "domain/__init__.py": "",
        "domain/bars.py": "def f():\n    from ..services.bars import X\n",
        "store/__init__.py": "",
        "store/bars.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..ui.chart import View\n"
                          "from .. import config\nfrom ..domain.bars import Y\n"),
        "services/__init__.py": "", "services/bars.py": "import airalgo_desktop.store.bars\n",
        "ui/__init__.py": "", "ui/chart.py": "", "config.py": "",
    })
    assert upward(imports) == [
        "airalgo_desktop.domain.bars (line 2) imports airalgo_desktop.services.bars: domain and base modules must "
        "not import services, sim, settings",
        "airalgo_desktop.store.bars (line 3) imports airalgo_desktop.ui.chart: store, api must not import ui",
    ]
    assert [(i.target, i.type_only) for i in imports if i.source.endswith("store.bars")] == [
        ("airalgo_desktop.ui.chart", True), ("airalgo_desktop.config", False), ("airalgo_desktop.domain.bars", False)]
    assert room_cycles(imports) == [["domain", "services", "store"]]
    assert module_cycles(imports) == [["airalgo_desktop.domain.bars", "airalgo_desktop.services.bars",
                                       "airalgo_desktop.store.bars"]]


def test_a_desk_package_is_the_desk_room_and_unknown_rooms_are_refused(tmp_path: Path) -> None:
    imports = _package(tmp_path, {
        "desk/__init__.py": "from .hub import TradingDesk\n",
        "desk/hub.py": "from ..ui import theme\n",
        "ui/__init__.py": "", "ui/theme.py": "from ..paper import exchange\n",
        "paper/__init__.py": "", "paper/exchange.py": "from .. import desk\n",
    })
    problems = upward(imports)
    assert "airalgo_desktop.desk.hub (line 1) imports airalgo_desktop.ui.theme: desk must not import ui" in problems
    assert any("room 'paper' has no layer" in p for p in problems)
    assert module_cycles(imports) == [["airalgo_desktop.desk", "airalgo_desktop.desk.hub",
                                       "airalgo_desktop.paper.exchange", "airalgo_desktop.ui.theme"]]


@pytest.mark.parametrize("room", sorted(RANK))
def test_every_layered_room_is_named_once(room: str) -> None:
    assert sum(room in rooms for _, rooms in LAYERS) == 1
