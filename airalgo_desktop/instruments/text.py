"""Reading a broker master as text, within bounds: the byte budget, decompression with a bomb check, decoding
in pieces (never the whole text twice), CSV records and JSON items streamed with progress and cancel, and the
small row helpers every layout shares. The layouts themselves are in ``formats`` (ours and the common ones) and
``vendors`` (the rest); both build on this module, so neither needs the other's helpers."""

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

from ..domain.instruments import parse_token
from .catalog import MAX_TICK, Builder, rupees
from .units import (
    UnitError,
    paise_to_paisa,
    rupees_to_paisa,
)

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
