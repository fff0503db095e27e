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
from .common import ROOT, median, percentile, run_child, run_child_module, simulator
from .ingest import ingest, socket_ingest
from .options import iv_solves
from .triggers import triggers_cpu_pct

# The issue sets no figure for the chart, only "beside the same run without it". This target says "a live candle
# chart costs the app a few percent of a core at most": without the chart the app measured 3.6 % at 5,000
# updates/s on the shared 2-core development machine, with it (1-minute candles, 300 bars loaded, 120 in view) 5.5 %
# (10 s runs).
CHART_CPU_TARGET = 8


@dataclass
class Figure:
    """One named result with its unit and target (None: printed for reading beside the others, no verdict)."""

    name: str
    value: float
    unit: str
    target: float | None
    higher_is_better: bool
    note: str = ""

    @property
    def passed(self) -> bool:
        if self.target is None:
            return True
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def row(self) -> str:
        sign = "" if self.target is None else "≥" if self.higher_is_better else "≤"
        value = f"{self.value:,.0f}" if abs(self.value) >= 1000 else f"{self.value:.3g}" if self.value < 10 \
            else f"{self.value:.1f}"
        verdict = "" if self.target is None else "PASS" if self.passed else "FAIL"
        target = "" if self.target is None else f"{self.target:g}"
        return f"{self.name:<32} {value:>14} {self.unit:<10} {sign} {target:<10} {verdict:<4}" \
            + (f"  ({self.note})" if self.note else "")


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


def uipath_rounds(quick: bool) -> tuple[list[dict], list[dict]]:
    """The UI path of ours and of the vnpy-style baseline, interleaved (ours, baseline, ours, …): one round in a
    quick run, three in a full one, so each figure below is a median and each ratio pairs runs made side by side."""
    rounds = 1 if quick else 3
    step, floor, bisect = ("2", "3", "2") if quick else ("6", "8", "3")
    ours: list[dict] = []
    base: list[dict] = []
    for _ in range(rounds):
        ours.append(run_child("uipath", "ours", "--rates", UI_RATES, "--step", step, "--floor", floor, "--search",
                              "--bisect", bisect, "--ceiling", str(CEILING)))
        base.append(run_child("uipath", "baseline", "--rates", UI_RATES, "--step", step, "--search",
                              "--bisect", bisect, "--ceiling", str(CEILING)))
    return ours, base


UI_RATES = "2000,5000,10000,50000"
CEILING = 2_000_000  # the search's ceiling (benchmarks.child uipath --ceiling)


def at(run: dict, rate: int) -> dict:
    """The first step a uipath run held at ``rate``."""
    return next(step for step in run["steps"] if step["rate"] == rate)


