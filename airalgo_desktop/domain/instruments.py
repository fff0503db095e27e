"""Instruments and the instrument master (the "csv file" the API doc takes token numbers from).

AirAlgo's own master CSV is not public, so :func:`load_csv` accepts the column names the common Indian
broker masters use (protocol-notes §7) and reports junk rows with their line numbers instead of failing.

Units in the CSV: prices (``tick_size``, ``strike``, ``prev_close``) are rupees as in Kite's
``instruments.csv`` (``0.05``); columns ending in ``_paisa`` give paisa directly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .money import MoneyError, Paisa, parse_rupees

# canonical name -> accepted header spellings (lower-cased, stripped)
_COLUMNS: dict[str, tuple[str, ...]] = {
    # NSE's token only: a vendor's own id (Kite instrument_token, RELIANCE 738561; Kotak instrumentToken; Upstox
    # instrument_key) is never one — a file with nothing else is refused (instruments.formats.VENDOR_IDS)
    "token": ("token", "exchange_token", "token_number", "symboltoken"),
    "symbol": ("symbol", "tradingsymbol", "trading_symbol", "scrip"),
    "name": ("name", "company_name", "description"),
    "exchange": ("exchange", "exch", "exch_seg"),
    "segment": ("segment",),
    "instrument_type": ("instrument_type", "instrumenttype", "instrument", "series"),
    "expiry": ("expiry", "expiry_date"),
    "strike": ("strike", "strike_price"),
    "tick_size": ("tick_size", "ticksize", "tick"),
    "lot_size": ("lot_size", "lotsize", "lot", "market_lot"),
    "prev_close": ("prev_close", "previous_close", "close", "last_price", "ref_price"),
    "freeze_qty": ("freeze_qty", "freeze_quantity", "freezeqty"),
}
_PAISA_VARIANTS = ("tick_size", "strike", "prev_close")

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


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A CSV row that was skipped (or partly read), with its 1-based line number in the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class LoadReport:
    """What :func:`load_csv` read: the master, and every row it could not use, in words."""

    master: InstrumentMaster
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def loaded(self) -> int:
        """Number of instruments in the master."""
        return len(self.master)

    def summary(self) -> str:
        """One line for a status bar or log: ``150 instruments loaded, 2 rows skipped``."""
        skipped = len(self.problems)
        text = f"{self.loaded} instruments loaded"
        return text + (f", {skipped} row{'s' if skipped != 1 else ''} skipped" if skipped else "")


class InstrumentMaster:
    """All known instruments by token (the simulator's universe; the app's is
    :class:`airalgo_desktop.instruments.Catalog`, which also holds the one search)."""

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

    def merge(self, other: InstrumentMaster) -> int:
        """Add instruments from ``other`` (its rows win on conflicting tokens); returns how many changed."""
        changed = 0
        for inst in other:
            if self._by_token.get(inst.token) != inst:
                self._by_token[inst.token] = inst
                changed += 1
        return changed


def _parse_paisa_cell(row: dict[str, str], name: str, default: Paisa) -> Paisa:
    """Read a price column (rupees) or its ``_paisa`` twin; blank → default."""
    raw_paisa = row.get(f"{name}_paisa", "").strip()
    if raw_paisa:
        value = float(raw_paisa)
        if value != int(value):
            raise ValueError(f"{name}_paisa '{raw_paisa}' is not a whole number of paisa")
        return int(value)
    raw = row.get(name, "").strip()
    if not raw or raw in ("-1", "-0.01"):  # some masters use -1 for "no strike"
        return default
    # masters write '0.050000' – trim trailing zeros beyond paisa before the exact parse
    if "." in raw:
        whole, frac = raw.split(".", 1)
        frac = frac.rstrip("0")
        raw = f"{whole}.{frac}" if frac else whole
    return parse_rupees(raw)


def _parse_expiry(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d%b%Y", "%d-%b-%Y", "%d/%m/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(raw.title() if "b" in fmt else raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"expiry '{raw}' is not a date (use YYYY-MM-DD)")


def _parse_positive_int(raw: str, what: str, default: int) -> int:
    raw = raw.strip()
    if not raw:
        return default
    value = float(raw)
    if value != int(value) or value < 0:
        raise ValueError(f"{what} '{raw}' is not a whole number")
    return int(value)


def _canonical_headers(headers: list[str]) -> dict[str, str]:
    """Map file headers to our canonical names (the preferred spelling wins when several are present)."""
    mapping: dict[str, str] = {}
    lowered = {header.strip().lower(): header for header in headers}
    for canonical, spellings in _COLUMNS.items():
        for spelling in spellings:  # the tuple's order is the preference, not the file's column order
            if spelling in lowered and lowered[spelling] not in mapping:
                mapping[lowered[spelling]] = canonical
                break
        if canonical in _PAISA_VARIANTS and f"{canonical}_paisa" in lowered:
            mapping[lowered[f"{canonical}_paisa"]] = f"{canonical}_paisa"
    return mapping


def load_csv(source: str | Path | io.TextIOBase, *, name: str | None = None) -> LoadReport:
    """Read an instrument CSV. Never raises on bad rows: they come back in ``report.problems``.

    Raises ``ValueError`` only when the file as a whole is unusable (no token or symbol column).
    """
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", newline="") as fh:
            return load_csv(fh, name=str(source))
    reader = csv.DictReader(source)
    try:
        headers = reader.fieldnames or []
    except csv.Error as exc:
        raise ValueError(f"{name or 'CSV'}: not a readable CSV ({exc})") from None
    mapping = _canonical_headers(list(headers))
    if "token" not in mapping.values() or "symbol" not in mapping.values():
        raise ValueError(
            f"{name or 'CSV'}: needs a token column (token/exchange_token) and a symbol column "
            f"(symbol/tradingsymbol); found {', '.join(h for h in headers if h) or 'no header'}"
        )
    instruments: list[Instrument] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    rows = 0
    try:
        for raw_row in reader:
            rows += 1
            _read_row(raw_row, reader.line_num, mapping, instruments, problems, seen)
    except csv.Error as exc:  # a 50 MB field, a NUL byte: the file as a whole is not a master
        raise ValueError(f"{name or 'CSV'}: not a readable CSV at line {reader.line_num} ({exc})") from None
    return LoadReport(InstrumentMaster(instruments), problems, rows)


def _read_row(raw_row: dict[str, str], line: int, mapping: dict[str, str], instruments: list[Instrument],
              problems: list[RowProblem], seen: dict[str, int]) -> None:
    """One row of :func:`load_csv` into ``instruments`` or ``problems``."""
    row = {mapping[k]: (v or "") for k, v in raw_row.items() if k in mapping and isinstance(v, str)}
    if not any(v.strip() for v in raw_row.values() if isinstance(v, str)):
        return  # blank line: not a problem worth reporting
    try:
        cell = row.get("token", "").strip()
        token = parse_token(cell) or ""
        if not token:
            raise ValueError(f"token '{cell[:40]}' is not a number (ASCII digits)" if cell else "token is empty")
        symbol = row.get("symbol", "").strip()
        if not symbol:
            raise ValueError("symbol is empty")
        if token in seen:
            raise ValueError(f"token {token} repeats line {seen[token]} (first row kept)")
        tick = _parse_paisa_cell(row, "tick_size", DEFAULT_TICK)
        if tick <= 0:
            raise ValueError("tick_size must be positive")
        lot = _parse_positive_int(row.get("lot_size", ""), "lot_size", 1)
        if lot <= 0:
            raise ValueError("lot_size must be positive")
        itype = (row.get("instrument_type", "").strip().upper() or "EQ")
        if itype in ("FUTIDX", "FUTSTK", "FUTCOM"):
            itype = "FUT"
        elif itype in ("OPTIDX", "OPTSTK"):
            itype = "CE" if symbol.upper().endswith("CE") else "PE"
        inst = Instrument(
            token=token,
            symbol=symbol,
            name=row.get("name", "").strip(),
            exchange=(row.get("exchange", "").strip().upper() or "NSE"),
            segment=(row.get("segment", "").strip().upper() or "NSE"),
            instrument_type=itype,
            expiry=_parse_expiry(row.get("expiry", "")),
            strike=_parse_paisa_cell(row, "strike", 0),
            tick_size=tick,
            lot_size=lot,
            prev_close=_parse_paisa_cell(row, "prev_close", 0),
            freeze_qty=_parse_positive_int(row.get("freeze_qty", ""), "freeze_qty", 0),
        )
    except (ValueError, MoneyError) as exc:
        problems.append(RowProblem(line, str(exc)))
        return
    seen[token] = line
    instruments.append(inst)


def sample_csv_path() -> Path:
    """The bundled sample master (NIFTY 50 stocks, index and stock futures, a few options)."""
    from ..resources import resource_path

    return resource_path("instruments-sample.csv")


def load_sample() -> InstrumentMaster:
    """The bundled sample: the demo universe of today (the CSV's cash rows with their real tokens, index rows, and
    futures and options generated for the current date, none expired); used by demo mode and the simulator."""
    from ..instruments.demo import demo_universe  # the demo package builds on this module
    from .nsetime import now_ist

    return InstrumentMaster(demo_universe(now_ist().date()))
