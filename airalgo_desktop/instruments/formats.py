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

import codecs
import contextlib
import csv
import gzip
import io
import json
import os
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..domain.instruments import _INDEX_NAMES, parse_token
from .catalog import CE, EQ, FUT, MAX_TICK, PE, Builder, TooManyRows, rupees
from .plausible import implausible, refusal
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
Progress = Callable[[float, str], None]
_CHECK_EVERY = 20_000  # rows between progress reports / cancel checks


class MasterError(ValueError):
    """The file as a whole cannot be used; the message is one sentence for the trader."""


class ImportCancelled(Exception):
    """The user cancelled the import; nothing was changed."""


@dataclass
class Cancel:
    """A cancel flag shared with the worker thread."""

    event: threading.Event

    @classmethod
    def new(cls) -> Cancel:
        return cls(threading.Event())

    def set(self) -> None:
        self.event.set()

    def check(self) -> None:
        if self.event.is_set():
            raise ImportCancelled("import cancelled")


# ====================================================================== reading
MAX_MASTER_BYTES = 512 * 2**20
"""The most text one master may unpack to (per file). The largest public masters are ~60 MB; more than this is a
wrong file or a decompression bomb, refused after reading at most this much — never held in memory at once."""
BOMB_RATIO = 100  # real masters pack 5–20×; a bomb packs ~1000×
BOMB_FLOOR_BYTES = 64 * 2**20  # the ratio is judged only past this much text (a tiny file may pack very well)
MAX_LINE_CHARS = 2**20  # one CSV record line; the longest real master line is a few hundred characters
MAX_JSON_ITEM_CHARS = 2**20  # one JSON instrument object (real ones are under 1 KB)
_HEAD_BYTES = 64 * 1024  # what sniffing and the binary check look at
_READ_BYTES = 2**20  # read and decode in pieces of this size: the text is never held whole


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: a byte that is not UTF-8 is read as cp1252 (masters exported from Excel on Windows);
    a byte cp1252 does not define either fails the read."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return bytes(exc.object[exc.start:exc.end]).decode("cp1252"), exc.end


codecs.register_error("airalgo-cp1252", _cp1252_fallback)


