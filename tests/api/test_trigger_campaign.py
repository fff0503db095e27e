"""Fault campaign for protective triggers against the real simulator (real sockets, 127.0.0.1): a position, a tight
OCO bracket around the LTP (it fires within a few ticks), and a fault around the firing — drops, restarts, stalls,
expired tokens, delayed answers — sometimes followed by a restart of the app itself (a new desk on the same
journal). For every schedule: the simulator received at most one exit per trigger, never more than the position.
The tally is printed."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from pathlib import Path

from airalgo_desktop.api.client import AirAlgoClient
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.triggers import TriggerState
from airalgo_desktop.store.journal import Journal
from tests.api.conftest import fast_config
from tests.api.test_fault_campaign import FAULTS, _fault, _wait
from tests.desk.fakes import make_desk

SCHEDULES = int(os.environ.get("AIRALGO_TRIGGER_CAMPAIGN", "30"))


async def _start(sim, folder: Path, seed: int):
    journal = Journal.open(folder)
    desk, _prefs, _notices = make_desk(journal)
    client = AirAlgoClient(fast_config(sim, heartbeat_interval=0.12, push_timeout=1.0, open_timeout=1.0),
                           rng=random.Random(seed))
    desk.attach(client)
    desk.subscriptions.want("campaign", ["2885"])
    await client.start()
    return journal, desk, client


async def test_trigger_fault_campaign(sim, tmp_path: Path, capsys) -> None:
    sim.engine.margin_limit = 10**15
    sim.engine.fill_delay = 0.04
    tally: Counter[str] = Counter()
    for seed in range(SCHEDULES):
        rng = random.Random(seed)
        qty = 100 + seed  # within the default order-value limit
        start = len(sim.stats.orders_received)  # the simulator's orders from here on are this schedule's
        journal, desk, client = await _start(sim, tmp_path / f"s{seed}", seed)
        assert await _wait(lambda d=desk, c=client: c.state.joined and d.store.ltp("2885"), 5), seed
        entry = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, qty))
        if not await _wait(lambda e=entry: e.status is OrderStatus.EXECUTED, 3):
            tally["entry_not_filled"] += 1
            await client.close()
            journal.close()
            continue
        ltp = desk.store.ltp("2885") or 0
        tick = 5
        trigger = desk.triggers.protect("2885", stop=ltp - tick * rng.randint(1, 4),
                                        target=ltp + tick * rng.randint(1, 4), buffer_ticks=rng.choice((None, 3)))
        fault = rng.choice(FAULTS)
        tally[fault] += 1
        await asyncio.sleep(rng.uniform(0.0, 0.12))
        await _fault(sim, fault, rng)
        sim.stall(False)
        sim.set_reply_delay(0)
        await _wait(lambda t=trigger: t.state is TriggerState.FIRED, 4)
        await _wait(lambda c=client: c.state.joined, 5)
        await asyncio.sleep(0.3)
        if rng.random() < 0.4:  # the app restarts: the same journal, a new desk and connection
            await client.close()
            journal.close()
            journal, desk, client = await _start(sim, tmp_path / f"s{seed}", seed + 1000)
            desk.ledger.restore()
            desk.triggers.restore()
            desk.triggers.rearm()  # even re-armed by the trader, a fired trigger stays fired
            await _wait(lambda c=client: c.state.joined, 5)
            await asyncio.sleep(0.3)
            tally["app_restarts"] += 1
        exits = [p["quantity"] for _k, p in sim.stats.orders_received[start:] if p["order_type"] == "S"]
        fired = [t for t in desk.triggers.triggers.values() if t.state is TriggerState.FIRED]
        assert len(exits) <= 1 and sum(exits) <= qty, f"schedule {seed}: exits {exits} of a {qty} long ({fault})"
        assert len(fired) <= 1
        tally["fired"] += len(fired)
        tally["exits_at_simulator"] += len(exits)
        await client.close()
        journal.close()
    with capsys.disabled():
        print("\ntrigger campaign tally:", dict(sorted(tally.items())))
    assert tally["fired"] >= SCHEDULES // 2  # the brackets really fire under the faults
