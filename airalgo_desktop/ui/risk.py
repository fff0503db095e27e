"""The risk gate's views: Trade → Risk limits… (with the early unlock), the risk meter in the status bar, the kill
switch's confirmation and its report.

The rules and the state are the desk's (``desk.risk``, :mod:`airalgo_desktop.services.risk`); these widgets only show
them and hand the trader's choices back through signals or the callables they are given. Dialogs are opened with
``open()`` (the app runs on an asyncio loop: never ``exec()``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..desk.notices import RiskChanged
from ..domain.money import Paisa, format_rupees, parse_rupees
from ..domain.orders import OrderRecord, OrderRequest
from ..domain.wording import plural
from ..services.risk import UNLOCK_PHRASE, RiskLimits, meter_level
from .listening import NoticeSource, listen

MAX_PAISA = 10**15  # ₹10 lakh crore: anything above is a typo, refused rather than stored
ERROR_RED = "#b3261e"  # 6.6:1 on white

# the meter's colours: background, text — each pair ≥ 4.5:1 (WCAG AA for normal text; tests/ui/test_risk_ui.py)
METER_STYLE = {
    "warn": ("#f2b01e", "#1f1f1f"),  # amber at 80 % of a limit
    "locked": ("#b3261e", "#ffffff"),  # red at the lock
}


def short_rupees(paisa: Paisa, *, exact: bool = False) -> str:
    """Rupees with a real minus for the status bar: ``-425000`` → ``−₹4,250``. The paisa are cut toward zero, never
    rounded: −₹4,999.50 reads −₹4,999, so a day short of its limit never shows the limit's figure. ``exact`` keeps
    paisa that are not zero (the limit itself: ₹5,000.50 must not read as ₹5,000 either)."""
    rupees = abs(paisa) // 100 * (-1 if paisa < 0 else 1)
    text = format_rupees(paisa) if exact and paisa % 100 else format_rupees(rupees * 100)[: -len(".00")]
    return text.replace("-", "\u2212", 1)


def meter_text(notice: RiskChanged) -> str:
    """``Day −₹4,250 of −₹5,000 · 3/10 orders/min`` (each part as far as its limit is on; the lock is the colour
    and the tooltip)."""
    day = f"Day {short_rupees(notice.day_pnl)}"
    if notice.max_day_loss is not None:
        day += f" of {short_rupees(-notice.max_day_loss, exact=True)}"
    minute = f"{notice.orders_minute}/{notice.max_per_minute}" if notice.max_per_minute is not None \
        else str(notice.orders_minute)
    return f"{day} · {minute} orders/min"  # short: the status bar is crowded at 1366 px; the rest is in the tooltip


class RupeeField(QLineEdit):
    """An amount in rupees, shown grouped like every amount in the app (₹10,00,000.00) and typed with or without
    separators or ₹; leaving the field regroups a valid amount, anything else stays as typed."""

    def __init__(self, paisa: Paisa | None, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(format_rupees(paisa) if paisa else "", parent)
        self.setPlaceholderText(placeholder)
        self.editingFinished.connect(self._regroup)

    def _regroup(self) -> None:
        try:
            paisa = parse_rupees(self.text())
        except ValueError:
            return
        if paisa > 0 and self.text() != format_rupees(paisa):
            self.setText(format_rupees(paisa))

    def paisa(self, what: str) -> Paisa:
        """The amount, or ValueError with one sentence naming ``what``."""
        try:
            paisa = parse_rupees(self.text())
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from exc
        if paisa <= 0:
            raise ValueError(f"{what} must be above ₹0 (untick the box to switch the limit off).")
        if paisa > MAX_PAISA:
            raise ValueError(f"{what} of {format_rupees(paisa)} is not a plausible limit.")
        return paisa


class RiskLimitsDialog(QDialog):
    """Trade → Risk limits…: each limit optional (a box and its field); emits ``saved(RiskLimits)``. When today is
    locked, the lock's reason and the early unlock: the trader types :data:`UNLOCK_PHRASE` (``unlock`` is
    ``desk.risk.unlock``, which journals it)."""

    saved = Signal(object)

    def __init__(self, limits: RiskLimits, lock_reason: str | None = None,
                 unlock: Callable[[str], bool] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Risk limits")
        self.setObjectName("risk_limits_dialog")
        self._unlock = unlock
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.boxes: dict[str, QCheckBox] = {}
        self.money: dict[str, RupeeField] = {}
        self.counts: dict[str, QSpinBox] = {}

        def money(name: str, text: str, value: Paisa | None, placeholder: str) -> None:
            box = QCheckBox(text, self)
            field = RupeeField(value, placeholder, self)
            field.setMinimumWidth(170)
            self._pair(name, box, field, value is not None)
            self.money[name] = field
            form.addRow(box, field)

        def count(name: str, text: str, value: int | None, default: int, suffix: str) -> None:
            box = QCheckBox(text, self)
            spin = QSpinBox(self, minimum=1, maximum=1_000_000, value=value or default, suffix=suffix)
            spin.setGroupSeparatorShown(True)
            spin.setMinimumWidth(170)
            self._pair(name, box, spin, value is not None)
            self.counts[name] = spin
            form.addRow(box, spin)

        money("max_day_loss", "Max loss for the day", limits.max_day_loss, "₹5,000.00")
        self.net = QCheckBox("Net of estimated charges (STT, exchange, SEBI, stamp, GST)", self)
        self.net.setChecked(limits.loss_net_of_charges)
        self.net.setEnabled(limits.max_day_loss is not None)
        self.boxes["max_day_loss"].toggled.connect(self.net.setEnabled)
        form.addRow("", self.net)
        count("max_orders_per_minute", "Max orders a minute", limits.max_orders_per_minute, 10, "")
        count("max_orders_per_day", "Max orders a day", limits.max_orders_per_day, 100, "")
        count("max_lots_per_instrument", "Max lots open per instrument", limits.max_lots_per_instrument, 10, " lots")
        count("max_lots_per_underlying", "Max lots open per underlying", limits.max_lots_per_underlying, 20, " lots")
        money("max_order_value", "Max order value", limits.max_order_value, "₹10,00,000.00")
        money("max_premium_sold_per_underlying", "Max net option premium sold per underlying",
              limits.max_premium_sold_per_underlying, "₹50,000.00")
        note = QLabel("Orders that only reduce a position are never refused by these limits. A loss that reaches "
                      "the day's limit locks new risk-increasing orders until the next trading day.", self)
        note.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("risk_limits_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_RED};")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        self.lock_box = self._lock_group(lock_reason)
        if self.lock_box is not None:
            layout.addWidget(self.lock_box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _pair(self, name: str, box: QCheckBox, field: QWidget, on: bool) -> None:
        box.setObjectName(f"risk_{name}_on")
        field.setObjectName(f"risk_{name}")
        box.setChecked(on)
        field.setEnabled(on)
        box.toggled.connect(field.setEnabled)
        self.boxes[name] = box

    def _lock_group(self, reason: str | None) -> QGroupBox | None:
        if reason is None:
            return None
        group = QGroupBox("Today is locked", self)
        why = QLabel(f"{reason[:1].upper()}{reason[1:]}. Only orders that reduce a position are allowed until the "
                     f"next trading day. To unlock early, type {UNLOCK_PHRASE} (this is journalled).", group)
        why.setWordWrap(True)
        self.unlock_edit = QLineEdit(group)
        self.unlock_edit.setObjectName("risk_unlock_phrase")
        self.unlock_edit.setPlaceholderText(f"Type {UNLOCK_PHRASE}")
        self.unlock_button = QPushButton("Unlock early", group)
        self.unlock_button.setObjectName("risk_unlock")
        self.unlock_button.setEnabled(False)
        self.unlock_edit.textChanged.connect(
            lambda text: self.unlock_button.setEnabled(text.strip().upper() == UNLOCK_PHRASE))
        self.unlock_button.clicked.connect(self._unlock_now)
        row = QHBoxLayout()
        row.addWidget(self.unlock_edit, 1)
        row.addWidget(self.unlock_button)
        layout = QVBoxLayout(group)
        layout.addWidget(why)
        layout.addLayout(row)
        return group

    def _unlock_now(self) -> None:
        if self._unlock is None or not self._unlock(self.unlock_edit.text()):
            self.error.setText(f"Not unlocked: type {UNLOCK_PHRASE} exactly.")
            return
        assert self.lock_box is not None
        self.lock_box.setTitle("Unlocked")
        self.unlock_edit.setEnabled(False)
        self.unlock_button.setEnabled(False)
        self.error.setText("")

    def limits(self) -> RiskLimits:
        """The limits as filled in; ValueError with one sentence for an amount that cannot be a limit."""
        out = RiskLimits(max_order_value=None, loss_net_of_charges=self.net.isChecked())
        names = {"max_day_loss": "The max loss for the day", "max_order_value": "The max order value",
                 "max_premium_sold_per_underlying": "The max premium sold"}
        for name, field in self.money.items():
            setattr(out, name, field.paisa(names[name]) if self.boxes[name].isChecked() else None)
        for name, spin in self.counts.items():
            setattr(out, name, spin.value() if self.boxes[name].isChecked() else None)
        return out

    def _save(self) -> None:
        try:
            limits = self.limits()
        except ValueError as exc:  # what was typed stays, to be corrected
            self.error.setText(str(exc))
            return
        self.saved.emit(limits)
        self.accept()


class RiskMeter(QLabel):
    """The status bar's risk meter: the day's P&L against the loss limit and the orders this minute; amber at 80 %
    of a limit, red at the lock; the tooltip lists every limit. It listens to ``RiskChanged`` itself."""

    def __init__(self, limits: Callable[[], RiskLimits], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_risk")
        self._limits = limits
        self.level = "ok"
        self.setContentsMargins(6, 0, 6, 0)
        self.setToolTip(self._tip())

    def listen_to(self, desk: NoticeSource) -> None:
        """Show every ``RiskChanged`` of ``desk``."""
        listen(self, desk, {RiskChanged: self.show_figures})

    def _tip(self, notice: RiskChanged | None = None) -> str:
        lines = self._limits().describe() or ["No limits set"]
        head = []
        if notice is not None:
            if notice.locked:
                head.append("Trading is locked for today: only orders that reduce a position are allowed.")
            head.append(f"Orders today: {notice.orders_today}"
                        + (f" of {notice.max_per_day}" if notice.max_per_day is not None else ""))
        return "\n".join([*head, "Risk limits (Trade → Risk limits…):", *(f"• {line}" for line in lines)])

    def show_figures(self, notice: RiskChanged) -> None:
        """New figures: text, colour, tooltip."""
        self.level = "locked" if notice.locked else meter_level(notice.used)
        self.setText(meter_text(notice))
        colours = METER_STYLE.get(self.level)
        self.setStyleSheet(f"QLabel {{ background: {colours[0]}; color: {colours[1]}; border-radius: 3px; }}"
                           if colours else "")
        self.setToolTip(self._tip(notice))


def _order_line(request: OrderRequest, label: Callable[[str], str]) -> str:
    return f"{request.side.label} {request.quantity} {label(request.token)} at market"


class KillSwitchDialog(QDialog):
    """The kill switch's confirmation: what will happen (lock, the exits with their quantities, the open orders the
    app cannot cancel). Emits ``confirmed`` on "Flatten and lock"."""

    confirmed = Signal()

    def __init__(self, exits: list[OrderRequest], still_open: list[OrderRecord], label: Callable[[str], str],
                 already_locked: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kill switch")
        self.setObjectName("kill_switch_dialog")
        lines = ["The day stays locked." if already_locked else
                 "Lock the day: only orders that reduce a position are allowed until the next trading day."]
        if exits:
            lines.append(f"Send {plural(len(exits), 'market order')} to flatten (each once, journalled):")
            lines.extend(f"  • {_order_line(r, label)}" for r in exits)
        else:
            lines.append("No open position to flatten.")
        if still_open:
            lines.append(f"{plural(len(still_open), 'order')} still open at the exchange cannot be cancelled from "
                         "here (the AirAlgo API has no cancel) — cancel them in your broker's terminal:")
            lines.extend(f"  • {r.request.side.label} {r.request.quantity} {label(r.request.token)} "
                         f"{r.request.kind.label}{f' @ {format_rupees(r.request.price)}' if r.request.price else ''}"
                         f" — {r.status.value}" for r in still_open)
        self.text = QLabel("\n".join(lines), self)
        self.text.setObjectName("kill_switch_plan")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.go = buttons.addButton("Flatten and lock" if exits else "Lock the day",
                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setObjectName("kill_switch_go")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)  # Enter alone never flattens
        buttons.accepted.connect(self._go)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    def _go(self) -> None:
        self.accept()
        self.confirmed.emit()


class KillReportDialog(QDialog):
    """What the kill switch did (``KillReport.lines``): sent, failed and why, still open at the exchange."""

    def __init__(self, lines: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kill switch report")
        self.setObjectName("kill_report_dialog")
        self.text = QPlainTextEdit("\n".join(lines), self)
        self.text.setReadOnly(True)
        self.text.setMinimumSize(560, 220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
