"""The benchmark command runs and writes every figure (timings are never asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NAMES = {
    "ingest_updates_per_s", "ingest_vs_raw_decode_ratio", "socket_ingest_updates_per_s", "ui_cpu_pct_50k",
    "ui_loop_lag_p99_ms", "ui_vs_baseline_cpu_ratio", "ui_cpu_pct_5k", "tick_to_screen_p99_ms",
    "order_to_wire_p99_ms", "cold_start_s", "rss_mb_after_1m_ticks", "rss_growth_mb_soak",
    "socket_ingest_client_cpu_s_per_m", "ui_vs_baseline_cpu_ratio_5k", "ui_vs_baseline_cpu_ratio_10k", "ui_max_rate",
    "baseline_max_rate", "ui_vs_baseline_max_rate_ratio", "ui_path_floor_5k_cpu_pct", "ui_work_pct_5k",
    "chain_cpu_pct", "iv_solves_per_s",
    "master_import_250k_s", "master_search_p99_ms", "master_rss_mb",
    "bars_cpu_pct_50k", "bars_restore_s", "chart_cpu_pct_5k", "unwanted_400k_rss_growth_mb", "triggers_cpu_pct_50k",
}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quick_benchmarks_write_every_name(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)], cwd=root,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert set(data) == NAMES
    for name, figure in data.items():
        assert set(figure) - {"note"} == {"value", "unit", "target", "pass"}, name
        assert isinstance(figure["value"], int | float) and isinstance(figure["pass"], bool)
        assert figure["target"] is None or isinstance(figure["target"], int | float), name
