"""Broker masters → normalised rows: reading (``.gz``, ``.zip``), recognising the layout, one importer per vendor.

Every importer keeps only what AirAlgo can trade — NSE cash and NSE F&O — takes the NSE exchange token, converts
units to paisa exactly, and counts every other row by reason. Layouts (checked against the vendors' published
headers and public code that reads them; see the README's instrument section):

* Kite ``instruments`` CSV: ``instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,
  tick_size,lot_size,instrument_type,segment,exchange``; token = ``exchange_token``; rupees.
* Upstox ``complete.json(.gz)``: objects with ``segment`` (NSE_EQ, NSE_FO, NSE_INDEX, BSE_EQ…),
  ``exchange_token``, ``trading_symbol``, ``expiry`` (epoch ms), ``strike_price`` (rupees), ``tick_size``
  (paise in the JSON, rupees in the CSV: decided from the data, see :func:`_tick_scale`). Upstox's CSV
  (``instrument_key,exchange_token,tradingsymbol,…,exchange`` with NSE_EQ/NSE_FO) is read too.
* Angel One ``OpenAPIScripMaster.json``: ``token,symbol,name,expiry ("27FEB2025"),strike,lotsize,
  instrumenttype,exch_seg,tick_size``; strike and tick in paise; indices are ``AMXIDX``.
* Dhan ``api-scrip-master.csv``: ``SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,…,
  SEM_TRADING_SYMBOL,SEM_LOT_UNITS,…,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE``; strike in
  rupees, tick in paise (decided from the data).
* Fyers ``NSE_CM.csv``/``NSE_FO.csv``: no header, 21 columns (Fytoken, Symbol Details, Exchange Instrument type,
  Minimum lot size, Tick size, ISIN, Trading Session, Last update date, Expiry date (epoch s), Symbol ticker,
  Exchange, Segment, Scrip code, Underlying symbol, Underlying scrip code, Strike price, Option type, …);
  token = Scrip code; rupees.
* Our own CSV (``token,symbol,name,exchange,segment,instrument_type,expiry,strike,tick_size,lot_size,…``).
* Angel One's and Upstox's JSON keys as CSV columns (their JSON units), and in ``vendors``: Dhan's detailed
  master, Kotak Neo and Trade API, ICICI Breeze SecurityMaster, Shoonya, 5paisa, Alice Blue.

A vendor's own id (``VENDOR_IDS``) is never the token; whatever was read passes ``plausible.implausible`` or the
file is refused whole (the store unchanged), naming the offending contracts.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..domain.instruments import _INDEX_NAMES
from .catalog import CE, EQ, FUT, PE, Builder, TooManyRows
from .plausible import implausible, refusal
from .text import (
    INDEX_REASON,
    Cancel,
    ImportCancelled,
    MasterError,
    MasterText,
    Progress,
    _csv_rows,
    _exchange_reason,
    _finish_ticks,
    _header,
    _json_rows,
    _Rows,
    _short,
    _token,
    open_master,
    size_words,
)

# what other modules import from here (the reading layer lives in ``text``)
__all__ = ["FORMATS", "FORMAT_NAMES", "PARSERS", "VENDOR_IDS", "Cancel", "ImportCancelled", "MasterError",
           "MasterText", "Progress", "open_master", "parse", "size_words", "sniff"]
from .units import (
    UnitError,
    epoch_to_ist_day,
    from_day_number,
    paise_to_paisa,
    parse_expiry,
    rupees_to_paisa,
    whole_number,
)

FORMATS = ("kite", "upstox", "upstox-csv", "upstox-flat", "angel", "angel-csv", "dhan", "dhan-detailed", "fyers",
           "kotak-neo", "kotak-trade", "icici", "shoonya", "5paisa", "aliceblue", "generic")
FORMAT_NAMES = {"kite": "Kite (Zerodha) instruments CSV", "upstox": "Upstox complete.json",
                "upstox-csv": "Upstox instruments CSV", "upstox-flat": "Upstox complete.json as CSV",
                "angel": "Angel One OpenAPIScripMaster.json",
                "angel-csv": "Angel One ScripMaster as CSV", "dhan": "Dhan scrip master CSV",
                "fyers": "Fyers symbol master CSV", "generic": "instrument CSV"}  # + vendors.FORMAT_NAMES below
# A vendor's own instrument id is never the NSE token (Kite RELIANCE 738561 vs NSE 2885): a file whose only id
# column is one of these is refused, naming the column it needs instead.
VENDOR_IDS = {"instrument_token": ("Zerodha's own id", "exchange_token"),
              "instrumenttoken": ("Kotak's own id", "exchangeToken"),
              "instrument_key": ("Upstox's own key", "exchange_token"),
              "fytoken": ("Fyers' own id", "the scrip code"),
              "pscriprefkey": ("Kotak's own key", "pSymbol")}
def sniff(text: str, name: str) -> str:
    """Which layout ``text`` is in, from its content (never from the file name)."""
    head = text[:8192].lstrip()
    if head[:1] in "[{":
        if '"exch_seg"' in head:
            return "angel"
        if '"exchange_token"' in head or '"instrument_key"' in head:
            return "upstox"
        raise MasterError(f"{name} is JSON but neither Angel One's nor Upstox's instrument master.")
    first = head.splitlines()[0] if head else ""
    cells_text = first.split("\t") if first.count("\t") > first.count(",") else first.split(",")
    header = {vendors.key(h) for h in cells_text}
    if "sem_smst_security_id" in header:
        return "dhan"
    vendor = vendors.sniff_header(header)
    if vendor:
        return vendor
    if {"instrument_key", "exchange_token", "segment"} <= header and "strike" not in header:
        return "upstox-flat"  # complete.json's keys as columns (its units)
    if {"instrument_key", "exchange_token"} <= header:
        return "upstox-csv"
    if {"instrument_token", "exchange_token", "tradingsymbol"} <= header:
        return "kite"
    cells = first.split(",")
    if len(cells) >= 14 and cells[0].strip().isdigit() and ":" in cells[9]:
        return "fyers"
    if {"token", "symbol", "exch_seg", "instrumenttype"} <= header:
        return "angel-csv"  # Angel One's JSON keys as CSV columns: strike and tick still in paise
    if "token" in _canonical_headers(list(header)).values():
        return "generic"
    for column, (what, needed) in VENDOR_IDS.items():
        if column in header:
            shown = next(h.strip().strip('"') for h in cells_text if vendors.key(h) == column)
            raise MasterError(f"{name} has no NSE token column: {shown} is {what}, not the NSE token; export the "
                              f"master with its {needed} column (the NSE exchange token, 2885 for RELIANCE).")
    shown = first[:120] + ("…" if len(first) > 120 else "")
    raise MasterError(f"{name} has no token column: it is not an instrument master this app knows "
                      f"(first line: {shown!r}).")


# ====================================================================== importers
def parse_kite(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Kite CSV (and Upstox's CSV, which shares its columns with NSE_EQ/NSE_FO exchanges)."""
    rows = iter(_csv_rows(text, name, cancel, progress))
    col, needed, width = _header(rows, name, "Kite/Upstox", (
        "exchange_token", "tradingsymbol", "name", "expiry", "strike", "tick_size", "lot_size", "instrument_type",
        "exchange"), upper=False)
    i_tok, i_sym, i_name, i_exp, i_strike, i_tick, i_lot, i_type, i_exch = needed
    i_seg, i_last, i_opt = col.get("segment"), col.get("last_price"), col.get("option_type")
    for row in rows:
        if _short(row, width, b):
            continue
        exch = row[i_exch].strip().upper()
        seg = row[i_seg].strip().upper() if i_seg is not None else ""
        itype = row[i_type].strip().upper()
        if exch in ("NSE_INDEX",) or seg == "INDICES":
            b.skip(INDEX_REASON)
            continue
        if exch in ("NSE", "NSE_EQ"):
            kind = EQ
        elif exch in ("NFO", "NSE_FO"):
            if itype in ("FUT", "FUTIDX", "FUTSTK"):
                kind = FUT
            else:
                opt = row[i_opt].strip().upper() if i_opt is not None else itype
                kind = CE if opt == "CE" else PE if opt == "PE" else -1
                if kind < 0:
                    b.skip("not a future or option", row[i_sym])
                    continue
        else:
            b.skip(_exchange_reason(exch.split("_")[0]))
            continue
        token = _token(row[i_tok])
        if token is None:
            b.skip("token not a number", row[i_tok][:20])
            continue
        symbol = row[i_sym].strip()
        try:
            expiry = parse_expiry(row[i_exp]) if kind != EQ else 0
            under = (row[i_name].strip() or _kite_underlying(symbol, expiry)) if kind != EQ else symbol.split("-")[0]
            prev = 0
            if i_last is not None:
                try:
                    prev = rupees_to_paisa(row[i_last] or "0")
                except UnitError:
                    prev = 0
            b.add(token, symbol, row[i_name].strip() if kind == EQ else "", under, kind,
                  expiry, rupees_to_paisa(row[i_strike] or "0") if kind >= CE else 0,
                  rupees_to_paisa(row[i_tick]), whole_number(row[i_lot] or "1"), prev, 0,
                  under.upper() in _INDEX_NAMES or itype.endswith("IDX"))
        except UnitError as exc:
            b.skip("unreadable row", f"{symbol}: {exc}")


