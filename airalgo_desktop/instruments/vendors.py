"""Broker masters with a header row, read by column name: Dhan's detailed master, Kotak Neo, Kotak's Trade API
file, ICICI Breeze SecurityMaster, Shoonya (Finvasia), 5paisa and Alice Blue.

Each keeps NSE cash and NSE F&O rows under their NSE exchange token and converts units to paisa exactly; the
layouts, as published by the vendors and seen in real files (the project's tests read them when present):

* Dhan ``api-scrip-master-detailed.csv`` (39 columns in 2025, 31 in 2026, sometimes tab-separated):
  ``EXCH_ID,SEGMENT,SECURITY_ID,…,INSTRUMENT,UNDERLYING_SECURITY_ID,UNDERLYING_SYMBOL,SYMBOL_NAME,DISPLAY_NAME,…,
  LOT_SIZE,SM_EXPIRY_DATE,STRIKE_PRICE,OPTION_TYPE,TICK_SIZE,…``; token = ``SECURITY_ID``; strike rupees, tick
  paise; a cash row's symbol is ``UNDERLYING_SYMBOL`` (``SYMBOL_NAME`` is the company); expiry ISO, ``31/07/25`` or
  an Excel re-save's ``7/31/2025`` (the day/month order is decided from the file).
* Kotak Neo ``nse_cm.csv`` / ``nse_fo.csv``: ``pSymbol`` = NSE token, ``pExchSeg`` (nse_cm, nse_fo, …),
  ``pGroup`` (series), ``pSymbolName``, ``pTrdSymbol``, ``pOptionType`` (CE/PE/XX), ``dTickSize`` and
  ``dStrikePrice`` in paise, ``lLotSize``, ``lFreezeQty``, ``lExpiryDate`` in seconds since 1980-01-01 IST; headers
  carry stray blanks and a ``;`` (``dTickSize ``, ``dStrikePrice;``). Indices have no ISIN.
* Kotak Trade API ``TradeApiInstruments_*.csv``: ``instrumentToken`` is Kotak's id, ``exchangeToken`` NSE's;
  rupees.
* ICICI Breeze ``SecurityMaster.zip``: ``NSEScripMaster.txt`` (cash: ``Token``, ``Series``, ``CompanyName``,
  ``ticksize`` in rupees, ``ExchangeCode`` = NSE symbol; ``ShortName`` is ICICI's own code) and
  ``FONSEScripMaster.txt`` (``Token``, ``InstrumentName`` FUTIDX…, ``ExpiryDate`` 25-Aug-2026, ``StrikePrice``
  rupees, ``OptionType``, ``LotSize``, ``TickSize`` paise, ``FreezeQty``, ``ExchangeCode`` = NSE symbol or the
  index's name). Quoted CSV, CRLF; delisted cash rows have token 0.
* Shoonya ``NSE_symbols.txt`` / ``NFO_symbols.txt``: ``Exchange,Token,LotSize,Symbol,TradingSymbol,[Expiry,]
  Instrument,[OptionType,StrikePrice,]TickSize,`` (a trailing comma); rupees; expiry ``25-NOV-2025``.
* 5paisa ScripMaster CSV: ``Exch`` (N/B/M), ``ExchType`` (C cash, D derivatives, U currency), ``ScripCode`` =
  NSE token (indices above 999,900 are 5paisa's own ids), ``Name``, ``Series``, ``Expiry`` (``27-10-2022 14:30``),
  ``CpType``/``ScripType`` (CE/PE/XX/EQ), ``StrikeRate``, ``LotSize``, ``QtyLimit`` (freeze quantity),
  ``Root``/``SymbolRoot`` (underlying), ``TickSize``; rupees.
* Alice Blue contract master ``NSE.csv`` / ``NFO.csv``: ``Exch,Exchange Segment,[Group Name,]Symbol,Token,
  Instrument Type,[Option Type,Strike Price,]Instrument Name,Formatted Ins Name,Trading Symbol,[Expiry Date,]
  Lot Size,Tick Size``; rupees.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from ..domain.instruments import _INDEX_NAMES
from .catalog import CE, EQ, FUT, PE, Builder, strike_word
from .text import (
    INDEX_REASON,
    Cancel,
    MasterError,
    MasterText,
    Progress,
    _csv_rows,
    _exchange_reason,
    _finish_ticks,
    _short,
    _token,
)
from .units import (
    UnitError,
    day_number,
    epoch_to_ist_day,
    from_day_number,
    paise_to_paisa,
    parse_expiry,
    rupees_to_paisa,
    whole_number,
)

KOTAK_EPOCH = 315_513_000  # 1980-01-01 00:00 IST in Unix seconds: Kotak Neo's dates count from there
ICICI_MEMBERS = ("NSEScripMaster.txt", "FONSEScripMaster.txt")
# index names as ICICI's FONSE file writes them (ExchangeCode) -> NSE's F&O symbol
ICICI_INDEX = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY NEXT 50": "NIFTYNXT50",
               "NIFTY MIDCAP": "MIDCPNIFTY", "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY FINANCIAL": "FINNIFTY",
               "NIFTY FIN SERVICE": "FINNIFTY"}
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\b")
UNREADABLE = "unreadable row"


def key(header: str) -> str:
    """A header cell as the parsers name it: lower case, without blanks, quotes and Kotak's stray ``;``."""
    return header.strip().strip('"').rstrip(";").strip().lower()


