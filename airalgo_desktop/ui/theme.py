"""Light and dark palettes on the Fusion style (follows the OS colour scheme unless overridden), each in a normal and
a colour-blind-safe variant, and the one place a view learns that the theme changed.

Every colour that carries text is chosen for a WCAG contrast of at least 4.5:1 against each background it is drawn on
in its theme (window, table base, alternate rows, the chain's ATM and ITM tints) — ``tests/ui/test_theme_contrast.py``
measures them. Colour is never the only carrier of meaning: prices carry a sign or an arrow, up candles are hollow and
down candles filled, the chain's ITM cells are hatched and its ATM strike marked.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractButton, QApplication


class ThemeChoice(enum.Enum):
    """What the user picked in View → Theme."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Colours:
    """The trading colours of one theme variant. ``up``/``down``/``buy_ink``/``sell_ink``/``muted``/``status`` are
    text colours (≥ 4.5:1 on the theme's backgrounds); ``buy``/``sell`` fill buttons and labels under white text."""

    up: str
    down: str
    buy: str
    sell: str
    buy_ink: str
    sell_ink: str
    muted: str
    pending: str
    unknown: str
    atm: str  # the chain's ATM row tint (opaque, already blended over the table's base)
    itm: str  # the chain's in-the-money tint (opaque)
    strike: str  # the chain's strike column tint (opaque)


# blue buy / red sell (Kite, NEST), green up / red down, darkened on white and lightened on the dark base so that
# text in them reads at 4.5:1; the colour-blind variant uses blue up / orange down (safe under deuteranopia and
# protanopia, the Okabe–Ito pair) and keeps the side colours, which never mean anything alone (the word BUY/SELL is
# always there)
LIGHT = Colours(up="#0f6e33", down="#b3261e", buy="#1e63d6", sell="#c62f2f", buy_ink="#1a56bb", sell_ink="#b3261e",
                muted="#5a5e65", pending="#7a5000", unknown="#8b4513", atm="#ffeab0", itm="#e8edf5", strike="#ececec")
DARK = Colours(up="#4cc47a", down="#ff8a80", buy="#1e63d6", sell="#c62f2f", buy_ink="#7aa8ff", sell_ink="#ff8a80",
               muted="#a7acb4", pending="#e0a526", unknown="#e09a70", atm="#35311f", itm="#252b33", strike="#2c2e33")
LIGHT_CB = Colours(up="#1a5fb4", down="#9a4700", buy="#1e63d6", sell="#c62f2f", buy_ink="#1a56bb",
                   sell_ink="#b3261e", muted="#5a5e65", pending="#7a5000", unknown="#8b4513", atm="#ffeab0",
                   itm="#e8edf5", strike="#ececec")
DARK_CB = Colours(up="#6aa8ff", down="#ff9f43", buy="#1e63d6", sell="#c62f2f", buy_ink="#7aa8ff", sell_ink="#ff8a80",
                  muted="#a7acb4", pending="#e0a526", unknown="#e09a70", atm="#35311f", itm="#252b33",
                  strike="#2c2e33")

# the current colours, rebound by apply_theme; views read them as ``theme.UP`` at paint time (never ``from .theme
# import UP``, which would keep the first theme's colour)
BUY = QColor(LIGHT.buy)
SELL = QColor(LIGHT.sell)
BUY_INK = QColor(LIGHT.buy_ink)
SELL_INK = QColor(LIGHT.sell_ink)
UP = QColor(LIGHT.up)
DOWN = QColor(LIGHT.down)
MUTED = QColor(LIGHT.muted)  # greyed rows: expired contracts, tokens that vanished or changed meaning
UP_FLASH_LIGHT, DOWN_FLASH_LIGHT = QColor(26, 154, 75, 60), QColor(216, 58, 58, 60)
STATUS_COLORS: dict[str, QColor] = {}
ATM_BRUSH = QBrush(QColor(LIGHT.atm))
ITM_BRUSH = QBrush(QColor(LIGHT.itm))
STRIKE_BRUSH = QBrush(QColor(LIGHT.strike))
HATCH_STEP = 6  # px between the ITM hatch's diagonals
INDICATOR_WINDOW = QColor(160, 165, 173)  # Fusion rims a radio or check box in this .darker(140): 3.3:1


