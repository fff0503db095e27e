"""Command-line tools on the same client the app uses: ``doctor`` and ``stream``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import orjson

from .api.client import AirAlgoClient, ClientConfig
from .api.events import ChannelError, Event, FeedStale, State, StateChanged, Ticks
from .api.token import TOKEN_DEADLINE, TokenError, fetch_token
from .config import Config, load_config
from .domain.instruments import parse_token
from .domain.nsetime import IST, parse_ltt
from .logs import RateLimitFilter
from .transport import HTTP_SCHEMES, WS_SCHEMES, InsecureTransportError, UrlError, check_transport

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_AUTH = 0, 1, 2, 3
DEMO_KEY = "demo"


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the app, ``doctor`` and ``stream``."""
    parser.add_argument("--ws-url", help="websocket URL (overrides WEBSOCKET_SERVER_URL)")
    parser.add_argument("--token-url", help="token server base URL (overrides TOKEN_SERVER_URL)")
    parser.add_argument("--api-key", help="API key (overrides API_KEY; visible to other users of this machine "
                                          "in the process list — prefer the keyring or .env)")
    parser.add_argument("--allow-insecure", action="store_true",
                        help="allow plain ws:// and http:// to hosts other than this machine")
    parser.add_argument("--demo", action="store_true", help="use the embedded simulator (no account needed)")


@dataclass
class Connection:
    """What a command connects with (and the embedded simulator, in demo mode)."""

    config: Config
    allow_insecure: bool
    sim: object | None = None


@contextlib.asynccontextmanager
async def resolve_connection(args: argparse.Namespace) -> AsyncIterator[Connection]:
    """Config from flags/env/.env/keyring, or an in-process simulator with ``--demo``."""
    if getattr(args, "demo", False):
        from .sim.server import SimConfig, SimServer

        sim = SimServer(SimConfig(api_keys=(DEMO_KEY,)))
        await sim.start()
        try:
            cfg = Config(sim.ws_url, sim.base_http, DEMO_KEY,
                         {k: "demo simulator" for k in ("WEBSOCKET_SERVER_URL", "TOKEN_SERVER_URL", "API_KEY")})
            yield Connection(cfg, False, sim)
        finally:
            await sim.stop()
        return
    flags = {"WEBSOCKET_SERVER_URL": args.ws_url, "TOKEN_SERVER_URL": args.token_url, "API_KEY": args.api_key}
    yield Connection(load_config(flags), args.allow_insecure)


def client_config(conn: Connection, **overrides: object) -> ClientConfig:
    """ClientConfig for a resolved connection."""
    cfg = conn.config
    assert cfg.api_key is not None
    return ClientConfig(cfg.ws_url, cfg.token_url, cfg.api_key, allow_insecure=conn.allow_insecure, **overrides)


# ====================================================================== doctor
class Report:
    """Collects doctor's checks and prints them as they happen."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.failed = False

    def ok(self, what: str, detail: str = "") -> None:
        self.out(f"  [ ok ] {what}" + (f": {detail}" if detail else ""))

    def fail(self, what: str, detail: str, fix: str) -> None:
        self.failed = True
        self.out(f"  [FAIL] {what}: {detail}")
        self.out(f"         fix: {fix}")

    def info(self, what: str, detail: str = "") -> None:
        self.out(f"  [info] {what}" + (f": {detail}" if detail else ""))


def keyring_backend_name() -> tuple[str, bool]:
    """(backend description, usable) for the keyring in use."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        usable = not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0
        return f"{type(backend).__module__}.{type(backend).__name__}", usable
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})", False