def sniff_header(header: set[str]) -> str | None:
    """Which of this module's layouts a header (cells through :func:`key`) is, or None."""
    if {"exch_id", "segment", "security_id"} <= header:
        return "dhan-detailed"
    if {"psymbol", "pexchseg", "ptrdsymbol"} <= header:
        return "kotak-neo"
    if {"instrumenttoken", "exchangetoken", "instrumentname"} <= header:
        return "kotak-trade"
    if {"token", "shortname", "exchangecode"} <= header:
        return "icici"
    if {"exch", "exchtype", "scripcode"} <= header:
        return "5paisa"
    if {"exch", "exchange segment", "token", "trading symbol"} <= header:
        return "aliceblue"
    if {"exchange", "token", "lotsize", "tradingsymbol", "ticksize"} <= header:
        return "shoonya"
    return None


FORMAT_NAMES = {"dhan-detailed": "Dhan detailed scrip master", "kotak-neo": "Kotak Neo scrip master",
                "kotak-trade": "Kotak Trade API instruments", "icici": "ICICI Breeze SecurityMaster",
                "5paisa": "5paisa ScripMaster", "aliceblue": "Alice Blue contract master",
                "shoonya": "Shoonya (Finvasia) symbols file"}


class Table:
    """Rows of a CSV with a header, cells read by :func:`key` name (``t(row, "token")``); ``b`` counts the
    unreadable ones."""

    def __init__(self, text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None,
                 layout: str, needed: tuple[str, ...], *, delimiter: str = ",") -> None:
        self.b = b
        self.rows = iter(_csv_rows(text, name, cancel, progress, delimiter=delimiter))
        header = next(self.rows, [])
        self.col = {key(h): i for i, h in enumerate(header)}
        missing = [n for n in needed if n not in self.col]
        if missing:
            raise MasterError(f"{name}: the {layout} layout needs a {missing[0]} column.")
        self.width = max(self.col[n] for n in needed) + 1

    def __call__(self, row: list[str], name: str) -> str:
        i = self.col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    def __iter__(self) -> Iterator[list[str]]:
        """The data rows; one too short for the needed columns is counted as unreadable (a blank line is not)."""
        return (row for row in self.rows if not _short(row, self.width, self.b))


def _kind(option: str) -> int:
    """CE/PE/CALL/PUT → that kind; otherwise a future (callers have already kept cash rows apart)."""
    option = option.upper()
    if option in ("CE", "CALL"):
        return CE
    if option in ("PE", "PUT"):
        return PE
    return FUT


def _strip_series(symbol: str) -> str:
    return symbol[:-3] if symbol.upper().endswith("-EQ") else symbol


