"""Child process for the kill -9 test of protective triggers: a desk on DATA_DIR (fake client) with a long position
and an armed stop; a tick crosses it and the process stops dead at MOMENT — ``decided`` (the firing journalled, its
exit not handed to the ledger yet) or ``sent`` (the exit journalled and on the wire, the trigger's own record of it
not yet written) — says so on stdout and waits to be killed. usage: trigger_child.py DATA_DIR MOMENT"""

from __future__ import annotations

import sys
from pathlib import Path

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.store.journal import Journal
from tests.desk.fakes import FakeClient, make_desk, ticks, update


def main(folder: str, moment: str) -> None:
    journal = Journal.open(Path(folder))
    desk, _prefs, _notices = make_desk(journal)
    client = FakeClient()
    desk.attach(client)
    desk.on_event(ticks(t2885=1250_00))
    entry = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    client.emit(OrderEvent(entry.local_id, update("2885", "Executed", quantity=10, price=1250_00)))
    trigger = desk.triggers.protect("2885", stop=1245_00)
    place = desk.ledger.place

    def dying(request, source):
        if moment == "decided":
            print(f"{moment} {trigger.id}", flush=True)
            sys.stdin.read()  # killed here
        record = place(request, source)
        print(f"{moment} {trigger.id}", flush=True)
        sys.stdin.read()  # killed here
        return record

    desk.triggers.use_placer(dying)
    desk.on_event(ticks(t2885=1244_00))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