def _kite_underlying(symbol: str, expiry: int) -> str:
    """The underlying of a Kite F&O symbol whose ``name`` is empty (Zerodha's own mock file leaves it empty for
    every option): what precedes the expiry stamp, monthly ``NIFTY24APR…`` or weekly ``NIFTY24404…``."""
    day = from_day_number(expiry)
    if day is None:
        return ""
    yy = f"{day.year % 100:02d}"
    for stamp in (f"{yy}{day.strftime('%b').upper()}", f"{yy}{'123456789OND'[day.month - 1]}{day.day:02d}"):
        at = symbol.upper().find(stamp, 1)
        if at > 0:
            return symbol[:at]
    return ""


def parse_upstox(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Upstox ``complete.json``."""
    rows = _Rows(b, cancel, progress, text)
    items = _json_rows(text, name)
    _upstox_items(rows.objects(items), b, rows)


def parse_upstox_flat(text: MasterText, name: str, b: Builder,
                      cancel: Cancel | None, progress: Progress | None) -> None:
    """Upstox's JSON saved as CSV (pandas): the JSON's keys as columns, its units (tick in paise, expiry in epoch
    ms, here written ``1767119399000.0``); ``trading_symbol`` sometimes renamed ``symbol``."""
    rows = _Rows(b, cancel, progress, text)
    _upstox_items(_dict_rows(text, name, rows, {"symbol": "trading_symbol"}), b, rows)


def _dict_rows(text: MasterText, name: str, rows: _Rows, rename: dict[str, str]) -> Iterable[dict[str, Any]]:
    """A CSV's rows as dicts keyed by lower-case header (``rename`` maps other spellings), with progress."""
    reader = csv.DictReader(text.lines(), skipinitialspace=True)
    try:
        for row in reader:
            rows.tick()
            item = {}
            for k, v in row.items():
                k = (k or "").strip().lower()
                item[rename.get(k, k)] = v if isinstance(v, str) else ""
            yield item
    except csv.Error as exc:
        raise MasterError(f"{name} is not a readable CSV at line {reader.line_num}: {exc} "
                          "(not an instrument master).") from None


def _upstox_items(items: Iterable[dict[str, Any]], b: Builder, rows: _Rows) -> None:
    start = len(b)
    raw_ticks: list[str] = []
    for item in items:
        seg = str(item.get("segment", "")).upper()
        itype = str(item.get("instrument_type", "")).upper()
        if seg == "NSE_INDEX" or itype == "INDEX":
            b.skip(INDEX_REASON)
            continue
        if seg == "NSE_EQ":
            kind = EQ
        elif seg == "NSE_FO":
            kind = {"FUT": FUT, "CE": CE, "PE": PE}.get(itype, -1)
            if kind < 0:
                b.skip("not a future or option", str(item.get("trading_symbol", "")))
                continue
        else:
            b.skip(_exchange_reason(seg.split("_")[0]))
            continue
        token = _token(item.get("exchange_token", ""))
        if token is None:
            b.skip("token not a number", str(item.get("exchange_token", ""))[:20])
            continue
        symbol = str(item.get("trading_symbol") or item.get("tradingsymbol") or "").strip()
        try:
            expiry_ms = item.get("expiry") or 0
            expiry = epoch_to_ist_day(int(float(expiry_ms)) // 1000) if kind != EQ else 0
            under = str(item.get("underlying_symbol") or item.get("name") or symbol) if kind != EQ else symbol
            added = b.add(token, symbol, str(item.get("name", "")) if kind == EQ else "", under, kind, expiry,
                          rupees_to_paisa(item.get("strike_price") or 0) if kind >= CE else 0, 1,
                          whole_number(item.get("lot_size") or 1), 0,
                          whole_number(item.get("freeze_quantity") or 0),
                          str(item.get("underlying_type", "")).upper() == "INDEX" or under.upper() in _INDEX_NAMES)
        except (UnitError, ValueError, TypeError) as exc:
            rows.bad(exc, symbol)
            continue
        if added:
            raw_ticks.append(str(item.get("tick_size", "")))
    _finish_ticks(b, start, raw_ticks)


def parse_angel(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Angel One ``OpenAPIScripMaster.json`` (strike and tick in paise)."""
    rows = _Rows(b, cancel, progress, text)
    items = _json_rows(text, name)
    _angel_items(rows.objects(items), b, rows)


def parse_angel_csv(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Angel One's ScripMaster saved as CSV with its keys as columns: the JSON's units (strike ×100, tick in
    paise: ``NIFTY25JUN2623000CE`` strike ``2300000.000000``, tick ``5.000000`` = ₹0.05)."""
    rows = _Rows(b, cancel, progress, text)
    _angel_items(_dict_rows(text, name, rows, {}), b, rows)


def _angel_items(items: Iterable[dict[str, Any]], b: Builder, rows: _Rows) -> None:
    for item in items:
        seg = str(item.get("exch_seg", "")).upper()
        itype = str(item.get("instrumenttype", "")).upper()
        symbol = str(item.get("symbol", "")).strip()
        if itype == "AMXIDX" or itype.endswith("INDEX"):
            b.skip(INDEX_REASON)
            continue
        if seg == "NSE":
            if itype:
                b.skip("not a cash or F&O contract", f"{symbol} ({itype})")
                continue
            kind = EQ
        elif seg == "NFO":
            if itype.startswith("FUT"):
                kind = FUT
            elif itype.startswith("OPT"):
                kind = CE if symbol.upper().endswith("CE") else PE if symbol.upper().endswith("PE") else -1
                if kind < 0:
                    b.skip("not a future or option", symbol)
                    continue
            else:
                b.skip("not a future or option", symbol)
                continue
        else:
            b.skip(_exchange_reason(seg))
            continue
        token = _token(item.get("token", ""))
        if token is None:
            b.skip("token not a number", str(item.get("token", ""))[:20])
            continue
        try:
            cash_symbol = symbol[:-3] if symbol.upper().endswith("-EQ") else symbol
            under = str(item.get("name") or cash_symbol) if kind != EQ else cash_symbol.split("-")[0]
            b.add(token, cash_symbol if kind == EQ else symbol, str(item.get("name", "")) if kind == EQ else "",
                  under, kind, parse_expiry(str(item.get("expiry", ""))) if kind != EQ else 0,
                  paise_to_paisa(item.get("strike") or 0) if kind >= CE else 0,
                  paise_to_paisa(item.get("tick_size") or 0), whole_number(item.get("lotsize") or 1), 0, 0,
                  itype.endswith("IDX"))
        except (UnitError, ValueError) as exc:
            rows.bad(exc, symbol)


def parse_dhan(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Dhan ``api-scrip-master.csv``."""
    rows = iter(_csv_rows(text, name, cancel, progress))
    col, needed, width = _header(rows, name, "Dhan", (
        "SEM_EXM_EXCH_ID", "SEM_SEGMENT", "SEM_SMST_SECURITY_ID", "SEM_INSTRUMENT_NAME", "SEM_TRADING_SYMBOL",
        "SEM_LOT_UNITS", "SEM_EXPIRY_DATE", "SEM_STRIKE_PRICE", "SEM_TICK_SIZE", "SEM_OPTION_TYPE"), upper=True)
    i_exch, i_seg, i_tok, i_inst, i_sym, i_lot, i_exp, i_strike, i_tick, i_opt = needed
    i_cname = col.get("SM_SYMBOL_NAME", col.get("SEM_CUSTOM_SYMBOL"))
    start = len(b)
    raw_ticks: list[str] = []
    for row in rows:
        if _short(row, width, b):
            continue
        exch, seg, inst = row[i_exch].strip().upper(), row[i_seg].strip().upper(), row[i_inst].strip().upper()
        if seg == "I" or inst == "INDEX":
            b.skip(INDEX_REASON)
            continue
        if exch != "NSE":
            b.skip(_exchange_reason(exch))
            continue
        symbol = row[i_sym].strip()
        if seg == "E":
            kind = EQ
        elif seg == "D":
            opt = row[i_opt].strip().upper()
            kind = FUT if inst.startswith("FUT") else CE if opt == "CE" else PE if opt == "PE" else -1
            if kind < 0:
                b.skip("not a future or option", symbol)
                continue
        else:
            b.skip(_exchange_reason({"C": "NSE currency", "M": "NSE commodity"}.get(seg, f"NSE segment {seg}")))
            continue
        token = _token(row[i_tok])
        if token is None:
            b.skip("token not a number", row[i_tok][:20])
            continue
        try:
            under = symbol.split("-")[0]
            added = b.add(token, symbol, row[i_cname].strip() if kind == EQ and i_cname is not None else "", under,
                          kind, parse_expiry(row[i_exp]) if kind != EQ else 0,
                          rupees_to_paisa(row[i_strike] or "0") if kind >= CE else 0, 1,
                          whole_number(row[i_lot] or "1"), 0, 0, inst.endswith("IDX"))
        except UnitError as exc:
            b.skip("unreadable row", f"{symbol}: {exc}")
            continue
        if added:
            raw_ticks.append(row[i_tick])
    _finish_ticks(b, start, raw_ticks)


def parse_fyers(text: MasterText, name: str, b: Builder, cancel: Cancel | None, progress: Progress | None) -> None:
    """Fyers ``NSE_CM.csv`` / ``NSE_FO.csv`` (no header)."""
    for row in _csv_rows(text, name, cancel, progress):
        if _short(row, 14, b):  # 21 columns since 2022; 14 before (no strike / option type tail)
            continue
        exchange, segment, ticker = row[10].strip(), row[11].strip(), row[9].strip()
        if exchange != "10":
            b.skip(_exchange_reason({"11": "MCX", "12": "BSE"}.get(exchange, exchange)))
            continue
        if ticker.upper().endswith("-INDEX"):
            b.skip(INDEX_REASON)
            continue
        symbol = ticker.split(":", 1)[-1]
        if segment == "10":
            kind = EQ
            symbol = symbol[:-3] if symbol.upper().endswith("-EQ") else symbol
        elif segment == "11":
            opt = row[16].strip().upper() if len(row) > 16 else ""
            kind = CE if opt == "CE" else PE if opt == "PE" else FUT
        else:
            b.skip(_exchange_reason({"12": "NSE currency", "20": "NSE commodity"}.get(segment, segment)))
            continue
        token = _token(row[12])
        if token is None:
            b.skip("token not a number", row[12][:20])
            continue
        try:
            under = row[13].strip() or symbol.split("-")[0]
            expiry = epoch_to_ist_day(int(float(row[8] or 0))) if kind != EQ else 0
            b.add(token, symbol, row[1].strip() if kind == EQ else "", under, kind, expiry,
                  rupees_to_paisa(row[15] or "0") if kind >= CE and len(row) > 15 else 0, rupees_to_paisa(row[4]),
                  whole_number(row[3] or "1"), 0, 0, row[2].strip() in ("11", "14") or under.upper() in _INDEX_NAMES)
        except (UnitError, ValueError) as exc:
            b.skip("unreadable row", f"{symbol}: {exc}")


# ====================================================================== our own CSV
# canonical name -> accepted header spellings (lower-cased, stripped)
_COLUMNS: dict[str, tuple[str, ...]] = {
    # NSE's token only: a vendor's own id (Kite instrument_token, RELIANCE 738561; Kotak instrumentToken; Upstox
    # instrument_key) is never one — a file with nothing else is refused (VENDOR_IDS)
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


def parse_generic(text: MasterText, name: str, b: Builder, cancel: Cancel | None,
                  progress: Progress | None) -> None:
    """Our own CSV layout (rupees, or ``*_paisa`` columns; the header spellings of :data:`_COLUMNS`): its one parser,
    for an import, the demo's bundled sample (``instruments.demo``) and the simulator's ``--instruments``."""
    rows = iter(_csv_rows(text, name, cancel, progress))
    header = next(rows, [])
    mapping = _canonical_headers(header)
    col = {canonical: header.index(h) for h, canonical in mapping.items()}
    if "token" not in col or "symbol" not in col:
        raise MasterError(f"{name} needs a token column (token/exchange_token) and a symbol column "
                          f"(symbol/tradingsymbol); found {', '.join(h for h in header if h) or 'no header'}.")

    def cell(row: list[str], key: str) -> str:
        i = col.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    def money(row: list[str], key: str) -> int:
        raw = cell(row, f"{key}_paisa")
        if raw:
            return paise_to_paisa(raw)
        raw = cell(row, key)
        return 0 if not raw or raw in ("-1", "-0.01") else rupees_to_paisa(raw)

    for row in rows:
        if not any(c.strip() for c in row):
            continue
        exch = cell(row, "exchange").upper() or "NSE"
        seg = cell(row, "segment").upper()
        itype = cell(row, "instrument_type").upper() or "EQ"
        symbol = cell(row, "symbol")
        if seg.endswith(("INDICES", "INDEX", "IDX")) or itype in ("INDEX", "AMXIDX"):
            b.skip(INDEX_REASON)
            continue
        if exch not in ("NSE", "NFO"):
            b.skip(_exchange_reason(exch))
            continue
        if itype.startswith("FUT"):
            kind = FUT
        elif itype in ("CE", "PE"):
            kind = CE if itype == "CE" else PE
        elif itype.startswith("OPT"):
            kind = CE if symbol.upper().endswith("CE") else PE
        else:
            kind = EQ
        token = _token(cell(row, "token"))
        if token is None or not symbol:
            b.skip("token not a number" if token is None else "symbol missing", symbol or cell(row, "token")[:20])
            continue
        try:
            rupee_name = cell(row, "name")
            under = rupee_name if kind != EQ and rupee_name else symbol.split("-")[0]
            tick = money(row, "tick_size") if (cell(row, "tick_size") or cell(row, "tick_size_paisa")) else 5
            b.add(token, symbol, rupee_name if kind == EQ else "", under, kind,
                  parse_expiry(cell(row, "expiry")) if kind != EQ else 0, money(row, "strike") if kind >= CE else 0,
                  tick, whole_number(cell(row, "lot_size") or "1"), money(row, "prev_close"),
                  whole_number(cell(row, "freeze_qty") or "0"), under.upper() in _INDEX_NAMES)
        except UnitError as exc:
            b.skip("unreadable row", f"{symbol}: {exc}")


PARSERS: dict[str, Callable[[MasterText, str, Builder, Cancel | None, Progress | None], None]] = {
    "kite": parse_kite, "upstox-csv": parse_kite, "upstox": parse_upstox, "angel": parse_angel,
    "angel-csv": parse_angel_csv, "upstox-flat": parse_upstox_flat, "dhan": parse_dhan, "fyers": parse_fyers,
    "generic": parse_generic,
}


def parse(data: bytes | Path, name: str, fmt: str | None = None, *, cancel: Cancel | None = None,
          progress: Progress | None = None, into: Builder | None = None,
          member: str | None = None) -> tuple[Builder, str]:
    """A master file (or its bytes) → (builder with the kept rows and the skip counts, format used); ``into`` adds
    to a builder; ``member``: that file of a zip. The file is streamed — unpacked and decoded piece by piece,
    within :data:`MAX_MASTER_BYTES` — never held whole.

    Refused as a whole (MasterError) when what was read is implausible for NSE (``instruments.plausible``)."""
    builder = into if into is not None else Builder()
    members = vendors.icici_members(data) if fmt in (None, "icici") and member is None else None
    if members:  # ICICI's SecurityMaster.zip: its NSE cash and NSE F&O members, not the first file in it
        for one in members:
            parse(data, f"{name}/{one}", "icici", cancel=cancel, progress=progress, into=builder, member=one)
        return builder, "icici"
    with open_master(data, name, member=member) as text:
        chosen = fmt or sniff(text.head, name)
        if chosen not in PARSERS:
            raise MasterError(f"unknown format {chosen!r}; use one of {', '.join(FORMATS)}.")
        start = len(builder)
        try:
            PARSERS[chosen](text, name, builder, cancel, progress)
        except TooManyRows as exc:
            raise MasterError(f"{name} lists {exc} of NSE cash and F&O (NSE has about 150,000): not an "
                              "instrument master this app can use.") from None
    found = implausible(builder, start)  # whatever the layout: a misread unit never reaches the store
    if found:
        raise MasterError(refusal(name, found))
    return builder, chosen


from . import vendors  # noqa: E402 - registered after ours: their entries extend PARSERS and FORMAT_NAMES

PARSERS.update(vendors.PARSERS)
FORMAT_NAMES.update(vendors.FORMAT_NAMES)
