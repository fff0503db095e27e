"""``python -m benchmarks [--quick] [--json PATH]``: measure, print a table, optionally write JSON.

Everything runs on 127.0.0.1; UI measurements run in fresh child processes (offscreen Qt) so their CPU and memory
figures are their own. Ratios are measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

import orjson

from .bars import bars_cpu_pct, bars_restore_s
from .common import ROOT, percentile, run_child, simulator
from .ingest import ingest, socket_ingest

# The issue sets no figure for the chart, only "beside the same run without it". This target says "a live candle
# chart costs the app a few percent of a core at most": without the chart the app measured 3.6 % at 5,000
# updates/s on the shared 2-core development machine, with it (1-minute candles, 300 bars loaded, 120 in view) 5.5 %
# (10 s runs).
CHART_CPU_TARGET = 8


@dataclass
class Figure:
    """One named result with its unit and target."""

    name: str
    value: float
    unit: str
    target: float
    higher_is_better: bool

    @property
    def passed(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value < self.target

    def row(self) -> str:
        sign = "≥" if self.higher_is_better else "<"
        value = f"{self.value:,.0f}" if abs(self.value) >= 1000 else f"{self.value:.3g}" if self.value < 10 \
            else f"{self.value:.1f}"
        verdict = "PASS" if self.passed else "FAIL"
        return f"{self.name:<28} {value:>14} {self.unit:<10} {sign} {self.target:<10g} {verdict}"


def cold_start(runs: int) -> float:
    """Process start to main window shown (median of ``runs``), demo mode, source install."""
    times = []
    for _ in range(runs):
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AIRALGO_STARTUP_MARK": "1",
               "AIRALGO_HOME": os.path.join(ROOT, ".bench-home")}
        start = time.time()
        proc = subprocess.run([sys.executable, "-m", "airalgo_desktop", "--demo", "--quit-after", "0.2"],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        for line in proc.stdout.splitlines():
            if line.startswith("startup-mark "):
                times.append(float(line.split()[1]) - start)
    return percentile(times, 50) if times else float("inf")


def run(quick: bool) -> list[Figure]:
    """Every benchmark; returns the figures."""
    figures: list[Figure] = []

    def add(name: str, value: float, unit: str, target: float, higher: bool) -> None:
        figure = Figure(name, value, unit, target, higher)
        figures.append(figure)
        print(figure.row(), flush=True)

    ui_seconds = 5 if quick else 12
    print(f"{'name':<28} {'value':>14} {'unit':<10} target", flush=True)
    result = ingest(quick)
    add("ingest_updates_per_s", result["ingest_updates_per_s"], "updates/s", 1_000_000, True)
    add("ingest_vs_raw_decode_ratio", result["ingest_vs_raw_decode_ratio"], "ratio", 0.3, True)
    add("socket_ingest_updates_per_s", socket_ingest(quick), "updates/s", 300_000, True)
    add("bars_cpu_pct_50k", bars_cpu_pct(60 if quick else 180), "% of core", 3, False)
    add("bars_restore_s", bars_restore_s(3 if quick else 7), "s", 0.3, False)

    # the whole app receiving 50k updates/s over a real socket (1,000-row watchlist, 1280×800 window)
    with simulator(rate=50, synthetic=1000, stamp=True) as (ws, http, key):
        app50 = run_child("app", ws, http, key, str(10 if quick else 15))
    add("ui_cpu_pct_50k", app50["cpu_pct"], "% of core", 10, False)
    add("ui_loop_lag_p99_ms", app50["lag_p99_ms"], "ms", 16, False)
    add("tick_to_screen_p99_ms", app50["tick_to_screen_p99_ms"], "ms", 50, False)

    # UI path only, same pre-decoded stream in real time, ours vs a vnpy-style monitor
    ours50 = run_child("uipath", "ours", "50000", str(ui_seconds))
    base50 = run_child("uipath", "baseline", "50000", str(ui_seconds))
    add("ui_vs_baseline_cpu_ratio", base50["cpu_pct"] / max(ours50["cpu_pct"], 1e-9), "ratio", 8, True)
    ours5 = run_child("uipath", "ours", "5000", str(ui_seconds))
    add("ui_cpu_pct_5k", ours5["cpu_pct"], "% of core", 1, False)
    floor5 = run_child("uipath", "floor", "5000", str(ui_seconds))  # same window and timers, no updates

    # orders through the ticket under 5,000 updates/s (the simulator at 5 Hz × 1,000 tokens)
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        orders = run_child("app", ws, http, key, str(5 if quick else 10), "--orders", "50" if quick else "150")
    add("order_to_wire_p99_ms", orders["order_to_wire_p99_ms"], "ms", 5, False)

    # one 1-minute candle chart of a ticking instrument + the 1,000-row watchlist at 5,000 updates/s, beside the
    # same run with the chart hidden (both with the desk's bar book building bars for every token)
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        chart_on = run_child("app", ws, http, key, str(ui_seconds * 2), "--chart", "on")
        chart_off = run_child("app", ws, http, key, str(ui_seconds * 2), "--chart", "off")
    add("chart_cpu_pct_5k", chart_on["cpu_pct"], "% of core", CHART_CPU_TARGET, False)
    print(f"{'  … same run, no chart':<28} {chart_off['cpu_pct']:>14.3g} {'% of core':<10} "
          f"(chart adds {chart_on['cpu_pct'] - chart_off['cpu_pct']:.2g})", flush=True)
    add("cold_start_s", cold_start(3 if quick else 7), "s", 1.0, False)

    with simulator(rate=100, synthetic=1000) as (ws, http, key):  # 100k/s: 1M ticks in ~10 s
        mem = run_child("app", ws, http, key, "1", "--until-ticks", "1000000")
    add("rss_mb_after_1m_ticks", mem["rss_mb_after_ticks"], "MB", 200, False)
    soak_seconds = 25 if quick else 600
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        soak = run_child("app", ws, http, key, str(soak_seconds), "--soak", timeout=soak_seconds + 300)
    add("rss_growth_mb_soak", soak["rss_growth_mb"], "MB", 5, False)
    details = {"ui_path_floor_5k_cpu_pct": floor5["cpu_pct"], "ui_path_ours_50k_cpu_pct": ours50["cpu_pct"],
               "ui_path_baseline_50k_cpu_pct": base50["cpu_pct"],
               "raw_decode_updates_per_s": result["raw_decode_updates_per_s"],
               "app_50k_updates_per_s": app50["updates_per_s"], "order_to_wire_p50_ms": orders["order_to_wire_p50_ms"],
               "tick_to_screen_p50_ms": app50["tick_to_screen_p50_ms"], "soak_seconds": soak_seconds,
               "chart_off_cpu_pct_5k": chart_off["cpu_pct"], "chart_on_cpu_pct_5k": chart_on["cpu_pct"]}
    print("details:", orjson.dumps(details).decode(), flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="about a minute, fewer samples, a short soak")
    parser.add_argument("--json", metavar="PATH", help="write {name: {value, unit, target, pass}} here")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    figures = run(args.quick)
    if args.json:
        data = {f.name: {"value": f.value, "unit": f.unit, "target": f.target, "pass": f.passed} for f in figures}
        with open(args.json, "wb") as fh:
            fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    failed = [f.name for f in figures if not f.passed]
    print(f"{len(figures) - len(failed)} of {len(figures)} targets met" + (f"; missed: {', '.join(failed)}"
                                                                            if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