async def doctor(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    """Check configuration, keyring, token endpoint, websocket join and heartbeat; report with fixes."""
    report = Report(out)
    out("AirAlgo Desktop doctor")
    async with resolve_connection(args) as conn:
        cfg = conn.config
        out("Configuration:")
        for line in cfg.describe():
            out("  " + line)
        name, usable = keyring_backend_name()
        if usable:
            report.ok("keyring backend", name)
        else:
            report.info("keyring backend", f"{name} — the app will keep a key for the session only")
        for warning in cfg.warnings:
            report.info("configuration", warning)
        for url, kind, schemes in ((cfg.ws_url, "WEBSOCKET_SERVER_URL", WS_SCHEMES),
                                   (cfg.token_url, "TOKEN_SERVER_URL", HTTP_SCHEMES)):
            try:
                check_transport(url, allow_insecure=conn.allow_insecure, kind=kind, schemes=schemes)
                report.ok(kind, "transport allowed")
            except InsecureTransportError as exc:
                report.fail(kind, str(exc), "use wss:// / https://, or pass --allow-insecure for a test server")
            except UrlError as exc:
                report.fail(kind, str(exc), f"correct {kind} (flag, environment or .env)")
        if not cfg.api_key:
            report.fail("API key", "not set", "enter it in the app (Account → API key…), or set API_KEY in .env")
        if report.failed:
            return EXIT_FAIL
        assert cfg.api_key is not None
        started = time.perf_counter()
        async with httpx.AsyncClient(timeout=10) as http:
            try:
                await fetch_token(http, cfg.token_url, cfg.api_key, deadline=TOKEN_DEADLINE)
            except TokenError as exc:
                report.fail("token endpoint", exc.message, exc.action)
                return EXIT_AUTH if exc.kind.is_auth else EXIT_FAIL
        report.ok("token endpoint", f"access token received in {(time.perf_counter() - started) * 1000:.0f} ms")
        client = AirAlgoClient(client_config(conn, stall_timeout=None))
        try:
            started = time.perf_counter()
            await client.start()
            try:
                state = await client.wait_for(lambda s: s.state in (State.JOINED, State.AUTH_FAILED), 20)
            except TimeoutError:
                report.fail("websocket join", client.state.describe(), "check WEBSOCKET_SERVER_URL and your network")
                return EXIT_FAIL
            if state.state is State.AUTH_FAILED:
                report.fail("websocket join", state.reason, "re-enter your API key, then run doctor again")
                return EXIT_AUTH
            report.ok("websocket join", f"joined in {(time.perf_counter() - started) * 1000:.0f} ms")
            try:
                rtt = await client.ping()
                report.ok("heartbeat", f"round trip {rtt * 1000:.1f} ms")
            except (TimeoutError, ConnectionError):
                report.fail("heartbeat", "no reply within 10 s", "the server or a proxy is dropping frames")
        finally:
            await client.close()
    out("All checks passed." if not report.failed else "Some checks failed.")
    return EXIT_FAIL if report.failed else EXIT_OK


# ====================================================================== stream
def tick_record(token: str, quote: dict[str, object], *, rupees: bool = False) -> dict[str, object]:
    """One ``stream`` line: the price with its unit in the key (``ltp_paisa``, or ``ltp_rupees`` with ``--rupees``)
    and the last trade time on the exchange clock with its offset (``2026-11-25T12:16:00+05:30``). A time the feed
    sent in a shape we cannot read is passed on as sent rather than dropped."""
    ltp = quote.get("ltp")
    price: dict[str, object] = {"ltp_rupees": ltp / 100} if rupees and isinstance(ltp, int) else {"ltp_paisa": ltp}
    raw_ltt = quote.get("ltt")
    moment = parse_ltt(raw_ltt) if isinstance(raw_ltt, str) else None
    ltt = moment.astimezone(IST).isoformat(timespec="seconds") if moment is not None else raw_ltt
    return {"token": token, **price, "ltq": quote.get("ltq"), "ltt": ltt}


async def stream(args: argparse.Namespace, out=sys.stdout, err=sys.stderr) -> int:  # type: ignore[no-untyped-def]
    """Print one JSON line per token update until ``--seconds`` pass; non-zero on AuthFailed."""
    overrides: dict[str, object] = {}
    if args.stall_timeout is not None:
        overrides.update(stall_timeout=args.stall_timeout, stall_market_hours_only=False)
    if args.heartbeat is not None:
        overrides["heartbeat_interval"] = args.heartbeat
    async with resolve_connection(args) as conn:
        if not conn.config.api_key:
            print("error: no API key. Set API_KEY (environment or .env) or store it from the app.", file=err)
            return EXIT_USAGE
        bad = [t for t in args.tokens if parse_token(t) is None]
        if bad:
            print(f"error: not a token number (ASCII digits only): {', '.join(repr(t[:20]) for t in bad)}", file=err)
            return EXIT_USAGE
        for warning in conn.config.warnings:
            print(f"warning: {warning}", file=err)
        try:
            client = AirAlgoClient(client_config(conn, **overrides))
        except UrlError as exc:
            print(f"error: {exc}", file=err)
            return EXIT_USAGE
        done = asyncio.Event()
        result = {"code": EXIT_OK}
        dumps = orjson.dumps
        rupees = bool(getattr(args, "rupees", False))

        server_errors = RateLimitFilter(burst=5, period=10.0)

        def on_event(event: Event) -> None:
            if isinstance(event, Ticks):
                lines = [dumps(tick_record(token, q, rupees=rupees)) for token, q in event.quotes.items()]
                try:
                    out.write(b"\n".join(lines).decode() + "\n")
                    out.flush()
                except BrokenPipeError:  # `stream … | head`: the reader is gone, stop quietly
                    done.set()
            elif isinstance(event, StateChanged):
                print(f"state: {event.state.describe()}", file=err, flush=True)
                if event.state.state is State.AUTH_FAILED:
                    result["code"] = EXIT_AUTH
                    done.set()
            elif isinstance(event, FeedStale):
                print(f"feed stale: no ticks for {event.seconds:.0f} s; reconnecting with a fresh token",
                      file=err, flush=True)
            elif isinstance(event, ChannelError):  # server-driven: rate limited like the log (5 per 10 s)
                record = logging.LogRecord("stream", logging.WARNING, "server-error", 0,
                                           f"server error on {event.event}: {event.reason}", None, None)
                if server_errors.filter(record):
                    print(record.getMessage(), file=err, flush=True)

        client.add_listener(on_event)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, done.set)
        client.subscribe(args.tokens)
        await client.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), args.seconds)
        m = client.metrics
        await client.close()
        print(f"stream ended: {m.ticks_total} updates, {m.reconnects} reconnects, "
              f"{m.malformed_frames} malformed frames", file=err, flush=True)
        return result["code"]


