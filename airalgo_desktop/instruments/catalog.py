"""The instrument universe in columns, and the one search every view uses.

Why columns: a 250,000-row master as ``Instrument`` objects in dicts costs ~100 MB and seconds to build; as
numpy columns it is ~35 MB and loads from the store in tens of milliseconds (see ``benchmarks``). Rows are kept
in a *pre-ranked* order — underlying (shortest name first, then alphabetical), then cash, futures, options;
then expiry; then strike; CE before PE — so a search is an intersection of posting lists whose natural order
is already the answer, and ranking only has to reorder the few groups that fill the result list (strike
closeness to the query or to the current price). ``Instrument`` objects are made only for rows somebody asks for.

Index: every row contributes words — underlying, symbol (and its ``-``/``&`` parts), company-name words (cash),
``EQ``/``FUT``/``CE``/``PE``, expiry month, day and year, strike in rupees. Words are kept sorted, so the rows
of every word starting with a query word are one contiguous slice of the posting array.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from ..domain.instruments import Instrument, is_token
from .units import day_number, from_day_number


class _LazyNumpy:
    """numpy on first use: the demo universe is a few hundred objects and needs no arrays before the first
    search, so importing this module costs the app's cold start nothing (numpy alone is ~80 ms here)."""

    def __getattr__(self, name: str) -> Any:
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


np: Any = _LazyNumpy()

EQ, FUT, CE, PE = 0, 1, 2, 3
KIND_NAMES = ("EQ", "FUT", "CE", "PE")
_KIND_OF = {name: i for i, name in enumerate(KIND_NAMES)}
_MONTH_WORDS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_SPLIT = re.compile(r"[^0-9A-Z]+")


