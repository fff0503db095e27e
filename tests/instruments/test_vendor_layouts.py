"""The vendors added for issue 25 item 2, from fixtures written from their documented headers: Dhan's detailed
master (2026's 31 columns; 2025's 39, tab-separated, Excel dates), Kotak Neo, ICICI Breeze SecurityMaster.zip,
Shoonya, 5paisa and Alice Blue. RELIANCE is 2885, the NIFTY future and option keep their NSE tokens and units."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.instruments.importer import import_master
from airalgo_desktop.instruments.units import parse_expiry
from airalgo_desktop.instruments.vendors import _slash_order

FIX = Path(__file__).parent / "fixtures"
TODAY = date(2025, 2, 10)


def _icici_zip(tmp_path: Path) -> list[str]:
    """A SecurityMaster.zip whose first member is BSE's (the NSE members must be found by name, not position)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BSEScripMaster.txt", '"Token","ShortName"\r\n"500325","RELIND"\r\n')
        for member in ("NSEScripMaster.txt", "FONSEScripMaster.txt"):
            zf.writestr(member, (FIX / f"icici_{member}").read_bytes())
        zf.writestr("MCXScripMaster.txt", '"Token","InstrumentName"\r\n"426308","FUTCOM"\r\n')
    path = tmp_path / "SecurityMaster.zip"
    path.write_bytes(buf.getvalue())
    return [str(path)]


LAYOUTS = {
    "dhan-detailed": ["dhan_detailed.csv"], "dhan-detailed-2025": ["dhan_detailed_2025.tsv"],
    "kotak-neo": ["kotak_neo.csv"], "shoonya": ["shoonya_NSE_symbols.txt", "shoonya_NFO_symbols.txt"],
    "5paisa": ["fivepaisa.csv"], "aliceblue": ["aliceblue_NSE.csv", "aliceblue_NFO.csv"], "icici": [],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_reliance_and_nifty_read_right(tmp_path: Path, layout: str) -> None:
    files = [str(FIX / f) for f in LAYOUTS[layout]] or _icici_zip(tmp_path)
    outcome = import_master(files, tmp_path / "data", today=TODAY)
    assert outcome.fmt == layout.removesuffix("-2025")
    cat = outcome.catalog
    reliance = cat.get("2885")
    assert reliance is not None and reliance.symbol == "RELIANCE" and reliance.instrument_type == "EQ"
    assert reliance.tick_size == 5 and reliance.lot_size == 1
    assert "500325" not in cat and "26000" not in cat and "13" not in cat and "999920000" not in cat
    fut = cat.get("35013")
    assert fut is not None and fut.display == "NIFTY FEB 2025 FUT" and fut.api_instrument == "FUTIDX"
    assert fut.lot_size == 75 and fut.tick_size == 5
    ce = cat.get("43210")
    assert ce is not None and ce.display == "NIFTY 27 FEB 2025 23500 CE" and ce.strike == 23500_00
    assert ce.tick_size == 5 and ce.lot_size == 75 and ce.api_instrument == "OPTIDX"
    assert cat.search("nifty 23500 ce", today=TODAY)[0].token == "43210"
    assert not [i for i in cat if "NSETEST" in i.symbol]  # the exchange's test contracts are skipped


def test_freeze_quantities_are_kept_where_the_vendor_gives_them(tmp_path: Path) -> None:
    kotak = import_master(str(FIX / "kotak_neo.csv"), tmp_path / "k", today=TODAY).catalog
    assert kotak.get("43210").freeze_qty == 1800 and kotak.get("2885").freeze_qty == 54129  # type: ignore[union-attr]
    paisa = import_master(str(FIX / "fivepaisa.csv"), tmp_path / "p", today=TODAY).catalog
    assert paisa.get("43210").freeze_qty == 1800  # type: ignore[union-attr]  # QtyLimit


def test_icici_index_names_become_nse_symbols_and_delisted_rows_are_counted(tmp_path: Path) -> None:
    outcome = import_master(_icici_zip(tmp_path), tmp_path / "data", today=TODAY)
    pe = outcome.catalog.get("43300")
    assert pe is not None and pe.display == "BANKNIFTY 27 FEB 2025 50000 PE" and pe.lot_size == 30
    assert outcome.skipped["token 0 (no NSE token: delisted)"] == 1


def test_dhan_slash_dates_day_or_month_first_from_the_file() -> None:
    assert _slash_order("a,31/07/25,b\nc,7/8/25") == "dmy"
    assert _slash_order("a,7/31/2025,b\nc,7/8/2025") == "mdy"
    assert _slash_order("no dates here") == "dmy"


def test_an_october_expiry_is_a_date() -> None:
    """'28-OCT-2025' (Shoonya) and '28OCT2025' (Angel) were split on the T of OCT and refused."""
    assert parse_expiry("28-OCT-2025") == parse_expiry("28OCT2025") == parse_expiry("2025-10-28")
    assert parse_expiry("2025-10-28T14:30:00") == parse_expiry("2025-10-28")
