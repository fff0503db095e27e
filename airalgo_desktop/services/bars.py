"""One-minute OHLC bars for every token that ticks, built from ``ltp`` pushes; higher frames derived from them.

The AirAlgo feed sends ticks only (``ltp``, ``ltq``, ``ltt``) and no history, so the app builds its own bars.

**Rules** (what a bar means; tests/services/test_bars.py scripts each one):

* A tick belongs to the IST minute of its ``ltt`` (second resolution): ``09:15:00`` … ``09:15:59`` make the 09:15
  bar and a tick at exactly ``09:16:00`` opens the 09:16 bar. IST is UTC+05:30, so IST minute boundaries are UTC
  minute boundaries. A tick without a readable ``ltt``, or one more than 5 minutes ahead of the local clock, is
  stamped with the feed clock instead (the latest ``ltt`` seen, advanced by the local monotonic clock).
* Open is the tick with the earliest ``ltt`` in the minute, close the one with the latest (ties: arrival order);
  high and low cover every tick. So an out-of-order tick inside an open minute moves high/low/volume but cannot
  become the close of a minute that has a later tick.
* **Volume is the sum of ``ltq`` of the ticks received** — the feed may not send every trade, so this is the volume
  *seen*, not the exchange's volume, and the UI labels it so. A tick identical to the token's previous one (same
  ``ltt``, price and quantity: a snapshot re-sent on subscribe or reconnect) is not counted again.
* VWAP is Σ(ltp × ltq) / Σ ltq over the IST day so far (kept per minute, so any frame can show it).
* **Late ticks:** a minute stays open until the feed clock is ``grace`` seconds (default 3) past its end, then it is
  *sealed*: final, handed to the bar store, never changed again. A tick for a sealed minute (or an earlier day) is
  dropped and counted in :attr:`BarBuilder.late_dropped`. A tick of a later IST day seals the whole day and starts
  the next one.
* Ticks with a price ≤ 0 or above ₹2.1 crore (prices are kept as int32 paisa) are dropped and counted.

**Cost.** :meth:`BarBuilder.on_ticks` extends four flat lists (token, price, quantity, ``ltt``) from the push, at C
speed; it keeps no reference to the feed's dicts (holding them got them promoted by the cyclic GC, whose full
collections then paused the loop). :meth:`flush` — called by the desk's timer a few times a second, by any reader, or
when 5,000 ticks are pending — turns the pending ticks into numpy arrays once and applies them with a handful of
vectorised operations, whatever the mix of tokens and minutes (``bars_cpu_pct_50k`` in benchmarks).

**Memory.** No per-bar objects: the day is a grid of one-hour blocks (60 minutes × token capacity) of column arrays
(open/high/low/close int32 paisa, volume int64, Σ price×qty float64, open/close second uint8 = 34 bytes a cell),
allocated only for hours that have ticks. 1,000 tokens × the 09:15–15:30 session touch 7 blocks ≈ 14.6 MB; a feed
ticking round the clock (the simulator at night) fills all 24 ≈ 50 MB, the bound for a day. A new IST day starts
with no blocks (the old day is on disk).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

import numpy as np

from ..domain.bars import DAY, IST_OFFSET, Bars, Frame, SealedMinute, day_start
from ..domain.nsetime import parse_ltt

MAX_PRICE = 2**31 - 1
FLUSH_AT = 5_000  # pending ticks that force a flush: at 50,000 updates/s a ~1 ms step every 100 ms, not 4 ms ones
_GET_LTP, _GET_LTQ, _GET_LTT = itemgetter("ltp"), itemgetter("ltq"), itemgetter("ltt")


class _Block:
    """One hour of the day for every token slot: row = minute of the hour, column = token slot."""

    __slots__ = ("c", "cs", "h", "l", "o", "os", "pv", "v")

    def __init__(self, capacity: int) -> None:
        shape = (60, capacity)
        self.o = np.zeros(shape, np.int32)  # 0 = no bar in this minute
        self.h = np.zeros(shape, np.int32)
        self.l = np.zeros(shape, np.int32)
        self.c = np.zeros(shape, np.int32)
        self.v = np.zeros(shape, np.int64)
        self.pv = np.zeros(shape, np.float64)
        self.os = np.zeros(shape, np.uint8)  # second (0…59) of the open tick
        self.cs = np.zeros(shape, np.uint8)  # second of the close tick

    def grow(self, capacity: int) -> None:
        for name in self.__slots__:
            old = getattr(self, name)
            new = np.zeros((60, capacity), old.dtype)
            new[:, :old.shape[1]] = old
            setattr(self, name, new)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.__slots__)


def _int_array(values: list[int], n: int) -> np.ndarray:
    """int64 array of ``values``; a value no int64 holds (a hostile frame) becomes 0 — dropped as a bad price, or
    no quantity — instead of failing the whole batch."""
    try:
        return np.fromiter(values, np.int64, n)
    except (OverflowError, TypeError, ValueError):
        return np.fromiter((v if type(v) is int and -2**63 <= v < 2**63 else 0 for v in values), np.int64, n)


class _SecondCache(dict[str, int]):
    """``ltt`` text → epoch second (−1 when unreadable). A push shares one or a few ``ltt`` values, so a dict
    lookup replaces a datetime parse per tick."""

    def __missing__(self, text: str) -> int:
        if len(self) > 4096:
            self.clear()
        moment = parse_ltt(text) if isinstance(text, str) else None
        value = int(moment.timestamp()) if moment is not None else -1
        self[text] = value
        return value


class BarBuilder:
    """Builds the current IST day's one-minute bars of every token from ``Ticks`` payloads.

    Feed it :meth:`on_ticks` (cheap, from the tick handler), call :meth:`flush` a few times a second, and collect
    closed minutes with :meth:`take_sealed` for the bar store. Read with :meth:`bars`."""

    def __init__(self, *, grace: float = 3.0, capacity: int = 1024, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.grace = grace
        self.clock, self.monotonic = clock, monotonic
        self.capacity = capacity
        self.slot: dict[str, int] = {}
        self.tokens: list[str] = []
        self.day: int | None = None  # IST day number of the bars held
        self.blocks: list[_Block | None] = [None] * 24
        self.sealed_upto = 0  # minutes of the day before this are final
        self.feed_sec = -1  # the latest ltt seen (epoch s) and when (monotonic), for the feed clock
        self.feed_mono = 0.0
        self.last_sec = np.full(capacity, -1, np.int64)  # the token's latest tick, to spot a re-sent one
        self.last_p = np.zeros(capacity, np.int64)
        self.last_q = np.zeros(capacity, np.int64)
        # pending ticks as flat lists of str/int: the cyclic GC does not track those, while holding the feed's
        # quote dicts for a quarter second got them promoted and made full collections pause the loop (~20 ms)
        self._tokens: list[str] = []
        self._prices: list[int] = []
        self._qtys: list[int] = []
        self._ltts: list[str] = []
        self.auto_flush = True  # off while another thread restores the day (the owner flushes afterwards)
        self._sealed: list[SealedMinute] = []
        self._seconds = _SecondCache()
        self.ticks = 0  # ticks applied
        self.late_dropped = 0
        self.repeats = 0
        self.bad_dropped = 0

    # ------------------------------------------------------------------ hot path
    def on_ticks(self, quotes: dict[str, dict[str, Any]]) -> None:
        """One validated ``ltp`` payload: its values are copied into the pending lists (the dicts are not kept)."""
        self._tokens.extend(quotes)
        values = quotes.values()
        self._prices.extend(map(_GET_LTP, values))
        self._qtys.extend(map(_GET_LTQ, values))
        self._ltts.extend(map(_GET_LTT, values))
        if len(self._tokens) >= FLUSH_AT and self.auto_flush:
            self.flush()

    @property
    def pending(self) -> int:
        """Ticks received and not applied yet."""
        return len(self._tokens)

    # ------------------------------------------------------------------ clock
    def feed_now(self) -> float:
        """The feed's clock: the latest ``ltt`` seen plus local time elapsed since; the wall clock before any."""
        if self.feed_sec < 0:
            return self.clock()
        return self.feed_sec + (self.monotonic() - self.feed_mono)

    # ------------------------------------------------------------------ applying ticks
    def flush(self) -> None:
        """Apply the pending ticks and seal the minutes the feed clock has passed."""
        if self._tokens:
            batch = self._tokens, self._prices, self._qtys, self._ltts
            self._tokens, self._prices, self._qtys, self._ltts = [], [], [], []
            self._apply_batch(*batch)
        self._seal_due()

    def _slots_of(self, tokens: list[str]) -> np.ndarray:
        try:
            return np.fromiter(map(self.slot.__getitem__, tokens), np.int64, len(tokens))
        except KeyError:
            for token in tokens:
                if token not in self.slot:
                    self._add_token(token)
            return np.fromiter(map(self.slot.__getitem__, tokens), np.int64, len(tokens))

    def _add_token(self, token: str) -> int:
        slot = len(self.tokens)
        if slot >= self.capacity:
            self._grow(self.capacity * 2)
        self.slot[token] = slot
        self.tokens.append(token)
        return slot

    def _grow(self, capacity: int) -> None:
        for block in self.blocks:
            if block is not None:
                block.grow(capacity)
        for name, fill in (("last_sec", -1), ("last_p", 0), ("last_q", 0)):
            old = getattr(self, name)
            new = np.full(capacity, fill, old.dtype)
            new[:len(old)] = old
            setattr(self, name, new)
        self.capacity = capacity

    def _apply_batch(self, tokens: list[str], prices: list[int], qtys: list[int], ltts: list[str]) -> None:
        n = len(tokens)
        slots = self._slots_of(tokens)
        price, qty = _int_array(prices, n), _int_array(qtys, n)
        secs = np.fromiter(map(self._seconds.__getitem__, ltts), np.int64, n)
        now = self.clock()
        wild = (secs < 0) | (secs > now + 300)
        if wild.any():
            secs[wild] = int(self.feed_now())
        bad = (price <= 0) | (price > MAX_PRICE)
        if bad.any():
            self.bad_dropped += int(bad.sum())
            keep = ~bad
            slots, price, qty, secs = slots[keep], price[keep], qty[keep], secs[keep]
        np.maximum(qty, 0, out=qty)
        if not len(secs):
            return
        newest = int(secs.max())
        if newest > self.feed_sec:
            self.feed_sec, self.feed_mono = newest, self.monotonic()
        # a re-sent copy of the token's previous tick is not a new trade
        repeat = (secs == self.last_sec[slots]) & (price == self.last_p[slots]) & (qty == self.last_q[slots])
        days = (secs + IST_OFFSET) // DAY
        first_day, last_day = int(days.min()), int(days.max())
        if self.day is None:
            self.day = first_day
        if first_day == last_day and not repeat.any():
            self._apply_day(first_day, slots, price, qty, secs)
            return
        keep = ~repeat
        self.repeats += int(repeat.sum())
        for number in np.unique(days[keep]):
            mask = keep & (days == number)
            self._apply_day(int(number), slots[mask], price[mask], qty[mask], secs[mask])

    def _apply_day(self, number: int, slots: np.ndarray, price: np.ndarray, qty: np.ndarray, secs: np.ndarray) -> None:
        assert self.day is not None
        if number < self.day:
            self.late_dropped += len(slots)
            return
        if number > self.day:
            self._roll(number)
        minute = (secs + IST_OFFSET) // 60 - number * 1440
        late = minute < self.sealed_upto
        if late.any():
            self.late_dropped += int(late.sum())
            keep = ~late
            slots, price, qty, secs, minute = slots[keep], price[keep], qty[keep], secs[keep], minute[keep]
            if not len(slots):
                return
        self.ticks += len(slots)
        cap = self.capacity
        key = minute * cap + slots
        # sort by (minute, slot) then ltt; lexsort is stable, so equal ltt keep arrival order
        order = np.lexsort((secs, key))
        key, price, qty, secs = key[order], price[order], qty[order], secs[order]
        # the same quote twice within this batch (a snapshot re-sent right after the tick it repeats)
        again = (key[1:] == key[:-1]) & (secs[1:] == secs[:-1]) & (price[1:] == price[:-1]) & (qty[1:] == qty[:-1])
        if again.any():
            keep = np.r_[True, ~again]
            self.repeats += int(again.sum())
            self.ticks -= int(again.sum())
            key, price, qty, secs = key[keep], price[keep], qty[keep], secs[keep]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], len(key)] - 1
        g_key = key[starts]
        g_open, g_close = price[starts], price[ends]
        g_os = (secs[starts] % 60).astype(np.uint8)
        g_cs = (secs[ends] % 60).astype(np.uint8)
        if len(starts) == len(key):  # one tick per (minute, token): the usual whole-market push
            g_high = g_low = price
            g_vol = qty
            g_pv = price * qty.astype(np.float64)
        else:
            g_high = np.maximum.reduceat(price, starts)
            g_low = np.minimum.reduceat(price, starts)
            g_vol = np.add.reduceat(qty, starts)
            g_pv = np.add.reduceat(price * qty.astype(np.float64), starts)
        # the token's newest tick, for spotting a re-send later (the last group of each slot is its latest minute)
        g_slot = g_key % cap
        g_minute = g_key // cap
        if g_minute[0] == g_minute[-1]:  # one minute: each slot has one group
            last_of_slot = ends
        else:
            rev = np.unique(g_slot[::-1], return_index=True)[1]
            last_of_slot = ends[len(g_slot) - 1 - rev]
        ls = key[last_of_slot] % cap
        newer = secs[last_of_slot] >= self.last_sec[ls]
        ls, lt = ls[newer], last_of_slot[newer]
        self.last_sec[ls], self.last_p[ls], self.last_q[ls] = secs[lt], price[lt], qty[lt]
        hours = g_minute // 60
        if hours[0] == hours[-1]:
            self._merge(int(hours[0]), g_key - hours[0] * 60 * cap, g_open, g_high, g_low, g_close, g_vol, g_pv,
                        g_os, g_cs)
        else:
            for hour in np.unique(hours):
                m = hours == hour
                self._merge(int(hour), g_key[m] - hour * 60 * cap, g_open[m], g_high[m], g_low[m], g_close[m],
                            g_vol[m], g_pv[m], g_os[m], g_cs[m])

    def _merge(self, hour: int, cells: np.ndarray, o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray,
               v: np.ndarray, pv: np.ndarray, os_: np.ndarray, cs: np.ndarray) -> None:
        """Fold per-cell aggregates into an hour block (``cells`` = row × capacity + slot, each at most once)."""
        block = self.blocks[hour]
        if block is None:
            block = self.blocks[hour] = _Block(self.capacity)
        bo, bh, bl, bc = block.o.reshape(-1), block.h.reshape(-1), block.l.reshape(-1), block.c.reshape(-1)
        bos, bcs = block.os.reshape(-1), block.cs.reshape(-1)
        old_o = bo[cells]
        fresh = old_o == 0
        if fresh.all():
            bo[cells], bh[cells], bl[cells], bc[cells] = o, h, lo, c
            bos[cells], bcs[cells] = os_, cs
        else:
            earlier = fresh | (os_ < bos[cells])
            bo[cells] = np.where(earlier, o, old_o)
            bos[cells] = np.where(earlier, os_, bos[cells])
            bh[cells] = np.where(fresh, h, np.maximum(bh[cells], h))
            bl[cells] = np.where(fresh, lo, np.minimum(bl[cells], lo))
            later = fresh | (cs >= bcs[cells])
            bc[cells] = np.where(later, c, bc[cells])
            bcs[cells] = np.where(later, cs, bcs[cells])
        block.v.reshape(-1)[cells] += v
        block.pv.reshape(-1)[cells] += pv

    # ------------------------------------------------------------------ sealing
    def _seal_due(self) -> None:
        if self.day is None or self.feed_sec < 0:  # no feed clock yet: the local clock alone never seals
            return
        upto = int((self.feed_now() - self.grace - day_start(self.day)) // 60)  # minutes wholly past + grace
        if upto > self.sealed_upto:
            self._seal(min(upto, 1440))

    def _seal(self, upto: int) -> None:
        assert self.day is not None
        n = len(self.tokens)
        tokens = self.tokens
        for minute in range(self.sealed_upto, upto):
            block = self.blocks[minute // 60]
            if block is None:
                continue
            row = minute % 60
            present = np.flatnonzero(block.o[row, :n])
            if not len(present):
                continue
            self._sealed.append(SealedMinute(
                self.day, minute, [tokens[i] for i in present], block.o[row, present], block.h[row, present],
                block.l[row, present], block.c[row, present], block.v[row, present], block.pv[row, present]))
        self.sealed_upto = max(self.sealed_upto, upto)

    def _roll(self, number: int) -> None:
        """A tick of a later IST day: the old day is sealed whole and a new day begins."""
        self._seal(1440)
        self.day = number
        self.blocks = [None] * 24
        self.sealed_upto = 0

    def seal_all(self) -> None:
        """Close every minute up to the feed clock's current one (shutdown): the open minute too, since the app is
        leaving and nothing more will be added to it."""
        self.flush()
        if self.day is not None:
            upto = int((self.feed_now() - day_start(self.day)) // 60) + 1
            self._seal(max(self.sealed_upto, min(upto, 1440)))

    def take_sealed(self) -> list[SealedMinute]:
        """Minutes sealed since the last call, oldest first (for the bar store)."""
        sealed, self._sealed = self._sealed, []
        return sealed

    # ------------------------------------------------------------------ restore
    def restore(self, minutes: Iterable[SealedMinute]) -> None:
        """Put a day's stored minutes back (on start). They are sealed — ticks for them count as late — except the
        last one, which stays open: after a quick restart its minute is still running, and ticks arriving in it
        extend the stored bar (close and volume move on) instead of being dropped. If that minute is long gone, the
        first tick's feed clock seals it at once."""
        last = -1
        for item in minutes:
            if self.day is None:
                self.day = item.day
            if item.day != self.day:
                continue
            slots = self._slots_of(item.tokens)
            hour, row = divmod(item.minute, 60)
            block = self.blocks[hour]
            if block is None:
                block = self.blocks[hour] = _Block(self.capacity)
            block.o[row, slots], block.h[row, slots], block.l[row, slots] = item.open, item.high, item.low
            block.c[row, slots], block.v[row, slots], block.pv[row, slots] = item.close, item.volume, item.pv
            block.os[row, slots] = 0  # a later tick cannot become the open of a restored bar …
            block.cs[row, slots] = 0  # … but any tick after the restart is later than its close
            last = max(last, item.minute)
            self.sealed_upto = max(self.sealed_upto, item.minute + 1)
        if last >= 0 and self.sealed_upto == last + 1:
            self.sealed_upto = last

    # ------------------------------------------------------------------ reading
    def bars(self, token: str, frame: Frame = Frame.M1) -> Bars:
        """The day's bars of ``token`` (the open minute included), oldest first; minutes without ticks are absent."""
        self.flush()
        slot = self.slot.get(token)
        if slot is None or self.day is None:
            return Bars.empty()
        times, cols = [], []
        base = day_start(self.day)
        for hour, block in enumerate(self.blocks):
            if block is None:
                continue
            rows = np.flatnonzero(block.o[:, slot])
            if not len(rows):
                continue
            times.append(base + (hour * 60 + rows) * 60)
            cols.append((block.o[rows, slot], block.h[rows, slot], block.l[rows, slot], block.c[rows, slot],
                         block.v[rows, slot], block.pv[rows, slot]))
        if not times:
            return Bars.empty()
        o, h, lo, c, v, pv = (np.concatenate([col[i] for col in cols]) for i in range(6))
        bars = Bars(np.concatenate(times).astype(np.int64), o.astype(np.int64), h.astype(np.int64),
                    lo.astype(np.int64), c.astype(np.int64), v, pv)
        return bars.resample(frame)

    def last_close(self, token: str) -> int | None:
        """The latest close of ``token`` today (paisa), or None."""
        bars = self.bars(token)
        return int(bars.close[-1]) if len(bars) else None

    @property
    def nbytes(self) -> int:
        """Memory held by bar arrays (blocks plus per-token state)."""
        blocks = sum(b.nbytes for b in self.blocks if b is not None)
        return blocks + self.last_sec.nbytes + self.last_p.nbytes + self.last_q.nbytes
