"""Price alerts: "crosses above" / "crosses below" a price, firing once.

Semantics (tested): an alert needs a *reference* tick after it was created; it fires on the first later tick that
crosses its price in its direction (above: previous < price ≤ new; below: previous > price ≥ new). A tick that is
already beyond the price when the alert is created does not fire it. Evaluated on ticks for alert tokens only —
no widget work per tick.
"""

from __future__ import annotations

import enum
import json
import logging
import math
import uuid
from dataclasses import asdict, dataclass, field

from ..domain.instruments import parse_token
from ..domain.money import Paisa, format_rupees

log = logging.getLogger("airalgo.services.alerts")


class Direction(enum.StrEnum):
    """Which way the price must cross."""

    ABOVE = "above"
    BELOW = "below"


@dataclass
class Alert:
    """One alert. ``fired_at`` is set when it fires (it never fires again)."""

    token: str
    direction: Direction
    price: Paisa
    note: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    fired_at: float | None = None
    last: Paisa | None = None  # the reference: the previous tick's price seen by this alert

    def describe(self, symbol: str) -> str:
        """``RELIANCE crossed above ₹1,250.00``."""
        return f"{symbol} crossed {self.direction.value} {format_rupees(self.price)}" + (
            f" — {self.note}" if self.note else "")


class AlertBook:
    """Alerts by token; :meth:`on_tick` returns the alerts that fired on that tick."""

    def __init__(self, alerts: list[Alert] | None = None) -> None:
        self.alerts: list[Alert] = list(alerts or [])

    @property
    def tokens(self) -> set[str]:
        """Tokens with a live (unfired) alert: the only ones the tick path looks at."""
        return {a.token for a in self.alerts if a.fired_at is None}

    def add(self, alert: Alert) -> Alert:
        """Add an alert (its reference is the next tick)."""
        alert.last = None
        self.alerts.append(alert)
        return alert

    def remove(self, alert_id: str) -> None:
        """Delete by id."""
        self.alerts = [a for a in self.alerts if a.id != alert_id]

    def on_tick(self, token: str, ltp: Paisa, at: float) -> list[Alert]:
        """Evaluate the live alerts of ``token`` against one tick."""
        fired = []
        for alert in self.alerts:
            if alert.token != token or alert.fired_at is not None:
                continue
            previous, alert.last = alert.last, ltp
            if previous is None:
                continue  # the reference tick never fires
            if alert.direction is Direction.ABOVE:
                crossed = previous < alert.price <= ltp
            else:
                crossed = previous > alert.price >= ltp
            if crossed:
                alert.fired_at = at
                fired.append(alert)
        return fired

    def to_json(self) -> str:
        """For QSettings."""
        return json.dumps([{**asdict(a), "direction": a.direction.value} for a in self.alerts])

    @classmethod
    def from_json(cls, text: str | None) -> AlertBook:
        """From the settings; an unreadable entry (bad JSON, a price of ``1e999``…) is skipped with a log line."""
        alerts = []
        try:
            items = json.loads(text) if text else []
        except ValueError:
            log.warning("saved alerts are not readable JSON; starting without alerts")
            items = []
        for item in items if isinstance(items, list) else []:
            try:
                price = item["price"]
                if isinstance(price, bool) or not math.isfinite(float(price)) or int(price) <= 0:
                    raise ValueError(f"price {price!r}")
                fired = item.get("fired_at")
                fired_at = float(fired) if fired is not None else None
                if fired_at is not None and not math.isfinite(fired_at):
                    fired_at = 0.0  # fired, time unknown: it must not fire again
                token = parse_token(item["token"])  # ASCII digits only (issue 19 item 13)
                if token is None:
                    raise ValueError(f"token {str(item['token'])[:20]!r} is not a token number")
                alerts.append(Alert(token=token, direction=Direction(item["direction"]),
                                    price=int(price), note=str(item.get("note", "")),
                                    id=str(item.get("id") or uuid.uuid4().hex[:8]), fired_at=fired_at))
            except (KeyError, ValueError, TypeError, OverflowError, AttributeError) as exc:
                log.warning("saved alert %r skipped: %s", item, exc)
                continue
        return cls(alerts)
