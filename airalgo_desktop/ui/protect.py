"""Positions → Add stop / target…: a small dialog that arms a protective trigger held by this app (stop-loss,
target, both as an OCO bracket, or a trailing stop by points or %), and the words a tooltip uses for a position's
triggers. The rules and the honesty are the desk's (``desk/triggers.py``); this only asks and shows.

Bad input gets one clear sentence under the fields and loses nothing (the dialog stays open).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..desk.notices import TriggerFired, TriggersChanged
from ..desk.triggers import TriggerDesk
from ..domain.money import MoneyError, format_rupees, parse_rupees
from ..services.triggers import HELD_BY_APP, Trigger, TriggerState
from .listening import NoticeSource, listen
from .notify import Kind, Notifier

MARKET, LIMIT = "Market", "Limit, a few ticks beyond the level"


def protection_text(triggers: TriggerDesk, token: str) -> str:
    """A position's live triggers, one per line, and what "held by this app" means (empty without one)."""
    live = triggers.book.for_token(token)
    return "\n".join([t.describe() for t in live] + [HELD_BY_APP]) if live else ""


def _levels(t: Trigger) -> str:
    """A trigger's levels in a few words (the column is narrow; the tooltip has the whole line)."""
    if t.legs:
        parts = [f"loss {format_rupees(t.max_loss)}"] if t.max_loss else []
        parts += [f"profit {format_rupees(t.target_profit)}"] if t.target_profit else []
        return "combined " + ", ".join(parts)
    parts = [f"stop {format_rupees(t.stop)}"] if t.stop else []
    parts += [f"target {format_rupees(t.target)}"] if t.target else []
    parts += [f"trailing {format_rupees(t.trail)}"] if t.trail else [f"trailing {t.trail_bp / 100:g} %"] \
        if t.trail_bp else []
    return ", ".join(parts) or t.kind.value


def protection_state(triggers: TriggerDesk, token: str) -> str:
    """The positions table's Protection column: each live trigger's levels and state in words (*armed*, *paused:
    why*, *waiting for the entry…*), else the last one that fired (*fired → order …*); empty when none ever did."""
    live = triggers.book.for_token(token)
    if live:
        return "; ".join(f"{_levels(t)}: {f'paused: {t.reason}' if t.state is TriggerState.PAUSED else t.status_text()}"
                         for t in live)
    fired = [t for t in triggers.triggers.values() if t.state is TriggerState.FIRED and token in (t.token, *t.legs)]
    return f"{_levels(fired[-1])}: {fired[-1].status_text()}" if fired else ""


def fired_text(triggers: TriggerDesk, local_id: str) -> str:
    """For the order book: *fired by your stop …* when this order is a trigger's exit (empty otherwise)."""
    trigger = triggers.book.fired_by(local_id)
    return f"{trigger.fired} ({trigger.kind.value} held by this app)" if trigger is not None else ""


def announce_triggers(window: QWidget, desk: NoticeSource, notifier: Notifier) -> None:
    """Say every firing as a notification (with its exit orders, or why none was sent) and every change the trader
    did not make — paused (not watched), shrunk, disarmed — in the status bar, until ``window`` is destroyed."""
    def fired(notice: TriggerFired) -> None:
        t = notice.trigger
        notifier.notify(Kind.ALERT, "Protective trigger (held by this app)", f"{notice.text} — {t.status_text()}")

    def changed(notice: TriggersChanged) -> None:
        show = getattr(window, "show_message", None)
        if notice.message and show is not None and not notice.message.startswith("Fired by"):
            show(notice.message)

    listen(window, desk, {TriggerFired: fired, TriggersChanged: changed})


def arm_widgets(dialog: QDialog, name: str, held: str) -> tuple[QLabel, QLabel, QDialogButtonBox]:
    """A protect dialog's foot: who holds the trigger (``held``), the line a refusal is said on, and Arm / Cancel
    wired to the dialog's accept / reject. Object names start with ``name``."""
    held_label = QLabel(held, dialog)
    held_label.setObjectName(f"{name}_held_by_app")
    held_label.setWordWrap(True)
    error = QLabel("", dialog)
    error.setObjectName(f"{name}_error")
    error.setWordWrap(True)
    error.setStyleSheet("color: #c62828;")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Arm")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return held_label, error, buttons


