"""Benchmark children, one measurement per fresh process so CPU and memory figures are clean.

    python -m benchmarks.child uipath ours|baseline [--rates 2000,5000,…] [--step S] [--floor S] [--search]
    python -m benchmarks.child app WS_URL TOKEN_URL KEY SECONDS [--orders N] [--until-ticks N] [--soak]
                                    [--chart on|off] [--chain] [--lag]

Each prints one JSON line with its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import orjson
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from airalgo_desktop.domain.instruments import InstrumentMaster
from airalgo_desktop.sim.server import _synthetic_instruments
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.watchlist import WatchlistModel, WatchlistView

from .common import cpu_seconds, percentile, quote_pool, rss_mb, synthetic_tokens

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
SUSTAINED_DELIVERED = 0.98  # a rate is sustained when ≥ 98 % of the offered updates are taken in …
SUSTAINED_LAG_P99_MS = 16.0  # … and the event loop's lag stays under a frame at 60 Hz (p99)


class Feed(QObject):
    """Offers pre-decoded updates in real time at a rate that can be changed on the fly, like frames from a socket:
    every 25 ms (every 10 ms above 20,000 updates/s) it hands over every batch due by now, so the rate holds even
    when a firing is late. How late each firing is, is the event loop's lag (no extra probe timer: the measurement
    must not add wake-ups of its own)."""

    def __init__(self, deliver: Callable[[dict], None], pool: list[dict]) -> None:
        super().__init__()
        self.deliver = deliver
        self.pool = pool
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._fire)
        self.offered = 0  # updates handed to ``deliver`` since the start
        self.lags: list[float] = []
        self.rate = 0
        self._batches: list[dict] = []
        self._per = 0

    def set_rate(self, rate: int) -> None:
        """Offer ``rate`` updates a second from now on (0: the timer keeps firing, nothing is delivered)."""
        feed_ms = 10 if rate > 20_000 else FEED_MS  # a batch is a dict: at most one update per token
        self._per = min(len(self.pool[0]), max(1, rate * feed_ms // 1000)) if rate else 0
        self._batches = [dict(islice(b.items(), self._per)) for b in self.pool] if rate else []
        self.rate = rate
        self._interval = feed_ms / 1000
        self._start = self._last = time.perf_counter()
        self._sent = 0
        self.timer.start(feed_ms)

    def _fire(self) -> None:
        now = time.perf_counter()
        self.lags.append(max(0.0, now - self._last - self._interval) * 1000)
        self._last = now
        if not self._per:
            return
        due = int((now - self._start) * self.rate / self._per)
        batches, deliver = self._batches, self.deliver
        while self._sent < due:
            deliver(batches[self._sent % len(batches)])
            self._sent += 1
            self.offered += self._per


def uipath(impl: str, rates: list[int], step_s: float, floor_s: float, search: bool, ceiling: int,
           bisect: int) -> dict:
    """The UI path alone in one process: pre-decoded updates in real time → store → view (ours) or a queued
    signal per tick → ``QTableWidget.setText`` (the vnpy-style baseline), 1,000 rows in a 1280×800 window.

    After a warm-up, each offered rate in ``rates`` is held for ``step_s`` seconds: CPU % of one core (process CPU
    time over wall time), the share of offered updates taken in, and the loop lag p99. ``ours`` first measures
    its floor for ``floor_s``: the same window and timers with no updates. With ``search``, the maximum sustainable
    rate follows (≥ 98 % delivered, lag p99 < 16 ms): doubling from the best fixed rate that held until a rate
    fails (twice in a row: one late firing on a shared machine must not decide it) or ``ceiling`` is reached,
    then ``bisect`` geometric bisection steps."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    tokens = synthetic_tokens(1000)
    master = synthetic_master(1000)
    store = MarketStore()
    if impl == "ours":
        model = WatchlistModel("bench", master, store, tokens)
        view = WatchlistView(model)
        try:  # the app's frame clock: a frame in the wake-up that brought the data, ≤ 30 Hz
            from airalgo_desktop.ui.frames import FrameClock

            clock = FrameClock(lambda: model.refresh(store.take_dirty()), lambda: model.fading)
            store.on_apply = clock.data_arrived
            clock.start()
        except ImportError:  # revisions before it (benchmarks.ab) refreshed on a 30 Hz timer
            clock = QTimer()
            clock.setInterval(33)
            clock.timeout.connect(lambda: model.refresh(store.take_dirty()))
            clock.start()
        deliver: Callable[[dict], None] = store.apply

        def taken() -> int:
            return store.updates

        def frames_run() -> int:
            return getattr(clock, "frames", 0)
    else:
        from .baselines.vnpy_monitor import VnpyStyleMonitor

        view = VnpyStyleMonitor(tokens, {i.token: i.prev_close for i in master})
        emit = view.signal_tick.emit

        def deliver(batch: dict) -> None:
            for item in batch.items():
                emit(item)

        def taken() -> int:
            return view.processed

        def frames_run() -> int:
            return 0
    view.resize(*WINDOW)
    view.show()
    feed = Feed(deliver, quote_pool())
    out: dict = {"steps": []}

    def hold(rate: int, seconds: float) -> Iterator[float]:
        feed.set_rate(rate)
        yield min(1.0, seconds / 2)  # settle: the new rate's first frames and paints
        lags0, cpu0, t0, n0, f0 = len(feed.lags), cpu_seconds(), time.perf_counter(), taken(), frames_run()
        yield seconds
        cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - t0
        delivered = (taken() - n0) / (rate * wall) if rate else 1.0
        lag = percentile(feed.lags[lags0:], 99)
        step = {"rate": rate, "cpu_pct": 100 * cpu / wall, "delivered": delivered, "lag_p99_ms": lag,
                "sustained": delivered >= SUSTAINED_DELIVERED and lag < SUSTAINED_LAG_P99_MS,
                "frames_per_s": (frames_run() - f0) / wall}
        out["steps"].append(step)
        yield from drain()

    def drain() -> Iterator[float]:
        """Let a backlog of queued ticks (the baseline, saturated) clear before the next step."""
        feed.set_rate(0)
        deadline = time.perf_counter() + 60
        while taken() < feed.offered and time.perf_counter() < deadline:
            yield 0.1

    def sustained(rate: int) -> Iterator[float]:
        for _attempt in range(2):
            yield from hold(rate, step_s)
            if out["steps"][-1]["sustained"]:
                return

    def script() -> Iterator[float]:
        feed.set_rate(5000)
        yield float(os.environ.get("BENCH_WARMUP", "4"))  # Qt's glyph and layout caches settle in ~4 s
        if impl == "ours" and floor_s:
            yield from hold(0, floor_s)
            out["floor_cpu_pct"] = out["steps"].pop()["cpu_pct"]
        for rate in rates:
            yield from hold(rate, step_s)
        if not search:
            return
        held = [s["rate"] for s in out["steps"] if s["sustained"]]
        failed = [s["rate"] for s in out["steps"] if not s["sustained"]]
        low = max(held, default=0)
        high = min((r for r in failed if r > low), default=None)
        if high is not None and high == min(failed):  # a fixed rate failed: give it its second chance
            yield from sustained(high)
            if out["steps"][-1]["sustained"]:
                low, high = high, None
        rate = max(low * 2, 1000)
        while high is None and rate <= ceiling:
            yield from sustained(rate)
            if out["steps"][-1]["sustained"]:
                low, rate = rate, rate * 2
            else:
                high = rate
        for _ in range(bisect if high is not None else 0):
            mid = int(round((max(low, 500) * high) ** 0.5, -2))
            if not low < mid < high:
                break
            yield from sustained(mid)
            low, high = (mid, high) if out["steps"][-1]["sustained"] else (low, mid)
        out["max_rate"] = low
        out["max_rate_capped"] = high is None  # held at the ceiling: a lower bound

    steps = script()

    def advance() -> None:
        try:
            delay = next(steps)
        except StopIteration:
            app.quit()
            return
        QTimer.singleShot(int(delay * 1000), advance)

    QTimer.singleShot(0, advance)
    app.exec()
    return out


