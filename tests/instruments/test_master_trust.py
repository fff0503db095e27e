"""Masters read right or refused, never silently wrong (issue 25 items 2–3, issue 26 item 11): no vendor id taken
as the NSE token, a plausibility check on every import, absurd single rows skipped, shared tokens named."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.__main__ import main
from airalgo_desktop.instruments.catalog import TOKEN_SHARED
from airalgo_desktop.instruments.formats import MasterError, _canonical_headers
from airalgo_desktop.instruments.importer import import_master, load_stored
from airalgo_desktop.store import instruments as store
from airalgo_desktop.ui.presenter import shared_token_contracts

FIX = Path(__file__).parent / "fixtures"
TODAY = date(2025, 2, 10)
GENERIC = "token,symbol,name,exchange,instrument_type,expiry,strike,tick_size,lot_size,freeze_qty"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder holding a good master (the Kite fixture): every refusal must leave it byte for byte."""
    folder = tmp_path / "data"
    import_master(str(FIX / "kite.csv"), folder, today=TODAY)
    return folder


def _refused(source: Path, data_dir: Path, *expected: str, fmt: str | None = None) -> str:
    before = store.path_in(data_dir).read_bytes()
    with pytest.raises(MasterError) as info:
        import_master(str(source), data_dir, fmt, today=TODAY)
    message = str(info.value)
    for text in expected:
        assert text in message, message
    assert "\n" not in message and "Traceback" not in message
    assert store.path_in(data_dir).read_bytes() == before  # the store is unchanged
    return message


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- vendor ids are not NSE tokens
@pytest.mark.parametrize(("header", "row", "column", "needed"), [
    ("instrument_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,"
     "exchange", '738561,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,NSE,NSE', "instrument_token",
     "exchange_token"),
    ("instrumentToken,instrumentName,name,tickSize,lotSize,instrumentType,segment,exchange",
     "1839,RELIANCE,Reliance Industries,0.05,1,EQ,CASH,NSE", "instrumentToken", "exchangeToken"),
    ("instrument_key,tradingsymbol,name,tick_size,lot_size,instrument_type,exchange",
     "NSE_EQ|INE002A01018,RELIANCE,RELIANCE INDUSTRIES LTD,0.05,1,EQUITY,NSE_EQ", "instrument_key",
     "exchange_token"),
])
def test_a_vendor_id_alone_is_refused_naming_the_column_needed(tmp_path: Path, data_dir: Path, header: str,
                                                               row: str, column: str, needed: str) -> None:
    """A Kite CSV without exchange_token used to import Zerodha's ids (RELIANCE stored as 738561)."""
    source = _write(tmp_path, "ids.csv", [header, row])
    _refused(source, data_dir, f"{column} is", "not the NSE token", f"its {needed} column")
    cat = load_stored(data_dir)
    assert cat is not None and cat.get("738561") is None and cat.get("2885") is not None


def test_our_own_csv_reader_no_longer_takes_instrument_token() -> None:
    assert "token" not in _canonical_headers(["instrument_token", "tradingsymbol"]).values()
    assert _canonical_headers(["instrument_token", "exchange_token", "tradingsymbol"])["exchange_token"] == "token"


# ---------------------------------------------------------------- Angel's keys as CSV columns
def test_angel_keys_as_csv_are_read_in_angels_units(tmp_path: Path) -> None:
    outcome = import_master(str(FIX / "angel.csv"), tmp_path, today=TODAY)
    assert outcome.fmt == "angel-csv"
    ce = outcome.catalog.get("43210")
    assert ce is not None and ce.strike == 23500_00 and ce.tick_size == 5 and ce.lot_size == 75
    assert ce.display == "NIFTY 27 FEB 2025 23500 CE"
    assert outcome.catalog.get("2885").symbol == "RELIANCE"  # type: ignore[union-attr]


def test_angel_csv_forced_through_the_generic_reader_is_refused_as_implausible(tmp_path: Path,
                                                                                data_dir: Path) -> None:
    """Before: accepted as 'generic CSV', NIFTY 23500 CE stored with strike ₹23,50,000 and a ₹5.00 tick."""
    message = _refused(FIX / "angel.csv", data_dir, "NIFTY 27 FEB 2025 2350000 CE", "far from NIFTY's level",
                       "tick ₹5", "previous master is kept", fmt="generic")
    assert "rows read with implausible values" in message


