from __future__ import annotations

from datetime import date

from airalgo_desktop.domain.instruments import Instrument, InstrumentMaster, Master, parse_token
from airalgo_desktop.instruments import Catalog


def test_master_lookup_keeps_the_first_row_of_a_token() -> None:
    master = InstrumentMaster([Instrument("1", "ONE"), Instrument("2", "TWO"), Instrument("1", "AGAIN")])
    assert len(master) == 2 and master["1"].symbol == "ONE" and master.get("3") is None
    assert "2" in master and "3" not in master and [i.symbol for i in master] == ["ONE", "TWO"]


def test_the_plain_master_and_the_catalog_are_both_a_master() -> None:
    """One master type: everything below instruments/ takes a ``Master``; the app passes a ``Catalog``."""
    rows = [Instrument("22", "ACC", "ACC Ltd"), Instrument("2885", "RELIANCE", "Reliance Industries")]
    members = [name for name in vars(Master) if name in ("__len__", "__iter__", "__contains__", "__getitem__", "get")]
    assert len(members) == 5
    for master in (InstrumentMaster(rows), Catalog(rows)):
        assert all(callable(getattr(master, name)) for name in members)
        assert len(master) == 2 and "22" in master and master["2885"].symbol == "RELIANCE"
        assert master.get("1") is None and {i.token for i in master} == {"22", "2885"}
    assert not hasattr(InstrumentMaster, "merge")  # a re-import replaces the master, never merges into it


def test_expiry_and_labels() -> None:
    fut = Instrument("35013", "NIFTY25FEBFUT", "NIFTY", instrument_type="FUT", expiry=date(2025, 2, 27))
    assert fut.display == "NIFTY FEB 2025 FUT" and fut.api_instrument == "FUTIDX"
    assert fut.expired_message(date(2025, 2, 28)) == "NIFTY FEB 2025 FUT expired on 27 Feb 2025"
    assert fut.expired_message(date(2025, 2, 27)) is None
    assert parse_token(" 2885.0 ") == "2885" and parse_token("²") is None
