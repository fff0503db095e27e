"""Small widgets: exact number fields for the ticket and the alert dialog (paisa and whole quantities inside,
never float), and a one-line label that never widens its dock (:class:`ElidedLabel`).

A field never turns what was typed into a different number. Text that is not a valid value stays visible
exactly as typed (or pasted) and the field reports *why* (:meth:`NumberField.problem`); the owner shows that
and keeps Send disabled. The arrows and PgUp/PgDn step by the tick size or the lot size from a valid value.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QScreen, QShortcut, QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QLabel, QSizePolicy, QWidget

from ..domain.money import MoneyError, Rounding, format_rupees, parse_rupees, round_to_tick

MAX_QUANTITY = 10_000_000
"""The largest quantity the ticket accepts as a number (far above any freeze quantity; keeps the wire's int sane)."""


class NumberField(QAbstractSpinBox):
    """A spin box whose text is the truth: ``value()`` is the parsed number (0 when empty or invalid) and
    ``problem()`` says what is wrong with the text, if anything. Subclasses implement :meth:`parse` and
    :meth:`render`."""

    valueChanged = Signal(object)
    """The parsed value changed (also emitted with 0 when the text became invalid). An ``object``, not ``int``: a
    Qt int is 32 bits, and a price up to ``MAX_PRICE`` in paisa (₹10 crore) is not."""
    edited = Signal()
    """The text changed in any way (typing, paste, setValue): the owner re-validates."""
    stepped = Signal()
    """The trader stepped the value (arrow keys, PgUp/PgDn, the spin buttons, the wheel): unlike ``setValue``, an
    edit of theirs, though no text was typed."""

    def __init__(self, parent: QWidget | None = None, step: int = 1, label: str = "Value") -> None:
        super().__init__(parent)
        self._value = 0
        self._problem: str | None = None
        self._rejected: str | None = None  # the owner's verdict on a readable value (quantity 0, price off tick)
        self._step = max(1, step)
        self.label = label
        self.setAccelerated(True)
        # nothing is ever "corrected": validate() accepts every text, so focus-out and Enter leave it alone
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
        self.lineEdit().textChanged.connect(self._on_text)
        self.lineEdit().setText("")

    # ------------------------------------------------------------ subclass hooks
    def parse(self, text: str) -> int:
        """Text → value; raise ValueError with a sentence for the trader."""
        raise NotImplementedError

    def render(self, value: int) -> str:
        """Value → the text shown for it."""
        raise NotImplementedError

    # ------------------------------------------------------------ public API
    def step(self) -> int:
        """What one arrow press adds (tick size in paisa, or lot size)."""
        return self._step

    def setStep(self, step: int) -> None:
        """Set the arrow step."""
        self._step = max(1, step)

    def value(self) -> int:
        """The number the text says; 0 when the text is empty or not a valid value."""
        return self._value

    def problem(self) -> str | None:
        """Why the text is not a valid value, or None when it is (empty counts as valid 0)."""
        return self._problem

    def setValue(self, value: int) -> None:
        """Show ``value`` (0 shows an empty field)."""
        self.lineEdit().setText(self.render(value) if value else "")

    def set_rejected(self, reason: str | None) -> None:
        """The owner's verdict on the value (a quantity of 0 or nothing, a price off the tick): a reason gets the
        same red border and tooltip as text that is not a number; None clears it."""
        if reason != self._rejected:
            self._rejected = reason
            self._show_state()

    # ------------------------------------------------------------ internals
    def _on_text(self, text: str) -> None:
        try:
            value, problem = (self.parse(text) if text.strip() else 0), None
        except ValueError as exc:
            value, problem = 0, str(exc)
        changed = value != self._value
        self._value, self._problem = value, problem
        self._show_state()
        if changed:
            self.valueChanged.emit(value)
        self.edited.emit()

    def _show_state(self) -> None:
        reason = self._problem or self._rejected
        self.setToolTip(reason or "")
        if (reason is None) != (self.property("invalid") is not True):
            self.setProperty("invalid", reason is not None)
            self.setStyleSheet("QAbstractSpinBox { border: 1px solid #d83a3a; }" if reason else "")

    def validate(self, text: str, pos: int) -> object:  # type: ignore[override]
        return QValidator.State.Acceptable  # keep every keystroke and paste as typed; problem() reports

    def fixup(self, text: str) -> str:  # type: ignore[override]
        return text

    def stepBy(self, steps: int) -> None:
        if self._problem is not None:
            return  # no guessing what an invalid text meant
        step, value = self._step, self._value
        if value % step == 0:
            new = value + steps * step
        elif steps > 0:  # off the grid: the first step lands on the next grid point
            new = round_to_tick(value, step, Rounding.UP) + (steps - 1) * step
        else:
            new = round_to_tick(value, step, Rounding.DOWN) + (steps + 1) * step
        self.setValue(max(0, new))
        self.lineEdit().selectAll()
        self.stepped.emit()

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        if self._problem is not None:
            return QAbstractSpinBox.StepEnabledFlag.StepNone
        flags = QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self._value > 0:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags


class PriceSpin(NumberField):
    """Edits a price in rupees, holds it in paisa; arrows/PgUp step by the tick size. 0 means "no price"."""

    def __init__(self, parent: QWidget | None = None, tick: int = 5, label: str = "Price") -> None:
        super().__init__(parent, tick, label)

    def tick(self) -> int:
        """Step in paisa."""
        return self.step()

    def setTick(self, tick: int) -> None:
        """Set the step (the instrument's tick size, paisa)."""
        self.setStep(tick)

    def parse(self, text: str) -> int:
        try:
            paisa = parse_rupees(text)
        except MoneyError as exc:
            detail = str(exc)
            if "decimals" in detail:
                raise ValueError(f"{self.label} has more than two decimals: '{text.strip()}'.") from exc
            raise ValueError(f"{self.label} '{text.strip()}' is not an amount in rupees.") from exc
        if paisa < 0:
            raise ValueError(f"{self.label} cannot be negative.")
        return paisa

    def render(self, value: int) -> str:
        return format_rupees(value, symbol=False)


class QuantitySpin(NumberField):
    """Edits a whole quantity; arrows step by the lot size. "1.5", "-5" or "abc" stay visible with a reason."""

    def __init__(self, parent: QWidget | None = None, lot: int = 1, label: str = "Quantity") -> None:
        super().__init__(parent, lot, label)

    def parse(self, text: str) -> int:
        body = text.strip().replace(",", "").replace(" ", "")
        if body.startswith("-") and body[1:].replace(".", "", 1).isdigit():
            raise ValueError(f"{self.label} cannot be negative.")
        if body.replace(".", "", 1).isdigit():
            whole, _, frac = body.partition(".")
            if frac.strip("0"):
                raise ValueError(f"{self.label} must be a whole number of lots, not {text.strip()}.")
            body = whole or "0"
        if not body.isdigit():
            raise ValueError(f"{self.label} '{text.strip()}' is not a number.")
        quantity = int(body)
        if quantity > MAX_QUANTITY:
            raise ValueError(f"{self.label} {quantity:,} is above the largest order this ticket takes "
                             f"({MAX_QUANTITY:,}).")
        return quantity

    def render(self, value: int) -> str:
        return str(value)


class ElidedLabel(QLabel):
    """A one-line plain-text label that takes the width it is given and no more: a longer text is elided at the
    right and shown whole in the tooltip. Its minimum width is small, so a summary line that grows (an info line, a
    status) never widens the dock or window around it. ``text()`` is the whole text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # type: ignore[override]
        """Show ``text`` (elided to the current width)."""
        self._full = text
        self._elide()

    def text(self) -> str:  # type: ignore[override]
        """The whole text, as set."""
        return self._full

    def shown_text(self) -> str:
        """What is painted now (the elided text)."""
        return super().text()

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("…") * 4, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 8, super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._elide()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = max(0, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


def fit_into_screen(widget: QWidget, screen: QScreen | None = None) -> bool:
    """Shrink and move the top-level ``widget`` so that its frame lies inside the available geometry of ``screen``
    (its own screen by default): a chart window, the payoff or the main window never opens running off the screen.
    Returns True when it had to change anything."""
    screen = screen or widget.screen()
    if screen is None:
        return False
    avail = screen.availableGeometry()
    frame = widget.frameGeometry()
    extra_w, extra_h = frame.width() - widget.width(), frame.height() - widget.height()
    width = max(1, min(widget.width(), avail.width() - extra_w))
    height = max(1, min(widget.height(), avail.height() - extra_h))
    changed = False
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(width, height)
        changed = True
    frame = widget.frameGeometry()
    x = min(max(frame.x(), avail.left()), avail.left() + avail.width() - frame.width())
    y = min(max(frame.y(), avail.top()), avail.top() + avail.height() - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        widget.move(max(avail.left(), x), max(avail.top(), y))
        changed = True
    return changed


def add_close_keys(window: QWidget, *, escape: bool = False) -> None:
    """Ctrl+W (and the platform's Close key) close ``window``; with ``escape`` Esc too (a dialog has Esc
    already, a plain window such as a chart window does not)."""
    keys = [QKeySequence("Ctrl+W"), QKeySequence(QKeySequence.StandardKey.Close)]
    if escape:
        keys.append(QKeySequence(Qt.Key.Key_Escape))
    seen: set[str] = set()
    for key in keys:
        text = key.toString()
        if key.isEmpty() or text in seen:
            continue
        seen.add(text)
        shortcut = QShortcut(key, window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(window.close)
