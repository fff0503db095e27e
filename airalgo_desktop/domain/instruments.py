"""Instruments, the token rule, and what every holder of the instrument master reads (:class:`Master`).

Pure data, no I/O: reading a master file (the project's own CSV or a broker's) is ``instruments.formats``'s job,
the bundled demo universe ``instruments.demo``'s, the app's master is ``instruments.Catalog``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from .money import Paisa

DEFAULT_TICK: Paisa = 5

MAX_TOKEN_DIGITS = 15
"""Longest token accepted (NSE exchange tokens have up to 7 digits; broker ids up to 10)."""


def is_token(text: str) -> bool:
    """True when ``text`` is already a clean token: 1–15 ASCII digits, nothing else (cheap; for hot paths)."""
    return 0 < len(text) <= MAX_TOKEN_DIGITS and text.isascii() and text.isdigit()


def parse_token(value: object) -> str | None:
    """A token number as it enters the app — CSV cell, ``order_response.token_number``, a feed key, a watchlist
    setting, a command-line argument — as clean text, or None when it is not one.

    Tokens are ASCII digits only: ``str.isdigit()`` alone also accepts "²" or "٣", which ``int()`` then refuses
    (or reads as another number). Accepts an int, an integral float (``22.0``, JSON's way) and text with
    surrounding blanks or a spreadsheet's trailing ``.0``; leading zeros are kept (the text is the token).
    """
    if type(value) is int:
        text = str(value) if value >= 0 else ""
    elif type(value) is float:
        text = str(int(value)) if value.is_integer() and 0 <= value < 10**MAX_TOKEN_DIGITS else ""
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(".0"):
            text = text[:-2]
    else:
        return None
    return text if is_token(text) else None


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable contract. Prices in paisa; ``prev_close`` 0 when the CSV has none."""

    token: str
    symbol: str
    name: str = ""
    exchange: str = "NSE"
    segment: str = "NSE"
    instrument_type: str = "EQ"
    expiry: date | None = None
    strike: Paisa = 0
    tick_size: Paisa = DEFAULT_TICK
    lot_size: int = 1
    prev_close: Paisa = 0
    freeze_qty: int = 0
    is_index: bool = False  # the underlying is an index (FUTIDX/OPTIDX), as the master says

    def is_expired(self, today: date) -> bool:
        """True once the contract's expiry day is before ``today`` (IST): it can no longer be traded."""
        return self.expiry is not None and self.expiry < today

    def expired_message(self, today: date) -> str | None:
        """``"NIFTY FEB 2025 FUT expired on 27 Feb 2025"``, or None while the contract is live."""
        if self.expiry is None or not self.is_expired(today):
            return None
        return f"{self.display} expired on {self.expiry.day} {self.expiry.strftime('%b %Y')}"

    @property
    def is_derivative(self) -> bool:
        """Futures and options (anything with an expiry)."""
        return self.expiry is not None or self.instrument_type in ("FUT", "CE", "PE")

    @property
    def is_option(self) -> bool:
        """A call or a put (the only contracts with a strike)."""
        return self.instrument_type in ("CE", "PE")

    @property
    def api_instrument(self) -> str:
        """The ``instrument`` value AirAlgo puts in ``order_response`` (EQUITY, FUTIDX, ...)."""
        index = self.is_index or self.segment.upper().endswith(("IDX", "INDEX")) or self.name.upper() in _INDEX_NAMES
        if self.instrument_type == "FUT":
            return "FUTIDX" if index else "FUTSTK"
        if self.instrument_type in ("CE", "PE"):
            return "OPTIDX" if index else "OPTSTK"
        return "EQUITY"

    @property
    def api_option_type(self) -> str:
        """The ``option_type`` value of ``order_response``: EQ, XX (futures), CE or PE."""
        if self.instrument_type in ("CE", "PE"):
            return self.instrument_type
        return "XX" if self.instrument_type == "FUT" else "EQ"

    @property
    def display(self) -> str:
        """Label for tables and tickets, as terminals show it: ``RELIANCE``, ``NIFTY FEB 2025 FUT``,
        ``NIFTY 27 FEB 2025 23500 CE``."""
        if self.expiry is None or not self.name:
            return self.symbol
        month = self.expiry.strftime("%b").upper()
        if self.instrument_type == "FUT":
            return f"{self.name} {month} {self.expiry.year} FUT"
        if self.instrument_type in ("CE", "PE"):
            strike = self.strike // 100 if self.strike % 100 == 0 else self.strike / 100
            return f"{self.name} {self.expiry.day} {month} {self.expiry.year} {strike} {self.instrument_type}"
        return self.symbol


_INDEX_NAMES = {"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50", "SENSEX"}


class Master(Protocol):
    """What every holder of the instrument master reads: lookup by token, membership, iteration and size.

    The app's master is :class:`airalgo_desktop.instruments.Catalog` (columns, the one search, swapped in place on a
    re-import); :class:`InstrumentMaster` is the plain one the simulator and tests build from a list. Signatures
    take a ``Master``, so code below ``instruments/`` never has to import the catalog.
    """

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Instrument]: ...
    def __contains__(self, token: object) -> bool: ...
    def __getitem__(self, token: str) -> Instrument: ...
    def get(self, token: str) -> Instrument | None: ...


class InstrumentMaster:
    """All known instruments by token, from a list (the simulator's universe, tests): a :class:`Master`. The first
    row of a token is kept. The app's master is :class:`airalgo_desktop.instruments.Catalog`."""

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._by_token: dict[str, Instrument] = {}
        for inst in instruments:
            self._by_token.setdefault(inst.token, inst)

    def __len__(self) -> int:
        return len(self._by_token)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_token.values())

    def __contains__(self, token: object) -> bool:
        return token in self._by_token

    def get(self, token: str) -> Instrument | None:
        """Instrument for ``token``, or None."""
        return self._by_token.get(token)

    def __getitem__(self, token: str) -> Instrument:
        return self._by_token[token]
