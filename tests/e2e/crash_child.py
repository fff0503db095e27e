"""Child process for the crash test: places orders exactly as the app does (journal first, then send once),
prints one line per order, then waits to be killed. usage: crash_child.py HOME WS_URL TOKEN_URL KEY COUNT"""

from __future__ import annotations

import asyncio
import sys

from airalgo_desktop.api.client import AirAlgoClient, ClientConfig
from airalgo_desktop.app import Paths
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.orders import OrderService
from airalgo_desktop.store.journal import Journal


async def main(home: str, ws_url: str, token_url: str, key: str, count: int) -> None:
    journal = Journal.open(Paths.resolve(home).data)
    client = AirAlgoClient(ClientConfig(ws_url, token_url, key))
    service = OrderService(client, load_sample(), journal=journal)
    await client.start()
    await client.wait_for(lambda s: s.joined, 10)
    for i in range(count):
        record = service.place(OrderRequest("2885", Side.BUY if i % 2 == 0 else Side.SELL, OrderKind.MARKET, i + 1))
        print(f"placed {record.local_id}", flush=True)
        await asyncio.sleep(0.05)
    print("all placed", flush=True)
    await asyncio.sleep(3600)  # killed long before this


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
