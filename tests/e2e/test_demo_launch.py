"""The app as a user starts it: ``python -m airalgo_desktop --demo`` in a subprocess, quitting by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage


def test_demo_launch_quits_cleanly_with_screenshot(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AIRALGO_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "airalgo_desktop", "--demo", "--quit-after", "6", "--screenshot", str(shot)],
        capture_output=True, text=True, env=env, timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 640 and image.height() >= 480  # offscreen screen: 800×600
    log = (home / "logs" / "airalgo-desktop.log").read_text()
    assert "connection: Joined" in log and "shut down cleanly" in log and "exit 0" in log
    assert "Task was destroyed but it is pending" not in log + proc.stderr
    assert "api:demo" not in log  # the topic is redacted even in demo mode
    settings = (home / "config" / "settings.ini").read_text()
    assert "window" in settings and "watchlists" in settings  # geometry, dock state and lists persisted