# ---------------------------------------------------------------- the plausibility check
@pytest.mark.parametrize(("row", "expected"), [
    ("43210,NIFTY25FEB23500CE,NIFTY,NFO,CE,2025-02-27,23500,0.03,75,1800",
     "tick ₹0.03 is not on NSE's grid"),
    ("43210,NIFTY25FEB23500CE,NIFTY,NFO,CE,2025-02-27,23500,5,75,1800",
     "tick ₹5 is larger than any NSE index derivative's"),
    ("43210,NIFTY25FEB23500CE,NIFTY,NFO,CE,2025-02-27,235,0.05,75,1800",
     "strike ₹235 is far from NIFTY's level"),
    ("43210,NIFTY25FEB23500CE,NIFTY,NFO,CE,2025-02-27,23500,0.05,75000,0", "lot size 75,000 is out of range"),
    ("43210,NIFTY25FEB23500CE,NIFTY,NFO,CE,2025-02-27,23500,0.05,75,24", "freeze quantity 24 is below one lot"),
    ("2885,RELIANCE,Reliance,NSE,EQ,,,50,1,0", "tick ₹50 is larger than any NSE contract's"),
    ("99001,ABC25FEB130000CE,ABC,NFO,CE,2025-02-27,130000,0.05,500,0", "far from ABC's other strikes"),
])
def test_implausible_values_refuse_the_import_and_name_the_row(tmp_path: Path, data_dir: Path, row: str,
                                                               expected: str) -> None:
    abc = [f"{99002 + i},ABC25FEB{1300 + 20 * i}CE,ABC,NFO,CE,2025-02-27,{1300 + 20 * i},0.05,500,0" for i in range(5)]
    lines = [GENERIC, "3045,SBIN,State Bank,NSE,EQ,,,0.05,1,0", *abc, row]
    _refused(_write(tmp_path, "odd.csv", lines), data_dir, expected, "not imported")


def test_plausible_ticks_lots_and_strikes_pass(tmp_path: Path) -> None:
    lines = [GENERIC, "2885,RELIANCE,Reliance,NSE,EQ,,,0.10,1,0", "1,MRF,MRF,NSE,EQ,,,5,1,0",
             "2,CHEAP,Cheap,NSE,EQ,,,0.01,1,0", "35013,NIFTY25FEBFUT,NIFTY,NFO,FUT,2025-02-27,,0.10,75,1800",
             "35014,BANKNIFTY25FEBFUT,BANKNIFTY,NFO,FUT,2025-02-27,,0.20,30,900",
             "43210,NIFTY25FEB1500CE,NIFTY,NFO,CE,2025-02-27,1500,0.05,75,1800",  # far out, as real masters list
             "43211,NIFTY25FEB23500CE,NIFTY,NFO,CE,2025-02-27,23500,0.05,75,1800"]
    outcome = import_master(str(_write(tmp_path, "fine.csv", lines)), tmp_path / "d", today=TODAY)
    assert outcome.kept == 7 and not outcome.skipped


# ---------------------------------------------------------------- issue 26 item 11: one absurd row
def test_one_overlarge_tick_or_lot_skips_that_row_with_a_reason(tmp_path: Path) -> None:
    """Before: 'OverflowError … out of bounds for int32', a traceback and the whole master refused."""
    lines = [GENERIC, "2885,RELIANCE,Reliance,NSE,EQ,,,0.10,1,0", "3045,SBIN,State Bank,NSE,EQ,,,99999999,1,0",
             "22,ACC,ACC,NSE,EQ,,,0.05,3000000000,0", "11536,TCS,TCS,NSE,EQ,,,0.10,1,99999999999"]
    outcome = import_master(str(_write(tmp_path, "big.csv", lines)), tmp_path / "d", today=TODAY)
    reason = "tick, lot, strike or freeze quantity out of range"
    assert outcome.kept == 1 and outcome.skipped == {reason: 3}
    assert outcome.examples[reason] == "SBIN: tick ₹99,999,999"
    assert [i.symbol for i in outcome.catalog] == ["RELIANCE"]


def test_an_overlarge_tick_in_a_paise_layout_skips_that_row(tmp_path: Path) -> None:
    items = json.loads((FIX / "upstox.json").read_text())
    items[1]["tick_size"] = 10**12  # SBIN
    (tmp_path / "big.json").write_text(json.dumps(items))
    outcome = import_master(str(tmp_path / "big.json"), tmp_path / "d", today=TODAY)
    assert outcome.catalog.get("3045") is None and outcome.catalog.get("2885").tick_size == 5  # type: ignore[union-attr]
    assert outcome.skipped["tick, lot, strike or freeze quantity out of range"] == 1