# ---------------------------------------------------------------------------- the whole app over a socket
def prepare_home(tokens: list[str], fno: bool = False) -> Path:
    """An AIRALGO_HOME with the synthetic instruments as its imported master and one 1,000-row watchlist of them;
    ``fno``: the master also lists the simulator's futures and options (the demo universe's), for the chains."""
    from PySide6.QtCore import QSettings

    home = Path(tempfile.mkdtemp(prefix="airalgo-bench-"))
    csv_path = home / "synthetic.csv"
    rows = ["token,symbol,name,exchange,segment,instrument_type,expiry,strike_paisa,tick_size_paisa,lot_size,"
            "prev_close_paisa"]
    rows += [f"{i.token},{i.symbol},{i.name},NSE,NSE,EQ,,0,{i.tick_size},1,{i.prev_close}"
             for i in _synthetic_instruments(1000)]
    if fno:
        from airalgo_desktop.domain.nsetime import now_ist
        from airalgo_desktop.instruments.demo import demo_universe

        rows += [f"{i.token},{i.symbol},{i.name},NFO,{i.segment},{i.instrument_type},{i.expiry.isoformat()},"
                 f"{i.strike},{i.tick_size},{i.lot_size},{i.prev_close}"
                 for i in demo_universe(now_ist().date()) if i.expiry is not None]
    csv_path.write_text("\n".join(rows) + "\n")
    from airalgo_desktop.instruments.importer import import_master

    import_master(str(csv_path), home / "data")  # a live session trades what its imported master lists
    settings = QSettings(str(home / "config" / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("watchlists/lists", orjson.dumps([{"name": "Bench", "tokens": tokens}]).decode())
    settings.setValue("watchlists/active", 0)
    settings.setValue("ticket/confirm", "false")
    settings.sync()
    return home


def seed_bars(folder: Path, token: str, minutes: int = 300) -> None:
    """``minutes`` one-minute bars of ``token`` ending a minute ago, in the bar store: the chart opens on a day
    already under way, as a trader's does, rather than on two bars."""
    import numpy as np

    try:
        from airalgo_desktop.domain.bars import SealedMinute, day_number, day_start
    except ImportError:  # a tree from before the bar types moved to domain/ (benchmarks.ab measures old revisions)
        from airalgo_desktop.services.bars import SealedMinute, day_number, day_start  # type: ignore[no-redef]
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
            soak: bool, chart: str | None = None, chain: bool = False, lag: bool = False) -> dict:
    """The real Application (window, client, services, journal) against a simulator process. ``chart="on"``: the
    docked chart shows 1-minute candles of a ticking instrument; ``"off"``: the chart is hidden and charts nothing
    (the bar book still builds bars: it is part of the desk, not of the chart). ``chain``: the watchlist alone,
    then with a 2-expiry × 41-strike option chain open. ``lag``: then as long again with a 50 Hz probe timer for
    the event loop's lag (never during the CPU window)."""
    import qasync

    from airalgo_desktop.__main__ import build_parser
    from airalgo_desktop.app import Application, Paths
    from airalgo_desktop.domain.nsetime import now_ist
    from airalgo_desktop.domain.orders import Side

    tokens = synthetic_tokens(1000)
    home = prepare_home(tokens, fno=chain)
    if chart:
        seed_bars(Paths.resolve(str(home)).data, tokens[0])
    qt = QApplication.instance() or QApplication(sys.argv[:1])
    qt.setQuitOnLastWindowClosed(False)
    out: dict = {}

    async def main() -> None:
        args = build_parser().parse_args(["--ws-url", ws_url, "--token-url", token_url, "--api-key", key])
        app = Application(args, Paths.resolve(str(home)))
        task = asyncio.ensure_future(app.run())
        # revisions before the desk split (benchmarks.ab measures them too) kept these on the Application
        desk = getattr(app, "desk", app)

        def client():  # type: ignore[no-untyped-def]
            return desk.client if desk is not app else app.session.client if app.session else None

        open_ticket = app.commands.open_ticket if hasattr(app, "commands") else app.open_ticket
        while not (client() and client().state.joined and desk.store.updates > 1000):
            await asyncio.sleep(0.05)
        app.window.resize(*WINDOW)
        getattr(desk, "ledger", desk).guard_settings.stale_enabled = False  # the desk's parts, or the desk before
        if chart == "on":
            try:
                from airalgo_desktop.domain.bars import Frame
            except ImportError:  # a tree from before the move (benchmarks.ab)
                from airalgo_desktop.services.bars import Frame  # type: ignore[no-redef]

            app.window.chart.view.set_frame(Frame.M1)
            app.presenter.focus(tokens[0])
        elif chart == "off":
            app.presenter.focus(None)
            app.window.chart.hide()
        # the lag probe is a 50 Hz timer of its own (≈ 0.4 % of a core here): it runs only in a window after the
        # CPU figures, in the runs that report the loop's lag, so it never counts as the app's CPU
        stamps = PaintStamps(app.window.watchlist.current_view(), desk.store)
        await asyncio.sleep(2.0)  # warm-up
        if until_ticks:
            while desk.store.updates < until_ticks:
                await asyncio.sleep(0.1)
            out["rss_mb_after_ticks"] = rss_mb()
            out["ticks"] = desk.store.updates
        stamps.recording = True
        rss_start = rss_mb()
        cpu0, t0, n0 = cpu_seconds(), time.perf_counter(), desk.store.updates
        clock = getattr(getattr(app, "presenter", None), "frames", None)  # the frame clock, where there is one

        def frames_run() -> int:
            return clock.frames if clock is not None else 0

        frames0 = frames_run()
        latencies: list[float] = []
        loop = asyncio.get_running_loop()
        if orders:
            for i in range(orders):
                open_ticket(tokens[i % 50], Side.BUY)
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
        elif chain:
            # the same run, first the watchlist alone, then with a 2-expiry × 41-strike NIFTY chain (164 legs)
            await asyncio.sleep(seconds)
            cpu1, t1 = cpu_seconds(), time.perf_counter()
            out["watchlist_cpu_pct"] = 100 * (cpu1 - cpu0) / (t1 - t0)
            docks = []
            options = getattr(desk.options, "catalog", desk.options)  # the options desk's catalog, or the catalog
            for expiry in options.expiries("NIFTY", now_ist().date())[:2]:
                docks.append(app.commands.open_chain("26000", expiry))
                docks[-1].panel.width_box.setValue(20)
            # both on screen (one above the other), not tabbed: a hidden chain would cost nothing to paint
            app.window.splitDockWidget(docks[0], docks[1], Qt.Orientation.Vertical)
            legs = {t for d in docks for t in d.panel.chain.tokens if desk.master[t].instrument_type in ("CE", "PE")}
            while sum(desk.store.ltp(t) is not None for t in legs) < len(legs) * 0.9:
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)
            cpu0, t0, n0, frames0 = cpu_seconds(), time.perf_counter(), desk.store.updates, frames_run()
            await asyncio.sleep(seconds)
            cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - t0
            updates, frames = desk.store.updates - n0, frames_run() - frames0
            out["chain_cpu_pct"] = 100 * cpu / wall
            # after the measurement: how often the legs tick (sampled 10 times a second for 3 s)
            seen = {t: dict(desk.store.quotes.get(t, {})) for t in legs}
            changes, s0 = 0, time.perf_counter()
            for _ in range(30):
                await asyncio.sleep(0.1)
                for t in legs:
                    quote = desk.store.quotes.get(t)
                    if quote is not None and quote != seen[t]:
                        seen[t] = dict(quote)
                        changes += 1
            out.update(chain_legs=len(legs), chain_leg_updates_per_s=changes / (time.perf_counter() - s0))
        else:
            await asyncio.sleep(seconds * 0.25)
            rss_quarter = rss_mb()
            await asyncio.sleep(seconds * 0.75)
            out["rss_growth_mb"] = rss_mb() - rss_quarter
        if not chain:
            cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - t0
            updates, frames = desk.store.updates - n0, frames_run() - frames0
        # every figure of the CPU window over that window (not the leg sampling or the lag window after it)
        if clock is not None:
            out["frames_per_s"] = frames / wall
        if lag:  # the same load, measured for the loop's lag alone
            probe = LagProbe()
            probe.recording = True
            await asyncio.sleep(seconds)
            out.update(lag_p99_ms=percentile(probe.lags, 99), lag_max_ms=max(probe.lags, default=0.0))
        out.update(cpu_pct=100 * cpu / wall, updates_per_s=updates / wall,
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
    p.add_argument("impl", choices=["ours", "baseline"])
    p.add_argument("--rates", default="2000,5000,10000,50000", help="offered rates to hold, comma-separated")
    p.add_argument("--step", type=float, default=5.0, help="seconds measured at each rate")
    p.add_argument("--floor", type=float, default=0.0, help="seconds measuring the floor first (ours)")
    p.add_argument("--search", action="store_true", help="then search the maximum sustainable rate")
    p.add_argument("--ceiling", type=int, default=2_000_000)
    p.add_argument("--bisect", type=int, default=2)
    a = sub.add_parser("app")
    a.add_argument("ws_url")
    a.add_argument("token_url")
    a.add_argument("key")
    a.add_argument("seconds", type=float)
    a.add_argument("--orders", type=int, default=0)
    a.add_argument("--until-ticks", type=int, default=0)
    a.add_argument("--soak", action="store_true")
    a.add_argument("--chain", action="store_true", help="measure the watchlist alone, then with two chains open")
    a.add_argument("--chart", choices=["on", "off"])
    a.add_argument("--lag", action="store_true", help="after the CPU window, as long again measuring loop lag")
    args = parser.parse_args()
    if args.mode == "uipath":
        result = uipath(args.impl, [int(r) for r in args.rates.split(",") if r], args.step, args.floor,
                        args.search, args.ceiling, args.bisect)
    else:
        result = app_run(args.ws_url, args.token_url, args.key, args.seconds, args.orders, args.until_ticks,
                         args.soak, args.chart, args.chain, args.lag)
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
