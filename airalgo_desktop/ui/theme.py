"""Light and dark palettes on the Fusion style; follows the OS colour scheme unless overridden."""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


class ThemeChoice(enum.Enum):
    """What the user picked in View → Theme."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


# trading colours: blue buy / red sell (Kite, NEST), green up / red down; arrows carry direction too
BUY = QColor("#1e63d6")
SELL = QColor("#d83a3a")
UP = QColor("#1a9a4b")
DOWN = QColor("#d83a3a")
MUTED = QColor("#8a8a8a")  # greyed rows: expired contracts, tokens that vanished or changed meaning
UP_FLASH_LIGHT, DOWN_FLASH_LIGHT = QColor(26, 154, 75, 60), QColor(216, 58, 58, 60)  # one instance each, reused
STATUS_COLORS = {
    "Sent": QColor("#8a8a8a"),
    "Pending": QColor("#c98a00"),
    "Executed": QColor("#1a9a4b"),
    "Rejected": QColor("#d83a3a"),
    "Unknown": QColor("#a0522d"),
    "Expired": QColor("#8a8a8a"),
}


def disabled_button_colors() -> tuple[str, str, str]:
    """Background, text and border of a disabled coloured button (Send) for the current theme: clearly not the
    side colour, readable, and distinct from an enabled grey button."""
    app = QApplication.instance()
    dark = bool(app.property("airalgo_dark")) if app is not None else False
    return ("#3a3d43", "#8a8f97", "#6a6f77") if dark else ("#e1e3e6", "#8d9199", "#a9adb3")


def system_is_dark() -> bool:
    """The OS colour scheme (Qt 6.5+), falling back to the palette's window lightness."""
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    """A calm dark palette for long sessions."""
    p = QPalette()
    base, alt, text = QColor(30, 32, 36), QColor(38, 41, 46), QColor(225, 228, 232)
    for role, color in (
        (QPalette.ColorRole.Window, QColor(36, 38, 43)),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, alt),
        (QPalette.ColorRole.ToolTipBase, QColor(50, 53, 59)),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor(46, 49, 55)),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor("#ff6b6b")),
        (QPalette.ColorRole.Highlight, QColor(52, 101, 164)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.Link, QColor(110, 160, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(140, 144, 150)),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 124, 130))
    return p


def light_palette() -> QPalette:
    """Fusion's light palette with a slightly cooler base."""
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(244, 246, 249))
    return p


def apply_theme(app: QApplication, choice: ThemeChoice) -> bool:
    """Apply the theme; returns True when dark."""
    app.setStyle("Fusion")
    dark = system_is_dark() if choice is ThemeChoice.SYSTEM else choice is ThemeChoice.DARK
    app.setPalette(dark_palette() if dark else light_palette())
    app.setProperty("airalgo_dark", dark)
    return dark


def follow_system_changes(app: QApplication, current_choice) -> None:  # type: ignore[no-untyped-def]
    """Re-apply the theme when the OS switches light/dark while the app runs (only if the user chose System)."""
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(
            lambda _scheme: current_choice() is ThemeChoice.SYSTEM and apply_theme(app, ThemeChoice.SYSTEM))