def relative_luminance(color: QColor) -> float:
    """WCAG 2 relative luminance of an opaque colour (0 black … 1 white)."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 … 21; text wants ≥ 4.5)."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def hatch_line(colours: Colours, dark: bool) -> QColor:
    """The colour of the ITM hatch's diagonals: a shade off the ITM tint, still ≥ 4.5:1 under the cell's text."""
    return QColor(colours.itm).lighter(130) if dark else QColor(colours.itm).darker(106)


def _hatched(colours: Colours, dark: bool) -> QBrush:
    """The ITM tint with thin diagonals: in the money reads without telling colours apart."""
    tile = QPixmap(HATCH_STEP, HATCH_STEP)
    tile.fill(QColor(colours.itm))
    painter = QPainter(tile)
    painter.setPen(hatch_line(colours, dark))
    painter.drawLine(0, HATCH_STEP - 1, HATCH_STEP - 1, 0)
    painter.end()
    return QBrush(tile)


def colours_for(dark: bool, colour_blind: bool) -> Colours:
    """The colour set of a theme variant."""
    return (DARK_CB if colour_blind else DARK) if dark else (LIGHT_CB if colour_blind else LIGHT)


def is_dark() -> bool:
    """Whether the dark theme is on (False before any theme was applied)."""
    app = QApplication.instance()
    return bool(app.property("airalgo_dark")) if app is not None else False


def plot_colours() -> tuple[QColor, QColor]:
    """(background, ink) of a plot in the current theme: axes, tick labels and plot text use the ink."""
    return (QColor("#101216"), QColor("#b8bcc4")) if is_dark() else (QColor("#ffffff"), QColor("#3a3d43"))


def _use(colours: Colours, dark: bool) -> None:
    global BUY, SELL, BUY_INK, SELL_INK, UP, DOWN, MUTED, UP_FLASH_LIGHT, DOWN_FLASH_LIGHT
    global ATM_BRUSH, ITM_BRUSH, STRIKE_BRUSH
    BUY, SELL = QColor(colours.buy), QColor(colours.sell)
    BUY_INK, SELL_INK = QColor(colours.buy_ink), QColor(colours.sell_ink)
    UP, DOWN, MUTED = QColor(colours.up), QColor(colours.down), QColor(colours.muted)
    UP_FLASH_LIGHT, DOWN_FLASH_LIGHT = QColor(UP), QColor(DOWN)
    UP_FLASH_LIGHT.setAlpha(60)
    DOWN_FLASH_LIGHT.setAlpha(60)
    STATUS_COLORS.clear()
    STATUS_COLORS.update({"Sent": MUTED, "Pending": QColor(colours.pending), "Executed": UP, "Rejected": DOWN,
                          "Unknown": QColor(colours.unknown), "Expired": MUTED})
    ATM_BRUSH = QBrush(QColor(colours.atm))
    ITM_BRUSH = _hatched(colours, dark) if QGuiApplication.instance() is not None else QBrush(QColor(colours.itm))
    STRIKE_BRUSH = QBrush(QColor(colours.strike))


_use(LIGHT, False)


class _Notifier(QObject):
    changed = Signal()


_notifier: _Notifier | None = None


def notifier() -> _Notifier:
    """The app-wide object whose ``changed`` signal fires after every theme or palette-variant switch."""
    global _notifier
    if _notifier is None:
        _notifier = _Notifier()
    return _notifier


class _Follower(QObject):
    """Runs a callback on every theme change for as long as its parent lives (a child object: destroyed with it)."""

    def __init__(self, owner: QObject, callback: Callable[[], object]) -> None:
        super().__init__(owner)
        self.setObjectName("theme_follower")
        self._callback = callback
        notifier().changed.connect(self._run)

    @Slot()
    def _run(self) -> None:
        self._callback()


def follow(owner: QObject, callback: Callable[[], object]) -> None:
    """Call ``callback`` after each theme switch while ``owner`` lives: how plots and painted items, which Qt's
    palette change does not reach, take the new colours live."""
    _Follower(owner, callback)


def clear_indicator(button: QAbstractButton) -> None:
    """Keep a radio button's or check box's circle visible in the dark theme (now and after every switch): Fusion
    rims it in a shade darker than the window, which on the dark window all but vanishes; the button gets a lighter
    Window for its rim (≥ 3:1 against the window, as WCAG asks of a control's boundary) and a lighter Base inside."""

    def paint() -> None:
        palette = QPalette(QApplication.palette())
        if is_dark():
            palette.setColor(QPalette.ColorRole.Window, INDICATOR_WINDOW)
            palette.setColor(QPalette.ColorRole.Base, QColor(52, 55, 61))
        button.setPalette(palette)

    paint()
    follow(button, paint)


def disabled_button_colors() -> tuple[str, str, str]:
    """Background, text and border of a disabled coloured button (Send) for the current theme: clearly not the
    side colour, readable, and distinct from an enabled grey button."""
    return ("#3a3d43", "#b0b4bb", "#6a6f77") if is_dark() else ("#e1e3e6", "#5f636b", "#a9adb3")


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
        (QPalette.ColorRole.PlaceholderText, QColor(150, 154, 160)),
        # Fusion draws check box and radio rims in a shade of Window and Light/Mid: lighter ones keep the filter
        # radios visible on the dark window
        (QPalette.ColorRole.Light, QColor(120, 124, 132)),
        (QPalette.ColorRole.Midlight, QColor(90, 94, 102)),
        (QPalette.ColorRole.Mid, QColor(110, 114, 122)),
        (QPalette.ColorRole.Dark, QColor(20, 21, 24)),
    ):
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(130, 134, 140))
    return p


def light_palette() -> QPalette:
    """Fusion's light palette with a slightly cooler base and placeholder text dark enough to read (4.5:1)."""
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(244, 246, 249))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(110, 114, 120))
    return p


def apply_theme(app: QApplication, choice: ThemeChoice, colour_blind: bool | None = None) -> bool:
    """Apply the theme (and the colour-blind-safe variant when ``colour_blind``; None keeps the current one); every
    follower (:func:`follow`) is told. Returns True when dark."""
    app.setStyle("Fusion")
    dark = system_is_dark() if choice is ThemeChoice.SYSTEM else choice is ThemeChoice.DARK
    if colour_blind is None:
        colour_blind = bool(app.property("airalgo_colour_blind"))
    app.setProperty("airalgo_dark", dark)
    app.setProperty("airalgo_colour_blind", colour_blind)
    _use(colours_for(dark, colour_blind), dark)
    app.setPalette(dark_palette() if dark else light_palette())
    notifier().changed.emit()
    return dark


def follow_system_changes(app: QApplication, current_choice) -> None:  # type: ignore[no-untyped-def]
    """Re-apply the theme when the OS switches light/dark while the app runs (only if the user chose System)."""
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(
            lambda _scheme: current_choice() is ThemeChoice.SYSTEM and apply_theme(app, ThemeChoice.SYSTEM))
