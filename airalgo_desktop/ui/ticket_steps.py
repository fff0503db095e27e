"""The order ticket's other pieces: the instrument line with the live LTP, the buy/sell toggle, the send row (the
confirm switch, Close and Send), the inline confirmation step and the follow step that shows the order's
progress. Each owns its widgets and says what the trader did by a signal; :class:`~.ticket.OrderTicket` decides."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..domain.money import format_rupees
from ..domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from ..settings import Prefs
from . import theme
from .actions import ActionRegistry, key_label

NO_PRICE = "no price yet — value unknown"
APPROX = " (approx.)"  # the ticket's value at the LTP or trigger (no limit price): the confirmation says "≈" instead


def _column(widget: QWidget) -> QVBoxLayout:
    """A piece's own layout: its widgets stacked, no margins of its own (the ticket's layout spaces the pieces)."""
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    return layout


def _fixed_height(widget: QWidget) -> None:
    """A row of fixed-height controls stays as tall as they are when the ticket is taller than it needs."""
    widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)


class TicketHeader(QWidget):
    """The instrument line (``BUY  RELIANCE  ·  NSE`` in the side's colour) and the live LTP under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(self)
        self.header.setObjectName("ticket_header")
        self.header.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.header.setMinimumHeight(34)
        self.ltp_label = QLabel("LTP —", self)
        self.ltp_label.setObjectName("ticket_ltp")
        _fixed_height(self)
        layout = _column(self)
        layout.addWidget(self.header)
        top = QHBoxLayout()
        top.addWidget(self.ltp_label)
        layout.addLayout(top)


class SideToggle(QWidget):
    """Buy | Sell, one of them checked; the labels name the keys (F1 / F2 unless remapped, again after a remap)."""

    picked = Signal(object)
    """The trader clicked a side (:class:`Side`)."""

    def __init__(self, actions: ActionRegistry | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = actions  # the source of the Buy/Sell keys (labels follow a remap)
        self.buy_button = QPushButton(self)
        self.sell_button = QPushButton(self)
        for b in (self.buy_button, self.sell_button):
            b.setCheckable(True)
            b.setAutoDefault(False)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        sides = QButtonGroup(self)
        sides.addButton(self.buy_button)
        sides.addButton(self.sell_button)
        self.buy_button.clicked.connect(lambda: self.picked.emit(Side.BUY))
        self.sell_button.clicked.connect(lambda: self.picked.emit(Side.SELL))
        _fixed_height(self)
        sides_row = QHBoxLayout(self)
        sides_row.setContentsMargins(0, 0, 0, 0)
        sides_row.addWidget(self.buy_button)
        sides_row.addWidget(self.sell_button)
        self.relabel()
        if self.actions is not None:
            self.actions.remapped.connect(self.relabel)

    def relabel(self, *_args: object) -> None:
        """Buy/Sell labels from the action registry (again after a remap); the keys follow in
        :meth:`~.ticket.OrderTicket.side_key`."""
        for side, button, name in ((Side.BUY, self.buy_button, "buy"), (Side.SELL, self.sell_button, "sell")):
            button.setText(key_label(self.actions, name, side.label))


class SendBar(QWidget):
    """Under the fields: the "Confirm before sending" switch (a pref), Close and Send."""

    sendClicked = Signal()
    closeClicked = Signal()

    def __init__(self, prefs: Prefs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirm_box = QCheckBox("Confirm before sending", self)
        self.confirm_box.setChecked(prefs.ticket_confirm)
        self.confirm_box.toggled.connect(lambda on: setattr(prefs, "ticket_confirm", on))
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("ticket_send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(lambda: self.sendClicked.emit())
        cancel = QPushButton("Close (Esc)", self)
        cancel.setAutoDefault(False)
        cancel.clicked.connect(lambda: self.closeClicked.emit())
        _fixed_height(self)
        layout = _column(self)
        layout.addWidget(self.confirm_box)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.send_button)
        layout.addLayout(buttons)

    def style_send(self, side: Side) -> None:
        """The side's colour when Send is possible; a flat grey with dim text when it is not — in both themes, so a
        disabled Send never looks like one that will send."""
        color = (theme.BUY if side is Side.BUY else theme.SELL).name()
        bg, fg, border = theme.disabled_button_colors()
        self.send_button.setStyleSheet(
            f"QPushButton {{ background: {color}; color: white; font-weight: bold; }}"
            f"QPushButton:disabled {{ background: {bg}; color: {fg}; font-weight: normal;"
            f" border: 1px dashed {border}; }}")


def _big_text(parent: QWidget, name: str, scale: float) -> QLabel:
    """The centred, word-wrapped, larger text a step is about."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def _centred(step: QWidget, text: QLabel, *buttons: QPushButton) -> None:
    """A step's layout: its text over a row of buttons, in the middle of the page."""
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    layout = QVBoxLayout(step)
    layout.addStretch(1)
    layout.addWidget(text)
    layout.addLayout(row)
    layout.addStretch(1)


class ConfirmStep(QWidget):
    """The inline confirmation (no nested modal loop): the order in words, a guard's warnings, Back and Confirm."""

    confirmed = Signal()
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirm_text = _big_text(self, "ticket_confirm_text", 1.25)
        self.confirm_button = QPushButton("Confirm (Enter)", self)
        self.confirm_button.setObjectName("ticket_confirm")
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(lambda: self.confirmed.emit())
        back = QPushButton("Back (Esc)", self)
        back.setAutoDefault(False)
        back.clicked.connect(lambda: self.back.emit())
        _centred(self, self.confirm_text, back, self.confirm_button)

    def ask(self, req: OrderRequest, display: str, value: str, warnings: Sequence[str]) -> None:
        """Say what Confirm will send: side, quantity and ``display`` (the instrument), type and prices, the order
        ``value`` as the ticket shows it, and each warning a guard raised."""
        if req.kind is OrderKind.MARKET:
            price = "order at the market price"
        elif req.kind is OrderKind.SLM:  # SL-M has no price of its own: it becomes a market order when triggered
            price = f"trigger {format_rupees(req.trigger_price)}, then at the market price"
        else:
            price = f"at {format_rupees(req.price)}"
            if req.kind.needs_trigger:
                price += f", trigger {format_rupees(req.trigger_price)}"
        amber = theme.STATUS_COLORS["Pending"].name()  # the theme's amber: 4.5:1 on its background
        notes = "".join(f"<br><span style='color:{amber}'>⚠ {w}</span>" for w in warnings)
        # a market order before the first tick: say so, never "≈ ₹0.00"; an estimate is said once, as "≈"
        if value == NO_PRICE:
            value = f"<b>{value}</b>"
        elif value.endswith(APPROX):
            value = f"value ≈ {value.removesuffix(APPROX)}"
        else:
            value = f"value {value}"
        self.confirm_text.setText(
            f"<b>{req.side.label.upper()} {req.quantity:,} × {display}</b><br>"
            f"{req.kind.label} {price}<br>{value}{notes}")


class FollowStep(QWidget):
    """After sending: the order's progress (Sent → Pending → Executed at ₹x / Rejected: reason), New order, Close."""

    another = Signal()
    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_label = _big_text(self, "ticket_status", 1.2)
        another = QPushButton("New order", self)
        another.setAutoDefault(False)
        another.clicked.connect(lambda: self.another.emit())
        done = QPushButton("Close (Esc)", self)
        done.setDefault(True)
        done.clicked.connect(lambda: self.done.emit())
        _centred(self, self.status_label, another, done)

    def show_record(self, record: OrderRecord) -> None:
        """The steps the order went through, then what its status means in words."""
        steps = " → ".join(dict.fromkeys(record.history))
        if record.status is OrderStatus.EXECUTED:
            final = f"Executed at {format_rupees(record.executed_price)}"
        elif record.status is OrderStatus.REJECTED:
            final = f"Rejected: {record.message}"
        elif record.status is OrderStatus.UNKNOWN:
            final = "Unknown — not confirmed (connection lost; not resent)"
        elif record.status is OrderStatus.SENT:  # the line under the steps says what the step means, not it again
            final = "Waiting for the exchange's answer"
        elif record.status is OrderStatus.PENDING:  # a stop waits for its trigger, as Kite says it
            final = "Trigger pending" if record.request.kind.needs_trigger else "Open at the exchange"
        else:
            final = record.status.value
        color = theme.STATUS_COLORS.get(record.status.value, theme.BUY).name()
        self.status_label.setText(f"{steps}<br><b style='color:{color}'>{final}</b>")
