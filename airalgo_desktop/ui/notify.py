"""Notifications on fills, rejections and alerts: a system-tray message where a tray exists, an in-app toast
otherwise, and a short sound (``QApplication.beep()`` — no Qt Multimedia needed, which PySide6-Essentials lacks).
Each kind and the sound can be turned off (``Prefs.notify``: View → Notifications)."""

from __future__ import annotations

import enum
import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSystemTrayIcon, QWidget

from ..settings import Prefs

log = logging.getLogger("airalgo.ui.notify")


class Kind(enum.StrEnum):
    """What happened."""

    FILL = "fills"
    REJECTION = "rejections"
    ALERT = "alerts"


class Toast(QLabel):
    """A small message that disappears by itself: in the top-right corner of the window's central area (the
    instrument panel over the chart), never over the docks — at the bottom right it covered the order book's newest
    rows, just when the trader looks there for the fill it announces."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.setWordWrap(True)
        self.setStyleSheet("#toast { background: rgba(30, 32, 36, 230); color: white; border-radius: 6px; "
                           "padding: 10px 14px; }")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)

    def show_message(self, title: str, text: str, ms: int = 4500) -> None:
        """Show for ``ms`` milliseconds."""
        self.setText(f"<b>{title}</b><br>{text}")
        self.setFixedWidth(320)
        self.adjustSize()
        parent = self.parentWidget()
        if parent is not None:
            central = parent.centralWidget() if isinstance(parent, QMainWindow) else None
            area = central.geometry() if central is not None else parent.rect()
            self.move(max(area.left(), area.right() - self.width() - 16), area.top() + 12)
        self.show()
        self.raise_()
        self._timer.start(ms)


class Notifier:
    """Routes a notification to the tray or the toast, plays the sound; honours the user's switches."""

    def __init__(self, window: QWidget, prefs: Prefs, icon=None, *, tray: bool | None = None) -> None:  # type: ignore[no-untyped-def]
        self.prefs = prefs
        self.toast = Toast(window)
        use_tray = QSystemTrayIcon.isSystemTrayAvailable() if tray is None else tray
        self.tray: QSystemTrayIcon | None = None
        if use_tray:
            self.tray = QSystemTrayIcon(icon, window) if icon is not None else QSystemTrayIcon(window)
            self.tray.setToolTip("AirAlgo Desktop")
            self.tray.show()
        self.sent: list[tuple[str, str, str]] = []  # (route, title, text) — what was shown, for tests and logs

    def enabled(self, kind: Kind) -> bool:
        """Whether notifications of ``kind`` are on (default on)."""
        return self.prefs.notify(kind.value)

    def sound_enabled(self) -> bool:
        """Whether the sound is on (default on)."""
        return self.prefs.notify("sound")

    def notify(self, kind: Kind, title: str, text: str) -> str | None:
        """Show one notification; returns the route taken ("tray", "toast") or None when switched off."""
        log.info("notification (%s): %s — %s", kind.value, title, text)
        if not self.enabled(kind):
            return None
        if self.tray is not None:
            icon = QSystemTrayIcon.MessageIcon.Warning if kind is Kind.REJECTION else \
                QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage(title, text, icon, 5000)
            route = "tray"
        else:
            self.toast.show_message(title, text)
            route = "toast"
        if self.sound_enabled():
            QApplication.beep()
        self.sent.append((route, title, text))
        return route
