"""``python -m benchmarks.risk``: what the risk gate adds to one order, measured alone (the order → wire figure of
``benchmarks.ab --only orders`` is ~10 ms of socket, journal and event loop on a shared machine, too noisy to
resolve 0.2 ms).

A desk (no Qt, no socket: the tests' fake client) with a busy book — 40 positions from this app's fills, 60 orders
still open, every limit on and the loss counted net of estimated charges (the slowest exposure build) — then
``desk.risk.assess`` (what ``OrderLedger.place`` adds per order) and ``desk.ledger.check`` (the ticket's preview) timed
over many calls; the same on a small book (``_small``); prints p50/p99 in ms as JSON. Target: assess ≤ 0.2 ms.
On a shared machine the p99 catches the scheduler's time slices (~4 ms); run it on a quiet one for the p99.
"""

from __future__ import annotations

import sys
import time

import orjson

from .common import ROOT, percentile


def measure(calls: int = 3000, positions: int = 40, open_orders: int = 60, tag: str = "") -> dict[str, float]:
    """p50/p99 of the gate's per-order cost on a book of ``positions`` fills and ``open_orders`` open ones."""
    sys.path.insert(0, str(ROOT))
    from airalgo_desktop.api.events import OrderEvent
    from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
    from airalgo_desktop.services.risk import RiskLimits, Source
    from tests.desk.fakes import MASTER, FakeClient, make_desk, ticks, update

    desk, _prefs, _notices = make_desk(None)
    client = FakeClient()
    desk.attach(client)
    tokens = [i.token for i in MASTER if i.prev_close][:positions]
    desk.on_event(ticks(**{f"t{t}": MASTER.get(t).prev_close for t in tokens}))  # type: ignore[union-attr]
    for i, token in enumerate(tokens):
        record = desk.ledger.place(OrderRequest(token, Side.BUY, OrderKind.MARKET, 1 + i % 3))
        client.emit(OrderEvent(record.local_id, update(token, "Executed", side=Side.BUY, quantity=1 + i % 3,
                                                       price=MASTER.get(token).prev_close)))  # type: ignore[union-attr]
    for i in range(open_orders):  # orders still open at the exchange (no answer yet)
        token = tokens[i % len(tokens)]
        price = MASTER.get(token).prev_close * 9 // 1000 * 100  # whole rupees: on every tick grid  # type: ignore[union-attr]
        desk.ledger.place(OrderRequest(token, Side.BUY, OrderKind.LIMIT, 1, price=price, ltp=price))
    desk.risk.set_limits(RiskLimits(max_day_loss=1_00_000_00, loss_net_of_charges=True, max_orders_per_minute=10**6,
                                    max_orders_per_day=10**6, max_lots_per_instrument=10**6,
                                    max_lots_per_underlying=10**6, max_order_value=10**12,
                                    max_premium_sold_per_underlying=10**12))
    request = OrderRequest(tokens[0], Side.BUY, OrderKind.MARKET, 1)
    out: dict[str, float] = {}
    for name, call in (("assess", lambda: desk.risk.assess(request, Source.TICKET)),
                       ("check", lambda: desk.ledger.check(request))):
        for _ in range(200):
            call()
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        out[f"risk_{name}{tag}_p50_ms"] = percentile(times, 50)
        out[f"risk_{name}{tag}_p99_ms"] = percentile(times, 99)
    return out


if __name__ == "__main__":
    # a busy automation book (40 positions, 60 open orders) and a trader's (5 and 3), every limit on in both
    print(orjson.dumps({**measure(), **measure(positions=5, open_orders=3, tag="_small")}).decode())
