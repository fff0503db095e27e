"""The ``ltp`` feed's gate: a plain object that checks each push, counts it and remembers when data last came.

No I/O and no clock of its own (the shell passes ``now``). A well-formed push — the feed's normal one — is passed on
as it is (a set lookup per token); anything else goes through a careful copy that drops or repairs each quote on its
own, so one bad value never costs the rest of the push.

Only wanted ticks are kept: a quote for a token no view wants (the server's mistake, a flood, or the moments before
an unsubscribe reaches it) is dropped here and counted in ``Metrics.unwanted_quotes``, before the market store and
the bar builder ever see it — 400,000 such tokens once grew the app by 1.3 GB.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Container
from typing import Any

from ..domain.instruments import is_token, parse_token
from ..domain.money import MAX_PRICE, parse_price
from ..domain.orders import MAX_QUANTITY, parse_quantity
from ..logs import RateLimitFilter
from .events import Metrics

log = logging.getLogger("airalgo.api.channel")
log.addFilter(RateLimitFilter(burst=5, period=10.0))

_LTT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
                  r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?", re.ASCII).fullmatch
"""A feed timestamp (``2025-01-09T12:53:00Z``): anything else is not passed on (a server could put anything
there, a secret included, and ``stream`` prints it)."""

_UNSEEN = object()

_MAX_KNOWN_TOKENS = 500_000


class FeedGate:
    """Validates ``ltp`` payloads into quotes and keeps the feed's figures (in the shared :class:`Metrics`)."""

    def __init__(self, metrics: Metrics, wanted: Container[str] | None = None) -> None:
        self.metrics = metrics
        self.wanted = wanted
        """The tokens some view wants (``SubscriptionSet.live``); None keeps every token."""
        self.last_data: float | None = None
        """When data last came (or the join that started the stall watchdog's grace period)."""
        self.ticks_since_join = 0
        self._rate_start: float | None = None
        self._rate_count = 0
        self._known_tokens: set[str] = set()  # feed keys already found to be tokens (the fast path's cache)

    def joined(self, now: float) -> None:
        """A join succeeded: the stall watchdog's grace period starts now."""
        self.ticks_since_join = 0
        self.last_data = now

    def accept(self, payload: Any, now: float) -> dict[str, dict[str, Any]] | None:
        """The usable quotes of one ``ltp`` payload (token → ``{"ltp", "ltq", "ltt"}``), or None when there are
        none. Bad quotes are counted in ``dropped_quotes``, quotes for tokens nobody wants in ``unwanted_quotes``, a
        payload that is not an object in ``malformed_frames``."""
        metrics = self.metrics
        if not isinstance(payload, dict):
            metrics.malformed_frames += 1
            log.warning("ltp payload is not an object")
            return None
        wanted = self.wanted
        clean = quotes_are_clean(payload, self._known_tokens, wanted=wanted)
        quotes = payload if clean else self._clean_quotes(payload)
        if not quotes:
            return None
        count = len(quotes)
        metrics.ticks_total += count
        metrics.last_tick_at = now
        self.last_data = now
        if self._rate_start is None or now - self._rate_start >= 1.0:
            if self._rate_start is not None:
                metrics.ticks_per_s = self._rate_count / max(now - self._rate_start, 1e-9)
            self._rate_start, self._rate_count = now, 0
        self._rate_count += count
        self.ticks_since_join += count
        return quotes

    def _clean_quotes(self, payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
        clean: dict[str, dict[str, Any]] = {}
        wanted, unwanted = self.wanted, 0
        for key, quote in payload.items():
            token = key if wanted is not None and key in wanted else parse_token(key)
            ltp = parse_price(quote.get("ltp")) if isinstance(quote, dict) else None
            if token is None or ltp is None:  # no usable token or price: junk, whoever wanted it
                self.metrics.dropped_quotes += 1
                continue
            if wanted is not None and token not in wanted:
                unwanted += 1  # a good quote nobody asked for
                continue
            ltq = parse_quantity(quote.get("ltq"), allow_zero=True)
            ltt = quote.get("ltt")
            clean[token] = {"ltp": ltp, "ltq": ltq or 0, "ltt": ltt if type(ltt) is str and _LTT(ltt) else ""}
        self.metrics.unwanted_quotes += unwanted  # counted, not logged: a flood must not flood the log
        if len(clean) + unwanted < len(payload):
            log.warning("dropped %d malformed quote(s) in an ltp push", len(payload) - len(clean) - unwanted)
        return clean


def quotes_are_clean(payload: dict[Any, Any], known_tokens: set[str] | None = None, *,
                     wanted: Container[str] | None = None) -> bool:
    """True when every quote of an ``ltp`` push can be passed on untouched: the token is ASCII digits, ``ltp`` an int
    price in (0, MAX_PRICE], ``ltq`` an int in [0, MAX_QUANTITY], ``ltt`` a timestamp (checked once per distinct
    value: a push's quotes mostly share one). ``known_tokens`` remembers tokens already checked (bounded), so the
    usual push costs a set lookup per token. With ``wanted`` (tokens that were checked when they were wanted), a
    token must be in it instead. The feed's normal push; any other goes through the careful copy, which drops or
    repairs each quote on its own."""
    known = known_tokens if known_tokens is not None else set()
    good_ltt: object = _UNSEEN
    try:
        for token, quote in payload.items():
            ltp, ltq, ltt = quote["ltp"], quote["ltq"], quote["ltt"]  # TypeError when a quote is not an object
            if (type(ltp) is not int or not 0 < ltp <= MAX_PRICE or type(ltq) is not int
                    or not 0 <= ltq <= MAX_QUANTITY):
                return False
            if ltt != good_ltt:
                if type(ltt) is not str or not _LTT(ltt):
                    return False
                good_ltt = ltt
            if wanted is not None:
                if token not in wanted:
                    return False
            elif token not in known:
                if not is_token(token):
                    return False
                if len(known) < _MAX_KNOWN_TOKENS:
                    known.add(token)
    except (KeyError, TypeError):
        return False
    return True


__all__ = ["FeedGate", "quotes_are_clean"]
