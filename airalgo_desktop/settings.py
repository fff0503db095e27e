"""Every settings key of the app, in one place, typed.

The app keeps its preferences in ``QSettings`` as an ini file (``IniFormat`` on every platform: the user's settings
folder, or ``settings.ini`` under ``--home``). Values come back as strings from the ini file, as native types from
:class:`MemoryStore`, and as anything at all from a hand-edited file. Every read goes through one of the typed
readers here: a value that cannot be read (``watchlists/active=abc``, ``ui/theme=purple``,
``guards/max_order_value=1e999``, ``nan``) falls back to the default and says so in one log line — a hand-edited
file never stops the app, and never switches a guard off by accident.

This module imports no Qt: it works on anything with ``value``/``setValue``/``remove``/``sync`` (``QSettings``, or
:class:`MemoryStore` in tests and tools), so the Qt-free :class:`~airalgo_desktop.desk.TradingDesk` can be given a
:class:`Prefs` without pulling PySide6 in. In the layer order it sits with ``services`` (its readers hand back
services' objects: alerts, guard settings, watchlist entries), below the desk and ``ui/`` that read it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import fields
from typing import Any, Protocol

from .domain.instruments import parse_token
from .domain.orders import OrderKind
from .services.alerts import AlertBook
from .services.guards import GuardSettings
from .services.risk import RiskLimits
from .services.watchlists import WatchlistEntry

log = logging.getLogger("airalgo.settings")

THEMES = ("system", "light", "dark")  # the values of ui.theme.ThemeChoice (kept here so prefs stay Qt-free)
NOTIFY_KINDS = ("fills", "rejections", "alerts", "sound")
TICKET_GROUPS = ("equity", "futures", "options")  # the instrument kinds the ticket remembers an order type for
CHART_FRAMES = ("1m", "3m", "5m", "15m", "30m", "1h", "1d")  # domain.bars.Frame labels, lower case
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingsStore(Protocol):
    """What :class:`Prefs` needs from a settings backend (``QSettings`` has all of it)."""

    def value(self, key: str, defaultValue: Any = None) -> Any: ...
    def setValue(self, key: str, value: Any) -> None: ...
    def remove(self, key: str) -> None: ...
    def sync(self) -> None: ...


class MemoryStore:
    """A dict with the ``QSettings`` methods :class:`Prefs` uses (tests, tools)."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})

    def value(self, key: str, defaultValue: Any = None) -> Any:
        """The stored value or ``defaultValue``."""
        return self.values.get(key, defaultValue)

    def setValue(self, key: str, value: Any) -> None:
        """Store ``value``."""
        self.values[key] = value

    def remove(self, key: str) -> None:
        """Forget ``key``."""
        self.values.pop(key, None)

    def sync(self) -> None:
        """Nothing to flush."""


def _bad(key: str, raw: object, default: object) -> None:
    log.warning("setting %s=%r is not readable; using %r", key, raw, default)


