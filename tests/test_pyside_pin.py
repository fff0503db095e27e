"""Regression guard for the PySide6 6.12.0 / CPython 3.11 ``none_dealloc`` abort.

6.12.0 mis-counts references to ``None`` on void calls; on 3.11 (mortal ``None``) the process aborts after a few
thousand calls. pyproject.toml keeps 3.11 below 6.12. This makes 50,000 void calls in a child process, so a
crashing combination fails this test instead of killing the whole test run.
"""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = r"""
import sys
from PySide6 import __version__ as v
from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem, QWidget
app = QApplication([])
w = QWidget()
t = QTableWidget(10, 10)
for i in range(25_000):
    w.setWindowTitle(str(i % 7))          # void
    t.setItem(i % 10, i % 10, QTableWidgetItem("x"))  # void
print("ok", v, sys.version_info[:2])
"""


def test_fifty_thousand_void_calls_do_not_abort() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.startswith("ok"), proc.stdout


def test_installed_pyside_is_not_the_crashing_combination() -> None:
    from PySide6 import __version_info__

    if sys.version_info < (3, 12):
        assert __version_info__[:2] < (6, 12), "PySide6 >= 6.12 on CPython 3.11: see pyproject.toml"