def _nse_token(b: Builder, text: str, symbol: str) -> int | None:
    """The row's NSE token, or None (counted): digits only, and 0 is no token (ICICI's delisted rows)."""
    token = _token(text)
    if token is None:
        b.skip("token not a number", text[:20] or symbol)
    elif token == 0:
        b.skip("token 0 (no NSE token: delisted)", symbol)
        return None
    return token


def _is_index(under: str, instrument: str) -> bool:
    return instrument.upper().endswith("IDX") or under.upper() in _INDEX_NAMES


def _made_symbol(under: str, kind: int, expiry: int, strike: int) -> str:
    """A trading symbol for files that carry none (ICICI): ``NIFTY25AUG2625000CE``, ``NIFTY29SEP26FUT``."""
    day = from_day_number(expiry)
    stamp = f"{day.day:02d}{day.strftime('%b').upper()}{day.year % 100:02d}" if day else ""
    return f"{under}{stamp}FUT" if kind == FUT else f"{under}{stamp}{strike_word(strike)}{'CE' if kind == CE else 'PE'}"


# ====================================================================== Dhan detailed
def _slash_order(text: MasterText | str) -> str:
    """``dmy`` or ``mdy`` for the file's d/m/y dates: a first number above 12 is a day (31/07/25), a second one
    means an Excel re-save in US order (7/31/2025). A file with neither is read day first, as Dhan writes. Read on
    a pass of its own, piece by piece, until a date decides it."""
    for piece in [text] if isinstance(text, str) else text.pieces():
        for match in _SLASH_DATE.finditer(piece):
            if int(match.group(1)) > 12:
                return "dmy"
            if int(match.group(2)) > 12:
                return "mdy"
    return "dmy"


def _dhan_expiry(raw: str, order: str) -> int:
    match = _SLASH_DATE.fullmatch(raw.split(" ")[0])
    if not match:
        return parse_expiry(raw)
    a, m, y = (int(g) for g in match.groups())
    day, month = (m, a) if order == "mdy" else (a, m)
    try:
        return day_number(date(y + 2000 if y < 100 else y, month, day))
    except ValueError:
        raise UnitError(f"expiry '{raw}' is not a date") from None


def parse_dhan_detailed(text: MasterText, name: str, b: Builder,
                        cancel: Cancel | None, progress: Progress | None) -> None:
    """Dhan ``api-scrip-master-detailed.csv`` (both column sets; comma or tab separated)."""
    first = text.head.split("\n", 1)[0]
    t = Table(text, name, b, cancel, progress, "Dhan detailed", (
        "exch_id", "segment", "security_id", "instrument", "underlying_symbol", "symbol_name", "lot_size",
        "sm_expiry_date", "strike_price", "option_type", "tick_size"),
        delimiter="\t" if first.count("\t") > first.count(",") else ",")
    order = _slash_order(text)
    start = len(b)
    raw_ticks: list[str] = []
    for row in t:
        exch, seg, inst = t(row, "exch_id").upper(), t(row, "segment").upper(), t(row, "instrument").upper()
        if seg == "I" or inst == "INDEX":
            b.skip(INDEX_REASON)
            continue
        if exch != "NSE":
            b.skip(_exchange_reason(exch))
            continue
        if seg not in ("E", "D"):
            b.skip(_exchange_reason({"C": "NSE currency", "M": "NSE commodity"}.get(seg, f"NSE segment {seg}")))
            continue
        if seg == "D" and not inst.startswith(("FUT", "OPT")):
            b.skip("not a future or option", t(row, "symbol_name"))
            continue
        under = t(row, "underlying_symbol")
        kind = EQ if seg == "E" else FUT if inst.startswith("FUT") else _kind(t(row, "option_type"))
        symbol = under if kind == EQ else t(row, "symbol_name")  # a cash row's SYMBOL_NAME is the company
        token = _nse_token(b, t(row, "security_id"), symbol)
        if token is None:
            continue
        try:
            added = b.add(token, symbol, (t(row, "display_name") or t(row, "symbol_name")) if kind == EQ else "",
                          under, kind, _dhan_expiry(t(row, "sm_expiry_date"), order) if kind != EQ else 0,
                          rupees_to_paisa(t(row, "strike_price") or "0") if kind >= CE else 0, 1,
                          whole_number(t(row, "lot_size") or "1"), 0, 0, _is_index(under, inst))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")
            continue
        if added:
            raw_ticks.append(t(row, "tick_size"))
    _finish_ticks(b, start, raw_ticks)


