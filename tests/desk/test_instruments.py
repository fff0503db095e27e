"""The instrument book: a new master marks rows and never relabels them; nothing master-sized at start."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from airalgo_desktop.desk import (
    InstrumentBook,
    InstrumentsChanged,
    TradingDesk,
)
from airalgo_desktop.domain.instruments import InstrumentMaster
from airalgo_desktop.settings import MemoryStore, Prefs
from tests.desk.fakes import MASTER, context, of


def test_a_new_master_marks_rows_never_relabels_them(tmp_path) -> None:
    """Tokens on screen whose meaning changed or vanished are marked with what they meant; expired ones too."""

    from airalgo_desktop.desk import staleness
    from airalgo_desktop.domain.clock import FixedClock, use_clock
    from airalgo_desktop.domain.instruments import Instrument
    from airalgo_desktop.domain.nsetime import IST
    from airalgo_desktop.instruments import Catalog

    # the demo universe of the day has no dead contracts: add the FEB 2025 future a stale master would still carry
    dead = Instrument("49013", "NIFTY25FEBFUT", "NIFTY", "NFO", "NFO", "FUT", date(2025, 2, 27), lot_size=75)
    desk = TradingDesk(InstrumentMaster([*MASTER, dead]), None, prefs := Prefs(MemoryStore()), clock=lambda: 5000.0)
    notices: list = []
    desk.add_listener(notices.append)
    desk.instruments.recheck(["2885", "3045", "49013"])
    book = desk.instruments
    assert book.labels["3045"] == "SBIN" and "49013" in book.marks and "expired on 27 Feb 2025" in book.marks["49013"]
    assert prefs.instrument_labels()["3045"] == "SBIN"  # remembered across restarts
    # a master dated "today" is not stale: today by the desk's clock, frozen (the wall clock's UTC date is the
    # day before IST's every evening from 18:30 UTC)
    today = date(2026, 12, 31)
    far = today + timedelta(days=30)
    new = Catalog([Instrument("2885", "RELIANCE"), Instrument("3045", "SBICARD"),
                   Instrument("99", "NIFTY99FUT", "NIFTY", "NFO", "NFO", "FUT", far)],
                  meta={"source": "test", "master_date": today.isoformat()})
    with use_clock(FixedClock(datetime(2026, 12, 31, 23, 30, tzinfo=IST))):
        desk.instruments.swap(new, ["2885", "3045", "49013"], imported=True)
    notice = of(notices, InstrumentsChanged)[-1]
    assert set(notice.marks) == {"3045", "49013"} and "now means SBICARD" in notice.marks["3045"]
    assert "not in the instrument master (it was NIFTY FEB 2025 FUT)" in notice.marks["49013"]
    assert desk.instruments.label("3045") == "SBIN" and notice.stale is None
    desk.instruments.remember("3045")  # the trader re-added it: the new meaning is theirs now
    assert desk.instruments.labels["3045"] == "SBICARD" and "3045" not in desk.instruments.marks
    old = {"master_date": (today - timedelta(days=10)).isoformat()}
    assert "from 10 days ago" in staleness(old, today)


def test_a_remembered_csv_is_never_read_at_start(tmp_path) -> None:
    """Issue 19 item 15: the old "instruments/csv" setting (a 250k-row junk CSV re-parsed on the UI thread at every
    start) is ignored; live starts read only the stored master, after the window, off the loop."""
    junk = tmp_path / "junk.csv"
    junk.write_text("token,symbol\n" + "".join(f"²{i},JUNK{i}\n" for i in range(5000)))
    store = MemoryStore()
    store.setValue("instruments/csv", str(junk))
    live = TradingDesk.open(tmp_path / "data", Prefs(store), demo=False)
    assert len(live.master) == 0 and live.master.meta.get("loading")
    demo = TradingDesk.open(tmp_path / "data2", Prefs(store), demo=True)
    assert "2885" in demo.master and not any(i.symbol.startswith("JUNK") for i in demo.master)
    live.close()
    demo.close()


def test_the_book_alone_rechecks_the_rows_other_parts_name() -> None:
    """Rows of interest named by other parts (positions, alerts: wired by the hub) are rechecked with the screen's."""
    ctx, bus = context(InstrumentMaster(MASTER))
    book = InstrumentBook(ctx)
    held = {"404404"}
    book.add_interest(lambda: held)
    asyncio.run(book.load_master(["2885"]))
    notice = of(bus.notices, InstrumentsChanged)[0]
    assert notice.summary.startswith("Demo universe") and set(notice.marks) == {"404404"}
    assert book.label("2885") == "RELIANCE"
