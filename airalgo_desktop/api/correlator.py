"""Which ticket an ``order_response`` answers: a plain object, no I/O, no clock.

``order_response`` pushes carry ``ref: null`` (protocol-notes §6), so the first answer is matched to the oldest
unanswered ticket with the same token, side, quantity and kind; after that the exchange's ``order_number`` names
the order. An order sent once is never sent again: when the connection is lost before any answer it becomes
*unknown* (:meth:`OrderCorrelator.connection_lost`), and a later answer still resolves it. An answer for an order
already final comes out as :class:`~airalgo_desktop.api.events.LateOrderResponse` (kept, never applied).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..domain.orders import OrderRequest, OrderStatus, OrderUpdate
from ..logs import redact_value
from .events import LateOrderResponse, OrderEvent, OrderUnknown

log = logging.getLogger("airalgo.api.channel")


@dataclass
class _InFlight:
    request: OrderRequest
    sent_at: float
    order_number: str | None = None
    status: OrderStatus = OrderStatus.SENT
    answered: bool = False


class OrderCorrelator:
    """The orders of one session that may still get an answer, keyed by local id and by exchange order number."""

    def __init__(self) -> None:
        self._orders: OrderedDict[str, _InFlight] = OrderedDict()  # oldest first: the matching order
        self._by_number: dict[str, str] = {}
        self._final: dict[str, OrderUpdate] = {}  # local id -> the answer that made it final (for late answers)

    def __contains__(self, local_id: object) -> bool:
        """True when ``local_id`` is followed (sent this session or tracked) and not final yet."""
        return local_id in self._orders

    def sent(self, local_id: str, request: OrderRequest, now: float) -> None:
        """An order frame is about to be written. Raises ``ValueError`` for a local id already sent."""
        if local_id in self._orders:
            raise ValueError(f"order {local_id} was already sent; orders are never sent twice")
        self._orders[local_id] = _InFlight(request, now)

    def track(self, local_id: str, request: OrderRequest, *, order_number: str | None = None,
              sent_at: float = 0.0) -> None:
        """Follow an order sent earlier (e.g. by a previous run, from the journal) so that late responses are
        correlated to it. Nothing is sent."""
        if local_id in self._orders:
            return
        self._orders[local_id] = _InFlight(request, sent_at, order_number, answered=order_number is not None)
        if order_number:
            self._by_number[order_number] = local_id

    def connection_lost(self) -> list[OrderUnknown]:
        """Every sent order without any answer becomes unknown (once): it is *not* resent."""
        lost = []
        for local_id, inflight in self._orders.items():
            if not inflight.answered and inflight.status is OrderStatus.SENT:
                inflight.status = OrderStatus.UNKNOWN
                lost.append(OrderUnknown(local_id, inflight.request))
                log.warning("order %s got no answer before the connection was lost: unknown, not resent", local_id)
        return lost

    def answer(self, payload: Any) -> OrderEvent | LateOrderResponse | None:
        """The event for one ``order_response`` payload, or None when it is unusable. Server text is redacted and
        bounded before anything keeps, shows or journals it."""
        update = OrderUpdate.from_payload(redact_value(payload))
        if update is None:
            return None
        local_id = self._by_number.get(update.order_number) if update.order_number else None
        if local_id is not None and local_id not in self._orders and local_id in self._final:
            return LateOrderResponse(local_id, update, self._final[local_id])
        if local_id is None:
            for candidate, inflight in self._orders.items():  # oldest first
                if not inflight.answered and update.matches(inflight.request):
                    local_id = candidate
                    break
            if local_id is not None:
                inflight = self._orders[local_id]
                inflight.answered = True
                if update.order_number:
                    inflight.order_number = update.order_number
                    self._by_number[update.order_number] = local_id
        if local_id is not None and update.status is not None:
            inflight = self._orders[local_id]
            inflight.status = update.status
            if update.status.is_final:
                del self._orders[local_id]  # the order-number map keeps resolving late answers
                self._final[local_id] = update
        return OrderEvent(local_id, update)


__all__ = ["OrderCorrelator"]