# ====================================================================== Kotak
def parse_kotak_neo(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Kotak Neo ``nse_cm.csv`` / ``nse_fo.csv`` (tick and strike in paise, dates from 1980)."""
    t = Table(text, name, b, cancel, progress, "Kotak Neo", ("psymbol", "pexchseg", "ptrdsymbol", "dticksize",
                                                           "llotsize"))
    for row in t:
        seg = t(row, "pexchseg").lower()
        symbol = t(row, "ptrdsymbol")
        if seg not in ("nse_cm", "nse_fo"):
            b.skip(_exchange_reason(seg.split("_")[0].upper() or "(blank)"))
            continue
        if seg == "nse_cm" and (not t(row, "pisin") or t(row, "pinsttype").upper() == "INDEX"):
            b.skip(INDEX_REASON)  # Kotak's index rows (26000 NIFTY, 26009 BANKNIFTY) have no ISIN
            continue
        under = t(row, "psymbolname") or symbol
        kind = EQ if seg == "nse_cm" else _kind(t(row, "poptiontype"))
        token = _nse_token(b, t(row, "psymbol"), symbol)
        if token is None:
            continue
        try:
            expiry = 0
            if kind != EQ:
                expiry = epoch_to_ist_day(int(whole_number(t(row, "lexpirydate") or "0")) + KOTAK_EPOCH)
            b.add(token, _strip_series(symbol) if kind == EQ else symbol, t(row, "pdesc") if kind == EQ else "",
                  under, kind, expiry, paise_to_paisa(t(row, "dstrikeprice") or "0") if kind >= CE else 0,
                  paise_to_paisa(t(row, "dticksize") or "0"), whole_number(t(row, "llotsize") or "1"), 0,
                  whole_number(t(row, "lfreezeqty") or "0"), _is_index(under, t(row, "pinsttype")))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")


def parse_kotak_trade(text: MasterText, name: str, b: Builder,
                      cancel: Cancel | None, progress: Progress | None) -> None:
    """Kotak Securities Trade API instruments file: ``exchangeToken`` is NSE's (``instrumentToken`` Kotak's)."""
    t = Table(text, name, b, cancel, progress, "Kotak Trade API", ("exchangetoken", "instrumentname", "ticksize",
                                                                 "lotsize", "exchange"))
    for row in t:
        exch, symbol = t(row, "exchange").upper(), t(row, "instrumentname")
        itype = t(row, "instrumenttype").upper()
        if exch != "NSE":
            b.skip(_exchange_reason(exch))
            continue
        if itype in ("INDEX", "IDX"):
            b.skip(INDEX_REASON)
            continue
        fo = t(row, "segment").upper() not in ("CASH", "") or itype.startswith(("FUT", "OPT"))
        kind = _kind(t(row, "optiontype")) if fo else EQ
        token = _nse_token(b, t(row, "exchangetoken"), symbol)
        if token is None:
            continue
        try:
            b.add(token, symbol, t(row, "name") if kind == EQ else "", symbol if kind == EQ else t(row, "name"),
                  kind, parse_expiry(t(row, "expiry")) if kind != EQ else 0,
                  rupees_to_paisa(t(row, "strike") or "0") if kind >= CE else 0, rupees_to_paisa(t(row, "ticksize")),
                  whole_number(t(row, "lotsize") or "1"), 0, 0, _is_index(t(row, "name"), itype))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")


# ====================================================================== ICICI Breeze
def icici_members(source: Path | bytes) -> list[str] | None:
    """The NSE cash and NSE F&O members of an ICICI ``SecurityMaster.zip``, by name (None for any other file);
    each is then read as a stream of its own."""
    try:
        with open(source, "rb") if isinstance(source, Path) else io.BytesIO(source) as fh:
            if fh.read(4) != b"PK\x03\x04":
                return None
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                names = {m.filename.rsplit("/", 1)[-1] for m in zf.infolist() if not m.is_dir()}
    except (zipfile.BadZipFile, OSError, EOFError):
        return None  # opening it as a master names the damage (or the missing file) in one sentence
    found = [n for n in ICICI_MEMBERS if n in names]
    return found or None


def parse_icici(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """ICICI Breeze ``NSEScripMaster.txt`` (cash, tick in rupees) or ``FONSEScripMaster.txt`` (F&O, tick in
    paise); other members of the zip (BSE, MCX, currency, mutual funds) are not NSE cash or F&O."""
    t = Table(text, name, b, cancel, progress, "ICICI Breeze", ("token", "shortname", "exchangecode"))
    fo = "instrumentname" in t.col
    for row in t:
        code = t(row, "exchangecode")
        if not fo:
            series = t(row, "series").upper()
            symbol = code if series in ("EQ", "") else f"{code}-{series}"
            token = _nse_token(b, t(row, "token"), symbol)
            if token is None:
                continue
            try:
                # ICICI writes 0.01 for every stock (RELIANCE's real tick is ₹0.10): kept as the file says, a
                # finer grid refuses no valid price, and the exchange still checks its own
                b.add(token, symbol, t(row, "companyname"), code, EQ, 0, 0, rupees_to_paisa(t(row, "ticksize")),
                      whole_number(t(row, "lotsize") or "1"))
            except (UnitError, ValueError) as exc:
                b.skip(UNREADABLE, f"{symbol}: {exc}")
            continue
        inst = t(row, "instrumentname").upper()
        if not inst.startswith(("FUT", "OPT")):
            b.skip("not a future or option", f"{code} ({inst})")
            continue
        under = ICICI_INDEX.get(code.upper(), code) if inst.endswith("IDX") else code
        kind = FUT if inst.startswith("FUT") else _kind(t(row, "optiontype"))
        try:
            expiry = parse_expiry(t(row, "expirydate"))
            strike = rupees_to_paisa(t(row, "strikeprice") or "0") if kind >= CE else 0
            symbol = _made_symbol(under, kind, expiry, strike)
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{code}: {exc}")
            continue
        token = _nse_token(b, t(row, "token"), symbol)
        if token is None:
            continue
        try:
            b.add(token, symbol, "", under, kind, expiry, strike, paise_to_paisa(t(row, "ticksize") or "0"),
                  whole_number(t(row, "lotsize") or "1"), 0, whole_number(t(row, "freezeqty") or "0"),
                  inst.endswith("IDX"))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")


# ====================================================================== Shoonya, 5paisa, Alice Blue
def parse_shoonya(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Shoonya (Finvasia) ``NSE_symbols.txt`` / ``NFO_symbols.txt`` (rupees)."""
    t = Table(text, name, b, cancel, progress, "Shoonya", ("exchange", "token", "lotsize", "tradingsymbol",
                                                         "ticksize"))
    for row in t:
        exch, symbol, inst = t(row, "exchange").upper(), t(row, "tradingsymbol"), t(row, "instrument").upper()
        if inst == "INDEX":
            b.skip(INDEX_REASON)
            continue
        if exch not in ("NSE", "NFO"):
            b.skip(_exchange_reason(exch))
            continue
        under = t(row, "symbol")
        kind = EQ if exch == "NSE" else _kind(t(row, "optiontype")) if inst.startswith("OPT") else FUT
        if kind != EQ and not inst.startswith(("FUT", "OPT")):
            b.skip("not a future or option", symbol)
            continue
        token = _nse_token(b, t(row, "token"), symbol)
        if token is None:
            continue
        try:
            b.add(token, _strip_series(symbol) if kind == EQ else symbol, under if kind == EQ else "",
                  _strip_series(symbol).split("-")[0] if kind == EQ else under, kind,
                  parse_expiry(t(row, "expiry")) if kind != EQ else 0,
                  rupees_to_paisa(t(row, "strikeprice") or "0") if kind >= CE else 0,
                  rupees_to_paisa(t(row, "ticksize")), whole_number(t(row, "lotsize") or "1"), 0, 0,
                  _is_index(under, inst))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")


