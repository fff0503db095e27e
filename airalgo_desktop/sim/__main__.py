"""``python -m airalgo_desktop.sim``: run the AirAlgo-compatible simulator on its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys
from pathlib import Path

from ..domain.instruments import InstrumentMaster
from ..domain.money import parse_rupees
from ..instruments.catalog import Catalog
from ..instruments.formats import MasterError, parse
from .server import Malformed, SimConfig, SimServer, TokenFault


def build_parser() -> argparse.ArgumentParser:
    """The simulator's command line."""
    p = argparse.ArgumentParser(
        prog="python -m airalgo_desktop.sim",
        description="AirAlgo-compatible server: token endpoint + Phoenix websocket on one port.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                   help="an accepted API key (repeatable; default: demo)")
    p.add_argument("--rate", type=float, default=4.0, metavar="HZ", help="market steps per second (default 4)")
    p.add_argument("--activity", type=float, default=0.6, help="chance a token trades each step (default 0.6)")
    p.add_argument("--token-ttl", type=float, default=None, metavar="SECONDS", help="access token lifetime")
    p.add_argument("--idle-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="close sockets that send nothing for this long (default 60, like Phoenix)")
    p.add_argument("--margin-limit", default="50000", metavar="RUPEES",
                   help="account margin; orders needing more are rejected (default 50000)")
    p.add_argument("--fill-delay", type=float, default=0.2, metavar="SECONDS",
                   help="delay between Pending and Executed for market orders (default 0.2)")
    p.add_argument("--instruments", type=Path,
                   help="instrument master, our CSV or a broker's (default: the demo universe of today)")
    p.add_argument("--synthetic", type=int, default=0, metavar="N", help="add N synthetic instruments")
    p.add_argument("--seed", type=int, help="random seed for a repeatable market")
    p.add_argument("--stamp", action="store_true", help="add the send time (\"ts\") to every quote (benchmarks)")
    p.add_argument("--log-level", default="INFO")
    f = p.add_argument_group("fault injection (all optional)")
    f.add_argument("--drop-every", type=float, metavar="S", help="cut every socket every S seconds")
    f.add_argument("--malformed-every", type=float, metavar="S", help="push a malformed frame every S seconds")
    f.add_argument("--malformed-kind", default="not_json", choices=[m.value for m in Malformed])
    f.add_argument("--expire-every", type=float, metavar="S", help="expire all access tokens every S seconds")
    f.add_argument("--crash-every", type=float, metavar="S", help="send phx_error to every channel every S seconds")
    f.add_argument("--restart-every", type=float, metavar="S", help="restart the listener every S seconds")
    f.add_argument("--mute-at", type=float, metavar="S", help="mute the feed S seconds after start")
    f.add_argument("--stall-at", type=float, metavar="S", help="stall S seconds after start")
    f.add_argument("--stall-for", type=float, default=30.0, metavar="S", help="how long a stall lasts (default 30)")
    f.add_argument("--reply-delay", type=float, default=0.0, metavar="S", help="delay every frame sent by S seconds")
    f.add_argument("--token-fault", choices=[t.value for t in TokenFault], help="break the token endpoint")
    return p


async def _every(period: float, action) -> None:  # type: ignore[no-untyped-def]
    while True:
        await asyncio.sleep(period)
        await action()


async def _at(delay: float, action) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(delay)
    await action()


async def run(args: argparse.Namespace) -> int:
    """Start the server, print the .env lines, run until Ctrl+C / SIGTERM."""
    master = None
    if args.instruments:
        try:  # the importer's parser: the same layouts, units and refusals as the app's import
            builder, _ = parse(args.instruments, args.instruments.name)
        except MasterError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        for reason, count in builder.skipped.most_common():
            example = builder.examples.get(reason)
            print(f"warning: {args.instruments}: {count:,} rows skipped: {reason}"
                  + (f" (e.g. {example})" if example else ""), file=sys.stderr)
        master = InstrumentMaster(Catalog.from_arrays(builder.arrays()))
    cfg = SimConfig(
        host=args.host, port=args.port, api_keys=tuple(args.api_keys or ["demo"]), rate_hz=args.rate,
        token_ttl=args.token_ttl, idle_timeout=args.idle_timeout, margin_limit=parse_rupees(args.margin_limit),
        fill_delay=args.fill_delay, activity=args.activity, seed=args.seed, instruments=master,
        synthetic=args.synthetic, stamp=args.stamp,
    )
    with contextlib.suppress(ValueError):
        if not ipaddress.ip_address(args.host).is_loopback:
            print(f"warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    server = SimServer(cfg)
    await server.start()
    server.set_reply_delay(args.reply_delay)
    if args.token_fault:
        server.set_token_fault(args.token_fault)
    print(f"AirAlgo simulator on {cfg.host}:{server.port} "
          f"({len(server.master)} instruments, keys: {', '.join(sorted(server.api_keys))})")
    print("Put these lines in your .env (or the environment) to use it:\n")
    print(server.env_lines(), flush=True)

    async def drop() -> None:
        server.drop_all()

    async def malformed() -> None:
        server.send_malformed(args.malformed_kind)

    async def expire() -> None:
        server.expire_tokens()

    async def crash() -> None:
        server.crash_channels()

    async def mute() -> None:
        server.mute_feed()

    async def stall() -> None:
        server.stall(True)
        await asyncio.sleep(args.stall_for)
        server.stall(False)

    tasks = []
    for period, action in ((args.drop_every, drop), (args.malformed_every, malformed),
                           (args.expire_every, expire), (args.crash_every, crash),
                           (args.restart_every, server.restart)):
        if period:
            tasks.append(asyncio.create_task(_every(period, action)))
    if args.mute_at is not None:
        tasks.append(asyncio.create_task(_at(args.mute_at, mute)))
    if args.stall_at is not None:
        tasks.append(asyncio.create_task(_at(args.stall_at, stall)))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await server.stop()
        print("simulator stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    from ..console import utf8_console

    utf8_console()
    args = build_parser().parse_args(argv)
    from ..logs import setup_console_logging

    setup_console_logging(args.log_level)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
