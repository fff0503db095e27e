"""Import from a URL (a real HTTP server on 127.0.0.1), the ``instruments`` CLI, and the one search."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from airalgo_desktop.__main__ import main
from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.instruments import Catalog, bundled_universe
from airalgo_desktop.instruments.formats import MasterError
from airalgo_desktop.instruments.importer import import_master
from airalgo_desktop.store import instruments as store
from tests.helpers import http_server

FIX = Path(__file__).parent / "fixtures"
TODAY = date(2025, 2, 10)
KITE = (FIX / "kite.csv").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/instruments.csv":
            self.send_response(200)
            self.send_header("Content-Length", str(len(KITE)))
            self.end_headers()
            self.wfile.write(KITE)
        elif self.path == "/dies.csv":  # promises the whole file, sends a third, then the process "dies"
            self.send_response(200)
            self.send_header("Content-Length", str(len(KITE) * 3))
            self.end_headers()
            self.wfile.write(KITE)
            self.wfile.flush()
            self.close_connection = True
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    with http_server(_Handler) as url:
        yield url


def test_url_import_with_progress(tmp_path: Path, server: str) -> None:
    seen: list[tuple[float, str]] = []
    outcome = import_master(f"{server}/instruments.csv", tmp_path, today=TODAY,
                            progress=lambda f, t: seen.append((f, t)))
    assert outcome.kept == 8 and outcome.catalog.get("2885") is not None
    assert any("downloaded" in t for _, t in seen) and seen[-1][0] == 1.0
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_server_dying_mid_download_keeps_the_previous_master(tmp_path: Path, server: str) -> None:
    import_master(str(FIX / "angel.json"), tmp_path, today=TODAY)
    before = store.path_in(tmp_path).read_bytes()
    with pytest.raises(MasterError, match=r"download .* failed .* previous master is kept"):
        import_master(f"{server}/dies.csv", tmp_path, today=TODAY)
    with pytest.raises(MasterError, match="HTTP 404"):
        import_master(f"{server}/missing.csv", tmp_path, today=TODAY)
    assert store.path_in(tmp_path).read_bytes() == before


def test_remote_plain_http_is_refused_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(MasterError, match="not encrypted"):
        import_master("http://example.invalid/OpenAPIScripMaster.json", tmp_path)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["instruments", *argv])
    got = capsys.readouterr()
    return code, got.out, got.err


def test_cli_import_search_show(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRALGO_HOME", raising=False)
    home = ["--home", str(tmp_path)]
    code, out, err = _cli(capsys, *home, "search", "reliance", "--json")
    assert code == 0 and "bundled demo sample" in err and json.loads(out)[0]["token"] == "2885"
    code, out, _ = _cli(capsys, *home, "import", str(FIX / "upstox.json"))
    assert code == 0 and "instruments kept from Upstox" in out and "index (not tradable)" in out
    assert (tmp_path / "data" / "instruments.npz").is_file()
    code, out, _ = _cli(capsys, *home, "show", "2885", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["token"] == "2885" and obj["segment"] == "NSE" and obj["instrument_type"] == "EQ"
    assert obj["tick_size_paisa"] == 5 and obj["lot_size"] == 1 and obj["expiry"] is None
    assert obj["strike_paisa"] is None  # an equity has no strike: null, never a 0 that reads like one
    code, out, _ = _cli(capsys, *home, "show", "2885")
    assert code == 0 and [line.rstrip() for line in out.splitlines() if line.startswith("strike_paisa")] == [
        "strike_paisa"]  # the text form leaves it empty too
    code, out, err = _cli(capsys, *home, "show", "424242")
    assert code != 0 and "not in the instrument master" in err
    code, out, err = _cli(capsys, *home, "import", str(FIX / "fyers_cm.csv") + ".missing")
    assert code != 0 and "does not exist" in err and "previous master is kept" in err
    code, out, _ = _cli(capsys, *home, "search", "sbin", "eq", "--limit", "3")
    assert code == 0 and "3045" in out and "NSE" in out


def test_cli_prints_f_and_o_json_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRALGO_HOME", str(tmp_path))
    future = tmp_path / "angel.json"  # the CLI imports as of the real today: move the contracts to 2099
    future.write_text((FIX / "angel.json").read_text().replace("2025", "2099"))
    code, out, _ = _cli(capsys, "import", str(future))
    assert code == 0 and "5 instruments kept" in out
    code, out, _ = _cli(capsys, "show", "43210", "--json")
    obj = json.loads(out)
    assert obj["segment"] == "NFO" and obj["instrument_type"] == "CE" and obj["expiry"] == "2099-02-27"
    assert obj["strike_paisa"] == 2_350_000 and obj["tick_size_paisa"] == 5 and obj["expired"] is False
    code, out, _ = _cli(capsys, "show", "35013", "--json")  # the future: an expiry, but no strike either
    future_obj = json.loads(out)
    assert code == 0 and future_obj["instrument_type"] == "FUT" and future_obj["strike_paisa"] is None
    code, out, _ = _cli(capsys, "search", "nifty", "--json", "--limit", "10")
    strikes = {o["token"]: o["strike_paisa"] for o in json.loads(out)}
    assert strikes["43210"] == strikes["43211"] == 2_350_000 and strikes["35013"] is None
    assert _cli(capsys, "import", str(FIX / "angel.json"))[1].startswith("2 instruments kept")  # FEB 2025: expired


def _universe() -> Catalog:
    rows = [Instrument("2885", "RELIANCE", "Reliance Industries"), Instrument("3045", "SBIN", "State Bank"),
            Instrument("5000", "SBICARD", "SBI Cards"), Instrument("5001", "SBILIFE", "SBI Life")]
    tok = 40000
    for name, lot in (("NIFTY", 75), ("BANKNIFTY", 30), ("RELIANCE", 500)):
        for month, day in ((3, 27), (2, 27), (4, 24)):  # out of order on purpose
            tok += 1
            exp = date(2025, month, day)
            rows.append(Instrument(str(tok), f"{name}{month}FUT", name, "NFO", "NFO", "FUT", exp, lot_size=lot))
            for strike in (23400, 23450, 23500, 23550, 23600):
                for kind in ("CE", "PE"):
                    tok += 1
                    rows.append(Instrument(str(tok), f"{name}{month}{strike}{kind}", name, "NFO", "NFO", kind, exp,
                                           strike * 100, lot_size=lot))
    return Catalog(rows)


def test_search_like_kite() -> None:
    cat = _universe()
    today = date(2025, 2, 10)
    a = [i.display for i in cat.search("nifty 23500 ce", 3, today=today)]
    assert a == ["NIFTY 27 FEB 2025 23500 CE", "NIFTY 27 MAR 2025 23500 CE", "NIFTY 24 APR 2025 23500 CE"]
    assert [i.display for i in cat.search("23500 ce nifty", 3, today=today)] == a
    assert [i.display for i in cat.search("banknifty fut", today=today)] == [
        "BANKNIFTY FEB 2025 FUT", "BANKNIFTY MAR 2025 FUT", "BANKNIFTY APR 2025 FUT"]
    assert [i.symbol for i in cat.search("reliance", 2, today=today)] == ["RELIANCE", "RELIANCE2FUT"]
    assert [i.symbol for i in cat.search("sbi", 3, today=today)] == ["SBIN", "SBICARD", "SBILIFE"]
    assert [i.symbol for i in cat.search("sbin eq", today=today)] == ["SBIN"]
    assert cat.search("3045", 1, today=today)[0].symbol == "SBIN"
    # nearest live expiry first, strikes closest to the current price of the underlying
    ltp = {"40001": 2355000}  # no cash NIFTY: its nearest future (token order is MAR first here)
    near = cat.search("nifty ce", 3, today=today, ltp=lambda t: ltp.get(t) or (2355000 if t == "40012" else None))
    assert [i.strike for i in near] == [2355000, 2350000, 2360000] and near[0].expiry == date(2025, 2, 27)
    # after FEB expiry nothing of FEB is offered
    assert all(i.expiry != date(2025, 2, 27) for i in cat.search("nifty", 50, today=date(2025, 3, 1)))


def test_bundled_universe_is_the_demo_universe_of_the_day() -> None:
    from airalgo_desktop.instruments.demo import demo_universe

    day = date(2026, 11, 25)
    cat = bundled_universe(day)
    assert len(cat) == len(demo_universe(day)) and cat["2885"].symbol == "RELIANCE"
    assert cat.search("nifty fut", today=day)[0].display == "NIFTY DEC 2026 FUT"
    assert cat["35013"].display == "NIFTY DEC 2026 FUT"  # the API doc's NIFTY token: the near-month future
