"""``python -m airalgo_desktop``: the app (default), ``doctor``, ``stream``, ``instruments`` and ``report``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .cli import (
    add_connection_flags,
    add_instrument_commands,
    add_report_command,
    doctor,
    instruments_command,
    report_command,
    stream,
)
from .console import utf8_console


def build_parser() -> argparse.ArgumentParser:
    """The command line of the app and its tools."""
    parser = argparse.ArgumentParser(prog="python -m airalgo_desktop",
                                     description="AirAlgo Desktop: NSE trading terminal for the AirAlgo API.")
    add_connection_flags(parser)
    sub = parser.add_subparsers(dest="command")
    p_doc = sub.add_parser("doctor", help="check configuration, keyring, token endpoint, join and heartbeat")
    add_connection_flags(p_doc)
    p_stream = sub.add_parser("stream", help="print one JSON line per token update: token, ltp_paisa (or "
                                             "ltp_rupees), ltq, ltt (exchange time, IST with offset)")
    add_connection_flags(p_stream)
    p_stream.add_argument("--rupees", action="store_true", help="print the price in rupees (ltp_rupees) instead "
                                                                "of integer paisa (ltp_paisa)")
    for tool in (p_doc, p_stream):
        tool.add_argument("-v", "--verbose", action="count", default=0,
                          help="also print library and connection logs on stderr (-vv: debug)")
    p_stream.add_argument("tokens", nargs="+", metavar="TOKEN")
    p_stream.add_argument("--seconds", type=float, default=None, help="exit 0 after this many seconds")
    p_stream.add_argument("--stall-timeout", type=float, default=None, metavar="S",
                          help="declare the feed stale after S s without ticks (applies at all hours)")
    p_stream.add_argument("--heartbeat", type=float, default=None, metavar="S", help=argparse.SUPPRESS)
    add_instrument_commands(sub)
    add_report_command(sub)
    gui = parser.add_argument_group("desktop app")
    gui.add_argument("--screenshot", metavar="PATH", help="save a grab of the main window once ticks have arrived "
                                                         "(or at --quit-after), then quit")
    gui.add_argument("--quit-after", type=float, metavar="S", help="quit cleanly after S seconds")
    gui.add_argument("--stall-timeout", type=float, default=None, metavar="S",
                     help="declare the feed stale after S s without ticks (applies at all hours)")
    gui.add_argument("--smoke-test", action="store_true",
                     help="open the window on the embedded simulator, wait for a tick, exit 0 (non-zero with a "
                          "reason after 20 s) — for installers and CI")
    gui.add_argument("--paper", action="store_true",
                     help="paper trading: live (or --demo) prices, orders filled by a paper exchange in this app, "
                          "never sent; its own journal (paper-journal.db)")
    gui.add_argument("--paper-reset", action="store_true",
                     help="with --paper: start a fresh paper day (the paper journal is archived; the live one is "
                          "untouched)")
    gui.add_argument("--shadow-fills", action="store_true",
                     help="live mode: also paper-fill every live order when it is sent, and show the live fill beside "
                          "the paper one with the slippage in rupees and ticks")
    gui.add_argument("--home", metavar="DIR", help="keep every file (settings, journal, bars, logs) under DIR "
                                                   "instead of the platform's folders (also AIRALGO_HOME)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    utf8_console()  # before any output, argparse's included
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for a restart in paper (or live) mode
    from .logs import setup_console_logging

    if args.command == "instruments":
        setup_console_logging("WARNING")
        return instruments_command(args)
    if args.command == "report":
        setup_console_logging("WARNING")
        return report_command(args)
    if args.command in ("doctor", "stream"):
        # the checklist and the JSON lines are the output; library INFO lines (websockets' "connection open"…)
        # only with -v
        setup_console_logging(("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)])
        try:
            return asyncio.run(doctor(args) if args.command == "doctor" else stream(args))
        except KeyboardInterrupt:
            return 130
    from .app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
