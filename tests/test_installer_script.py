"""Issue 25 item 5: the Windows installer and uninstaller refuse to touch the program's files while the app runs —
the app holds a named mutex, the NSIS script checks it before the first file operation. (Nothing here runs
Windows: the script is read and compiled; the mutex call is Windows-only and a no-op elsewhere.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from airalgo_desktop.console import RUNNING_MUTEX, mark_running

ROOT = Path(__file__).resolve().parent.parent
NSI = ROOT / "installer" / "windows" / "airalgo-desktop.nsi"


def _block(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin:text.index(end, begin)]


def test_the_installer_checks_the_apps_mutex_before_touching_files() -> None:
    text = NSI.read_text(encoding="utf-8")
    assert re.search(rf'!define RUNNING_MUTEX "{re.escape(RUNNING_MUTEX)}"', text)
    macro = _block(text, "!macro REFUSE_WHILE_RUNNING", "!macroend")
    assert "OpenMutexW" in macro and '"${RUNNING_MUTEX}"' in macro and "Abort" in macro
    for start, end in (("Function .onInit", "FunctionEnd"), ("Function un.onInit", "FunctionEnd")):
        assert "!insertmacro REFUSE_WHILE_RUNNING" in _block(text, start, end), start
    for start in ('Section "!${APPNAME}"', 'Section "Uninstall"'):
        body = _block(text, start, "SectionEnd")
        first_file_op = min(body.index(op) for op in ("RMDir", "File ", "Delete", "SetOutPath") if op in body)
        assert body.index("!insertmacro REFUSE_WHILE_RUNNING") < first_file_op, start


@pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis not installed (Debian: nsis)")
def test_the_installer_script_compiles(tmp_path: Path) -> None:
    onedir = tmp_path / "AirAlgoDesktop"
    onedir.mkdir()
    (onedir / "AirAlgoDesktop.exe").write_bytes(b"MZ")
    flag = "/" if sys.platform == "win32" else "-"
    proc = subprocess.run(["makensis", f"{flag}V2", f"{flag}DVERSION=1.2.3", f"{flag}DSRCDIR={onedir}",
                           f"{flag}DOUTFILE={tmp_path / 'setup.exe'}", str(NSI)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="elsewhere the mark is a no-op")
def test_the_running_mark_is_windows_only() -> None:
    assert mark_running() is None
