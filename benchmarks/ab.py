"""``python -m benchmarks.ab REV [--rounds 3] [--only uipath,app,orders,socket,ingest,chain,chart]``: old against new,
interleaved.

Exports ``REV`` (``git archive``) to a temporary directory, puts *this* tree's ``benchmarks/`` into it, so both sides
are measured by the same harness, then runs each measurement alternately in the old and in this tree, ``--rounds``
times, and prints the median of each figure for both with their ratio. A busy machine slows both sides alike within
a round; the medians keep one disturbed run from deciding anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import orjson

from .common import ROOT, median

PROBE = {
    "ingest": "from benchmarks.ingest import ingest; r = ingest(True); "
              "print(orjson.dumps({'ingest_updates_per_s': r['ingest_updates_per_s']}).decode())",
    "socket": "from benchmarks.ingest import socket_ingest; r = socket_ingest(True, 'sender'); "
              "print(orjson.dumps({'socket_client_cpu_s_per_m': r['client_cpu_s_per_m'], "
              "'socket_updates_per_s': r['updates_per_s']}).decode())",
    "app": "from benchmarks.common import simulator, run_child\n"
           "with simulator(rate=50, synthetic=1000, stamp=True) as (ws, http, key):\n"
           "    r = run_child('app', ws, http, key, '10', '--lag')\n"
           "print(orjson.dumps({'app50_cpu_pct': r['cpu_pct'], 'app50_lag_p99_ms': r['lag_p99_ms'], "
           "'app50_tick_to_screen_p99_ms': r['tick_to_screen_p99_ms']}).decode())",
    "orders": "from benchmarks.common import simulator, run_child\n"
              "with simulator(rate=5, synthetic=1000) as (ws, http, key):\n"
              "    r = run_child('app', ws, http, key, '5', '--orders', '50')\n"
              "print(orjson.dumps({'order_to_wire_p99_ms': r['order_to_wire_p99_ms'], "
              "'order_to_wire_p50_ms': r['order_to_wire_p50_ms']}).decode())",
    "chain": "from benchmarks.common import simulator, run_child\n"
             "with simulator(rate=5, synthetic=1000) as (ws, http, key):\n"
             "    r = run_child('app', ws, http, key, '6', '--chain', '--chart', 'off')\n"
             "print(orjson.dumps({'chain_cpu_pct': r['chain_cpu_pct'], "
             "'chain_watchlist_alone_cpu_pct': r['watchlist_cpu_pct']}).decode())",
    "chart": "from benchmarks.common import simulator, run_child\n"
             "with simulator(rate=5, synthetic=1000) as (ws, http, key):\n"
             "    on = run_child('app', ws, http, key, '10', '--chart', 'on')\n"
             "    off = run_child('app', ws, http, key, '10', '--chart', 'off')\n"
             "print(orjson.dumps({'chart_on_cpu_pct_5k': on['cpu_pct'], 'chart_off_cpu_pct_5k': off['cpu_pct'], "
             "'chart_cost_pct_5k': on['cpu_pct'] - off['cpu_pct']}).decode())",
    "uipath": "from benchmarks.common import run_child\n"
              "r = run_child('uipath', 'ours', '--rates', '2000,5000,10000,50000', '--step', '5', '--floor', '6')\n"
              "out = {f'uipath_{s[\"rate\"] // 1000}k_cpu_pct': s['cpu_pct'] for s in r['steps']}\n"
              "out['uipath_floor_cpu_pct'] = r['floor_cpu_pct']\n"
              "out['uipath_5k_work_pct'] = out['uipath_5k_cpu_pct'] - r['floor_cpu_pct']\n"
              "print(orjson.dumps(out).decode())",
}


def export(rev: str) -> Path:
    """``rev``'s tree with this tree's benchmarks/ in it."""
    target = Path(tempfile.mkdtemp(prefix="airalgo-ab-"))
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    tar_path = target / "tree.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(target, filter="data")
    tar_path.unlink()
    shutil.rmtree(target / "benchmarks", ignore_errors=True)
    shutil.copytree(ROOT / "benchmarks", target / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def measure(tree: Path, what: str) -> dict[str, float]:
    """One measurement in ``tree`` (its own package first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", "import orjson\n" + PROBE[what]], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=600)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return orjson.loads(line)
    raise RuntimeError(f"{what} in {tree} failed: {proc.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__)
    parser.add_argument("rev", help="the old revision (main, a commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="uipath,app,orders,socket,ingest", help="comma-separated: " + ",".join(PROBE))
    args = parser.parse_args()
    old = export(args.rev)
    trees = {"old": old, "new": ROOT}
    results: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    try:
        for round_no in range(args.rounds):
            for what in args.only.split(","):
                for side in ("old", "new") if round_no % 2 == 0 else ("new", "old"):
                    for name, value in measure(trees[side], what).items():
                        results[side].setdefault(name, []).append(value)
            print(f"round {round_no + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(old, ignore_errors=True)
    print(f"{'figure':<32} {'old (' + args.rev[:10] + ')':>18} {'new':>12} {'new/old':>8}   runs old | new")
    for name, values in results["old"].items():
        new = results["new"].get(name, [])
        m_old, m_new = median(values), median(new)
        runs = " ".join(f"{v:.3g}" for v in values) + " | " + " ".join(f"{v:.3g}" for v in new)
        print(f"{name:<32} {m_old:>18.4g} {m_new:>12.4g} {m_new / m_old if m_old else float('nan'):>8.3f}   {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
