"""Issue 17 item 7: exporting the order book — a default folder that exists, nothing created, and blank cells
where there is no price."""

from __future__ import annotations

import csv
import io
from datetime import date

from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.ui import orderbook
from airalgo_desktop.ui.orderbook import OrderBookModel


def _home(monkeypatch, tmp_path):
    home = tmp_path / "trader"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))  # no user-dirs.dirs: Documents is ~/Documents
    return home


def test_default_export_folder_is_home_when_documents_is_missing(qapp, monkeypatch, tmp_path) -> None:
    home = _home(monkeypatch, tmp_path)
    path = orderbook.default_export_path(date(2026, 11, 25))
    assert path == home / "orders-20261125.csv"
    assert path.parent.is_dir() and not (home / "Documents").exists()  # nothing made behind the trader's back
    path.write_text("ok")  # and it can be written as proposed


def test_default_export_folder_is_documents_when_present(qapp, monkeypatch, tmp_path) -> None:
    home = _home(monkeypatch, tmp_path)
    (home / "Documents").mkdir()
    assert orderbook.default_export_path(date(2026, 11, 25)) == home / "Documents" / "orders-20261125.csv"


def test_csv_leaves_prices_that_do_not_exist_blank() -> None:
    model = OrderBookModel()
    rows = [
        OrderRecord("L1", OrderRequest("2885", Side.BUY, OrderKind.MARKET, 5), "RELIANCE", now_ist(),
                    status=OrderStatus.EXECUTED, executed_price=124060),
        OrderRecord("L2", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 5, price=123_450), "RELIANCE", now_ist(),
                    status=OrderStatus.PENDING),
        OrderRecord("L3", OrderRequest("2885", Side.SELL, OrderKind.SLM, 5, trigger_price=120_000), "RELIANCE",
                    now_ist(), status=OrderStatus.REJECTED, message="Margin limit exceeded"),
        OrderRecord("L4", OrderRequest("2885", Side.SELL, OrderKind.SL, 5, price=119_900, trigger_price=120_000),
                    "RELIANCE", now_ist(), status=OrderStatus.UNKNOWN),
    ]
    for r in rows:
        model.upsert(r)
    table = {r["local_id"]: r for r in csv.DictReader(io.StringIO(model.to_csv()))}
    assert (table["L1"]["price"], table["L1"]["trigger"], table["L1"]["executed_price"]) == ("", "", "1240.60")
    assert (table["L2"]["price"], table["L2"]["executed_price"]) == ("1234.50", "")
    assert (table["L3"]["price"], table["L3"]["trigger"], table["L3"]["executed_price"]) == ("", "1200.00", "")
    assert (table["L4"]["price"], table["L4"]["trigger"], table["L4"]["executed_price"]) == ("1199.00", "1200.00", "")


def test_export_starts_with_a_utf8_bom_for_excel(qapp, tmp_path) -> None:
    """Issue 25 item 5: Excel on Windows reads a CSV without a BOM as cp1252 — "₹" became "â‚¹"."""
    from airalgo_desktop.ui.orderbook import OrderBookPanel

    model = OrderBookModel()
    model.upsert(OrderRecord("L1", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 5, price=123_450), "RELIANCE",
                             now_ist(), status=OrderStatus.REJECTED, message="Price ₹1,234.50 is outside the band"))
    book = OrderBookPanel(model)
    out = tmp_path / "orders.csv"
    assert book.export_csv(out) == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0]["local_id"] == "L1" and "₹1,234.50" in raw.decode("utf-8-sig")
