"""``python -m airalgo_desktop.sim`` as a user runs it: prints the .env lines, serves, stops on Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_cli_prints_env_serves_and_stops_cleanly() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "airalgo_desktop.sim", "--port", str(port), "--api-key", "k1", "--api-key", "k2",
         "--rate", "10", "--margin-limit", "1,00,000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("API_KEY="):
                break
        text = "".join(lines)
        assert f"WEBSOCKET_SERVER_URL=ws://127.0.0.1:{port}/socket/websocket" in text
        assert f"TOKEN_SERVER_URL=http://127.0.0.1:{port}" in text
        assert "API_KEY=k1" in text
        r = httpx.get(f"http://127.0.0.1:{port}/api/token/", params={"api_key": "k2"}, timeout=5)
        assert r.json()["status"] == "ok"
        r = httpx.get(f"http://127.0.0.1:{port}/_sim/fault", params={"name": "delay", "seconds": "0"}, timeout=5)
        assert r.json() == {"status": "ok", "fault": "delay"}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "simulator stopped" in out
    assert "Traceback" not in err


def test_cli_help_lists_faults() -> None:
    out = subprocess.run([sys.executable, "-m", "airalgo_desktop.sim", "--help"], capture_output=True, text=True,
                         check=True).stdout
    for flag in ("--drop-every", "--stall-at", "--expire-every", "--malformed-every", "--reply-delay",
                 "--restart-every", "--mute-at", "--token-fault", "--token-ttl", "--rate"):
        assert flag in out
