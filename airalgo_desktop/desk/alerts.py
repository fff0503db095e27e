"""The alert watch: the trader's price alerts, checked on the ticks of their tokens only, saved through the prefs.

It publishes :class:`AlertFired` after the book is saved (a restart never fires an alert twice). The UI edits
alerts only through :meth:`AlertWatch.add`, :meth:`AlertWatch.update` and :meth:`AlertWatch.remove`.
"""

from __future__ import annotations

from ..api.events import Event, Ticks
from ..services.alerts import Alert, AlertBook
from .notices import AlertFired
from .part import DeskContext, Part


class AlertWatch(Part):
    """Price alerts of the run (loaded from and saved to the prefs)."""

    def __init__(self, ctx: DeskContext) -> None:
        self.ctx = ctx
        self.book: AlertBook = ctx.prefs.load_alerts()
        self._tokens = self.book.tokens  # the only tokens the tick path looks at

    @property
    def tokens(self) -> set[str]:
        """Tokens with a live (unfired) alert."""
        return self.book.tokens

    def add(self, alert: Alert) -> Alert:
        """Add and save an alert (its reference is the next tick)."""
        self.book.add(alert)
        self._saved()
        return alert

    def update(self, alert_id: str, alert: Alert) -> None:
        """Replace the alert ``alert_id`` with ``alert`` (an edit: it is armed again, its reference the next tick)."""
        self.book.alerts = [alert if a.id == alert_id else a for a in self.book.alerts]
        alert.id, alert.fired_at, alert.last = alert_id, None, None
        self._saved()

    def remove(self, alert_ids: list[str]) -> None:
        """Delete alerts by id and save."""
        for alert_id in alert_ids:
            self.book.remove(alert_id)
        self._saved()

    def _saved(self) -> None:
        self.ctx.prefs.save_alerts(self.book)
        self._tokens = self.book.tokens

    def on_event(self, event: Event) -> None:
        """Ticks of alert tokens: fire the alerts they cross."""
        if self._tokens and isinstance(event, Ticks):
            quotes = event.quotes
            for token in self._tokens & quotes.keys():
                for alert in self.book.on_tick(token, quotes[token]["ltp"], self.ctx.clock()):
                    self._fired(alert)

    def _fired(self, alert: Alert) -> None:
        inst = self.ctx.master.get(alert.token)
        self._saved()  # saved before anyone is told: a restart never fires it again
        self.ctx.publish(AlertFired(alert, alert.describe(inst.display if inst else alert.token)))
