"""The maintainers' build command on this OS: frozen app, installer, .desktop validation, NSIS check, smoke test."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1200),  # a PyInstaller build takes minutes
    pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None, reason='needs pip install -e ".[build]"'),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the release workflow checks the other OSes"),
]


def test_build_command_freezes_packages_and_smoke_tests() -> None:
    args = [sys.executable, str(ROOT / "installer" / "build.py"), "--smoke"]
    have_nsis = shutil.which("makensis") is not None
    if have_nsis:
        args.append("--nsis")
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "smoke test ok: window shown, simulator up, first tick" in out
    assert "smoke test import child: 3 instruments kept" in out and "smoke test keyring: " in out
    assert "built: " in out and "-linux-" in out and ".tar.gz" in out
    if shutil.which("desktop-file-validate"):
        assert "desktop-file-validate: ok" in out
    if have_nsis:
        assert "-nsis-check.exe" in out
    print("\n" + "\n".join(line for line in out.splitlines()
                           if line.startswith(("frozen app", "cold start", "smoke test", "built:"))))