def size_words(count: int) -> str:
    """A byte count as a trader reads it: ``512 MB``, ``3.4 MB``, ``1.5 KB``, ``2 bytes``."""
    for unit, size in (("MB", 2**20), ("KB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:,.0f} {unit}" if value == int(value) else f"{value:,.1f} {unit}"
    return f"{count:,} bytes"


class _Budgeted(io.RawIOBase):
    """The unpacked bytes of a master, counted: past ``limit`` the read stops with one sentence; a damaged archive
    becomes one sentence too. ``head`` (already read) is served first."""

    def __init__(self, inner: BinaryIO, name: str, kind: str, limit: int, packed: Callable[[], int]) -> None:
        super().__init__()
        self.inner, self.name, self.kind, self.limit, self.packed = inner, name, kind, limit, packed
        self.count = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def read_raw(self, size: int) -> bytes:
        """Up to ``size`` unpacked bytes from the source (b"" at the end), budget enforced."""
        try:
            data = self.inner.read(size)
        except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
            raise MasterError(f"{self.name} is a damaged or truncated {self.kind} file ({exc}); download it "
                              "again.") from None
        self.count += len(data)
        if self.count > self.limit:
            what = "unpacks to" if self.kind != "text" else "is"
            raise MasterError(f"{self.name} {what} more than {size_words(self.limit)} of text, the limit for an "
                              "instrument master (the largest brokers' masters are under 100 MB).")
        if self.kind != "text" and self.count > BOMB_FLOOR_BYTES and self.count > BOMB_RATIO * max(self.packed(), 1):
            raise MasterError(f"{self.name} unpacks to more than {BOMB_RATIO} times its packed size: a decompression "
                              "bomb, not an instrument master (real masters pack 5 to 20 times).")
        return data

    def readinto(self, buffer: Any) -> int:
        if self.pending:
            data, self.pending = self.pending[:len(buffer)], self.pending[len(buffer):]
        else:
            data = self.read_raw(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class MasterText:
    """A master's text, read once as a stream (never whole in memory): :attr:`head` for recognising the layout,
    then :meth:`lines` (CSV) or :meth:`json_items` (JSON), and :meth:`fraction` for progress.

    Why a stream: a 1 GB file or a few-MB ``.gz`` bomb held as bytes, then text, then a ``StringIO`` copy cost
    six times its size and got the import killed without a word; read in pieces, memory is what the kept rows
    need, and a file past :data:`MAX_MASTER_BYTES` is refused with a sentence."""

    def __init__(self, raw: BinaryIO, name: str, *, limit: int | None = None, member: str | None = None,
                 reopen: Callable[[], MasterText] | None = None) -> None:
        limit = MAX_MASTER_BYTES if limit is None else limit
        self.name = name
        self._raw = raw
        self._member = member
        self._reopen = reopen
        self._closers: list[Any] = []
        try:
            raw.seek(0, io.SEEK_END)
            self._total = max(raw.tell(), 1)
            raw.seek(0)
        except (OSError, ValueError):
            self._total = 1
        inner, kind = self._unpack(raw, name, limit)
        self._budget = _Budgeted(inner, name, kind, limit, self._position)
        head = b""
        while len(head) < _HEAD_BYTES:
            piece = self._budget.read_raw(_HEAD_BYTES - len(head))
            if not piece:
                break
            head += piece
        if not head.strip():
            raise MasterError(f"{name} is empty.")
        if b"\x00" in head:
            raise MasterError(f"{name} is not a text file (binary content): choose a broker's instrument master "
                              "(.csv, .json, .gz or .zip).")
        self._budget.pending = head
        try:
            self.head = codecs.getincrementaldecoder("utf-8-sig")("airalgo-cp1252").decode(head)
        except UnicodeDecodeError:
            raise self._not_text() from None
        self._text = io.TextIOWrapper(io.BufferedReader(self._budget, _READ_BYTES), encoding="utf-8-sig",
                                      errors="airalgo-cp1252", newline="")

    def _unpack(self, raw: BinaryIO, name: str, limit: int) -> tuple[BinaryIO, str]:
        magic = raw.read(4)
        raw.seek(0)
        if magic[:2] == b"\x1f\x8b":
            unpacked: Any = gzip.GzipFile(fileobj=raw, mode="rb")
            self._closers.append(unpacked)
            return unpacked, ".gz"
        if magic == b"PK\x03\x04":
            try:
                zf = zipfile.ZipFile(raw)
                self._closers.append(zf)
                members = [m for m in zf.infolist() if not m.is_dir()]
                wanted = [m for m in members if m.filename.lower().endswith((".csv", ".json", ".txt"))] or members
                if self._member is not None:
                    wanted = [m for m in members if m.filename.rsplit("/", 1)[-1] == self._member]
                if not wanted:
                    raise MasterError(f"{name} is a .zip file with nothing in it.")
                if wanted[0].file_size > limit:  # what the archive declares; the read is counted as well
                    raise MasterError(f"{name} unpacks to {wanted[0].file_size / 2**20:,.0f} MB, more than the "
                                      f"{size_words(limit)} limit for an instrument master.")
                member = zf.open(wanted[0])
                self._closers.append(member)
                return member, ".zip"
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error, NotImplementedError) as exc:
                raise MasterError(f"{name} is a damaged or truncated .zip file ({exc}); download it again.") from None
        return raw, "text"

    def _not_text(self) -> MasterError:
        return MasterError(f"{self.name} is not a text file (it is not UTF-8): choose a broker's instrument master.")

    def _position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def fraction(self) -> float:
        """How far the read has come (0…1), from the position in the file as stored (packed or not)."""
        return min(1.0, self._position() / self._total)

    def lines(self) -> Iterator[str]:
        """The text line by line, line ends kept (what :mod:`csv` wants); one pass."""
        readline = self._text.readline
        number = 0
        while True:
            try:
                line = readline(MAX_LINE_CHARS)
            except UnicodeDecodeError:
                raise self._not_text() from None
            if not line:
                return
            number += 1
            if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                # csv's own words for a huge field, which is what such a line holds
                raise MasterError(f"{self.name} is not a readable CSV at line {number}: field larger than field "
                                  f"limit (a line of more than {size_words(MAX_LINE_CHARS)}; not an instrument "
                                  "master).")
            yield line

    def pieces(self) -> Iterator[str]:
        """The text once more from its start, in pieces, on a pass of its own (the file is read again; never
        held whole) — for a layout whose reading depends on the whole file (Dhan's order of day and month)."""
        if self._reopen is None:
            return
        with self._reopen() as again:
            while piece := again._text.read(_READ_BYTES):
                yield piece

    def json_items(self) -> Iterator[Any]:
        """The items of the master's JSON list — the document itself, or the first list inside a wrapping object
        (``{"data": [...]}``) — one by one; one pass."""
        return _JsonItems(self._text, self.name).items()

    def close(self) -> None:
        """Let go of the decompressors and the file."""
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):
                closer.close()
        with contextlib.suppress(Exception):
            self._raw.close()

    def __enter__(self) -> MasterText:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _JsonItems:
    """A JSON list read item by item from a text stream with the standard library's scanner (``raw_decode``)."""

    def __init__(self, text: io.TextIOBase, name: str) -> None:
        self.text, self.name = text, name
        self.buf, self.pos, self.eof = "", 0, False
        self.decoder = json.JSONDecoder(parse_constant=_no_constant)

    def _more(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = self.text.read(_READ_BYTES)
        except UnicodeDecodeError:
            raise MasterError(f"{self.name} is not a text file (it is not UTF-8): choose a broker's instrument "
                              "master.") from None
        self.buf, self.pos = self.buf[self.pos:] + chunk, 0
        self.eof = not chunk
        return bool(chunk)

    def _damaged(self, why: str) -> MasterError:
        return MasterError(f"{self.name} is damaged JSON ({why}); download it again.")

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end), without taking it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except (json.JSONDecodeError, ValueError, RecursionError) as exc:
                if self._more() and len(self.buf) <= MAX_JSON_ITEM_CHARS + _READ_BYTES:
                    continue
                raise self._damaged(str(exc).split(":")[0] if not isinstance(exc, RecursionError)
                                    else "nested too deeply") from None
            if end >= len(self.buf) and self._more():  # a number may go on in the next piece
                continue
            self.pos = end
            return value

    def items(self) -> Iterator[Any]:
        first = self._peek()
        if first == "{":  # a wrapper: skip members until one whose value is a list
            self.pos += 1
            while True:
                key = self._peek()
                if key == "}":
                    break
                if key != '"':
                    raise self._damaged("expected a member name")
                self._value()
                if self._peek() != ":":
                    raise self._damaged("expected ':'")
                self.pos += 1
                if self._peek() == "[":
                    yield from self._list()
                    return
                self._value()
                if self._peek() == ",":
                    self.pos += 1
            raise MasterError(f"{self.name} is JSON but not a list of instruments.")
        if first != "[":
            raise MasterError(f"{self.name} is JSON but not a list of instruments.")
        yield from self._list()

    def _list(self) -> Iterator[Any]:
        self.pos += 1  # "["
        if self._peek() == "]":
            self.pos += 1
            return
        while True:
            yield self._value()
            sep = self._peek()
            self.pos += 1
            if sep == "]":
                return
            if sep != ",":
                raise self._damaged("expected ',' or ']' between items" if sep else "it ends inside the list")


def open_master(source: Path | bytes, name: str, *, limit: int | None = None,
                member: str | None = None) -> MasterText:
    """A file (or bytes) as a :class:`MasterText`, or one sentence saying why not. ``limit``: the most text it
    may unpack to (:data:`MAX_MASTER_BYTES`); ``member``: which file of a zip (default: its first .csv/.json/.txt).
    """
    limit = MAX_MASTER_BYTES if limit is None else limit

    def reopen() -> MasterText:
        return open_master(source, name, limit=limit, member=member)

    if isinstance(source, bytes | bytearray):
        if not source:
            raise MasterError(f"{name} is empty.")
        return MasterText(io.BytesIO(source), name, limit=limit, member=member, reopen=reopen)
    path = Path(source)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - MasterText owns and closes it
    except FileNotFoundError:
        raise MasterError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise MasterError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        if path.is_dir():
            raise MasterError(f"{path} is a folder, not a file.") from None
        raise MasterError(f"could not read {path}: {exc.strerror or exc}.") from None
    try:
        size = os.fstat(raw.fileno()).st_size
        if size > limit:
            raise MasterError(f"{name} is {size / 2**20:,.0f} MB, more than the {size_words(limit)} limit for an "
                              "instrument master (the largest brokers' masters are under 100 MB).")
        return MasterText(raw, name, limit=limit, member=member, reopen=reopen)
    except BaseException:
        raw.close()
        raise


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


def _csv_rows(text: MasterText, name: str, cancel: Cancel | None, progress: Progress | None, *,
              delimiter: str = ",") -> Iterable[list[str]]:
    """The CSV records of ``text``, streamed (the text is never copied whole), with progress and cancel."""
    # skipinitialspace: ICICI's cash master writes `"Token", "ShortName", …` (a blank before each quote)
    reader = csv.reader(text.lines(), delimiter=delimiter, skipinitialspace=True)
    try:
        for i, row in enumerate(reader):
            if i % _CHECK_EVERY == 0:
                if cancel:
                    cancel.check()
                if progress and i:
                    progress(min(0.95, text.fraction()), f"{i:,} rows read")
            yield row
    except csv.Error as exc:
        raise MasterError(f"{name} is not a readable CSV at line {reader.line_num}: {exc} "
                          "(not an instrument master).") from None


def _json_rows(text: MasterText, name: str) -> Iterator[Any]:
    """The items of a JSON master, streamed one by one."""
    return text.json_items()


def _token(raw: object) -> int | None:
    """The NSE token of a cell (ASCII digits; pandas' ``2885.0`` accepted), via the app's one token rule."""
    text = parse_token(raw)
    return int(text) if text is not None else None


def _exchange_reason(exchange: str) -> str:
    return f"exchange {exchange or '(blank)'} (AirAlgo trades NSE cash and NSE F&O)"


INDEX_REASON = "index (not tradable)"


class _Rows:
    """Shared per-row plumbing: progress, cancel, bad-row counting."""

    def __init__(self, builder: Builder, cancel: Cancel | None, progress: Progress | None, text: MasterText) -> None:
        self.b, self.cancel, self.progress, self.text = builder, cancel, progress, text
        self.count = 0

    def tick(self) -> None:
        """One more row: progress and cancel every ``_CHECK_EVERY`` rows."""
        self.count += 1
        if self.count % _CHECK_EVERY == 0:
            if self.cancel:
                self.cancel.check()
            if self.progress:
                self.progress(min(0.95, self.text.fraction()), f"{self.count:,} rows read")

    def objects(self, items: Iterable[Any]) -> Iterable[dict[str, Any]]:
        """The JSON objects of a list (anything else is counted as unreadable), with progress and cancel."""
        for item in items:
            self.tick()
            if isinstance(item, dict):
                yield item
            else:
                self.b.skip("unreadable row", "not an object")

    def bad(self, exc: Exception, what: str) -> None:
        self.b.skip("unreadable row", f"{what}: {exc}")


def _header(rows: Iterable[list[str]], name: str, layout: str, needed: tuple[str, ...], *,
            upper: bool) -> tuple[dict[str, int], list[int], int]:
    """Read a header row: (column index by name, indexes of ``needed`` in order, width); one sentence if short."""
    header = [h.strip().upper() if upper else h.strip().lower() for h in next(iter(rows), [])]
    col = {h: i for i, h in enumerate(header)}
    missing = [n for n in needed if n not in col]
    if missing:
        raise MasterError(f"{name}: the {layout} layout needs a {missing[0]} column.")
    return col, [col[n] for n in needed], len(header)


def _short(row: list[str], width: int, b: Builder) -> bool:
    """True for a row with fewer cells than ``width`` (counted as unreadable unless it is blank)."""
    if len(row) >= width:
        return False
    if any(c.strip() for c in row):
        b.skip("unreadable row", f"{len(row)} of {width} columns")
    return True


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


def _tick_scale(raw_ticks: list[str]) -> Callable[[object], int]:
    """Paise or rupees? A tick of 0.05 only makes sense in rupees; if every tick is a whole number ≥ 1
    (5, 10, 500) the file gives paise — no NSE contract ticks in whole rupees ≥ 1 for every row."""
    for raw in raw_ticks:
        try:
            value = rupees_to_paisa(raw)
        except UnitError:
            continue
        if value % 100:
            return rupees_to_paisa
    return paise_to_paisa


def _finish_ticks(b: Builder, start: int, raw_ticks: list[str]) -> None:
    """Convert the raw tick texts of rows ``start…`` once the unit is known; drop rows whose tick is junk."""
    convert = _tick_scale(raw_ticks)
    bad: list[int] = []
    huge: list[int] = []
    for offset, raw in enumerate(raw_ticks):
        try:
            value = convert(raw)
        except UnitError:
            value = 0
        if value <= 0:
            bad.append(start + offset)
        elif value > MAX_TICK:  # the same per-row limit as Builder.add (issue 26 item 11)
            huge.append(start + offset)
        b.tick[start + offset] = value
    if bad or huge:
        for rows, reason, example in (
                (bad, "tick size or lot size not positive", lambda r: b.symbol[r]),
                (huge, "tick, lot, strike or freeze quantity out of range",
                 lambda r: f"{b.symbol[r]}: tick {rupees(b.tick[r])}")):
            if rows:
                b.skipped[reason] += len(rows)
                b.examples.setdefault(reason, example(rows[0]))
        drop = set(bad) | set(huge)
        b.keep_rows([i for i in range(len(b.token)) if i not in drop], None)


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


from . import vendors  # noqa: E402 - the vendor parsers build on the helpers above

PARSERS.update(vendors.PARSERS)
FORMAT_NAMES.update(vendors.FORMAT_NAMES)