def run(quick: bool) -> list[Figure]:
    """Every benchmark; returns the figures."""
    figures: list[Figure] = []

    def add(name: str, value: float, unit: str, target: float | None, higher: bool, note: str = "") -> None:
        figure = Figure(name, value, unit, target, higher, note)
        figures.append(figure)
        print(figure.row(), flush=True)

    print(f"{'name':<32} {'value':>14} {'unit':<10} target", flush=True)
    result = ingest(quick)
    add("ingest_updates_per_s", result["ingest_updates_per_s"], "updates/s", 1_000_000, True)
    add("ingest_vs_raw_decode_ratio", result["ingest_vs_raw_decode_ratio"], "ratio", 0.3, True)
    # a sender of pre-encoded frames: the client sets the pace (the simulator, beside it, bounds itself)
    sock = socket_ingest(quick, "sender")
    sim = socket_ingest(quick, "simulator")
    add("socket_ingest_updates_per_s", sock["updates_per_s"], "updates/s", 300_000, True,
        f"client {sock['client_cpu_pct']:.0f} % of a core, sender {sock['server_cpu_pct']:.0f} %")
    add("socket_ingest_client_cpu_s_per_m", sock["client_cpu_s_per_m"], "CPU-s/M", 3, False)
    # issue 26 items 5/9: 400,000 tokens nobody subscribed once grew the app by 1.3 GB (store + bar builder entries);
    # the keep-all run is the same harness without the gate (``python -m benchmarks.unwanted --keep-all``: ~1.3 GB)
    unwanted = run_child_module("benchmarks.unwanted", "--tokens", "400000")
    add("unwanted_400k_rss_growth_mb", unwanted["rss_end_mb"] - unwanted["rss_start_mb"], "MB", 50, False,
        f"{unwanted['unwanted_quotes']:,} unwanted quotes dropped; {unwanted['store_tokens']:,} tokens in the store")
    print(f"  from the simulator (1,000 tokens at 600 Hz): {sim['updates_per_s']:,.0f} updates/s, client "
          f"{sim['client_cpu_s_per_m']:.2f} CPU-s/M at {sim['client_cpu_pct']:.0f} % of a core, simulator "
          f"{sim['server_cpu_pct']:.0f} % of a core", flush=True)
    add("bars_cpu_pct_50k", bars_cpu_pct(60 if quick else 180), "% of core", 3, False,
        "the bar builder alone: 50 whole-market pushes a second over 1,000 tokens")
    add("bars_restore_s", bars_restore_s(3 if quick else 7), "s", 0.3, False,
        "open + read + rebuild 375 minutes × 1,000 tokens")
    # issue 28: 500 armed protective triggers on 200 of the 1,000 tokens, the desk with and without them interleaved
    trig = triggers_cpu_pct(10 if quick else 60)
    add("triggers_cpu_pct_50k", trig["triggers_cpu_pct_50k"], "% of core", 1, False,
        f"desk with them {trig['with_pct']:.2f} %, without {trig['without_pct']:.2f} %; the trigger part alone "
        f"{trig['part_alone_pct']:.2f} %")

    # the whole app receiving 50k updates/s over a real socket (1,000-row watchlist, 1280×800 window)
    with simulator(rate=50, synthetic=1000, stamp=True) as (ws, http, key):
        app50 = run_child("app", ws, http, key, str(10 if quick else 15), "--lag")
    add("ui_cpu_pct_50k", app50["cpu_pct"], "% of core", 10, False)
    add("ui_loop_lag_p99_ms", app50["lag_p99_ms"], "ms", 16, False)
    add("tick_to_screen_p99_ms", app50["tick_to_screen_p99_ms"], "ms", 50, False)

    # UI path only, same pre-decoded stream in real time, ours vs a vnpy-style monitor
    ours, base = uipath_rounds(quick)

    def ratio(rate: int) -> float:
        pairs = zip(ours, base, strict=True)
        return median([at(b, rate)["cpu_pct"] / max(at(o, rate)["cpu_pct"], 1e-9) for o, b in pairs])

    base50 = median([at(b, 50000)["cpu_pct"] for b in base])
    ours50 = median([at(o, 50000)["cpu_pct"] for o in ours])
    saturated = base50 >= 95 or not all(at(b, 50000)["sustained"] for b in base)
    add("ui_vs_baseline_cpu_ratio", ratio(50000), "ratio", 8, True,
        f"50k/s: ours {ours50:.1f} %, baseline {base50:.1f} %" + (", baseline SATURATED: the ratio is capped"
                                                                    if saturated else ""))
    add("ui_vs_baseline_cpu_ratio_5k", ratio(5000), "ratio", 8, True)
    add("ui_vs_baseline_cpu_ratio_10k", ratio(10000), "ratio", 8, True)
    ui_max = median([o["max_rate"] for o in ours])
    base_max = median([b["max_rate"] for b in base])
    capped = any(o["max_rate_capped"] for o in ours)
    add("ui_max_rate", ui_max, "updates/s", None, True, "held at the search ceiling: a lower bound" if capped else "")
    add("baseline_max_rate", base_max, "updates/s", None, True)
    add("ui_vs_baseline_max_rate_ratio", ui_max / max(base_max, 1), "ratio", 8, True,
        "a lower bound (ours held at the ceiling)" if capped else "")
    cpu5 = median([at(o, 5000)["cpu_pct"] for o in ours])
    floor5 = median([o["floor_cpu_pct"] for o in ours])
    add("ui_cpu_pct_5k", cpu5, "% of core", 1, False)
    add("ui_path_floor_5k_cpu_pct", floor5, "% of core", None, False, "same window and timers, no updates")
    add("ui_work_pct_5k", median([at(o, 5000)["cpu_pct"] - o["floor_cpu_pct"] for o in ours]), "% of core", 1.0,
        False)

    # orders through the ticket under 5,000 updates/s (the simulator at 5 Hz × 1,000 tokens)
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        orders = run_child("app", ws, http, key, str(5 if quick else 10), "--orders", "50" if quick else "150")
    add("order_to_wire_p99_ms", orders["order_to_wire_p99_ms"], "ms", 5, False)

    # one 1-minute candle chart of a ticking instrument + the 1,000-row watchlist at 5,000 updates/s, beside the
    # same run with the chart hidden (both with the desk's bar book building bars for every token)
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        chart_seconds = str(10 if quick else 20)
        chart_on = run_child("app", ws, http, key, chart_seconds, "--chart", "on")
        chart_off = run_child("app", ws, http, key, chart_seconds, "--chart", "off")
    add("chart_cpu_pct_5k", chart_on["cpu_pct"], "% of core", CHART_CPU_TARGET, False,
        f"the same run without the chart: {chart_off['cpu_pct']:.1f} %")
    add("cold_start_s", cold_start(3 if quick else 7), "s", 1.0, False)

    # option chains: a 2-expiry × 41-strike NIFTY chain (164 legs at the simulator's demo option rate) beside the
    # 1,000-row watchlist at 5,000 updates/s; the watchlist alone is measured first in the same run. The docked chart
    # is hidden, as in chart_cpu_pct_5k's "off" run: the figure is the chains' and the watchlist's (the chart's own
    # cost is chart_cpu_pct_5k's; with it visible the watchlist-alone half measured ≈ 2 points more)
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        chain = run_child("app", ws, http, key, str(6 if quick else 15), "--chain", "--chart", "off")
    add("chain_cpu_pct", chain["chain_cpu_pct"], "% of core", 5, False,
        f"watchlist alone {chain['watchlist_cpu_pct']:.1f} % in the same run; {chain['chain_legs']} legs ticking "
        f"{chain['chain_leg_updates_per_s']:.0f}/s")
    solves = iv_solves(quick)
    add("iv_solves_per_s", solves["batch"], "solves/s", 200_000, True,
        f"vectorised over {solves['batch_size']:,} legs; one 164-leg chain: {solves['chain']:,.0f}/s")

    with simulator(rate=100, synthetic=1000) as (ws, http, key):  # 100k/s: 1M ticks in ~10 s
        mem = run_child("app", ws, http, key, "1", "--until-ticks", "1000000")
    add("rss_mb_after_1m_ticks", mem["rss_mb_after_ticks"], "MB", 200, False)
    soak_seconds = 25 if quick else 600
    with simulator(rate=5, synthetic=1000) as (ws, http, key):
        soak = run_child("app", ws, http, key, str(soak_seconds), "--soak", timeout=soak_seconds + 300)
    add("rss_growth_mb_soak", soak["rss_growth_mb"], "MB", 5, False)
    # the real instrument universe: a generated 250k-row broker master (see benchmarks/master.py)
    master = run_child_module("benchmarks.master_bench", *(["--quick"] if quick else []))
    add("master_import_250k_s", master["master_import_250k_s"], "s", 3.0, False)
    add("master_search_p99_ms", master["master_search_p99_ms"], "ms", 5.0, False)
    add("master_rss_mb", master["master_rss_mb"], "MB", 60, False)
    print("master details:", orjson.dumps(master["details"]).decode(), flush=True)
    details = {"ui_path_ours_50k_cpu_pct": ours50, "ui_path_baseline_50k_cpu_pct": base50,
               "ui_vs_baseline_cpu_ratio_2k": ratio(2000),
               "ui_path_cpu_pct": {rate: [median([at(o, rate)["cpu_pct"] for o in ours]),
                                          median([at(b, rate)["cpu_pct"] for b in base])]
                                   for rate in (2000, 5000, 10000, 50000)},
               "socket_ingest_sender_cpu_pct": sock["server_cpu_pct"],
               "socket_ingest_from_simulator": sim,
               "raw_decode_updates_per_s": result["raw_decode_updates_per_s"],
               "app_50k_updates_per_s": app50["updates_per_s"], "order_to_wire_p50_ms": orders["order_to_wire_p50_ms"],
               "tick_to_screen_p50_ms": app50["tick_to_screen_p50_ms"], "soak_seconds": soak_seconds,
               "chain_watchlist_alone_cpu_pct": chain["watchlist_cpu_pct"], "chain_legs": chain["chain_legs"],
               "chain_leg_updates_per_s": chain["chain_leg_updates_per_s"], "iv_solves_per_s_164": solves["chain"],
               "iv_max_error_vol": solves["max_error"],
               "chart_off_cpu_pct_5k": chart_off["cpu_pct"], "chart_on_cpu_pct_5k": chart_on["cpu_pct"]}
    print("details:", orjson.dumps(details, option=orjson.OPT_NON_STR_KEYS).decode(), flush=True)
    if os.environ.get("BENCH_UIPATH_STEPS"):  # every step of every uipath run, for reading the search
        print("uipath steps:", orjson.dumps({"ours": ours, "baseline": base}).decode(), flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="about a minute, fewer samples, a short soak")
    parser.add_argument("--json", metavar="PATH", help="write {name: {value, unit, target, pass[, note]}} here "
                        "(target null: a figure printed for reading beside the others)")
    args = parser.parse_args()
    from airalgo_desktop.console import utf8_console

    utf8_console()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    figures = run(args.quick)
    if args.json:
        data = {f.name: {"value": f.value, "unit": f.unit, "target": f.target, "pass": f.passed}
                | ({"note": f.note} if f.note else {}) for f in figures}
        with open(args.json, "wb") as fh:
            fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    failed = [f.name for f in figures if not f.passed]
    print(f"{len(figures) - len(failed)} of {len(figures)} targets met" + (f"; missed: {', '.join(failed)}"
                                                                            if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
