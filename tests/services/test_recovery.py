"""Restart recovery: unanswered orders come back as Unknown, are never resent, and resolve when answered."""

from __future__ import annotations

import asyncio

from airalgo_desktop.api.client import AirAlgoClient
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.orders import OrderService
from airalgo_desktop.store.journal import Journal
from tests.api.conftest import fast_config


async def test_restart_shows_unknown_then_resolves_without_resend(sim, tmp_path) -> None:
    sim.engine.fill_delay = 0.8
    sim.set_reply_delay(0.4)  # the first run dies before any answer arrives
    journal = Journal.open(tmp_path)
    client = AirAlgoClient(fast_config(sim))
    service = OrderService(client, sim.master, journal=journal)
    await client.start()
    await client.wait_for(lambda s: s.joined, 5)
    record = service.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 3))
    (journaled,) = journal.orders_for(now_ist().date())
    assert journaled.status is OrderStatus.SENT  # on disk before any answer
    await asyncio.sleep(0.1)
    await client.close()  # "crash": no answer was seen
    journal.close()
    sim.set_reply_delay(0)

    journal2 = Journal.open(tmp_path)
    client2 = AirAlgoClient(fast_config(sim))
    service2 = OrderService(client2, sim.master, journal=journal2)
    assert service2.recover(journal2.orders_for(now_ist().date())) == 1
    recovered = service2.records[record.local_id]
    assert recovered.status is OrderStatus.UNKNOWN and "Not resent" in recovered.message
    await client2.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while recovered.status is not OrderStatus.EXECUTED and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert recovered.status is OrderStatus.EXECUTED and recovered.order_number
    assert len(sim.stats.orders_received) == 1  # never resent
    (final,) = journal2.orders_for(now_ist().date())
    assert final.status is OrderStatus.EXECUTED and final.order_number == recovered.order_number
    await client2.close()
    journal2.close()
