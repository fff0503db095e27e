"""Broker masters in each vendor's own layout (fixtures written from the documented headers) → the store."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from airalgo_desktop.instruments.formats import Cancel, ImportCancelled, MasterError
from airalgo_desktop.instruments.importer import import_master, load_stored
from airalgo_desktop.store import instruments as store

FIX = Path(__file__).parent / "fixtures"
TODAY = date(2025, 2, 10)  # the fixtures' FEB 2025 contracts are live; JAN 2025 ones expired


@pytest.mark.parametrize(("files", "fmt"), [
    (["kite.csv"], "kite"), (["upstox.json"], "upstox"), (["upstox.csv"], "upstox-csv"), (["angel.json"], "angel"),
    (["dhan.csv"], "dhan"),
    (["fyers_cm.csv", "fyers_fo.csv"], "fyers"),
])
def test_reliance_is_2885_in_every_layout(tmp_path: Path, files: list[str], fmt: str) -> None:
    outcome = import_master([str(FIX / f) for f in files], tmp_path, today=TODAY)
    assert outcome.fmt == fmt
    cat = load_stored(tmp_path)
    assert cat is not None
    reliance = cat.get("2885")
    assert reliance is not None and reliance.symbol == "RELIANCE" and reliance.instrument_type == "EQ"
    assert reliance.tick_size == 5 and reliance.lot_size == 1 and reliance.exchange == "NSE"
    assert cat.search("reliance", today=TODAY)[0].token == "2885"  # never the BSE row
    assert "500325" not in cat and "738561" not in cat  # BSE token and Kite's own id are not NSE tokens
    fut = cat.get("35013")
    assert fut is not None and fut.instrument_type == "FUT" and fut.expiry == date(2025, 2, 27)
    assert fut.lot_size == 75 and fut.tick_size == 5 and fut.api_instrument == "FUTIDX"
    if fmt != "fyers":
        ce = cat.get("43210")
        assert ce is not None and ce.instrument_type == "CE" and ce.strike == 23500_00 and ce.tick_size == 5
        assert ce.display == "NIFTY 27 FEB 2025 23500 CE"
        assert ce.api_instrument == "OPTIDX"
    else:
        assert cat.get("43210").strike == 23500_00  # type: ignore[union-attr]
    skipped = outcome.skipped
    assert any("index" in r for r in skipped), skipped
    if fmt != "fyers":
        assert any("BSE" in r for r in skipped) and any("MCX" in r for r in skipped), skipped
    assert "\n".join(outcome.lines()).count("skipped") == 1


def test_kite_counts_every_skip_by_reason_and_converts_rupees(tmp_path: Path) -> None:
    outcome = import_master(str(FIX / "kite.csv"), tmp_path, today=TODAY)
    assert outcome.kept == 8
    why = "(AirAlgo trades NSE cash and NSE F&O)"
    assert dict(outcome.skipped) == {f"exchange BSE {why}": 1, "index (not tradable)": 2, f"exchange MCX {why}": 1,
                                     f"exchange CDS {why}": 1, "expired contract": 1}
    cat = outcome.catalog
    assert cat.get("2885").prev_close == 124050  # type: ignore[union-attr]
    assert cat.get("35006") is None  # JAN 2025 future had expired on TODAY


def test_angel_strike_and_tick_are_paise(tmp_path: Path) -> None:
    cat = import_master(str(FIX / "angel.json"), tmp_path, today=TODAY).catalog
    pe = cat.get("43211")
    assert pe is not None and pe.strike == 2_350_000 and pe.tick_size == 5 and pe.expiry == date(2025, 2, 27)
    assert cat.get("2885").symbol == "RELIANCE"  # type: ignore[union-attr]  # "-EQ" series suffix dropped


def test_upstox_tick_unit_is_decided_from_the_data(tmp_path: Path) -> None:
    cat = import_master(str(FIX / "upstox.json"), tmp_path, today=TODAY).catalog
    assert cat.get("2885").tick_size == 5  # type: ignore[union-attr]  # 5.0 in the JSON = 5 paise
    text = (FIX / "upstox.json").read_text().replace('"tick_size":5.0', '"tick_size":0.05')
    (tmp_path / "rupees.json").write_text(text)
    cat2 = import_master(str(tmp_path / "rupees.json"), tmp_path, today=TODAY).catalog
    assert cat2.get("2885").tick_size == 5  # type: ignore[union-attr]  # 0.05 = rupees


def test_gz_and_zip_are_read_directly(tmp_path: Path) -> None:
    raw = (FIX / "kite.csv").read_bytes()
    (tmp_path / "instruments.csv.gz").write_bytes(gzip.compress(raw))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("instruments.csv", raw)
    (tmp_path / "instruments.zip").write_bytes(buf.getvalue())
    for name in ("instruments.csv.gz", "instruments.zip"):
        assert import_master(str(tmp_path / name), tmp_path / "data", today=TODAY).kept == 8


def test_expired_contracts_are_not_offered(tmp_path: Path) -> None:
    cat = import_master(str(FIX / "kite.csv"), tmp_path, today=TODAY).catalog
    assert [i.display for i in cat.search("nifty fut", today=TODAY)] == ["NIFTY FEB 2025 FUT", "NIFTY MAR 2025 FUT"]
    later = date(2025, 3, 1)  # the same stored master a few weeks on: FEB has expired since the import
    assert [i.display for i in cat.search("nifty fut", today=later)] == ["NIFTY MAR 2025 FUT"]
    assert cat.search("nifty 23500 ce", today=later) == []
    assert cat.get("35013").expired_message(later) == "NIFTY FEB 2025 FUT expired on 27 Feb 2025"  # type: ignore[union-attr]


def test_reimport_replaces_a_reused_token_never_merges(tmp_path: Path) -> None:
    import_master(str(FIX / "kite.csv"), tmp_path, today=TODAY)
    text = (FIX / "kite.csv").read_text().splitlines()
    header, rows = text[0], [r for r in text[1:] if ",43210," not in r and ",3045," not in r]
    rows.append('99999999,43210,BANKNIFTY25MAR50000PE,"BANKNIFTY",0,2025-03-27,50000,0.05,30,PE,NFO-OPT,NFO')
    (tmp_path / "new.csv").write_text("\n".join([header, *rows]) + "\n")
    import_master(str(tmp_path / "new.csv"), tmp_path, today=TODAY)
    cat = load_stored(tmp_path)
    assert cat is not None
    assert cat.get("43210").display == "BANKNIFTY 27 MAR 2025 50000 PE"  # type: ignore[union-attr]
    assert cat.get("3045") is None  # only in the old master: gone, not merged


def _damaged_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    raw = gzip.compress((FIX / "kite.csv").read_bytes() * 50)
    cases = {
        "truncated .gz": ("master.csv.gz", raw[: len(raw) // 2], "damaged or truncated .gz"),
        "empty": ("empty.csv", b"", "is empty"),
        "binary": ("binary.csv", bytes(range(256)) * 40, "not a text file"),
        "no token column": ("names.csv", b"symbol,name\nRELIANCE,Reliance\n", "no token column"),
        "50 MB field": ("huge.csv", b"token,symbol\n1,\"" + b"x" * (50 * 2**20) + b"\"\n", "not a readable CSV"),
        "nothing tradable": ("bse.csv", (FIX / "kite.csv").read_bytes().split(b"\n")[0] + b"\n"
                             b'128083204,500325,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,BSE,BSE\n',
                             "no NSE cash or F&O contract"),
    }
    out = {}
    for key, (name, data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        out[key] = (path, expected)
    return out


def test_bad_files_get_one_clear_message_and_keep_the_previous_master(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    import_master(str(FIX / "kite.csv"), data_dir, today=TODAY)
    before = store.path_in(data_dir).read_bytes()
    for key, (path, expected) in _damaged_inputs(tmp_path).items():
        with pytest.raises(MasterError) as info:
            import_master(str(path), data_dir, today=TODAY)
        message = str(info.value)
        assert expected in message, (key, message)
        assert "\n" not in message and "Traceback" not in message and len(message) < 400, key
        assert store.path_in(data_dir).read_bytes() == before, key
    assert not list(data_dir.glob("*.new"))


def test_cancel_leaves_the_previous_master(tmp_path: Path) -> None:
    import_master(str(FIX / "kite.csv"), tmp_path, today=TODAY)
    before = store.path_in(tmp_path).read_bytes()
    cancel = Cancel.new()
    cancel.set()
    with pytest.raises(ImportCancelled):
        import_master(str(FIX / "angel.json"), tmp_path, today=TODAY, cancel=cancel)
    assert store.path_in(tmp_path).read_bytes() == before


def test_junk_rows_never_become_instruments(tmp_path: Path) -> None:
    """Issue 19 item 15: a junk CSV's rows are counted, never turned into instruments."""
    lines = ["token,symbol,name,tick_size,lot_size"] + [f"²{i},JUNK{i},x,0.05,1" for i in range(2000)]
    lines += ["abc,BAD,x,0.05,1", "22,ACC,ACC Ltd,0.05,1"]
    (tmp_path / "junk.csv").write_text("\n".join(lines) + "\n")
    outcome = import_master(str(tmp_path / "junk.csv"), tmp_path / "d", today=TODAY)
    assert outcome.kept == 1 and outcome.skipped["token not a number"] == 2001
    assert [i.symbol for i in outcome.catalog] == ["ACC"]


def test_our_csv_with_a_huge_field_gets_one_sentence(tmp_path: Path) -> None:
    """Issue 19 item 14: a CSV with one 50 MB field gets a clear message (it used to fail with none)."""
    path = tmp_path / "huge.csv"
    path.write_bytes(b"token,symbol\n1,\"" + b"x" * (50 * 2**20) + b"\"\n")
    with pytest.raises(MasterError, match=r"huge.csv is not a readable CSV at line \d+: field larger than field limit"):
        import_master(str(path), tmp_path / "d", today=TODAY)
