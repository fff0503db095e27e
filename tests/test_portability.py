"""Issue 25 item 5: nothing Windows runs imports a Unix-only module, found by reading the code (this test runs on
every OS, so a Linux run catches what only the Windows CI leg would otherwise hit)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIX_ONLY = {"resource", "fcntl", "termios", "tty", "pty", "pwd", "grp", "posix", "crypt", "syslog"}
WINDOWS_ONLY = {"msvcrt", "winreg", "winsound", "_winapi"}


def _guard(test: ast.expr) -> str | None:
    """'unix' / 'windows' when an ``if`` test is a platform check (``os.name == "nt"``, ``sys.platform …``)."""
    text = ast.unparse(test)
    if "os.name" not in text and "sys.platform" not in text:
        return None
    windows = ("'nt'" in text or "'win32'" in text) and "!=" not in text and "not " not in text
    return "windows" if windows else "unix"


def _offenders(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST, where: str | None) -> None:
        if isinstance(node, ast.If) and (kind := _guard(node.test)):
            for child in node.body:
                visit(child, kind)
            for child in node.orelse:
                visit(child, "unix" if kind == "windows" else "windows")
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in UNIX_ONLY and where != "unix":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {top} outside a non-Windows branch")
                if top in WINDOWS_ONLY and where != "windows":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {top} outside a Windows branch")
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(tree, None)
    return found


def test_no_unix_only_import_on_a_path_windows_runs() -> None:
    files = [*(ROOT / "airalgo_desktop").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py"),
             *(ROOT / "installer").rglob("*.py")]
    offenders = [line for path in files for line in _offenders(path)]
    assert not offenders, "\n".join(offenders)


def test_the_guard_sees_the_old_benchmark_helper(tmp_path: Path) -> None:
    old = ROOT / "tests" / "_old_common.py"
    old.write_text("import sys\n\ndef rss():\n    try:\n        return open('/proc/self/status')\n"
                   "    except OSError:\n        pass\n    import resource\n    return resource\n")
    try:
        assert _offenders(old) == ["tests/_old_common.py:8 imports resource outside a non-Windows branch"]
    finally:
        old.unlink()


def test_rss_on_windows_needs_no_resource_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import common

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "resource", None)  # importing it now fails, as on Windows
    monkeypatch.setattr(common, "_windows_working_set", lambda: 64 * 2**20)
    assert common.rss_mb() == 64.0
