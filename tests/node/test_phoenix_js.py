"""A real Phoenix client — npm ``phoenix`` 1.8 with ``ws`` under Node — joins the simulator, keeps the socket
alive with heartbeats past the idle timeout and receives ``ltp`` pushes.

Skipped where Node or the packages are absent; ``.ci/run`` installs them with ``npm install --prefix tests/node``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from airalgo_desktop.sim.server import SimConfig, SimServer

HERE = Path(__file__).parent
NODE = shutil.which("node")
HAVE_PACKAGES = (HERE / "node_modules" / "phoenix").is_dir() and (HERE / "node_modules" / "ws").is_dir()

pytestmark = pytest.mark.skipif(
    NODE is None or not HAVE_PACKAGES,
    reason="needs node and `npm install --prefix tests/node` (phoenix 1.8 + ws)",
)


async def test_phoenix_js_joins_heartbeats_and_receives_ltp() -> None:
    async with SimServer(SimConfig(api_keys=("demo",), idle_timeout=1.0, rate_hz=10)) as sim:
        proc = await asyncio.create_subprocess_exec(
            NODE, str(HERE / "phoenix_client.cjs"), sim.base_http, sim.ws_url, "demo", "3",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    summary = next((line for line in lines if line["event"] == "summary"), None)
    assert proc.returncode == 0, (out.decode(), err.decode())
    assert summary is not None and summary["joined"] and summary["vsn"] == "2.0.0"
    # 3 s against a 1 s idle timeout: only heartbeats kept the socket open
    assert summary["heartbeats"] >= 2 and summary["ticks"] > 0
    assert sim.stats.heartbeats >= 2 and sim.stats.joins_ok == 1
