"""``doctor`` and ``stream`` as support staff run them (subprocesses against a simulator)."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from tests.conftest import TEST_KEY


async def run(*args: str, env: dict | None = None, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "airalgo_desktop", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "API_KEY": "", **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


def env_for(sim, key: str = TEST_KEY) -> dict[str, str]:
    return {"WEBSOCKET_SERVER_URL": sim.ws_url, "TOKEN_SERVER_URL": sim.base_http, "API_KEY": key}


async def test_doctor_passes_against_simulator(sim) -> None:
    code, out, err = await run("doctor", env=env_for(sim))
    assert code == 0, out + err
    for line in ("token endpoint", "websocket join", "heartbeat: round trip", "All checks passed"):
        assert line in out
    assert "API_KEY              = set  (from environment)" in out
    assert TEST_KEY not in out + err


async def test_doctor_reports_bad_key_with_fix(sim) -> None:
    code, out, _err = await run("doctor", env=env_for(sim, "bad-key-zz"))
    assert code == 3
    assert "[FAIL] token endpoint: The API key was refused" in out and "fix: Re-enter" in out
    assert "bad-key-zz" not in out


async def test_doctor_reports_unreachable_server() -> None:
    env = {"WEBSOCKET_SERVER_URL": "ws://127.0.0.1:9/socket/websocket", "TOKEN_SERVER_URL": "http://127.0.0.1:9",
           "API_KEY": "k-unreachable"}
    code, out, _ = await run("doctor", env=env)
    assert code == 1 and "Cannot reach the token server" in out


async def test_doctor_refuses_insecure_remote_url() -> None:
    env = {"WEBSOCKET_SERVER_URL": "ws://example.com/socket/websocket", "TOKEN_SERVER_URL": "https://example.com",
           "API_KEY": "k"}
    code, out, _ = await run("doctor", env=env)
    assert code == 1 and "not encrypted" in out


async def test_stream_prints_json_lines_and_exits_zero(sim) -> None:
    code, out, err = await run("stream", "22", "2885", "--seconds", "1.5", env=env_for(sim))
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and {line["token"] for line in lines} == {"22", "2885"}
    assert set(lines[0]) == {"token", "ltp_paisa", "ltq", "ltt"} and isinstance(lines[0]["ltp_paisa"], int)
    assert "state: Joined" in err and "stream ended" in err


async def test_stream_exits_nonzero_on_auth_failed(sim) -> None:
    code, out, err = await run("stream", "22", "--seconds", "10", env=env_for(sim, "nope-key-1"))
    assert code == 3 and out == "" and "Authentication failed" in err


async def test_stream_survives_drops(sim) -> None:
    async def dropper() -> None:
        # drop each connection once it has joined and streamed a moment: a fixed schedule raced the child's start
        # on a loaded machine (the first drop came before it had connected)
        for n in range(1, 4):
            for _ in range(400):  # bounded: 20 s
                if sim.stats.joins_ok >= n:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.4)
            sim.drop_all()

    task = asyncio.create_task(dropper())
    code, out, err = await run("stream", "22", "--seconds", "8", env=env_for(sim))
    await task
    assert code == 0
    assert err.count("Reconnecting") >= 3 and len(out.splitlines()) > 10


# ------------------------------------------------------------------ issue 17 item 11


async def test_doctor_demo_output_is_the_checklist_only_unless_verbose() -> None:
    code, out, err = await run("doctor", "--demo")
    assert code == 0, out + err
    assert "websockets" not in out + err and " INFO " not in out + err  # no library log lines interleaved
    assert out.splitlines()[0] == "AirAlgo Desktop doctor" and out.splitlines()[-1] == "All checks passed."
    code, out, err = await run("doctor", "--demo", "-v")
    assert code == 0 and "websockets.server" in err  # asked for: on stderr, the checklist stays on stdout
    assert "websockets" not in out


async def test_stream_names_the_unit_and_prints_ist_with_offset(sim) -> None:
    code, out, err = await run("stream", "2885", "--seconds", "1.5", env=env_for(sim))
    assert code == 0, err
    line = json.loads(out.splitlines()[0])
    assert set(line) == {"token", "ltp_paisa", "ltq", "ltt"} and isinstance(line["ltp_paisa"], int)
    assert line["ltt"].endswith("+05:30")
    code, out, err = await run("stream", "2885", "--rupees", "--seconds", "1.5", env=env_for(sim))
    assert code == 0, err
    line = json.loads(out.splitlines()[0])
    assert set(line) == {"token", "ltp_rupees", "ltq", "ltt"} and 100 < line["ltp_rupees"] < 10_000
    assert round(line["ltp_rupees"], 2) == line["ltp_rupees"]  # whole paisa


def test_tick_record_keeps_an_unreadable_time_as_sent() -> None:
    from airalgo_desktop.cli import tick_record

    assert tick_record("22", {"ltp": 124060, "ltq": 1, "ltt": "2025-01-09T07:23:00Z"}) == {
        "token": "22", "ltp_paisa": 124060, "ltq": 1, "ltt": "2025-01-09T12:53:00+05:30"}
    assert tick_record("22", {"ltp": 124060, "ltq": 1, "ltt": "junk"}, rupees=True) == {
        "token": "22", "ltp_rupees": 1240.6, "ltq": 1, "ltt": "junk"}


# ------------------------------------------------------------------ issue 25 item 5: UTF-8 whatever the console
CP1252 = {"PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}  # a piped stdout on an English Windows


async def test_doctor_on_a_cp1252_pipe_prints_the_fix_in_utf8_and_exits_3(sim, tmp_path) -> None:
    home = tmp_path / "डेटा"  # a non-ASCII data folder too
    code, out, err = await run("doctor", env={**env_for(sim, "bad-key-zz"), **CP1252, "AIRALGO_HOME": str(home)})
    assert code == 3, out + err  # it used to die with UnicodeEncodeError (exit 1) on "→"
    assert "Account → API key…" in out and "Traceback" not in err


async def test_doctor_without_a_key_on_a_cp1252_pipe(tmp_path) -> None:
    env = {"WEBSOCKET_SERVER_URL": "ws://127.0.0.1:9/socket/websocket", "TOKEN_SERVER_URL": "http://127.0.0.1:9",
           "AIRALGO_HOME": str(tmp_path / "डेटा"), **CP1252}
    code, out, err = await run("doctor", env=env)
    assert code == 1 and "fix: enter it in the app (Account → API key…)" in out and "Traceback" not in err