# ====================================================================== instruments
def add_instrument_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``instruments import|search|show``."""
    from .instruments.formats import FORMATS

    p_inst = sub.add_parser("instruments", help="import, search and show the instrument master")
    p_inst.add_argument("--home", help="all files under this folder (same as AIRALGO_HOME)")
    p_inst.add_argument("--data-dir", help=argparse.SUPPRESS)  # the app's import child: exactly this data dir
    isub = p_inst.add_subparsers(dest="instruments_command", required=True)
    p_imp = isub.add_parser("import", help="import a broker master (path or URL); replaces the stored one")
    p_imp.add_argument("source", nargs="+", metavar="SOURCE",
                       help="file (.csv/.json, also .gz/.zip) or http(s) URL; several make one master "
                            "(e.g. Fyers NSE_CM.csv NSE_FO.csv)")
    p_imp.add_argument("--format", choices=FORMATS, help="skip recognising the layout from the content")
    p_imp.add_argument("--allow-insecure", action="store_true", help="allow plain http:// to other hosts")
    p_imp.add_argument("--machine", action="store_true", help=argparse.SUPPRESS)  # progress/result for the app
    p_search = isub.add_parser("search", help="search the master the way the app does")
    p_search.add_argument("query", nargs="+", metavar="QUERY")
    p_search.add_argument("--limit", type=int, default=20)
    p_search.add_argument("--json", action="store_true", help="one JSON array")
    p_show = isub.add_parser("show", help="one instrument by token")
    p_show.add_argument("token", metavar="TOKEN")
    p_show.add_argument("--json", action="store_true")
    for p in (p_imp, p_search, p_show):  # --home after the sub-command too; SUPPRESS keeps one given before
        p.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _catalog_for_cli(data_dir: object, err) -> object | None:  # type: ignore[no-untyped-def]
    """The stored master, or the bundled demo sample (said on stderr); None with a message when unreadable."""
    from pathlib import Path

    from .domain.nsetime import now_ist
    from .instruments import bundled_universe
    from .instruments.importer import load_stored
    from .store.instruments import StoreError

    try:
        catalog = load_stored(Path(str(data_dir)))
    except StoreError as exc:
        print(f"error: {exc}", file=err)
        return None
    if catalog is None:
        print(f"no imported instrument master in {data_dir}: using the bundled demo sample "
              "(import one with `instruments import SOURCE`)", file=err)
        return bundled_universe(now_ist().date())
    meta = catalog.meta
    print(f"master: {meta.get('kept', len(catalog)):,} instruments from {meta.get('source', '?')} "
          f"(imported {meta.get('imported_at', '?')})", file=err)
    return catalog


def instruments_command(args: argparse.Namespace, out=None, err=None) -> int:  # type: ignore[no-untyped-def]
    """Run ``instruments import|search|show``; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    from pathlib import Path

    from .config import home_data_dir
    from .domain.nsetime import now_ist
    from .instruments.catalog import to_json
    from .instruments.formats import ImportCancelled, MasterError

    data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else home_data_dir(getattr(args, "home", None))
    cmd = args.instruments_command
    if cmd == "import":
        from .instruments.importer import import_master
        from .store import instruments as store

        last = [-1]

        def progress(fraction: float, text: str) -> None:
            if args.machine:
                print(f"progress {fraction:.4f} {text}", file=err, flush=True)
                return
            step = int(fraction * 10)
            if step != last[0]:
                last[0] = step
                print(f"  {fraction * 100:3.0f}%  {text}", file=err, flush=True)

        try:
            outcome = import_master(args.source, Path(data_dir), args.format, progress=progress,
                                    allow_insecure=args.allow_insecure)
        except (MasterError, ImportCancelled, KeyboardInterrupt, OSError) as exc:
            reason = "cancelled" if isinstance(exc, ImportCancelled | KeyboardInterrupt) else str(exc)
            print(f"error: {reason}", file=err)
            kept = "the previous master is kept" if store.exists(Path(data_dir)) else "no master is stored"
            if "previous master is kept" not in reason:
                print(f"Nothing was changed: {kept}.", file=err)
            return 130 if isinstance(exc, KeyboardInterrupt) else EXIT_FAIL
        if args.machine:
            out.write(orjson.dumps({"source": outcome.source, "format": outcome.fmt, "kept": outcome.kept,
                                    "skipped": dict(outcome.skipped), "examples": outcome.examples,
                                    "seconds": outcome.seconds}).decode() + "\n")
            return EXIT_OK
        for line in outcome.lines():
            print(line, file=out)
        print(f"stored in {store.path_in(Path(data_dir))} ({outcome.seconds:.1f} s)", file=out)
        return EXIT_OK
    catalog = _catalog_for_cli(data_dir, err)
    if catalog is None:
        return EXIT_FAIL
    today = now_ist().date()
    if cmd == "search":
        results = catalog.search(" ".join(args.query), max(1, args.limit), today=today)  # type: ignore[attr-defined]
        if args.json:
            out.write(orjson.dumps([to_json(i) for i in results]).decode() + "\n")
        else:
            for inst in results:
                print(f"{inst.token:>9}  {'NSE' if inst.instrument_type == 'EQ' else 'NFO'}  {inst.display}", file=out)
            if not results:
                print("no match", file=err)
        return EXIT_OK if results else EXIT_FAIL
    inst = catalog.get(args.token.strip())  # type: ignore[attr-defined]
    if inst is None:
        print(f"error: token {args.token} is not in the instrument master", file=err)
        return EXIT_FAIL
    data = to_json(inst)
    expired = inst.expired_message(today)
    if args.json:
        out.write(orjson.dumps({**data, "expired": expired is not None}).decode() + "\n")
    else:
        for key, value in data.items():
            print(f"{key:<16} {value if value is not None else ''}", file=out)
        if expired:
            print(f"note             {expired}: it cannot be traded", file=out)
    return EXIT_OK


