"""Issue 26, item 12: banners stack. Two problems are both on screen (the journal's "Orders cannot be sent" was
replaced within a second by the bar store's banner); an OK dismisses its own strip only; the key banner goes by
itself once joined and leaves the others; the same message twice is one strip."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from airalgo_desktop.ui.banners import MAX_BANNERS, BannerStack
from airalgo_desktop.ui.main_window import Banner

JOURNAL = "The order journal cannot be used: the disk is full. Orders cannot be sent until this is fixed."
BARS = "The chart's bar store bars.db is locked by another program. Today's bars are kept in memory."


def stack(qtbot) -> tuple[QWidget, BannerStack, list[bool]]:
    host = QWidget()
    qtbot.addWidget(host)
    banners = BannerStack(Banner, host)
    QVBoxLayout(host).addWidget(banners)
    shown: list[bool] = []
    banners.shownChanged.connect(shown.append)
    host.show()
    return host, banners, shown


def test_two_problems_are_both_visible_and_each_ok_closes_its_own(qtbot) -> None:
    host, banners, shown = stack(qtbot)
    assert not banners.isVisible() and banners.label.text() == ""
    banners.show_message(JOURNAL, "OK", banners.hide)
    banners.show_message(BARS, "OK", banners.hide)
    assert banners.isVisible() and banners.texts() == [BARS, JOURNAL]  # newest on top, the first still there
    assert banners.label.text() == BARS
    banners.show_message(BARS, "OK", banners.hide)  # said again: still one strip
    assert banners.texts() == [BARS, JOURNAL]
    banners.button.click()  # the bar store's OK
    qtbot.waitUntil(lambda: banners.texts() == [JOURNAL])
    assert banners.isVisible() and banners.label.text() == JOURNAL
    host.hide()  # a minimised window hides its strips too: they come back with it
    host.show()
    assert banners.texts() == [JOURNAL] and banners.isVisible()
    banners.button.click()
    qtbot.waitUntil(lambda: not banners.isVisible())
    assert banners.texts() == [] and shown == [True, False]


def test_the_key_banner_goes_by_its_key_and_leaves_the_others(qtbot) -> None:
    _host, banners, _shown = stack(qtbot)
    asked: list[str] = []
    banners.show_message(JOURNAL, "OK", banners.hide)
    banners.show_message("Invalid API Key.", "Enter API key…", lambda: asked.append("key"), key="auth")
    banners.button.click()
    assert asked == ["key"] and banners.texts() == ["Invalid API Key.", JOURNAL]  # its action keeps it up
    banners.show_message("The API key was refused.", "Enter API key…", lambda: None, key="auth")  # updated in place
    assert banners.texts() == ["The API key was refused.", JOURNAL]
    banners.dismiss("auth")
    qtbot.waitUntil(lambda: banners.texts() == [JOURNAL])
    assert banners.isVisible()


def test_at_most_a_few_strips_the_oldest_goes(qtbot) -> None:
    _host, banners, _shown = stack(qtbot)
    for i in range(MAX_BANNERS + 2):
        banners.show_message(f"problem {i}", "OK", banners.hide)
    qtbot.waitUntil(lambda: len(banners.texts()) == MAX_BANNERS)
    assert banners.texts()[0] == f"problem {MAX_BANNERS + 1}" and "problem 0" not in banners.texts()
    banners.hide()
    qtbot.waitUntil(lambda: not banners.isVisible())
    assert banners.texts() == []