def _blob(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [s.encode() for s in strings]
    off = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=off[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), off


def strike_word(paisa: int) -> str:
    """Strike as a trader types it: ``23500``, ``102.5``."""
    return str(paisa // 100) if paisa % 100 == 0 else f"{paisa / 100:g}"


MAX_ROWS = 500_000
"""The most contracts one master may keep. NSE lists ~150,000 cash and F&O contracts; each kept row costs ~700
bytes while the master is built, so this caps an import near 400 MB however large the file."""


class TooManyRows(Exception):  # not a ValueError on purpose: importers catch those per row
    """A master keeps more than :data:`MAX_ROWS` contracts (the import stops)."""


# Hard limits of one row (issue 26 item 11): beyond these a value is no reading of any unit (a cell that overflows
# the stored int32 columns, a "tick" of ₹10 lakh), so that row is skipped with the reason and the rest imported.
# Values inside them but implausible for NSE (a ₹5 index-option tick, a strike 100× the index) are judged per file
# by ``instruments.plausible``, which refuses the whole import: those are the signature of a misread unit.
MAX_TICK = 100_000  # paisa (₹1,000)
MAX_LOT = 10_000_000
MAX_FREEZE = 2_000_000_000  # int32 column
MAX_PRICE = 10**13  # paisa (₹1 lakh crore): strikes and previous closes, int64 columns
TOKEN_SHARED = "token shared with another contract (first row kept)"
"""Skip reason for a row whose token another contract already has; its example lists every such contract."""
MAX_NAMED = 100  # contracts named one by one in the import summary; the rest are counted


def rupees(paisa: int) -> str:
    """Paisa as a trader reads rupees in a message: ``₹23,500``, ``₹0.05``."""
    return f"₹{paisa // 100:,}" if paisa % 100 == 0 else f"₹{paisa / 100:,.2f}"


def describe(symbol: str, underlying: str, kind: int, expiry: int, strike: int) -> str:
    """A contract as :attr:`Instrument.display` writes it (``NIFTY 29 DEC 2026 23350 PE``), from a builder row."""
    day = from_day_number(expiry) if expiry else None
    if kind == EQ or day is None or not underlying:
        return symbol
    month = _MONTH_WORDS[day.month - 1]
    if kind == FUT:
        return f"{underlying} {month} {day.year} FUT"
    return f"{underlying} {day.day} {month} {day.year} {strike_word(strike)} {KIND_NAMES[kind]}"


class Builder:
    """Collects normalised rows from any importer and turns them into catalog arrays.

    Rows it refuses are counted by reason in :attr:`skipped`. A token seen twice keeps the first row: AirAlgo's
    API addresses an instrument by its token alone (docs/protocol.md §8). When the second row is another contract
    (an NSE cash token equal to an NFO token), it is named in the reason's example so the summary lists it.
    """

    def __init__(self) -> None:
        self.token: list[int] = []
        self.symbol: list[str] = []
        self.name: list[str] = []
        self.under: list[str] = []
        self.kind: list[int] = []
        self.expiry: list[int] = []
        self.strike: list[int] = []
        self.tick: list[int] = []
        self.lot: list[int] = []
        self.prev: list[int] = []
        self.freeze: list[int] = []
        self.index: list[int] = []
        self.skipped: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self._seen: dict[int, int] = {}  # token -> row

    def __len__(self) -> int:
        return len(self.token)

    def skip(self, reason: str, example: str = "") -> None:
        """Count a row that is not kept (first example of each reason is remembered for the message)."""
        self.skipped[reason] += 1
        if example and reason not in self.examples:
            self.examples[reason] = example

    def describe_row(self, row: int) -> str:
        """The contract of a kept row in words (``NIFTY 29 DEC 2026 23350 PE``, ``RELIANCE``)."""
        return describe(self.symbol[row], self.under[row], self.kind[row], self.expiry[row], self.strike[row])

    def _shared_token(self, token: int, symbol: str, underlying: str, kind: int, expiry: int, strike: int) -> None:
        """Count a row whose token is taken; name it when it is another contract than the kept one."""
        row = self._seen[token]
        if self.symbol[row] == symbol and self.kind[row] == kind:
            self.skip("token repeated (first row kept)", str(token))
            return
        self.skipped[TOKEN_SHARED] += 1
        count = self.skipped[TOKEN_SHARED]
        if count > MAX_NAMED:
            return
        line = (f"{describe(symbol, underlying.upper() or symbol.upper(), kind, expiry, strike)} (token {token} "
                f"kept for {self.describe_row(row)})")
        # one contract per line: the summary (CLI, GUI banner details) shows every one of them
        old = self.examples.get(TOKEN_SHARED)
        self.examples[TOKEN_SHARED] = f"{old}\n{line}" if old else line

    def add(self, token: int, symbol: str, name: str, underlying: str, kind: int, expiry: int = 0,
            strike: int = 0, tick: int = 5, lot: int = 1, prev: int = 0, freeze: int = 0,
            index: bool = False) -> bool:
        """Add one tradable row (already in paisa/day numbers); False if refused (and counted)."""
        if token in self._seen:
            self._shared_token(token, symbol, underlying, kind, expiry, strike)
            return False
        if tick <= 0 or lot <= 0:
            self.skip("tick size or lot size not positive", symbol)
            return False
        if tick > MAX_TICK or lot > MAX_LOT or not 0 <= freeze <= MAX_FREEZE or not 0 <= strike <= MAX_PRICE:
            what = (f"tick {rupees(tick)}" if tick > MAX_TICK else f"lot {lot:,}" if lot > MAX_LOT
                    else f"strike {rupees(strike)}" if not 0 <= strike <= MAX_PRICE
                    else f"freeze quantity {freeze:,}")
            self.skip("tick, lot, strike or freeze quantity out of range", f"{symbol}: {what}")
            return False
        if "NSETEST" in symbol.upper():  # the exchange's test contracts (011NSETEST...) are not tradable
            self.skip("exchange test symbol", symbol)
            return False
        if kind != EQ and not expiry:
            self.skip("F&O row without an expiry", symbol)
            return False
        if len(self.token) >= MAX_ROWS:
            raise TooManyRows(f"more than {MAX_ROWS:,} contracts")
        self._seen[token] = len(self.token)
        self.token.append(token)
        self.symbol.append(symbol)
        self.name.append(name)
        self.under.append(underlying.upper() or symbol.upper())
        self.kind.append(kind)
        self.expiry.append(expiry)
        self.strike.append(strike if kind >= CE else 0)
        self.tick.append(tick)
        self.lot.append(lot)
        self.prev.append(prev if 0 <= prev <= MAX_PRICE else 0)  # a junk previous close is "none", never stored
        self.freeze.append(freeze)
        self.index.append(1 if index else 0)
        return True

    def add_instrument(self, inst: Instrument) -> bool:
        """Add a domain ``Instrument`` (the bundled sample and tests)."""
        kind = _KIND_OF.get(inst.instrument_type, EQ)
        underlying = inst.name if kind != EQ and inst.name else inst.symbol.split("-")[0]
        return self.add(int(inst.token), inst.symbol, inst.name, underlying, kind,
                        day_number(inst.expiry) if inst.expiry else 0, inst.strike, inst.tick_size, inst.lot_size,
                        inst.prev_close, inst.freeze_qty, inst.api_instrument.endswith("IDX"))

    def drop_expired(self, today: date) -> None:
        """Remove contracts that expired before ``today`` (counted as skipped)."""
        cut = day_number(today)
        self.keep_rows([i for i, e in enumerate(self.expiry) if not e or e >= cut], "expired contract")

    def keep_rows(self, keep: list[int], reason: str | None) -> None:
        """Keep only rows ``keep`` (ascending); the others are counted as skipped for ``reason`` (None: the caller
        counted them)."""
        dropped = len(self.token) - len(keep)
        if not dropped:
            return
        if reason:
            self.skipped[reason] += dropped
        for field in ("token", "symbol", "name", "under", "kind", "expiry", "strike", "tick", "lot", "prev",
                      "freeze", "index"):
            values = getattr(self, field)
            setattr(self, field, [values[i] for i in keep])
        self._seen = {token: row for row, token in enumerate(self.token)}

    def arrays(self) -> dict[str, np.ndarray]:
        """Sort into the pre-ranked order and build the word index."""
        n = len(self.token)
        # shortest underlying first, so "sbi" offers SBIN before SBICARD and SBILIFE
        unds = sorted(set(self.under), key=lambda u: (len(u), u))
        und_rank = {u: i for i, u in enumerate(unds)}
        under = np.fromiter((und_rank[u] for u in self.under), dtype=np.int32, count=n)
        kind = np.array(self.kind, dtype=np.int8)
        kclass = np.minimum(kind, 2)
        expiry = np.array(self.expiry, dtype=np.int32)
        strike = np.array(self.strike, dtype=np.int64)
        order = np.lexsort((kind, strike, expiry, kclass, under))
        under, kind, kclass, expiry, strike = under[order], kind[order], kclass[order], expiry[order], strike[order]
        a: dict[str, np.ndarray] = {
            "token": np.array(self.token, dtype=np.int64)[order], "kind": kind, "expiry": expiry, "strike": strike,
            "tick": np.array(self.tick, dtype=np.int32)[order], "lot": np.array(self.lot, dtype=np.int32)[order],
            "freeze": np.array(self.freeze, dtype=np.int32)[order], "prev": np.array(self.prev, dtype=np.int64)[order],
            "under": under, "index": np.array(self.index, dtype=np.int8)[order],
        }
        change = np.ones(n, dtype=bool)
        if n:
            change[1:] = (under[1:] != under[:-1]) | (kclass[1:] != kclass[:-1]) | (expiry[1:] != expiry[:-1])
        a["grp"] = (np.cumsum(change) - 1).astype(np.int32)
        a["grp_start"] = np.append(np.flatnonzero(change), n).astype(np.int32)  # first row of each group
        olist = order.tolist()
        symbols = [self.symbol[i] for i in olist]
        names = [self.name[i] if self.kind[i] == EQ else "" for i in olist]  # F&O name = underlying
        a["sym_blob"], a["sym_off"] = _blob(symbols)
        a["name_blob"], a["name_off"] = _blob(names)
        a["und_blob"], a["und_off"] = _blob(unds)
        a["und_start"] = np.searchsorted(under, np.arange(len(unds) + 1)).astype(np.int32)
        tok_order = np.argsort(a["token"], kind="stable")
        a["tok_sorted"], a["tok_rows"] = a["token"][tok_order], tok_order.astype(np.int32)
        a.update(_word_index(n, unds, under, kind, expiry, strike, symbols, names))
        return a


def _word_index(n: int, unds: list[str], under: np.ndarray, kind: np.ndarray, expiry: np.ndarray,
                strike: np.ndarray, symbols: list[str], names: list[str]) -> dict[str, np.ndarray]:
    words: dict[str, int] = {}

    def wid(word: str) -> int:
        got = words.get(word)
        if got is None:
            got = words[word] = len(words)
        return got

    ids: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    all_rows = np.arange(n, dtype=np.int32)

    def field(per_row: np.ndarray, which: np.ndarray = all_rows) -> None:
        ids.append(per_row.astype(np.int32))
        rows.append(which)

    field(np.array([wid(u) for u in unds], dtype=np.int32)[under] if n else np.zeros(0, np.int32))
    field(np.array([wid(k) for k in KIND_NAMES], dtype=np.int32)[kind])
    field(np.fromiter((wid(s.upper()) for s in symbols), dtype=np.int32, count=n))
    has_exp = np.flatnonzero(expiry)
    if len(has_exp):
        uniq, inv = np.unique(expiry[has_exp], return_inverse=True)
        days = [from_day_number(int(d)) for d in uniq]
        for make in (lambda d: _MONTH_WORDS[d.month - 1], lambda d: str(d.day), lambda d: str(d.year)):
            field(np.array([wid(make(d)) for d in days], dtype=np.int32)[inv], has_exp.astype(np.int32))
    has_strike = np.flatnonzero(strike)
    if len(has_strike):
        uniq, inv = np.unique(strike[has_strike], return_inverse=True)
        field(np.array([wid(strike_word(int(s))) for s in uniq], dtype=np.int32)[inv], has_strike.astype(np.int32))
    extra_ids: list[int] = []
    extra_rows: list[int] = []
    for row, (sym, name) in enumerate(zip(symbols, names, strict=True)):
        if name or not sym.isalnum():
            for part in set(_SPLIT.split(f"{sym} {name}".upper())):
                if part:
                    extra_ids.append(wid(part))
                    extra_rows.append(row)
    field(np.array(extra_ids, dtype=np.int32), np.array(extra_rows, dtype=np.int32))
    vocab_list = list(words)
    order = sorted(range(len(vocab_list)), key=vocab_list.__getitem__)
    rank = np.empty(len(vocab_list), dtype=np.int32)
    rank[order] = np.arange(len(vocab_list), dtype=np.int32)
    word_rank = rank[np.concatenate(ids)] if ids else np.zeros(0, np.int32)
    row_of = np.concatenate(rows) if rows else np.zeros(0, np.int32)
    by_word = np.argsort(word_rank, kind="stable")
    post_off = np.zeros(len(vocab_list) + 1, dtype=np.int64)
    np.cumsum(np.bincount(word_rank, minlength=len(vocab_list)), out=post_off[1:])
    vocab = np.array([vocab_list[i].encode() for i in order], dtype=bytes) if vocab_list else np.array([], "S1")
    return {"vocab": vocab, "post_off": post_off, "post": row_of[by_word].astype(np.int32)}


class Catalog:
    """All known instruments: lookup by token, iteration, and :func:`search`.

    Built from ``Instrument`` objects (the bundled sample, tests: the word index is made on the first search)
    or from stored arrays (an imported master). :meth:`replace` swaps the contents in place, so every holder of
    the catalog (window, ticket, watchlists) sees a re-import at once.
    """

    def __init__(self, instruments: Iterable[Instrument] = (), *, meta: dict[str, Any] | None = None) -> None:
        self._objects: dict[str, Instrument] | None = {}
        for inst in instruments:
            self._objects.setdefault(inst.token, inst)
        self._a: dict[str, np.ndarray] | None = None
        self._cache: dict[str, Instrument | None] = {}
        self._underlyings: dict[str, int] | None = None
        self._min_expiry: int | None = None
        self.meta: dict[str, Any] = meta or {}
        self.generation = 0

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any] | None = None) -> Catalog:
        """A catalog over stored arrays (see :meth:`Builder.arrays`)."""
        cat = cls(meta=meta)
        cat._objects = None
        cat._a = arrays
        return cat

    def replace(self, other: Catalog) -> None:
        """Become ``other`` (a re-import replaces, never merges: a token means what the newest master says)."""
        self._objects, self._a, self.meta = other._objects, other._a, other.meta
        self._cache = {}
        self._underlyings = None
        self._min_expiry = None
        self.generation += 1

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """The arrays (built from the objects on first use)."""
        if self._a is None:
            builder = Builder()
            for inst in (self._objects or {}).values():
                if is_token(inst.token):
                    builder.add_instrument(inst)
            self._a = builder.arrays()
        return self._a

    # ---------------------------------------------------------------- mapping
    def __len__(self) -> int:
        return len(self._objects) if self._objects is not None else len(self.columns["token"])

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.get(token) is not None

    def __getitem__(self, token: str) -> Instrument:
        inst = self.get(token)
        if inst is None:
            raise KeyError(token)
        return inst

    def __iter__(self) -> Iterator[Instrument]:
        if self._objects is not None:
            return iter(list(self._objects.values()))
        return (self.row(i) for i in range(len(self.columns["token"])))

    def get(self, token: str) -> Instrument | None:
        """Instrument for ``token``, or None."""
        if self._objects is not None:
            return self._objects.get(token)
        try:
            return self._cache[token]
        except KeyError:
            pass
        row = self.row_of(token)
        inst = self.row(row) if row is not None else None
        if len(self._cache) > 50_000:  # bounded: watchlists and result lists, not the whole master
            self._cache.clear()
        self._cache[token] = inst
        return inst

    def row_of(self, token: str) -> int | None:
        """Row number of ``token`` in the columns, or None."""
        if not (isinstance(token, str) and is_token(token)):
            return None
        a = self.columns
        value = int(token)
        pos = int(np.searchsorted(a["tok_sorted"], value))
        if pos < len(a["tok_sorted"]) and a["tok_sorted"][pos] == value:
            return int(a["tok_rows"][pos])
        return None

    def _text(self, blob: str, row: int) -> str:
        a = self.columns
        off = a[blob.replace("blob", "off")]
        return a[blob][off[row]:off[row + 1]].tobytes().decode()

    def has_expired(self, today_n: int) -> bool:
        """True when some row's expiry (day number) is before ``today_n``."""
        if self._min_expiry is None:
            exp = self.columns["expiry"]
            live = exp[exp > 0]
            self._min_expiry = int(live.min()) if len(live) else 1 << 30
        return self._min_expiry < today_n

    def prepare(self) -> None:
        """Build what the first search would (columns, underlying names); call it off the UI thread."""
        self.underlying_id("")
        self.has_expired(0)

    def underlying_id(self, name: str) -> int | None:
        """Index of an underlying named exactly ``name`` (upper case), or None."""
        if self._underlyings is None:
            a = self.columns
            blob, off = a["und_blob"].tobytes(), a["und_off"]
            self._underlyings = {blob[off[i]:off[i + 1]].decode(): i for i in range(len(off) - 1)}
        return self._underlyings.get(name)

    def underlying(self, row: int) -> str:
        """Underlying of a row (``NIFTY``, ``RELIANCE``)."""
        a = self.columns
        u = int(a["under"][row])
        return a["und_blob"][a["und_off"][u]:a["und_off"][u + 1]].tobytes().decode()

    def row(self, row: int) -> Instrument:
        """Make the ``Instrument`` of one row."""
        a = self.columns
        if self._objects is not None:  # arrays built from objects: hand back the very objects
            return self._objects[str(int(a["token"][row]))]
        kind = int(a["kind"][row])
        cash = kind == EQ
        return Instrument(
            token=str(int(a["token"][row])), symbol=self._text("sym_blob", row),
            name=self._text("name_blob", row) if cash else self.underlying(row),
            exchange="NSE" if cash else "NFO", segment="NSE" if cash else "NFO", instrument_type=KIND_NAMES[kind],
            expiry=from_day_number(int(a["expiry"][row])), strike=int(a["strike"][row]), tick_size=int(a["tick"][row]),
            lot_size=int(a["lot"][row]), prev_close=int(a["prev"][row]), freeze_qty=int(a["freeze"][row]),
            is_index=bool(a["index"][row]))

    def search(self, text: str, limit: int = 20, *, today: date | None = None,
               ltp: Callable[[str], int | None] | None = None) -> list[Instrument]:
        """See :func:`search`."""
        return search(self, text, limit, today=today, ltp=ltp)