class ProtectDialog(QDialog):
    """Add stop / target… for one open position; ``trigger`` is what was armed (None until accepted)."""

    def __init__(self, triggers: TriggerDesk, token: str, label: str, net: int, ltp: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.triggers, self.token = triggers, token
        self.trigger: Trigger | None = None
        self.setWindowTitle(f"Add stop / target — {label}")
        self.setObjectName("protect_dialog")
        side = "long" if net > 0 else "short"
        where = f", LTP {format_rupees(ltp)}" if ltp else ""
        self.summary = QLabel(f"{label}: {side} {abs(net)}{where}", self)
        # what already protects it: after a restart these are paused until re-armed here
        self.existing = QLabel("", self)
        self.existing.setObjectName("protect_existing")
        self.existing.setWordWrap(True)
        self.rearm_button, self.disarm_button = QPushButton("Re-arm paused", self), QPushButton("Disarm all", self)
        self.rearm_button.clicked.connect(self.rearm)
        self.disarm_button.clicked.connect(self.disarm_all)
        self.stop, self.target, self.trail = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.stop.setPlaceholderText("₹ — the loss side" + (" (below the LTP)" if net > 0 else " (above the LTP)"))
        self.target.setPlaceholderText("₹ — the profit side (with a stop: an OCO bracket)")
        self.trail.setPlaceholderText("optional: follows the best price, only in your favour")
        self.trail_unit = QComboBox(self)
        self.trail_unit.addItems(["₹", "%"])
        self.quantity = QSpinBox(self)
        self.quantity.setRange(1, max(1, abs(net)))
        self.quantity.setValue(abs(net))
        self.exit = QComboBox(self)
        self.exit.addItems([MARKET, LIMIT])
        self.buffer = QSpinBox(self)
        self.buffer.setRange(0, 1000)
        self.buffer.setValue(2)
        self.buffer.setSuffix(" ticks")
        self.exit.currentTextChanged.connect(lambda text: self.buffer.setEnabled(text == LIMIT))
        self.buffer.setEnabled(False)
        form = QFormLayout()
        form.addRow("Stop-loss", self.stop)
        form.addRow("Target", self.target)
        form.addRow("Trailing by", self.trail)
        form.addRow("Trail unit", self.trail_unit)
        form.addRow("Quantity", self.quantity)
        form.addRow("Exit order", self.exit)
        form.addRow("Limit buffer", self.buffer)
        self.held, self.error, buttons = arm_widgets(
            self, "protect", HELD_BY_APP + " Not watched while the app is closed, disconnected or the feed is "
            "stale: it then says so, and after a restart you re-arm it.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.existing)
        row = QHBoxLayout()
        row.addWidget(self.rearm_button)
        row.addWidget(self.disarm_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addLayout(form)
        layout.addWidget(self.held)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.show_existing()

    def show_existing(self) -> None:
        """The position's live triggers and their state (paused ones say why and what the bars saw)."""
        live = self.triggers.book.for_token(self.token)
        self.existing.setText("\n".join(t.describe() for t in live))
        self.existing.setVisible(bool(live))
        self.rearm_button.setVisible(any(t.state is TriggerState.PAUSED for t in live))
        self.disarm_button.setVisible(bool(live))

    def rearm(self) -> None:
        """Watch this position's paused triggers again (the trader read what happened meanwhile)."""
        for t in self.triggers.book.for_token(self.token):
            if t.state is TriggerState.PAUSED:
                self.triggers.rearm(t.id)
        self.show_existing()

    def disarm_all(self) -> None:
        """Forget this position's triggers (journalled)."""
        for t in self.triggers.book.for_token(self.token):
            self.triggers.disarm(t.id)
        self.show_existing()

    def _levels(self) -> dict[str, int]:
        """The typed levels in paisa (and the trail in basis points for %); raises ValueError in words."""
        out: dict[str, int] = {}
        for name, field in (("stop", self.stop), ("target", self.target)):
            text = field.text().strip()
            if text:
                try:
                    out[name] = parse_rupees(text)
                except MoneyError as exc:
                    raise ValueError(f"{name.capitalize()}: {exc}.") from None
        text = self.trail.text().strip()
        if text:
            if self.trail_unit.currentText() == "%":
                try:
                    out["trail_bp"] = int(Decimal(text.rstrip("%")) * 100)
                except (InvalidOperation, ValueError):
                    raise ValueError(f"Trailing by: '{text}' is not a percentage.") from None
            else:
                try:
                    out["trail"] = parse_rupees(text)
                except MoneyError as exc:
                    raise ValueError(f"Trailing by: {exc}.") from None
        if any(v <= 0 for v in out.values()):
            raise ValueError("Levels must be above zero.")
        return out

    def accept(self) -> None:
        """Arm it through the desk; on a refusal say why and stay open (nothing typed is lost)."""
        try:
            self.trigger = self.triggers.protect(
                self.token, quantity=self.quantity.value(),
                buffer_ticks=self.buffer.value() if self.exit.currentText() == LIMIT else None, **self._levels())
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class LegsProtectDialog(QDialog):
    """One combined stop on the total P&L of an underlying's open option legs (a strangle, a spread…): when the
    legs together lose ``max loss`` (or make ``target profit``) every leg exits. ``trigger`` is what was armed."""

    def __init__(self, triggers: TriggerDesk, underlying: str, legs: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.triggers, self.underlying = triggers, underlying
        self.trigger: Trigger | None = None
        self.setWindowTitle(f"Combined stop — {underlying} option legs")
        self.setObjectName("protect_legs_dialog")
        self.summary = QLabel(f"{len(legs)} open option leg(s) of {underlying}: " + ", ".join(legs), self)
        self.summary.setWordWrap(True)
        self.max_loss, self.target_profit = QLineEdit(self), QLineEdit(self)
        self.max_loss.setPlaceholderText("₹ — the legs' total loss that exits them all")
        self.target_profit.setPlaceholderText("₹ — optional: the legs' total profit that exits them all")
        self.max_loss.setAccessibleName("Maximum loss of the legs")
        self.target_profit.setAccessibleName("Profit target of the legs")
        form = QFormLayout()
        form.addRow("Maximum loss", self.max_loss)
        form.addRow("Profit target", self.target_profit)
        self.held, self.error, buttons = arm_widgets(
            self, "protect_legs", HELD_BY_APP + " Not watched while the app is closed or disconnected.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.held)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def accept(self) -> None:
        """Arm it through the desk; on a refusal say why and stay open (nothing typed is lost)."""
        amounts: dict[str, int] = {}
        for name, field in (("max_loss", self.max_loss), ("target_profit", self.target_profit)):
            if text := field.text().strip():
                try:
                    amounts[name] = parse_rupees(text)
                except MoneyError as exc:
                    self.error.setText(f"{name.replace('_', ' ').capitalize()}: {exc}.")
                    return
                if amounts[name] <= 0:
                    self.error.setText("Amounts must be above zero.")
                    return
        try:
            self.trigger = self.triggers.protect_legs(self.underlying, **amounts)
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
