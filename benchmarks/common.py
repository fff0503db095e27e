"""Helpers: CPU and memory of this process, percentiles, synthetic ltp frames, a simulator subprocess."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_BASE = 900001


def cpu_seconds() -> float:
    """CPU time of this whole process (all threads), user + system."""
    return time.process_time()


def rss_mb() -> float:
    """Resident memory of this process in MB (current on Linux and Windows, peak on macOS)."""
    if sys.platform != "win32":
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        import resource  # Unix only (macOS and the BSDs here): never imported on Windows

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return _windows_working_set() / 2**20


def _windows_working_set() -> int:
    """This process's working set in bytes (``GetProcessMemoryInfo``; no third-party package needed)."""
    import ctypes
    from ctypes import wintypes

    class Counters(ctypes.Structure):
        _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                    ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

    counters = Counters()
    counters.cb = ctypes.sizeof(Counters)
    windll = ctypes.windll  # type: ignore[attr-defined]
    process = windll.kernel32.GetCurrentProcess()
    if not windll.psapi.GetProcessMemoryInfo(process, ctypes.byref(counters), counters.cb):
        return 0
    return int(counters.WorkingSetSize)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def synthetic_tokens(count: int) -> list[str]:
    """Tokens of the simulator's synthetic instruments (``--synthetic N``)."""
    return [str(SYNTHETIC_BASE + i) for i in range(count)]


def market_second(names: list[str], prices: dict[str, int], rng: random.Random, rate_hz: int, ltt: str
                  ) -> list[dict]:
    """One second of whole-market pushes: ``rate_hz`` pushes of every token's next price (a ±5 paisa walk in
    ``prices``, updated in place), encoded and decoded with orjson as the channel would have done — so the caller
    measures only what happens after decoding."""
    frames = []
    for _ in range(rate_hz):
        for t in names:
            prices[t] = max(5, prices[t] + rng.choice((-5, 0, 5)))
        frames.append(orjson.dumps({t: {"ltp": prices[t], "ltq": rng.randrange(1, 500), "ltt": ltt} for t in names}))
    return [orjson.loads(f) for f in frames]


def ltp_frames(count: int, per_frame: int = 50, universe: int = 1000, seed: int = 1,
               topic: str = "api:bench") -> list[str]:
    """Pre-encoded V1 ``ltp`` frames with ``per_frame`` tokens each, as the feed sends them."""
    rng = random.Random(seed)
    tokens = synthetic_tokens(universe)
    frames = []
    for _ in range(count):
        payload = {t: {"ltp": 100_000 + rng.randint(0, 5000) * 5, "ltq": rng.randint(1, 500),
                       "ltt": "2025-01-09T12:53:00Z"} for t in rng.sample(tokens, per_frame)}
        frames.append(orjson.dumps({"topic": topic, "event": "ltp", "payload": payload, "ref": None}).decode())
    return frames


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def simulator(*, rate: float, synthetic: int = 1000, activity: float = 1.0, stamp: bool = False,
              api_key: str = "bench") -> Iterator[tuple[str, str, str]]:
    """A simulator in its own process on 127.0.0.1; yields (ws_url, token_url, api_key)."""
    cmd = ["-m", "airalgo_desktop.sim", "--api-key", api_key, "--synthetic", str(synthetic), "--rate", str(rate),
           "--activity", str(activity), "--log-level", "WARNING", "--margin-limit", "100000000", "--seed", "3"]
    if stamp:
        cmd.append("--stamp")
    with server_process(cmd, api_key) as (ws_url, token_url, _proc):
        yield ws_url, token_url, api_key


@contextlib.contextmanager
def server_process(args: list[str], api_key: str) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """``python ARGS --port P`` (the simulator or benchmarks.sender) until it prints ``API_KEY=``; yields
    (ws_url, token_url, process) and terminates it afterwards."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, *args, "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if line.startswith("API_KEY="):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(args[:2])} exited early")
        yield f"ws://127.0.0.1:{port}/socket/websocket", f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def offscreen_qpa() -> str:
    """Offscreen Qt on a 1920×1080 screen: the app keeps its window inside its screen, and Qt's default offscreen
    screen (800×800) would shrink the 1280×800 window the UI benchmarks measure. Plain ``offscreen`` in a tree that
    predates :func:`airalgo_desktop.harness.offscreen_platform` (benchmarks.ab runs older trees)."""
    try:
        from airalgo_desktop.harness import offscreen_platform
    except ImportError:
        return "offscreen"
    return offscreen_platform(1920, 1080, 1.0, Path(tempfile.mkdtemp(prefix="airalgo-bench-")), cwd=ROOT)


def run_child_module(module: str, *args: str, timeout: float = 900) -> dict:
    """Run ``python -m MODULE ARGS`` in a fresh process (offscreen Qt); returns the JSON of its last line."""
    env = {**os.environ, "QT_QPA_PLATFORM": offscreen_qpa(), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return orjson.loads(line)
    raise RuntimeError(f"benchmark {module} failed: {proc.stderr[-2000:]}")


def run_child(mode: str, *args: str, timeout: float = 900) -> dict:
    """Run ``benchmarks.child MODE ARGS`` in a fresh process (offscreen Qt); returns its JSON result."""
    return run_child_module("benchmarks.child", mode, *args, timeout=timeout)


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) another process has used so far, or None where it cannot be read.

    Linux reads ``/proc/PID/stat``; elsewhere psutil is used when it happens to be installed."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def quote_pool(batches: int = 120, universe: int = 1000, seed: int = 2) -> list[dict]:
    """Pre-decoded ``ltp`` payloads of ``universe`` tokens each (tokens in a random order per batch, prices a random
    walk on a 5-paisa grid). A feed of ``k`` updates per batch takes the first ``k`` of each: a random subset."""
    rng = random.Random(seed)
    tokens = synthetic_tokens(universe)
    prices = {t: 100_000 + rng.randint(0, 5000) * 5 for t in tokens}
    pool = []
    for _ in range(batches):
        batch = {}
        for t in rng.sample(tokens, universe):
            prices[t] = max(5, prices[t] + rng.choice((-10, -5, 5, 10)))
            batch[t] = {"ltp": prices[t], "ltq": rng.randint(1, 500), "ltt": "2025-01-09T12:53:00Z"}
        pool.append(batch)
    return pool


def median(values: list[float]) -> float:
    """The middle value (the mean of the middle two for an even count; nan for none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
