"""The paper account part: a desk whose orders go to the paper exchange (``services/paper.py``), never to the
exchange. Qt-free.

A paper session is built by composition, so "paper" cannot be forgotten by one code path: the desk opens its own
journal (``paper-journal.db``, :data:`PAPER_JOURNAL`; the live ``journal.db`` is never opened), and every connection
it is attached to is a :class:`~airalgo_desktop.services.paper.PaperSession` made by :meth:`PaperDesk.session` —
market data from the live (or demo) connection, orders to the paper exchange, the live connection held without the
ability to send one. The ledger's one ``place`` (ticket, chain, triggers, baskets, the kill switch), the risk gate,
positions and the day report then work unchanged against paper state.

Settings (capital, slippage) are the trader's, kept in ``paper.json`` beside the journal. A full reset (a fresh
paper day) is :func:`archive_paper_journal` before the desk opens (``--paper-reset``); in a running session
:meth:`PaperDesk.reset` cancels the open paper orders and restores the capital once the paper positions are flat.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..domain.clock import Clock, process_clock
from ..domain.money import Paisa
from ..domain.orders import OrderRecord, Side
from ..services.paper import (
    KILL_REASON,
    PAPER_JOURNAL,
    PAPER_KEY,
    PAPER_LABEL,
    LiveFeed,
    PaperExchange,
    PaperModeError,
    PaperSession,
    PaperSettings,
)
from ..services.positions import Fill
from .notices import FillsBooked
from .part import DeskContext, Part

log = logging.getLogger("airalgo.desk")

SETTINGS_FILE = "paper.json"

__all__ = ["PAPER_JOURNAL", "PAPER_LABEL", "SETTINGS_FILE", "PaperChanged", "PaperDesk", "PaperModeError",
           "archive_paper_journal"]


@dataclass(frozen=True, slots=True)
class PaperChanged:
    """The paper account changed: new settings, or a reset (``cancelled`` open orders answered *Rejected*)."""

    settings: PaperSettings
    cancelled: int = 0


class PaperDesk(Part):
    """The paper account of a paper-mode desk: the exchange, its settings, and the sessions that reach it.

    ``records``: the ledger's order records; ``settings_file``: where the trader's capital and slippage are kept
    (None: not kept, tests)."""

    def __init__(self, ctx: DeskContext, records: dict[str, OrderRecord], *, settings_file: Path | None = None,
                 clock: Clock = process_clock, exchange: PaperExchange | None = None) -> None:
        self.ctx = ctx
        self.records = records  # the ledger's (read only: the margin book after a restart)
        self.settings_file = settings_file
        self.exchange = exchange or PaperExchange(ctx.master, self._load(), clock=clock)
        self._net: dict[str, int] = {}  # the desk's paper positions (from the ledger's fills): token → quantity
        self._fills: list[Fill] = []
        ctx.on(FillsBooked, self._on_fills)

    # ---------------------------------------------------------------- sessions
    def session(self, feed: LiveFeed) -> PaperSession:
        """The connection to attach the desk to: ``feed``'s market data, this account's orders."""
        return PaperSession(feed, self.exchange)

    def restore(self) -> dict[str, int]:
        """After the ledger read the paper journal: the exchange's margin book from the day's executed paper orders
        (open ones rest again when the next session follows them). Returns token → net quantity."""
        return self.exchange.restore_positions(self.records.values())

    # ---------------------------------------------------------------- settings
    @property
    def settings(self) -> PaperSettings:
        """Capital and fill model in force."""
        return self.exchange.settings

    def apply(self, settings: PaperSettings) -> PaperSettings:
        """New capital or slippage (ValueError, in one sentence per field, when implausible: nothing changes)."""
        self.exchange.apply(settings)
        self._save(settings)
        self.ctx.publish(PaperChanged(settings))
        return settings

    def reset(self, settings: PaperSettings | None = None) -> int:
        """Cancel every open paper order and restore the capital (or set a new one). Refused (ValueError) while
        paper positions are open: square them off first, or start a fresh paper day with ``--paper-reset``."""
        open_positions = sorted(token for token, qty in self._net.items() if qty)
        if open_positions:
            raise ValueError(f"{len(open_positions)} paper position(s) are open: square them off first, or start "
                             "a fresh paper day with --paper-reset.")
        if settings is not None:
            settings.checked()
        cancelled = self.exchange.reset(settings)
        if settings is not None:
            self._save(settings)
        self.ctx.publish(PaperChanged(self.exchange.settings, cancelled))
        return cancelled

    def cancel_open(self) -> int:
        """The kill switch in paper mode: every open paper order is answered *Rejected* ("Cancelled by the kill
        switch") — here, unlike at the exchange, the app can cancel. Returns how many."""
        return len(self.exchange.engine.cancel_open(PAPER_KEY, KILL_REASON))

    def margin(self) -> tuple[float, Paisa]:
        """Margin in use and the paper capital (paisa)."""
        return self.exchange.margin()

    # ---------------------------------------------------------------- the ledger's fills
    def _on_fills(self, notice: FillsBooked) -> None:
        if notice.replaced is not None:
            self._fills = list(notice.replaced)
        self._fills.extend(notice.added)
        net: dict[str, int] = {}
        for fill in self._fills:
            net[fill.token] = net.get(fill.token, 0) + (fill.quantity if fill.side is Side.BUY else -fill.quantity)
        self._net = net

    # ---------------------------------------------------------------- the settings file
    def _load(self) -> PaperSettings:
        path = self.settings_file
        if path is None or not path.is_file():
            return PaperSettings()
        try:
            return PaperSettings.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            log.warning("paper settings %s unreadable (%s): the defaults are used", path, exc)
            return PaperSettings()

    def _save(self, settings: PaperSettings) -> None:
        path = self.settings_file
        if path is None:
            return
        tmp = path.with_name(path.name + ".new")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(settings.to_json()), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # the account still uses them for this run
            log.error("paper settings not saved to %s: %s", path, exc)
            with contextlib.suppress(OSError):
                tmp.unlink()


def archive_paper_journal(data_dir: Path, stamp: str | None = None) -> Path | None:
    """A fresh paper day: ``paper-journal.db`` (with its side files) moved aside as ``paper-journal-<stamp>.db``
    before a desk opens it. The live journal is not touched. Returns the archive, None when there was none."""
    source = data_dir / PAPER_JOURNAL
    if not source.exists():
        return None
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    target = data_dir / f"{source.stem}-{stamp}.db"
    os.replace(source, target)
    for suffix in ("-wal", "-shm", ".pending"):
        side = data_dir / f"{PAPER_JOURNAL}{suffix}"
        if side.exists():
            os.replace(side, data_dir / f"{target.name}{suffix}")
    log.info("paper journal archived as %s", target.name)
    return target
