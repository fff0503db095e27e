from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from airalgo_desktop.domain.clock import FixedClock, use_clock
from airalgo_desktop.domain.instruments import Instrument, InstrumentMaster, load_csv, load_sample
from airalgo_desktop.domain.nsetime import IST


def test_sample_has_required_rows() -> None:
    with use_clock(FixedClock(datetime(2027, 3, 29, 15, 0, tzinfo=IST))):  # a Monday, the week of a month-end expiry
        master = load_sample()
    assert len(master) >= 150
    assert master["22"].symbol == "ACC"
    assert master["2885"].symbol == "RELIANCE"
    assert master["3045"].symbol == "SBIN"
    nifty = master["35013"]  # the API doc's NIFTY contract: the near-month future of the demo universe
    assert nifty.display.startswith("NIFTY ") and nifty.display.endswith(" FUT")
    assert nifty.lot_size == 65
    assert nifty.expiry == date(2027, 3, 30)  # the demo universe of the clock's day: the near month, not expired
    assert nifty.api_instrument == "FUTIDX" and nifty.api_option_type == "XX"
    assert master["2885"].api_instrument == "EQUITY" and master["2885"].api_option_type == "EQ"
    kinds = {i.instrument_type for i in master}
    assert {"EQ", "FUT", "CE", "PE"} <= kinds
    assert all(i.tick_size > 0 and i.lot_size > 0 and i.prev_close > 0 for i in master)
    opt = next(i for i in master if i.instrument_type == "CE" and i.name == "NIFTY")
    assert opt.api_instrument == "OPTIDX" and opt.strike > 0
    stock_fut = next(i for i in master if i.name == "RELIANCE" and i.instrument_type == "FUT")
    assert stock_fut.api_instrument == "FUTSTK"


def test_kite_style_columns_and_paisa_columns() -> None:
    text = (
        "exchange_token,tradingsymbol,name,exchange,tick_size,lot_size,expiry,instrument_type,last_price\n"
        "2885,RELIANCE,Reliance Industries,NSE,0.050000,1,,EQ,1240.5\n"
    )
    report = load_csv(io.StringIO(text))
    assert report.problems == []
    inst = report.master["2885"]
    assert inst.tick_size == 5 and inst.prev_close == 124050
    report2 = load_csv(io.StringIO("token,symbol,tick_size_paisa,prev_close_paisa\n22,ACC,5,220800\n"))
    assert report2.master["22"].tick_size == 5 and report2.master["22"].prev_close == 220800


def test_junk_rows_reported_with_line_numbers_not_fatal() -> None:
    text = (
        "token,symbol,name,tick_size,lot_size,expiry\n"  # line 1
        "22,ACC,ACC Ltd,0.05,1,\n"  # 2 ok
        "abc,BAD,Bad token,0.05,1,\n"  # 3 token not a number
        ",NOTOKEN,,0.05,1,\n"  # 4 empty token
        "3045,,State Bank,0.05,1,\n"  # 5 empty symbol
        "22,ACC2,Duplicate,0.05,1,\n"  # 6 duplicate token
        "2885,RELIANCE,Reliance,0.0x5,1,\n"  # 7 bad tick
        "1594,INFY,Infosys,0.05,zero,\n"  # 8 bad lot
        "\n"  # blank, ignored
        "35013,NIFTY25FEBFUT,NIFTY,0.05,75,27/02/2025\n"  # 10 ok, other date format
        "35014,NIFTY25MARFUT,NIFTY,0.05,75,someday\n"  # 11 bad expiry
        "11536,TCS,TCS,0,1,\n"  # 12 zero tick
    )
    report = load_csv(io.StringIO(text))
    assert sorted(report.master._by_token) == ["22", "35013"]
    lines = [p.line for p in report.problems]
    assert lines == [3, 4, 5, 6, 7, 8, 11, 12]
    messages = " | ".join(str(p) for p in report.problems)
    assert "line 3: token 'abc' is not a number" in messages
    assert "repeats line 2" in messages
    assert report.summary() == "2 instruments loaded, 8 rows skipped"
    assert report.master["35013"].expiry == date(2025, 2, 27)


def test_file_without_token_column_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="token column"):
        load_csv(io.StringIO("foo,bar\n1,2\n"))


def test_search_ranking() -> None:
    from airalgo_desktop.instruments import Catalog

    cat = Catalog(load_sample())

    class AsOf:  # the sample's contracts are FEB 2025: search as of a day they were live
        @staticmethod
        def search(text: str, limit: int = 20) -> list[Instrument]:
            return cat.search(text, limit, today=date(2025, 2, 10))

    master = AsOf()
    results = master.search("sbi")
    assert results[0].symbol == "SBIN"  # symbol prefix, cash before F&O
    assert "SBILIFE" in [r.symbol for r in results[:3]]
    assert master.search("RELIANCE")[0].symbol == "RELIANCE"  # exact first, futures/options after
    assert master.search("state bank")[0].symbol == "SBIN"  # by name words
    assert master.search("2885")[0].symbol == "RELIANCE"  # by token
    assert master.search("nifty fut")[0].instrument_type == "FUT"
    assert master.search("") == []
    assert len(master.search("a", limit=5)) == 5


def test_master_merge_and_lookup() -> None:
    master = InstrumentMaster([Instrument("1", "ONE")])
    assert master.get("2") is None
    changed = master.merge(InstrumentMaster([Instrument("2", "TWO"), Instrument("1", "ONE")]))
    assert changed == 1 and "2" in master and master["2"].symbol == "TWO"