# ---------------------------------------------------------------- shared tokens are named
def _colliding_fyers(tmp_path: Path) -> list[str]:
    fo = (FIX / "fyers_fo.csv").read_text().replace(",10,11,43210,NIFTY,", ",10,11,2885,NIFTY,")
    (tmp_path / "fo.csv").write_text(fo)
    return [str(FIX / "fyers_cm.csv"), str(tmp_path / "fo.csv")]


def test_a_contract_lost_to_a_shared_token_is_named_in_the_summary(tmp_path: Path) -> None:
    outcome = import_master(_colliding_fyers(tmp_path), tmp_path / "d", today=TODAY)
    assert outcome.catalog.get("2885").symbol == "RELIANCE"  # type: ignore[union-attr]  # the rule: first row kept
    lines = outcome.lines()
    assert f"1  {TOKEN_SHARED}:" in [line.strip() for line in lines]
    assert "             NIFTY 27 FEB 2025 23500 CE (token 2885 kept for RELIANCE)" in lines
    assert shared_token_contracts(lines) == ["NIFTY 27 FEB 2025 23500 CE (token 2885 kept for RELIANCE)"]


def test_the_cli_lists_the_contracts_lost_to_a_shared_token(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRALGO_HOME", raising=False)
    code = main(["instruments", "--home", str(tmp_path), "import", *_colliding_fyers(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "NIFTY 27 FEB 2025 23500 CE (token 2885 kept for RELIANCE)" in out


def test_an_exact_duplicate_row_is_not_called_another_contract(tmp_path: Path) -> None:
    text = (FIX / "kite.csv").read_text().splitlines()
    outcome = import_master(str(_write(tmp_path, "dup.csv", [*text, text[1]])), tmp_path / "d", today=TODAY)
    assert outcome.skipped["token repeated (first row kept)"] == 1 and TOKEN_SHARED not in outcome.skipped


def test_many_shared_tokens_are_named_up_to_a_limit(tmp_path: Path) -> None:
    lines = [GENERIC] + [f"{i},STK{i},Stock {i},NSE,EQ,,,0.05,1,0" for i in range(1, 151)]
    lines += [f"{i},STK{i}25FEBFUT,STK{i},NFO,FUT,2025-02-27,,0.05,100,0" for i in range(1, 151)]
    outcome = import_master(str(_write(tmp_path, "many.csv", lines)), tmp_path / "d", today=TODAY)
    listed = shared_token_contracts(outcome.lines())
    assert outcome.skipped[TOKEN_SHARED] == 150 and len(listed) == 100
    assert listed[0] == "STK1 FEB 2025 FUT (token 1 kept for STK1)"
    assert outcome.lines()[-1].strip() == "… and 50 more"


def test_numbers_no_unit_explains_are_row_problems_never_a_traceback(tmp_path: Path) -> None:
    """A 5,000-digit lot used to escape as Python's int-conversion ValueError (a traceback, the import stopped)."""
    header = (FIX / "kite.csv").read_text().splitlines()[0]
    rows = ['738561,2885,RELIANCE,"RELIANCE",0,,0,0.05,1,EQ,NSE,NSE',
            '1,11,A,"A",0,,0,0.05,' + "9" * 5000 + ',EQ,NSE,NSE', '2,12,B,"B",0,,0,1e400,1,EQ,NSE,NSE',
            '5,15,E,"E",0,,0,inf,1,EQ,NSE,NSE', '6,16,F,"F",0,,0,0.05,1e12,EQ,NSE,NSE',
            '3,13,C,"C",1e30,,0,0.05,1,EQ,NSE,NSE']  # an absurd previous close is "none", the row is kept
    outcome = import_master(str(_write(tmp_path, "hostile.csv", [header, *rows])), tmp_path / "d", today=TODAY)
    assert sorted(i.symbol for i in outcome.catalog) == ["C", "RELIANCE"]
    assert outcome.catalog.get("13").prev_close == 0  # type: ignore[union-attr]
    assert outcome.skipped == {"unreadable row": 3, "tick, lot, strike or freeze quantity out of range": 1}
    assert "is too large" in outcome.examples["unreadable row"]


def test_an_expiry_beyond_any_calendar_is_a_row_problem(tmp_path: Path) -> None:
    items = json.loads((FIX / "upstox.json").read_text())
    for item in items:
        if item["exchange_token"] == "35013":
            item["expiry"] = 10**20  # epoch ms in year ~3 billion: datetime raised past the row handler
    (tmp_path / "far.json").write_text(json.dumps(items))
    outcome = import_master(str(tmp_path / "far.json"), tmp_path / "d", today=TODAY)
    assert outcome.catalog.get("35013") is None and outcome.catalog.get("2885") is not None
    assert "is not a date" in outcome.examples["unreadable row"]
