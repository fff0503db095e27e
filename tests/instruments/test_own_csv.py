"""The project's own instrument CSV, read by its one parser (``formats.parse_generic``), and the bundled sample."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from airalgo_desktop.domain.clock import FixedClock, use_clock
from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.instruments import Catalog
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.instruments.formats import MasterError, parse


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
    builder, fmt = parse(text.encode(), "k.csv")
    assert fmt == "generic" and not builder.skipped
    inst = Catalog.from_arrays(builder.arrays())["2885"]
    assert inst.tick_size == 5 and inst.prev_close == 124050 and inst.name == "Reliance Industries"
    builder, _ = parse(b"token,symbol,tick_size_paisa,prev_close_paisa\n22,ACC,5,220800\n", "p.csv")
    assert (builder.tick, builder.prev) == ([5], [220800])


def test_junk_rows_are_counted_by_reason_with_an_example_not_fatal() -> None:
    text = (
        "token,symbol,name,exchange,instrument_type,tick_size,lot_size,expiry\n"
        "22,ACC,ACC Ltd,NSE,EQ,0.05,1,\n"
        "abc,BAD,Bad token,NSE,EQ,0.05,1,\n"
        ",NOTOKEN,,NSE,EQ,0.05,1,\n"
        "3045,,State Bank,NSE,EQ,0.05,1,\n"
        "22,ACC2,Duplicate,NSE,EQ,0.05,1,\n"
        "2885,RELIANCE,Reliance,NSE,EQ,0.0x5,1,\n"
        "1594,INFY,Infosys,NSE,EQ,0.05,zero,\n"
        "\n"
        "35013,NIFTY25FEBFUT,NIFTY,NFO,FUTIDX,0.05,75,27/02/2025\n"
        "35014,NIFTY25MARFUT,NIFTY,NFO,FUTIDX,0.05,75,someday\n"
        "11536,TCS,TCS,NSE,EQ,0,1,\n"
        "500325,RELIANCE,Reliance,BSE,EQ,0.05,1,\n"
    )
    builder, _ = parse(text.encode(), "junk.csv")
    assert builder.token == [22, 35013]
    assert builder.skipped == {"token not a number": 2, "symbol missing": 1,
                               "token shared with another contract (first row kept)": 1,
                               "unreadable row": 3, "tick size or lot size not positive": 1,
                               "exchange BSE (AirAlgo trades NSE cash and NSE F&O)": 1}
    assert builder.examples["token not a number"] == "BAD"
    assert "someday" in builder.examples["unreadable row"] or "0.0x5" in builder.examples["unreadable row"]
    expiry = Catalog.from_arrays(builder.arrays())["35013"].expiry
    assert expiry == date(2025, 2, 27)


def test_file_without_token_column_is_refused_clearly() -> None:
    with pytest.raises(MasterError, match="no token column"):
        parse(b"foo,bar\n1,2\n", "x.csv")
    with pytest.raises(MasterError, match="needs a token column"):
        parse(b"foo,bar\n1,2\n", "x.csv", "generic")


def test_search_ranking() -> None:
    cat = Catalog(load_sample())

    class AsOf:  # search as of a fixed day: the ranking, not today's expiries, is under test
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
