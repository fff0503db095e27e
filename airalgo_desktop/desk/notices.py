"""What the desk tells the world: one frozen dataclass per kind of news, published on the hub's notice bus.

Views register a handler per type they show (``ui/listening.py``); parts react to each other's notices the same
way (the options desk follows :class:`PositionsChanged`, the day's P&L follows :class:`FillsBooked`). A listener
ignores the types it does not know. :data:`Notice` names every type defined here (a test keeps it complete).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api.events import ConnectionState
from ..domain.money import format_rupees
from ..domain.orders import OrderRecord
from ..services.alerts import Alert
from ..services.guards import GuardSettings
from ..services.positions import Fill
from ..services.triggers import Trigger


# ---------------------------------------------------------------- orders (the order ledger)
@dataclass(frozen=True, slots=True)
class OrderChanged:
    """An order record was added or changed (after the journal has it)."""

    record: OrderRecord


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """A live order reached Executed; its fill is in the positions (sent after :class:`OrderChanged`)."""

    record: OrderRecord
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """A live order was rejected (``record.message`` says why)."""

    record: OrderRecord


@dataclass(frozen=True, slots=True)
class OrderNotConfirmed:
    """The connection dropped before an order's answer: shown as Unknown, never resent."""

    record: OrderRecord


@dataclass(frozen=True, slots=True)
class FillsBooked:
    """The ledger's fills changed: ``added`` are new (live, or restored from the journal); ``replaced`` (when not
    None) is the whole list after one order's fill was taken out or changed (a trader's check, an expiry). The
    day's P&L applies it to the positions and then publishes :class:`PositionsChanged`."""

    added: tuple[Fill, ...] = ()
    replaced: tuple[Fill, ...] | None = None


@dataclass(frozen=True, slots=True)
class GuardsChanged:
    """The guard settings were changed and saved."""

    settings: GuardSettings


# ---------------------------------------------------------------- positions and bars (the day's P&L)
@dataclass(frozen=True, slots=True)
class PositionsChanged:
    """Fills were added (live or from the journal): positions, chart markers and P&L need a rebuild."""

    fills: int


@dataclass(frozen=True, slots=True)
class BarsRestored:
    """Today's stored bars are back (``minutes`` read) and the Day P&L curve was rebuilt: charts redraw."""

    minutes: int


# ---------------------------------------------------------------- alerts (the alert watch)
@dataclass(frozen=True, slots=True)
class AlertFired:
    """A price alert crossed its price (it never fires again; already saved)."""

    alert: Alert
    text: str


# ---------------------------------------------------------------- instruments (the instrument book)
@dataclass(frozen=True, slots=True)
class InstrumentsChanged:
    """The instrument master was loaded or replaced by an import.

    ``summary`` is one line for the status bar, ``details`` the kept/skipped-by-reason lines, ``marks`` the rows
    of interest (watchlists, positions, alerts) whose token vanished, changed meaning or expired, with why;
    ``stale`` says when the master is older than the last trading day."""

    summary: str
    details: list[str] = field(default_factory=list)
    marks: dict[str, str] = field(default_factory=dict)
    stale: str | None = None
    imported: bool = False


@dataclass(frozen=True, slots=True)
class MasterNeeded:
    """A real account and no imported master: the app must ask for one (sample tokens would be wrong)."""

    reason: str


# ---------------------------------------------------------------- connection and problems (the hub)
@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The connection moved to a new state (``at`` on the client's clock)."""

    state: ConnectionState
    at: float


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the trader should read. ``persistent``: keep it on screen until dismissed (journal recovery)."""

    message: str
    persistent: bool = False


@dataclass(frozen=True, slots=True)
class KeyNeeded:
    """There is no usable API key (forgotten, or refused): the trader should enter one."""

    message: str
    error: bool = True


@dataclass(frozen=True, slots=True)
class FirstTick:
    """The first tick of the app's life arrived (``at``: ``time.monotonic()``)."""

    at: float


# ---------------------------------------------------------------- risk (the risk gate)
@dataclass(frozen=True, slots=True)
class RiskChanged:
    """The risk meter's figures: the day's P&L measured against the loss limit (both paisa; the limit a positive
    amount, None when off), orders this minute and today against their limits, and whether the day is locked."""

    day_pnl: int
    max_day_loss: int | None
    orders_minute: int
    max_per_minute: int | None
    orders_today: int
    max_per_day: int | None
    locked: bool

    @property
    def used(self) -> float:
        """The largest share of a limit used (1.0 at the limit; 0 without limits)."""
        shares = [0.0]
        if self.locked:
            shares.append(1.0)
        if self.max_day_loss and self.day_pnl < 0:
            shares.append(-self.day_pnl / self.max_day_loss)
        if self.max_per_minute:
            shares.append(self.orders_minute / self.max_per_minute)
        if self.max_per_day:
            shares.append(self.orders_today / self.max_per_day)
        return max(shares)


@dataclass(frozen=True, slots=True)
class KillSwitchDone:
    """The kill switch ran: ``report`` (a ``services.risk.KillReport``) says what was flattened, what failed, what is
    still open at the exchange."""

    report: object


# ---------------------------------------------------------------- protective triggers (the trigger desk)
@dataclass(frozen=True, slots=True)
class TriggersChanged:
    """Protective triggers were added, moved, paused, re-armed, shrunk or disarmed (``ids``; after the journal has
    them); ``message`` says why in a sentence when it was not the trader's own doing."""

    ids: tuple[str, ...]
    message: str = ""


@dataclass(frozen=True, slots=True)
class TriggerFired:
    """A trigger fired: ``text`` (*fired by your stop …*) was journalled before its exit was sent; the trigger's
    ``orders`` are the exits sent, ``failed`` why one was not."""

    trigger: Trigger
    text: str


Notice = (OrderChanged | OrderFilled | OrderRejected | OrderNotConfirmed | FillsBooked | GuardsChanged
          | PositionsChanged | BarsRestored | AlertFired | InstrumentsChanged | MasterNeeded | ConnectionChanged
          | Problem | KeyNeeded | FirstTick | RiskChanged | KillSwitchDone | TriggersChanged | TriggerFired)


def describe_fill(record: OrderRecord) -> str:
    """``Buy 5 at ₹2,208.00`` for notifications and the status bar."""
    return f"{record.request.side.label} {record.request.quantity} at {format_rupees(record.executed_price)}"
