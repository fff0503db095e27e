"""Benchmark children, one measurement per fresh process so CPU and memory figures are clean.

    python -m benchmarks.child uipath ours|baseline|floor RATE SECONDS
    python -m benchmarks.child app WS_URL TOKEN_URL KEY SECONDS [--orders N] [--until-ticks N] [--soak]
                                    [--chart on|off]

Each prints one JSON line with its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from airalgo_desktop.domain.instruments import InstrumentMaster
from airalgo_desktop.sim.server import _synthetic_instruments
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.watchlist import WatchlistModel, WatchlistView

from .common import cpu_seconds, decoded_batches, percentile, rss_mb, synthetic_tokens

WINDOW = (1280, 800)
FEED_MS = 25  # the feed delivers every 25 ms (40 Hz) — every 10 ms above 20k/s — like frames from a socket


class LagProbe(QObject):
    """A precise 20 ms timer; records how late each firing is (event-loop lag)."""

    def __init__(self, interval_ms: int = 20) -> None:
        super().__init__()
        self.interval = interval_ms / 1000
        self.lags: list[float] = []
        self.recording = False
        self._last = time.perf_counter()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._fire)
        self.timer.start(interval_ms)

    def _fire(self) -> None:
        now = time.perf_counter()
        if self.recording:
            self.lags.append(max(0.0, now - self._last - self.interval) * 1000)
        self._last = now


class PaintStamps(QObject):
    """On every paint of the watchlist viewport: tick-to-screen latency of each visible row that changed."""

    def __init__(self, view: WatchlistView, store: MarketStore) -> None:
        super().__init__()
        self.view = view
        self.store = store
        self.latencies: list[float] = []
        self.recording = False
        self._seen: dict[str, float] = {}
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.recording:
            now = time.time()
            view = self.view
            top = max(0, view.rowAt(0))
            bottom = view.rowAt(view.viewport().height() - 1)
            model = view.watchlist()
            bottom = model.rowCount() - 1 if bottom < 0 else bottom
            tokens = model.tokens
            quotes = self.store.quotes
            for row in range(top, bottom + 1):
                quote = quotes.get(tokens[row])
                ts = quote.get("ts") if quote else None
                if ts is not None and ts > self._seen.get(tokens[row], 0.0):
                    self._seen[tokens[row]] = ts
                    self.latencies.append((now - ts) * 1000)
        return False


def synthetic_master(count: int) -> InstrumentMaster:
    """The simulator's synthetic instruments (same tokens, prices and ticks)."""
    return InstrumentMaster(_synthetic_instruments(count))