def add_report_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``report [--date D] [--csv F]``: the day report from the journal."""
    p_rep = sub.add_parser("report", help="the day report: fills, realised/unrealised P&L, charges (estimated and "
                                          "reported), net — from the order journal")
    p_rep.add_argument("--date", metavar="YYYY-MM-DD", help="the trading day (default: today, IST)")
    p_rep.add_argument("--csv", metavar="FILE", help="also write the report as CSV (UTF-8 with BOM, opens in Excel)")
    p_rep.add_argument("--paper", action="store_true", help="the paper account's day (paper-journal.db)")
    p_rep.add_argument("--data-dir", help=argparse.SUPPRESS)


def report_command(args: argparse.Namespace, out=None, err=None) -> int:  # type: ignore[no-untyped-def]
    """Print the day report of ``--date`` (today by default) read from the journal without locking it (the app
    may be running); ``--csv`` writes it too. Exit 0, or 2 with one sentence when there is nothing to read."""
    out = out or sys.stdout
    err = err or sys.stderr
    from datetime import date as date_cls
    from pathlib import Path

    from .config import home_data_dir
    from .domain.nsetime import now_ist
    from .services.paper import PAPER_JOURNAL
    from .services.report import build, reported_by_order, text_lines, write_csv
    from .services.shadow import SHADOW_FILE, read_shadow, summarise
    from .store.journal import Journal, JournalUnavailable

    try:
        day = date_cls.fromisoformat(args.date) if args.date else now_ist().date()
    except ValueError:
        print(f"error: --date {args.date!r} is not a date like 2026-12-04", file=err)
        return 2
    data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else home_data_dir(getattr(args, "home", None))
    try:
        journal = Journal.read_only(data_dir, name=PAPER_JOURNAL) if getattr(args, "paper", False) else \
            Journal.read_only(data_dir)
    except JournalUnavailable as exc:
        print(f"error: {exc}", file=err)
        return 2
    try:
        from .domain.orders import OrderRecord

        rows = journal.orders_for(day)
        records = [OrderRecord.from_journal(j, None) for j in rows]
        for record, row in zip(records, rows, strict=True):
            record.status = row.status  # the journal's word as it stands (no "Unknown since restart" relabel)
        reported = reported_by_order(journal.events_for, (r.local_id for r in records))
    finally:
        journal.close()
    catalog = _catalog_for_cli(data_dir, err)
    lookup = catalog.get if catalog is not None else (lambda _token: None)  # type: ignore[attr-defined]
    label = None
    if getattr(args, "paper", False):  # every row of a paper report says so, on screen and in the CSV
        def label(token: str) -> str:
            instrument = lookup(token)
            return f"PAPER · {instrument.display if instrument is not None else token}"
    report = build(day, records, lookup, reported=reported, label=label)
    # live mode with shadow fills: the day's slippage against the paper twins (not the paper account's report)
    shadow, unread = read_shadow(data_dir / SHADOW_FILE, day) if not getattr(args, "paper", False) else ([], 0)
    if shadow:
        report.shadow = summarise(shadow)
    if getattr(args, "paper", False):
        print("PAPER — paper trading, no order reached the exchange", file=out)
    for line in text_lines(report):
        print(line, file=out)
    if unread:
        print(f"{unread} shadow-fill line(s) could not be read and were left out", file=err)
    if args.csv:
        write_csv(report, Path(args.csv))
        print(f"CSV written to {args.csv}", file=err)
    return 0