def to_json(inst: Instrument) -> dict[str, Any]:
    """The CLI's JSON object for one instrument (token as a string, money in paisa). ``strike_paisa`` is null for
    anything but an option: an equity or a future has no strike, and a 0 would read like one."""
    return {"token": inst.token, "symbol": inst.symbol, "display": inst.display, "name": inst.name,
            "segment": "NSE" if inst.instrument_type == "EQ" else "NFO", "instrument_type": inst.instrument_type,
            "expiry": inst.expiry.isoformat() if inst.expiry else None,
            "strike_paisa": inst.strike if inst.is_option else None,
            "tick_size_paisa": inst.tick_size, "lot_size": inst.lot_size, "freeze_qty": inst.freeze_qty,
            "is_index": inst.is_index}


def _today() -> date:
    from ..domain.nsetime import now_ist

    return now_ist().date()


def search(catalog: Catalog, text: str, limit: int = 20, *, today: date | None = None,
           ltp: Callable[[str], int | None] | None = None) -> list[Instrument]:
    """The one instrument search (watchlist box, ticket, alerts, option chain, CLI).

    Query words match word prefixes in any order (``nifty 23500 ce`` = ``23500 ce nifty``); a number also
    matches a token exactly. Contracts that expired before ``today`` (IST) are never offered. Order: exact
    token, then rows of an underlying named exactly, then the other matches' cash rows, then their F&O; within an
    underlying cash, futures by expiry, options by nearest expiry with strikes closest to the number typed or
    else to ``ltp`` of the underlying.
    """
    words = [w for w in _SPLIT.split(text.upper()) if w]
    if not words or limit <= 0:
        return []
    a = catalog.columns
    n = len(a["token"])
    if n == 0:
        return []
    today_n = day_number(today or _today())
    vocab, post_off, post = a["vocab"], a["post_off"], a["post"]
    token_row = None
    slices: list[tuple[int, int]] = []
    for word in words:
        if word.isdigit() and token_row is None and len(words) == 1:
            token_row = catalog.row_of(word)
        key = word.encode()
        lo = int(np.searchsorted(vocab, key, "left"))
        hi = int(np.searchsorted(vocab, key + b"\xff", "left"))
        slices.append((int(post_off[lo]), int(post_off[hi])))
    slices.sort(key=lambda s: s[1] - s[0])
    first = slices[0]
    if first[1] == first[0]:
        cand = np.zeros(0, dtype=np.int64)
    elif first[1] - first[0] < n // 16:
        cand = np.unique(post[first[0]:first[1]])
    else:
        mask = np.zeros(n, dtype=bool)
        mask[post[first[0]:first[1]]] = True
        cand = np.flatnonzero(mask)
    for lo, hi in slices[1:]:
        if not len(cand):
            break
        mask = np.zeros(n, dtype=bool)
        mask[post[lo:hi]] = True
        cand = cand[mask[cand]]
    if catalog.has_expired(today_n):  # a master imported today has nothing expired: skip the gather
        exp = a["expiry"][cand]
        cand = cand[(exp == 0) | (exp >= today_n)]
    parts: list[np.ndarray] = []
    if token_row is not None and (a["expiry"][token_row] == 0 or a["expiry"][token_row] >= today_n):
        parts.append(np.array([token_row]))
        cand = cand[cand != token_row]
    for word in words:
        u = catalog.underlying_id(word)
        if u is not None:  # cand is sorted and an underlying's rows are contiguous: a slice, not a mask
            lo = int(np.searchsorted(cand, a["und_start"][u]))
            hi = int(np.searchsorted(cand, a["und_start"][u + 1]))
            parts.append(cand[lo:hi])
            cand = np.concatenate((cand[:lo], cand[hi:]))
    if len(cand):  # other underlyings matched by prefix: their cash rows first ("sbi" → SBIN, SBICARD, SBILIFE)
        cash = a["kind"][cand] == EQ
        parts.extend((cand[cash], cand[~cash]))
    target = _typed_strike(words)
    grp, grp_start = a["grp"], a["grp_start"]
    out: list[int] = []
    for part in parts:
        pos = 0
        while pos < len(part) and len(out) < limit:
            g = int(grp[part[pos]])
            end = int(np.searchsorted(part, grp_start[g + 1]))
            rows = part[pos:end]
            if a["kind"][rows[0]] >= CE and len(rows) > 1:
                ref = target if target is not None else _underlying_price(catalog, int(rows[0]), today_n, ltp)
                if ref is not None:
                    dist = np.abs(a["strike"][rows] - ref)
                    rows = rows[np.lexsort((a["kind"][rows], a["strike"][rows], dist))]
            out.extend(int(r) for r in rows[:limit - len(out)])
            pos = end
    return [catalog.row(r) for r in out]


def _typed_strike(words: list[str]) -> int | None:
    """A number of 3+ digits in the query is read as a strike (days are 1–2 digits, years are matched as words)."""
    for word in words:
        if word.isdigit() and 3 <= len(word) <= 7 and not (len(word) == 4 and word.startswith("20")):
            return int(word) * 100
    return None


def _underlying_price(catalog: Catalog, row: int, today_n: int,
                      ltp: Callable[[str], int | None] | None) -> int | None:
    """Current price of the underlying of an option row: its cash row's LTP, else its nearest future's."""
    if ltp is None:
        return None
    a = catalog.columns
    u = int(a["under"][row])
    lo, hi = int(a["und_start"][u]), int(a["und_start"][u + 1])
    for r in range(lo, min(hi, lo + 64)):
        k = int(a["kind"][r])
        if k >= CE:
            break
        if k == FUT and a["expiry"][r] < today_n:
            continue
        price = ltp(str(int(a["token"][r])))
        if price:
            return price
    return None
