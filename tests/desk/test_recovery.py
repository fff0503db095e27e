"""Restart recovery: unanswered orders come back as Unknown, are never resent, and resolve when answered — through
the one restore path (the desk's order ledger), on a real client and the real simulator."""

from __future__ import annotations

import asyncio

from airalgo_desktop.api.client import AirAlgoClient
from airalgo_desktop.desk import TradingDesk
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.journal import Journal
from tests.api.conftest import fast_config


async def test_restart_shows_unknown_then_resolves_without_resend(sim, tmp_path) -> None:
    sim.engine.fill_delay = 0.8
    sim.set_reply_delay(0.4)  # the first run dies before any answer arrives
    journal = Journal.open(tmp_path)
    client = AirAlgoClient(fast_config(sim))
    desk = TradingDesk(sim.master, journal, Prefs(MemoryStore()))
    desk.attach(client)
    await client.start()
    await client.wait_for(lambda s: s.joined, 5)
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 3))
    (journaled,) = journal.orders_for(now_ist().date())
    assert journaled.status is OrderStatus.SENT  # on disk before any answer
    await asyncio.sleep(0.1)
    await desk.disconnect()  # "crash": no answer was seen
    desk.close()
    sim.set_reply_delay(0)

    journal2 = Journal.open(tmp_path)
    client2 = AirAlgoClient(fast_config(sim))
    desk2 = TradingDesk(sim.master, journal2, Prefs(MemoryStore()))
    assert [r.local_id for r in desk2.ledger.restore()] == [record.local_id]
    recovered = desk2.ledger.records[record.local_id]
    assert recovered.status is OrderStatus.UNKNOWN and "Not resent" in recovered.message
    desk2.attach(client2)  # the ledger follows it on the new connection, never resends it
    await client2.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while recovered.status is not OrderStatus.EXECUTED and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert recovered.status is OrderStatus.EXECUTED and recovered.order_number
    assert len(sim.stats.orders_received) == 1  # never resent
    (final,) = journal2.orders_for(now_ist().date())
    assert final.status is OrderStatus.EXECUTED and final.order_number == recovered.order_number
    await desk2.disconnect()
    desk2.close()
