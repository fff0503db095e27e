"""Issue 24 item 1 and 2 acceptance: the real window on 1366×768, 1280×800, 1920×1080 and 1920×1080 at 150 % (a
1280×720 logical screen at device pixel ratio 1.5), each in a process of its own (:mod:`tests.ui.screen_probe`),
with fills, the option chain, a chart window and the payoff open: the window and its windows fit the screen, no
dock is narrower than its minimum, and every watchlist, order-book and positions row shows its contract's strike,
CE/PE and expiry day (as painted, at the widths the layout gave)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

ROOT = Path(__file__).resolve().parents[2]
SIZES = ["1366x768", "1280x800", "1920x1080", "1280x720@1.5"]


def inside(outer: list[int], inner: list[int]) -> bool:
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


@pytest.mark.timeout(300)  # a whole app per size, with fills: slow on a loaded machine
@pytest.mark.parametrize("size", SIZES)
def test_the_window_fits_its_screen_with_everything_open(size: str, tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "tests.ui.screen_probe", size, str(out)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=280)
    assert out.exists(), run.stderr[-2000:]
    probe = json.loads(out.read_text())
    assert "error" not in probe, probe
    screen = probe["screen"]
    assert inside(screen, probe["window"]), (size, probe["window"], screen)
    assert {"chart", "payoff"} <= set(probe["windows"]), probe["windows"]
    for name, geometry in probe["windows"].items():
        assert inside(screen, geometry), (size, name, geometry)
    assert any(name.startswith("dock_chain_") for name in probe["docks"])
    for name, (width, minimum, visible) in probe["docks"].items():
        if visible:
            assert width >= minimum, (size, name, width, minimum)
    # the Day P&L summary (it grows with every fill) and the chain's info line never set their dock's width
    assert all(width < 150 for width in probe["summary_min_widths"].values()), probe["summary_min_widths"]
    contracts = probe["contracts"]
    for pane in ("watchlist", "order_book", "positions"):
        rows = probe["rows"][pane]
        assert rows, pane
        for token, shown in rows:
            if token in contracts:
                strike, kind, day = contracts[token]
                for piece in (strike, kind, day):
                    if piece and piece != "0" and kind != "EQ":
                        assert piece in shown.split(), (size, pane, shown, piece)
        # every option row of the pane: its strike and type whole, wherever it is
        for _token, shown in rows:
            words = shown.split()
            if words and words[-1] in ("CE", "PE"):
                assert words[-2].replace(".", "").isdigit() and words[-4].isdigit(), (size, pane, shown)


def test_layout_presets_by_screen_width() -> None:
    from airalgo_desktop.ui.layout import ScreenClass, preset_for_width, preset_named

    assert preset_for_width(1366).screen is ScreenClass.COMPACT
    assert preset_for_width(1280).screen is ScreenClass.COMPACT  # 1920×1080 at 150 %
    assert preset_for_width(1600).screen is ScreenClass.REGULAR
    assert preset_for_width(1920).screen is ScreenClass.WIDE
    assert preset_named("wide", 1366).screen is ScreenClass.WIDE
    assert preset_named("junk", 1366).screen is ScreenClass.COMPACT


def wide_chain_dock(window):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDockWidget, QLabel

    dock = QDockWidget("chain", window)
    dock.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    body = QLabel("a chain", dock)
    body.setMinimumWidth(400)
    dock.setWidget(body)
    return dock


def test_chain_dock_never_widens_the_window_and_reset_layout_works_with_it_open(qtbot, settings) -> None:
    from airalgo_desktop.ui.layout import ScreenClass
    from tests.ui.test_watchlist_tabs import make_window

    window = make_window(qtbot, settings)  # 1280×800 on the 1920×1080 test screen: the wide preset
    QTest.qWait(20)
    screen = window.screen().availableGeometry()
    width = window.width()
    dock = wide_chain_dock(window)
    window.add_chain_dock(dock)
    QTest.qWait(50)
    assert window.width() <= width and screen.contains(window.frameGeometry())
    # no room for a third column at 1280 px: a tab beside the order book, the watchlist untouched
    assert dock in window.tabifiedDockWidgets(window.book_dock)
    # View → Layout → Compact: the chain goes under a tab over the watchlist; Reset layout keeps it there
    window.layout_actions[ScreenClass.COMPACT].trigger()
    QTest.qWait(50)
    assert window.prefs.layout_preset == "compact"
    assert dock in window.tabifiedDockWidgets(window.watch_dock)
    dock.setFloating(True)
    window.actions_["reset_layout"].trigger()
    QTest.qWait(50)
    assert not dock.isFloating() and dock in window.tabifiedDockWidgets(window.watch_dock)
    assert window.width() <= width and not window.book_dock.isHidden()
    # a full-width window on the wide screen: the chain is a column on the right, beside the watchlist
    window.resize(screen.width(), screen.height())
    window.layout_actions[ScreenClass.WIDE].trigger()
    QTest.qWait(50)
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert not window.tabifiedDockWidgets(dock)
    watch = window.watch_dock.width()
    dock.close()  # closing gives the room back
    QTest.qWait(50)
    assert window.chain_docks == [] and window.watch_dock.width() >= watch


def test_a_window_too_large_for_its_screen_is_brought_back(qtbot, settings) -> None:
    from tests.ui.test_watchlist_tabs import make_window

    window = make_window(qtbot, settings)
    screen = window.screen().availableGeometry()
    window.resize(screen.width() + 400, screen.height() + 200)
    window.move(300, 100)
    qtbot.waitUntil(lambda: screen.contains(window.frameGeometry()))


def test_day_pnl_and_chain_info_lines_never_widen_their_dock(qtbot) -> None:
    from airalgo_desktop.ui.widgets import ElidedLabel

    label = ElidedLabel("NIFTY 23,276.05 · forward 23,282.59 (parity) · 2 days to expiry 08 Dec 2026 " * 3)
    qtbot.addWidget(label)
    assert label.minimumSizeHint().width() < 100
    label.show()
    label.resize(200, 20)
    qtbot.waitUntil(lambda: label.shown_text().endswith("…"))
    assert label.shown_text().endswith("…") and label.toolTip() == label.text()
    assert label.fontMetrics().horizontalAdvance(label.shown_text()) <= 200


def test_a_long_status_message_never_pushes_the_status_figures_over_each_other(qtbot, settings) -> None:
    from tests.ui.test_watchlist_tabs import make_window

    window = make_window(qtbot, settings)
    text = "Executed: Buy 65 NIFTY 8 DEC 2026 22400 PE at ₹1.25 " * 6
    window.show_message(text)
    assert window.message_label.text() == text  # whole, in its tooltip when it is cut
    QTest.qWait(20)
    assert window.message_label.minimumSizeHint().width() < 100 and window.width() == 1280