# ---------------------------------------------------------------------------- UI path only
def uipath(impl: str, rate: int, seconds: float) -> dict:
    """Pre-decoded updates at ``rate``/s in real time → store → view (ours) or queued signal per tick → QTableWidget
    ``setText`` (baseline). CPU % of one core over ``seconds`` after the warm-up. ``floor`` is ours with the same
    window and the same timers firing but no updates delivered: what the event loop's wake-ups cost on this machine
    before any work."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tokens = synthetic_tokens(1000)
    master = synthetic_master(1000)
    feed_ms = 10 if rate > 20_000 else FEED_MS  # a batch is a dict: at most one update per token
    batches = decoded_batches(rate, feed_ms, 12.0)
    store = MarketStore()
    if impl in ("ours", "floor"):
        model = WatchlistModel("bench", master, store, tokens)
        view = WatchlistView(model)
        refresh = QTimer()
        refresh.setInterval(33)
        refresh.timeout.connect(lambda: model.refresh(store.take_dirty()))
        refresh.start()

        def deliver(batch: dict) -> None:
            if impl == "ours":
                store.apply(batch)
    else:
        from .baselines.vnpy_monitor import VnpyStyleMonitor

        view = VnpyStyleMonitor(tokens, {i.token: i.prev_close for i in master})
        emit = view.signal_tick.emit

        def deliver(batch: dict) -> None:
            for item in batch.items():
                emit(item)
    view.resize(*WINDOW)
    view.show()
    state = {"sent": 0, "start": time.perf_counter(), "index": 0}

    def feed() -> None:
        # real time: deliver every batch due by now, so the rate holds even if a timer fires late
        due = int((time.perf_counter() - state["start"]) * 1000 / feed_ms)
        while state["sent"] < due:
            batch = batches[state["index"] % len(batches)]
            state["index"] += 1
            state["sent"] += 1
            deliver(batch)

    feeder = QTimer()
    feeder.setTimerType(Qt.TimerType.PreciseTimer)
    feeder.timeout.connect(feed)
    feeder.start(feed_ms)
    result: dict = {}

    def begin() -> None:
        result["cpu0"], result["t0"], result["n0"] = cpu_seconds(), time.perf_counter(), state["sent"]

    def end() -> None:
        cpu, wall = cpu_seconds() - result["cpu0"], time.perf_counter() - result["t0"]
        per_batch = len(batches[0])
        result.update(cpu_pct=100 * cpu / wall, updates_per_s=(state["sent"] - result["n0"]) * per_batch / wall)
        app.quit()

    warmup = float(os.environ.get("BENCH_WARMUP", "5"))  # Qt's glyph and layout caches settle in ~4 s
    QTimer.singleShot(int(warmup * 1000), begin)
    QTimer.singleShot(int((warmup + seconds) * 1000), end)
    app.exec()
    return {k: v for k, v in result.items() if k in ("cpu_pct", "updates_per_s")}


# ---------------------------------------------------------------------------- the whole app over a socket
def prepare_home(tokens: list[str]) -> Path:
    """An AIRALGO_HOME whose settings show one 1,000-row watchlist of the synthetic instruments."""
    from PySide6.QtCore import QSettings

    home = Path(tempfile.mkdtemp(prefix="airalgo-bench-"))
    csv_path = home / "synthetic.csv"
    rows = ["token,symbol,name,tick_size_paisa,lot_size,prev_close_paisa"]
    rows += [f"{i.token},{i.symbol},{i.name},{i.tick_size},1,{i.prev_close}" for i in _synthetic_instruments(1000)]
    csv_path.write_text("\n".join(rows) + "\n")
    settings = QSettings(str(home / "config" / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("instruments/csv", str(csv_path))
    settings.setValue("watchlists/lists", orjson.dumps([{"name": "Bench", "tokens": tokens}]).decode())
    settings.setValue("watchlists/active", 0)
    settings.setValue("ticket/confirm", "false")
    settings.sync()
    return home


def seed_bars(folder: Path, token: str, minutes: int = 300) -> None:
    """``minutes`` one-minute bars of ``token`` ending a minute ago, in the bar store: the chart opens on a day
    already under way, as a trader's does, rather than on two bars."""
    import numpy as np

    from airalgo_desktop.services.bars import SealedMinute, day_number, day_start
    from airalgo_desktop.store.bars import BarStore

    now = time.time()
    today = day_number(now)
    last = int((now - day_start(today)) // 60) - 1
    rng = np.random.default_rng(16)
    store = BarStore.open(folder)
    items = []
    price = 100_000
    for minute in range(max(0, last - minutes), last):
        step = int(rng.integers(-20, 21)) * 5
        o, price = price, max(500, price + step)
        hi, lo = max(o, price) + int(rng.integers(0, 6)) * 5, min(o, price) - int(rng.integers(0, 6)) * 5
        items.append(SealedMinute(today, minute, [token], *(np.array([v], np.int32) for v in (o, hi, lo, price)),
                                  np.array([int(rng.integers(1, 500))]), np.array([price * 100.0])))
    store.save(items)
    store.close()


def app_run(ws_url: str, token_url: str, key: str, seconds: float, orders: int, until_ticks: int,
            soak: bool, chart: str | None = None) -> dict:
    """The real Application (window, client, services, journal) against a simulator process. ``chart="on"``: the
    docked chart shows 1-minute candles of a ticking instrument; ``"off"``: the chart is hidden and charts nothing
    (the bar book still builds bars: it is part of the desk, not of the chart)."""
    import qasync

    from airalgo_desktop.__main__ import build_parser
    from airalgo_desktop.app import Application, Paths
    from airalgo_desktop.domain.orders import Side

    tokens = synthetic_tokens(1000)
    home = prepare_home(tokens)
    if chart:
        seed_bars(Paths.resolve(str(home)).data, tokens[0])
    qt = QApplication.instance() or QApplication(sys.argv[:1])
    qt.setQuitOnLastWindowClosed(False)
    out: dict = {}

    async def main() -> None:
        args = build_parser().parse_args(["--ws-url", ws_url, "--token-url", token_url, "--api-key", key])
        app = Application(args, Paths.resolve(str(home)))
        task = asyncio.ensure_future(app.run())
        while not (app.desk.client and app.desk.client.state.joined and app.desk.store.updates > 1000):
            await asyncio.sleep(0.05)
        app.window.resize(*WINDOW)
        app.desk.guard_settings.stale_enabled = False
        if chart == "on":
            from airalgo_desktop.services.bars import Frame

            app.window.chart.view.set_frame(Frame.M1)
            app.presenter.focus(tokens[0])
        elif chart == "off":
            app.presenter.focus(None)
            app.window.chart.hide()
        probe = LagProbe()
        stamps = PaintStamps(app.window.watchlist.current_view(), app.desk.store)
        await asyncio.sleep(2.0)  # warm-up
        if until_ticks:
            while app.desk.store.updates < until_ticks:
                await asyncio.sleep(0.1)
            out["rss_mb_after_ticks"] = rss_mb()
            out["ticks"] = app.desk.store.updates
        probe.recording = stamps.recording = True
        rss_start = rss_mb()
        cpu0, t0, n0 = cpu_seconds(), time.perf_counter(), app.desk.store.updates
        latencies: list[float] = []
        loop = asyncio.get_running_loop()
        if orders:
            for i in range(orders):
                app.commands.open_ticket(tokens[i % 50], Side.BUY)
                app.ticket.qty.setValue(i + 1)  # distinct, so the duplicate guard stays quiet
                before = loop.time()
                app.ticket.send()
                record = app.ticket.record
                while record is not None and record.written_at is None:
                    await asyncio.sleep(0.001)
                if record is not None:
                    latencies.append((record.written_at - before) * 1000)
                app.ticket.close()
                await asyncio.sleep(max(0.0, seconds / orders - 0.01))
        else:
            await asyncio.sleep(seconds * 0.25)
            rss_quarter = rss_mb()
            await asyncio.sleep(seconds * 0.75)
            out["rss_growth_mb"] = rss_mb() - rss_quarter
        cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - t0
        out.update(cpu_pct=100 * cpu / wall, updates_per_s=(app.desk.store.updates - n0) / wall,
                   lag_p99_ms=percentile(probe.lags, 99), lag_max_ms=max(probe.lags, default=0.0),
                   tick_to_screen_p99_ms=percentile(stamps.latencies, 99),
                   tick_to_screen_p50_ms=percentile(stamps.latencies, 50), rss_mb=rss_mb(), rss_start_mb=rss_start)
        if chart == "on":
            out["chart_bars"] = len(app.window.chart.view.bars)
        if latencies:
            out.update(order_to_wire_p99_ms=percentile(latencies, 99), order_to_wire_p50_ms=percentile(latencies, 50),
                       orders=len(latencies))
        app.request_quit()
        await task

    qasync.run(main())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("uipath")
    p.add_argument("impl", choices=["ours", "baseline", "floor"])
    p.add_argument("rate", type=int)
    p.add_argument("seconds", type=float)
    a = sub.add_parser("app")
    a.add_argument("ws_url")
    a.add_argument("token_url")
    a.add_argument("key")
    a.add_argument("seconds", type=float)
    a.add_argument("--orders", type=int, default=0)
    a.add_argument("--until-ticks", type=int, default=0)
    a.add_argument("--soak", action="store_true")
    a.add_argument("--chart", choices=["on", "off"])
    args = parser.parse_args()
    if args.mode == "uipath":
        result = uipath(args.impl, args.rate, args.seconds)
    else:
        result = app_run(args.ws_url, args.token_url, args.key, args.seconds, args.orders, args.until_ticks,
                         args.soak, args.chart)
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
