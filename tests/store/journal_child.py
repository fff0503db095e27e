"""Child process for the two-instance test: one "window" on a data dir. Opens the journal, says which file it got,
waits for "go" on stdin, journals COUNT orders (sent + answer, as the app does), says "done", and closes when stdin
ends. usage: journal_child.py DATA_DIR PREFIX COUNT"""

from __future__ import annotations

import sys
from pathlib import Path

from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.orders import OrderRecord
from airalgo_desktop.store.journal import Journal


def main(folder: str, prefix: str, count: int) -> None:
    journal = Journal.open(Path(folder))
    print(f"opened {journal.path.name} notice={bool(journal.notice)}", flush=True)
    sys.stdin.readline()
    for i in range(count):
        record = OrderRecord(f"{prefix}{i}", OrderRequest("2885", Side.BUY, OrderKind.MARKET, i + 1), "RELIANCE",
                             now_ist(), sent_at=1.0)
        journal.record_sent(record)
        record.status, record.order_number, record.executed_price = OrderStatus.EXECUTED, f"9{i}", 120275
        journal.record_update(record, None, None)
    print("done", flush=True)
    sys.stdin.read()
    journal.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