def parse_bool(raw: object) -> bool | None:
    """``True``/``False`` from a bool or one of the usual spellings; None when it is neither."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def parse_number(raw: object, *, integer: bool = False) -> float | int | None:
    """A finite number (an int when ``integer``) from a number or its text; None for junk, nan and infinities."""
    if isinstance(raw, bool):
        return None
    try:
        number = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if integer else number


class Prefs:
    """Typed access to every settings key. Readers never raise; writers store what the readers understand."""

    def __init__(self, store: SettingsStore) -> None:
        self.store = store

    # ------------------------------------------------------------------ typed readers
    def _raw(self, key: str) -> object:
        return self.store.value(key)

    def read_bool(self, key: str, default: bool) -> bool:
        """A switch; junk keeps ``default`` (one log line)."""
        raw = self._raw(key)
        if raw is None or raw == "":
            return default
        value = parse_bool(raw)
        if value is None:
            _bad(key, raw, default)
            return default
        return value

    def read_int(self, key: str, default: int, *, minimum: int | None = None) -> int:
        """A whole number (at least ``minimum``); junk keeps ``default``."""
        raw = self._raw(key)
        if raw is None or raw == "":
            return default
        value = parse_number(raw, integer=True)
        if value is None or (minimum is not None and value < minimum):
            _bad(key, raw, default)
            return default
        return int(value)

    def read_choice(self, key: str, choices: Iterable[str], default: str) -> str:
        """One of ``choices``; anything else keeps ``default``."""
        raw = self._raw(key)
        if raw is None or raw == "":
            return default
        text = str(raw).strip().lower()
        if text not in tuple(choices):
            _bad(key, raw, default)
            return default
        return text

    def write_bool(self, key: str, on: bool) -> None:
        """Store a switch as ``"true"``/``"false"`` (the same in an ini file and the registry)."""
        self.store.setValue(key, "true" if on else "false")

    # ------------------------------------------------------------------ window
    @property
    def theme(self) -> str:
        """``ui/theme``: system, light or dark."""
        return self.read_choice("ui/theme", THEMES, "system")

    @theme.setter
    def theme(self, value: str) -> None:
        self.store.setValue("ui/theme", value)

    @property
    def colour_blind(self) -> bool:
        """``ui/colour_blind``: up/down in blue/orange instead of green/red (View → Theme)."""
        return self.read_bool("ui/colour_blind", False)

    @colour_blind.setter
    def colour_blind(self, on: bool) -> None:
        self.write_bool("ui/colour_blind", on)

    def window_geometry(self) -> object:
        """``window/geometry`` as stored (a ``QByteArray`` the window checks itself)."""
        return self._raw("window/geometry")

    def window_state(self) -> object:
        """``window/state`` as stored (a ``QByteArray`` the window checks itself)."""
        return self._raw("window/state")

    def save_window(self, geometry: object, state: object) -> None:
        """Remember the window's geometry and dock layout."""
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    @property
    def layout_preset(self) -> str:
        """``window/layout``: compact, regular or wide ("" until the first start picks one for the screen)."""
        return self.read_choice("window/layout", ("compact", "regular", "wide"), "")

    @layout_preset.setter
    def layout_preset(self, value: str) -> None:
        self.store.setValue("window/layout", value)

    def sync(self) -> None:
        """Flush to disk."""
        self.store.sync()

    # ------------------------------------------------------------------ ticket, notifications, shortcuts
    @property
    def ticket_confirm(self) -> bool:
        """``ticket/confirm``: show the confirmation step before Send (default on)."""
        return self.read_bool("ticket/confirm", True)

    @ticket_confirm.setter
    def ticket_confirm(self, on: bool) -> None:
        self.write_bool("ticket/confirm", on)

    def ticket_kind(self, group: str) -> OrderKind:
        """``ticket/kind/<group>`` (one of :data:`TICKET_GROUPS`): the order type last picked for that kind of
        instrument; default Market."""
        return OrderKind(self.read_choice(f"ticket/kind/{group}", (k.value for k in OrderKind), OrderKind.MARKET))

    def set_ticket_kind(self, group: str, kind: OrderKind) -> None:
        """Remember the order type picked in the ticket for ``group``."""
        self.store.setValue(f"ticket/kind/{group}", OrderKind(kind).value)

    def notify(self, kind: str) -> bool:
        """``notify/<kind>`` (fills, rejections, alerts, sound): default on."""
        return self.read_bool(f"notify/{kind}", True)

    def set_notify(self, kind: str, on: bool) -> None:
        """Switch one kind of notification (or the sound)."""
        self.write_bool(f"notify/{kind}", on)

    def shortcut(self, action: str) -> str | None:
        """``shortcuts/<action>``: the user's own key for an action, None when they kept the default."""
        raw = self._raw(f"shortcuts/{action}")
        return str(raw) if raw else None

    def set_shortcut(self, action: str, key: str | None) -> None:
        """Remember a user-changed shortcut; None forgets it (back to the default)."""
        if key is None:
            self.store.remove(f"shortcuts/{action}")
        else:
            self.store.setValue(f"shortcuts/{action}", key)

    # ------------------------------------------------------------------ watchlists
    def watchlists(self) -> list[WatchlistEntry]:
        """``watchlists/lists``: the saved tabs; unreadable entries are skipped, unreadable tokens dropped."""
        raw = self._raw("watchlists/lists")
        if not raw:
            return []
        try:
            items = json.loads(str(raw))
        except ValueError:
            _bad("watchlists/lists", str(raw)[:80], [])
            return []
        if not isinstance(items, list):
            _bad("watchlists/lists", str(raw)[:80], [])
            return []
        out = []
        for item in items:
            if not isinstance(item, dict):
                _bad("watchlists/lists entry", item, "skipped")
                continue
            tokens = item.get("tokens", [])
            if not isinstance(tokens, list):
                _bad(f"watchlists/lists tokens of {item.get('name')!r}", tokens, [])
                tokens = []
            parsed = [parse_token(t) for t in tokens]  # ASCII digits only (issue 19 item 13)
            good = list(dict.fromkeys(t for t in parsed if t is not None))
            if None in parsed:
                _bad(f"watchlists/lists tokens of {item.get('name')!r}", f"{parsed.count(None)} not token numbers",
                     "dropped")
            selected = item.get("selected")
            selected = str(selected) if isinstance(selected, str | int) and str(selected) in good else None
            out.append(WatchlistEntry(str(item.get("name") or "Watchlist"), good, selected))
        return out

    @property
    def active_watchlist(self) -> int:
        """``watchlists/active``: index of the tab shown (the panel clamps it to the tabs there are)."""
        return self.read_int("watchlists/active", 0, minimum=0)

    def save_watchlists(self, lists: list[WatchlistEntry], active: int) -> None:
        """Write the tabs and the active tab."""
        self.store.setValue("watchlists/lists", json.dumps(
            [{"name": w.name, "tokens": w.tokens, **({"selected": w.selected} if w.selected else {})} for w in lists]))
        self.store.setValue("watchlists/active", active)

    # ------------------------------------------------------------------ the desk's preferences (DeskPrefs)
    def load_alerts(self) -> AlertBook:
        """``alerts/json``: the price alerts (unreadable ones are skipped and logged)."""
        raw = self._raw("alerts/json")
        return AlertBook.from_json(str(raw) if raw else None)

    def save_alerts(self, book: AlertBook) -> None:
        """Write every alert (fired ones too, so they do not fire again after a restart)."""
        self.store.setValue("alerts/json", book.to_json())

    def load_guards(self) -> GuardSettings:
        """``guards/*``: each threshold and switch; junk, nan and infinities keep the default (never switch a guard
        off by accident)."""
        out = GuardSettings()
        for f in fields(GuardSettings):
            key = f"guards/{f.name}"
            default = getattr(out, f.name)
            if f.type in ("bool", bool):
                value: object = self.read_bool(key, default)
            else:
                raw = self._raw(key)
                if raw is None or raw == "":
                    continue
                number = parse_number(raw, integer=f.type not in ("float", float))
                if number is None or number < 0:
                    _bad(key, raw, default)
                    continue
                value = number
            setattr(out, f.name, value)
        return out

    def save_guards(self, settings: GuardSettings) -> None:
        """Write every guard setting."""
        for key, value in settings.to_dict().items():
            self.store.setValue(f"guards/{key}", value)

    def load_risk_limits(self) -> RiskLimits:
        """``risk/limits`` (JSON): the risk gate's limits; an unreadable value keeps that limit's default. Before the
        first save, the ticket's old order-value guard (``guards/max_value_enabled``, ``guards/max_order_value``)
        becomes the order-value limit, so a trader's ₹ figure (or its switch off) survives the move."""
        raw = self._raw("risk/limits")
        if raw is not None and raw != "":
            try:
                data = json.loads(str(raw))
            except ValueError:
                data = None
            if isinstance(data, dict):
                return RiskLimits.from_dict(data)
            _bad("risk/limits", raw, "the default limits")
            return RiskLimits()
        out = RiskLimits()
        if not self.read_bool("guards/max_value_enabled", True):
            out.max_order_value = None
        else:
            old = self._raw("guards/max_order_value")
            if old is not None and old != "":
                value = parse_number(old, integer=True)
                if value is None or not 0 < value <= 10**15:
                    _bad("guards/max_order_value", old, out.max_order_value)
                else:
                    out.max_order_value = int(value)
        return out

    def save_risk_limits(self, limits: RiskLimits) -> None:
        """Write the limits (a limit switched off is stored as null, so it stays off)."""
        self.store.setValue("risk/limits", json.dumps(limits.to_dict()))

    # ------------------------------------------------------------------ charts
    @property
    def bar_keep_days(self) -> int:
        """``charts/keep_days``: days of one-minute bars kept in the bar store (default 30, at least 1)."""
        return self.read_int("charts/keep_days", 30, minimum=1)

    def chart_frame(self, key: str) -> str:
        """``charts/frame/<key>`` (``main`` for the docked chart, a token for a chart window): a frame label
        (``1m`` … ``1h``, ``1d``); default ``1m``."""
        return self.read_choice(f"charts/frame/{key}", CHART_FRAMES, "1m")

    def set_chart_frame(self, key: str, label: str) -> None:
        """Remember a chart's timeframe."""
        self.store.setValue(f"charts/frame/{key}", label.lower())

    def chart_window_geometry(self) -> object:
        """``charts/window_geometry`` as stored (a ``QByteArray`` the window checks itself)."""
        return self._raw("charts/window_geometry")

    def save_chart_window_geometry(self, geometry: object) -> None:
        """Remember the size and place of the last chart window closed."""
        self.store.setValue("charts/window_geometry", geometry)

    def instrument_labels(self) -> dict[str, str]:
        """``instruments/labels``: what each token on screen meant when the trader added it (JSON object)."""
        raw = self._raw("instruments/labels")
        if not raw:
            return {}
        try:
            data = json.loads(str(raw))
        except ValueError:
            _bad("instruments/labels", str(raw)[:80], {})
            return {}
        if not isinstance(data, dict):
            _bad("instruments/labels", str(raw)[:80], {})
            return {}
        return {str(k): str(v) for k, v in data.items() if isinstance(k, str) and k.isascii() and k.isdigit()}

    def save_instrument_labels(self, labels: dict[str, str]) -> None:
        """Remember the labels (see :meth:`instrument_labels`)."""
        self.store.setValue("instruments/labels", json.dumps(labels, separators=(",", ":")))
