"""The option chain's table repaints only the cells whose text or colours changed, and its delegate paints what Qt's
own delegate would: the same texts in the same cells, the same ATM / ITM / strike backgrounds, the same colours."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QStyledItemDelegate

from airalgo_desktop.services.chain import ChainRow, ChainView, LegQuote
from airalgo_desktop.ui.chain import ChainDelegate, ChainModel, ChainTable

STRIKES = [2_590_000 + 5_000 * i for i in range(7)]  # 25,900 … 26,200 in paisa
ATM = STRIKES[3]


def leg(token: str, ltp: int, change: int, iv: float, delta: float, itm: bool) -> LegQuote:
    return LegQuote(token, ltp=ltp, change=change, iv=iv, delta=delta, gamma=0.0004, theta=-9.5, vega=14.2, itm=itm)


def chain_view(bump: dict[str, int] | None = None) -> ChainView:
    """Seven strikes around 26,050; ``bump``: token → paisa added to that leg's LTP and change."""
    bump = bump or {}
    rows = []
    for n, k in enumerate(STRIKES):
        call_token, put_token = f"C{n}", f"P{n}"
        call = leg(call_token, 40_000 - 4_000 * n + bump.get(call_token, 0), 1_500 - 600 * n + bump.get(call_token, 0),
                   0.121 + 0.002 * n, 0.9 - 0.12 * n, k < ATM)
        put = leg(put_token, 10_000 + 4_000 * n + bump.get(put_token, 0), -900 + 400 * n + bump.get(put_token, 0),
                  0.135 - 0.002 * n, -0.1 - 0.12 * n, k > ATM)
        rows.append(ChainRow(k, call, put, atm=k == ATM))
    return ChainView("NIFTY", date(2026, 12, 29), 34, 2_603_000, None, ATM, rows)


def test_a_tick_repaints_exactly_the_cells_it_changed(qtbot) -> None:
    model = ChainModel()
    model.set_view(chain_view())
    spans: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles=(): spans.append((a.row(), a.column(), b.row(), b.column())))
    model.set_view(chain_view({"C2": 5, "P5": -5}))  # one call, one put ticked: LTP and Chg of each
    ltp_c, chg_c = model._left.index("LTP"), model._left.index("Chg")
    ltp_p, chg_p = (model.strike_column + 1 + model._right.index(f) for f in ("LTP", "Chg"))
    assert sorted(spans) == [(2, min(ltp_c, chg_c), 2, max(ltp_c, chg_c)), (5, min(ltp_p, chg_p), 5, max(ltp_p, chg_p))]
    spans.clear()
    model.set_view(chain_view({"C2": 5, "P5": -5}))  # the same numbers again: nothing to repaint
    assert spans == []


def _render(table: ChainTable) -> QImage:
    table.resize(760, 7 * 21 + table.horizontalHeader().height() + 8)
    table.show()
    image = QImage(table.viewport().size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    table.viewport().render(image)
    return image


def _cells(table: ChainTable, image: QImage) -> dict[tuple[int, int], tuple[bool, str, str, tuple[int, ...]]]:
    """Per cell: any ink (text) in it, the colour of its darkest pixel (the text's), of its corner (background), and
    the box the ink covers (relative to the cell)."""
    out = {}
    model = table.model()
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            rect = table.visualRect(model.index(row, col))
            corner = image.pixelColor(rect.left() + 1, rect.top() + 1)
            darkest, ink = corner, False
            xs, ys = [], []
            for y in range(rect.top() + 1, rect.bottom()):
                for x in range(rect.left() + 1, rect.right()):
                    c = image.pixelColor(x, y)
                    if c != corner:
                        ink = True
                        xs.append(x - rect.left())
                        ys.append(y - rect.top())
                        if c.lightness() < darkest.lightness():
                            darkest = c
            box = (min(xs), min(ys), max(xs), max(ys)) if ink else ()
            out[row, col] = (ink, darkest.name() if ink else "", corner.name(), box)
    return out


def test_delegate_paints_what_qts_delegate_paints(qtbot) -> None:
    model = ChainModel()
    model.set_view(chain_view())
    ours = ChainTable()
    qtbot.addWidget(ours)
    ours.setModel(model)
    ours.setItemDelegate(ChainDelegate(model, ours))
    qts = ChainTable()
    qtbot.addWidget(qts)
    qts.setModel(model)
    qts.setItemDelegate(QStyledItemDelegate(qts))
    for table in (ours, qts):
        table.verticalHeader().setDefaultSectionSize(21)
        table.setCurrentIndex(QModelIndex())  # no cursor: every cell goes through the delegate under test
    a, b = _cells(ours, _render(ours)), _cells(qts, _render(qts))
    for key in a:
        assert a[key][0] == b[key][0], key  # text where Qt draws text, none where it draws none
        assert a[key][2] == b[key][2], key  # the same ATM / ITM / strike / plain background
        # the text in the same place, to the pixel (aligned right with the style's margin, the strike centred, bold)
        assert a[key][3] == b[key][3], (key, a[key][3], b[key][3])
        if a[key][0]:  # text colours (green/red change, the palette's ink) alike, within antialiasing
            ca, cb = QColor(a[key][1]), QColor(b[key][1])
            coloured = ca.hsvSaturation() >= 60
            assert coloured == (cb.hsvSaturation() >= 60), (key, a[key], b[key])
            assert not coloured or abs(ca.hsvHue() - cb.hsvHue()) <= 12, (key, a[key], b[key])
    # the ATM row's cells are shaded, and its strike is bold and centred
    atm_row = model.atm_row()
    assert atm_row == 3 and model.data(model.index(atm_row, model.strike_column),
                                        Qt.ItemDataRole.FontRole).bold()