def parse_5paisa(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """5paisa ScripMaster CSV (both the ``CpType``/``Root`` and the ``ScripType``/``SymbolRoot`` spellings)."""
    t = Table(text, name, b, cancel, progress, "5paisa", ("exch", "exchtype", "scripcode", "name", "ticksize",
                                                        "lotsize"))
    opt_col = "cptype" if "cptype" in t.col else "scriptype"
    root_col = "root" if "root" in t.col else "symbolroot"
    for row in t:
        exch, etype = t(row, "exch").upper(), t(row, "exchtype").upper()
        symbol, root = t(row, "name"), t(row, root_col) or t(row, "name")
        if exch != "N":
            b.skip(_exchange_reason({"B": "BSE", "M": "MCX"}.get(exch, exch)))
            continue
        if etype not in ("C", "D"):
            b.skip(_exchange_reason({"U": "NSE currency"}.get(etype, f"NSE segment {etype}")))
            continue
        code = _token(t(row, "scripcode"))
        if etype == "C" and code is not None and code > 999_900:
            b.skip(INDEX_REASON)  # 5paisa's own ids for indices (999920000 NIFTY)
            continue
        opt = t(row, opt_col).upper()
        kind = EQ if etype == "C" else _kind(opt)
        series = t(row, "series").upper()
        if kind == EQ and series not in ("EQ", "BE", ""):
            symbol = f"{symbol}-{series}"
        token = _nse_token(b, t(row, "scripcode"), symbol)
        if token is None:
            continue
        try:
            b.add(token, symbol, (t(row, "fullname") or symbol) if kind == EQ else "", root if kind != EQ else symbol,
                  kind, parse_expiry(t(row, "expiry")) if kind != EQ else 0,
                  rupees_to_paisa(t(row, "strikerate") or "0") if kind >= CE else 0,
                  rupees_to_paisa(t(row, "ticksize")), whole_number(t(row, "lotsize") or "1"), 0,
                  whole_number(t(row, "qtylimit") or "0") if kind != EQ else 0, _is_index(root, ""))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")


def parse_aliceblue(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Alice Blue contract master ``NSE.csv`` / ``NFO.csv`` (rupees)."""
    t = Table(text, name, b, cancel, progress, "Alice Blue", ("exch", "exchange segment", "token", "trading symbol",
                                                            "lot size", "tick size"))
    for row in t:
        exch, seg, symbol = t(row, "exch").upper(), t(row, "exchange segment").lower(), t(row, "trading symbol")
        if seg.endswith(("idx", "index")) or exch in ("INDICES", "INDEX"):
            b.skip(INDEX_REASON)
            continue
        if exch not in ("NSE", "NFO"):
            b.skip(_exchange_reason(exch))
            continue
        under = t(row, "symbol")
        itype = t(row, "instrument type").upper()
        kind = EQ if exch == "NSE" else _kind(t(row, "option type"))
        token = _nse_token(b, t(row, "token"), symbol)
        if token is None:
            continue
        try:
            b.add(token, _strip_series(symbol) if kind == EQ else symbol,
                  t(row, "instrument name") if kind == EQ else "", under, kind,
                  parse_expiry(t(row, "expiry date")) if kind != EQ else 0,
                  rupees_to_paisa(t(row, "strike price") or "0") if kind >= CE else 0,
                  rupees_to_paisa(t(row, "tick size")), whole_number(t(row, "lot size") or "1"), 0, 0,
                  _is_index(under, itype))
        except (UnitError, ValueError) as exc:
            b.skip(UNREADABLE, f"{symbol}: {exc}")


PARSERS: dict[str, Callable[[str, str, Builder, Cancel | None, Progress | None], None]] = {
    "dhan-detailed": parse_dhan_detailed, "kotak-neo": parse_kotak_neo, "kotak-trade": parse_kotak_trade,
    "icici": parse_icici, "5paisa": parse_5paisa, "aliceblue": parse_aliceblue, "shoonya": parse_shoonya,
}
