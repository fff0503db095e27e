"""The trading desk: the day's state across connections, as a hub of parts, with no Qt.

:class:`TradingDesk` (``hub.py``) owns only the notice bus, the market store, the token subscriptions and the
connection life cycle: a client is *attached* and *detached*, every client event enters through
:meth:`TradingDesk.on_event`. Everything else is a *part* — a Qt-free class in a file of its own, built with the
narrow :class:`~airalgo_desktop.desk.part.DeskContext` (publish, react to a notice, the market store, the master,
subscriptions, clock, prefs), never with the hub:

============  =================  ==========================================================================
file          part (hub attr)    what it owns
============  =================  ==========================================================================
ledger.py     ``ledger``         journal, order records, fills, mark-checked, expiry, latency, guards, the
                                 one ``place`` every order goes through (and the one journal restore)
instruments   ``instruments``    the master (load, import, swap), remembered labels, row marks
pnl.py        ``pnl``            positions (from the ledger's fills), bars, the Day P&L curve
alerts.py     ``alerts``         price alerts, fired on ticks, saved through the prefs
options.py    ``options``        option chains, greeks and payoff of the F&O positions
risk.py       ``risk``           the risk gate inside ``place``, the day lock, the kill switch
triggers.py   ``triggers``       stops, targets, trailing stops, OCO brackets held by the app (exits via place)
============  =================  ==========================================================================

The outside world — the Qt shell, tests, tools — reads notices (``notices.py``); a view registers a handler per
notice type it shows with :meth:`TradingDesk.on` and removes it when destroyed (``ui/listening.py``), and calls a
part's public methods to act.

**Recipe: a new capability = a new part + its notices.**

1. Write ``desk/<name>.py`` with a class derived from :class:`~airalgo_desktop.desk.part.Part`, taking a
   ``DeskContext`` (and plain data it reads, such as the positions). Override the hooks it needs: ``attached`` /
   ``detached`` (the connection), ``on_event`` (client events, ticks already in the store), ``sample`` (a few
   times a second), ``close`` (shutdown).
2. Put what it tells the world in ``notices.py`` (a frozen dataclass each, added to :data:`Notice`) and publish
   them with ``ctx.publish``.
3. React to other parts with ``ctx.on(TheirNotice, handler)`` — never by calling them (the options desk follows
   ``PositionsChanged``; the day's P&L follows the ledger's ``FillsBooked``).
4. Add it in :class:`TradingDesk.__init__` (``self.name = self.add_part(Name(self.context))``) or from outside
   with :meth:`TradingDesk.add_part`; give it pure tests in ``tests/desk/`` with the fake client there.

Orders: whatever sends one (ticket, chain, basket, trigger, strategy) calls ``desk.ledger.place``; the risk gate
goes inside it (``OrderLedger._admit``), so no path can skip it.
"""

from __future__ import annotations

from .alerts import AlertWatch
from .hub import TradingDesk
from .instruments import InstrumentBook, staleness
from .ledger import Latency, OrderLedger
from .notices import (
    AlertFired,
    BarsRestored,
    ConnectionChanged,
    FillsBooked,
    FirstTick,
    GuardsChanged,
    InstrumentsChanged,
    KeyNeeded,
    MasterNeeded,
    Notice,
    OrderChanged,
    OrderFilled,
    OrderNotConfirmed,
    OrderRejected,
    PositionsChanged,
    Problem,
    TriggerFired,
    TriggersChanged,
    describe_fill,
)
from .options import POSITIONS_OWNER, OptionsDesk
from .part import DeskClient, DeskContext, DeskPrefs, Part
from .pnl import DayPnl
from .triggers import TriggerDesk

__all__ = [
    "POSITIONS_OWNER", "AlertFired", "AlertWatch", "BarsRestored", "ConnectionChanged", "DayPnl", "DeskClient",
    "DeskContext", "DeskPrefs", "FillsBooked", "FirstTick", "GuardsChanged", "InstrumentBook", "InstrumentsChanged",
    "KeyNeeded", "Latency", "MasterNeeded", "Notice", "OptionsDesk", "OrderChanged", "OrderFilled", "OrderLedger",
    "OrderNotConfirmed", "OrderRejected", "Part", "PositionsChanged", "Problem", "TradingDesk", "TriggerDesk",
    "TriggerFired", "TriggersChanged", "describe_fill", "staleness",
]
