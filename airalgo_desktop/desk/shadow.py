"""Shadow fills, a part of a live desk: every live order sent in this run is also paper-filled at the moment it is
sent, on a private paper exchange fed by the same ticks, so the live fill can be set beside the paper one and the
slippage read in ₹ and ticks (``services/shadow.py``). Qt-free.

The shadow exchange is not a connection: nothing is attached to it, no record or journal row is made for it, and
it never sees anything but copies of orders already sent. Its margin budget is unlimited (a shadow is never
refused for money the live account has).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..api.client import OrderValidationError
from ..api.events import Event, OrderEvent, Ticks
from ..domain.nsetime import now_ist
from ..domain.orders import OrderRecord, OrderStatus
from ..services.paper import MAX_CAPITAL, PaperExchange, PaperSettings
from ..services.shadow import ShadowFill, ShadowSummary, append_shadow, summarise
from .notices import OrderChanged
from .part import DeskContext, Part

log = logging.getLogger("airalgo.desk")


@dataclass(frozen=True, slots=True)
class ShadowFilled:
    """A live order's shadow pair changed (its paper or live fill became known)."""

    fill: ShadowFill
    summary: ShadowSummary


class ShadowDesk(Part):
    """Paper twins of the run's live orders. ``fills``: local id → its pair; ``keep``: the file complete pairs are
    appended to, for the day report."""

    def __init__(self, ctx: DeskContext, exchange: PaperExchange | None = None, *, keep: Path | None = None) -> None:
        self.ctx = ctx
        self.keep = keep  # shadow-fills.jsonl for the day report (None: not kept)
        self.exchange = exchange or PaperExchange(ctx.master, PaperSettings(capital=MAX_CAPITAL))
        self.exchange.add_listener(self._on_paper)
        self.fills: dict[str, ShadowFill] = {}
        self._seen: set[str] = set()  # local ids shadowed (or found unshadowable) once
        ctx.on(OrderChanged, self._on_order)

    def on_event(self, event: Event) -> None:
        """Ticks move the shadow exchange as they move the desk."""
        if isinstance(event, Ticks):
            self.exchange.on_ticks(event.quotes)

    def summary(self) -> ShadowSummary:
        """The run's shadow slippage, summed over the orders with both fills."""
        return summarise(self.fills.values())

    def _on_order(self, notice: OrderChanged) -> None:
        record = notice.record
        pair = self.fills.get(record.local_id)
        if pair is None:
            if record.sent_at is None or record.local_id in self._seen:
                return  # restored from the journal or refused by the limits (never sent): nothing to shadow
            self._seen.add(record.local_id)
            self._shadow(record)
            pair = self.fills.get(record.local_id)
            if pair is None:
                return
        if record.status is OrderStatus.EXECUTED and record.executed_price and pair.live_price != \
                record.executed_price:
            self._set(pair.with_live(record.executed_price))
        elif record.status in (OrderStatus.REJECTED, OrderStatus.EXPIRED):
            del self.fills[record.local_id]  # no live fill to compare with: a later paper fill is ignored

    def _shadow(self, record: OrderRecord) -> None:
        request = record.request
        instrument = self.ctx.master.get(request.token)
        if instrument is None:
            return
        ltp = self.ctx.store.ltp(request.token)
        if ltp:  # the price on the trader's screen at send time
            self.exchange.on_ticks({request.token: {"ltp": ltp}})
        self.fills[record.local_id] = ShadowFill(record.local_id, request.token, record.symbol, request.side,
                                                 request.quantity, instrument.tick_size)
        try:
            self.exchange.place_order(request, instrument, local_id=record.local_id)
        except OrderValidationError as exc:  # the live order was sent; its twin cannot be — no comparison
            log.info("shadow of %s not placed: %s", record.local_id, exc)
            self.fills.pop(record.local_id, None)

    def _on_paper(self, event: Event) -> None:
        if not isinstance(event, OrderEvent) or event.local_id is None:
            return
        pair = self.fills.get(event.local_id)
        if pair is None:
            return
        if event.update.status is OrderStatus.EXECUTED and event.update.executed_price:
            self._set(pair.with_paper(event.update.executed_price))

    def _set(self, pair: ShadowFill) -> None:
        self.fills[pair.local_id] = pair
        if pair.complete and self.keep is not None:
            try:
                append_shadow(self.keep, now_ist().date(), pair)
            except OSError as exc:  # the comparison is still shown; only the report will miss it
                log.error("shadow fill of %s not kept: %s", pair.local_id, exc)
        self.ctx.publish(ShadowFilled(pair, self.summary()))
