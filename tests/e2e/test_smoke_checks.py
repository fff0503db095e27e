"""Issue 25 item 5: ``--smoke-test`` (what installer/build.py runs on the frozen app) also imports one master
through the import child from a non-ASCII folder and names the keyring backend. Run here unfrozen, with a cp1252
stdout and a Devanagari data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airalgo_desktop import harness
from airalgo_desktop.instruments import importer
from airalgo_desktop.instruments.formats import MasterError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_smoke_test_runs_the_import_child_and_names_the_keyring(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AIRALGO_HOME": str(tmp_path / "डेटा"),
           "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.run([sys.executable, "-m", "airalgo_desktop", "--smoke-test"], env=env, capture_output=True,
                          timeout=150, cwd=tmp_path)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("smoke test ok: window shown, simulator up, first tick")
    assert lines[1].startswith("smoke test import child: 3 instruments kept from generic in ")
    assert lines[2].startswith("smoke test keyring: keyring.backends.")


def test_a_failing_import_child_fails_the_smoke_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "child_command", lambda: [sys.executable, "-c", "import sys; sys.exit(9)"])
    with pytest.raises(MasterError, match=r"exit 9"):
        harness.smoke_checks()
