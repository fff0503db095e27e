"""Which tokens the views want and which the server has: a plain object, no I/O, no clock.

Several views may want the same token (protocol-notes §5): each :meth:`SubscriptionSet.want` adds one reference,
each :meth:`~SubscriptionSet.unwant` removes one; the server is asked to subscribe on 0 → 1 and to unsubscribe on
1 → 0, as one net change per flush (:meth:`~SubscriptionSet.changes`). After every join the server has nothing
(:meth:`~SubscriptionSet.server_lost`), so the next flush asks for everything still wanted.

It is also the feed's filter: ``token in subscriptions.live`` is the test "does anyone want this quote".
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, KeysView
from typing import Any

from ..domain.instruments import is_token, parse_token
from ..logs import RateLimitFilter, shorten

log = logging.getLogger("airalgo.api.channel")
log.addFilter(RateLimitFilter(burst=5, period=10.0))


class SubscriptionSet:
    """Reference-counted wanted tokens plus what the server was last asked to send."""

    def __init__(self) -> None:
        self._wanted: Counter[str] = Counter()  # counts of zero are deleted: ``in`` and truthiness are exact
        self._server_has: set[str] = set()
        self.dirty = False
        """True when the wanted set changed since the last :meth:`changes` (the driver then flushes)."""

    def want(self, tokens: Iterable[Any]) -> None:
        """One more caller wants each token (subscribe on 0 → 1 at the next flush). Anything that is not a token
        (ASCII digits, :func:`~airalgo_desktop.domain.instruments.parse_token`) is logged and left out: one bad
        value must not make every subscribe frame unusable."""
        for token in _clean_tokens(tokens):
            self._wanted[token] += 1
        self.dirty = True

    def unwant(self, tokens: Iterable[Any]) -> None:
        """One caller fewer wants each token (unsubscribe on 1 → 0 at the next flush)."""
        wanted = self._wanted
        for token in _clean_tokens(tokens):
            if wanted.get(token, 0) > 1:
                wanted[token] -= 1
            else:
                wanted.pop(token, None)
        self.dirty = True

    def __contains__(self, token: object) -> bool:
        """True when some view wants ``token`` (a dict lookup: the feed asks this per quote)."""
        return token in self._wanted

    def __bool__(self) -> bool:
        """True when any token is wanted."""
        return bool(self._wanted)

    @property
    def live(self) -> KeysView[str]:
        """A live, read-only view of the wanted tokens: membership costs a dict lookup with no Python call, which
        is what the feed's per-quote test needs."""
        return self._wanted.keys()

    @property
    def wanted(self) -> set[str]:
        """Every token some view still wants."""
        return set(self._wanted)

    def changes(self) -> tuple[list[str], list[str]]:
        """The net change to ask the server for — ``(subscribe, unsubscribe)``, each in token order — assumed sent
        from now on."""
        self.dirty = False
        wanted = self._wanted.keys()
        add = sorted(wanted - self._server_has, key=_token_order)
        remove = sorted(self._server_has - wanted, key=_token_order)
        self._server_has.update(add)
        self._server_has.difference_update(remove)
        return add, remove

    def server_lost(self) -> None:
        """The socket or channel is gone: the server has no subscriptions any more."""
        self._server_has.clear()


def _clean_tokens(tokens: Iterable[Any]) -> list[str]:
    clean = []
    for token in tokens:
        text = parse_token(token)
        if text is None:
            log.warning("%r is not a token number (ASCII digits); not subscribed", shorten(str(token), 40))
        else:
            clean.append(text)
    return clean


def _token_order(token: str) -> tuple[int, str]:
    return (int(token), token) if is_token(token) else (1 << 62, token)


__all__ = ["SubscriptionSet"]
