"""The AirAlgo channel as a sans-I/O state machine.

No sockets, no clock, no asyncio: the driver feeds it what happened (``socket_opened``, ``receive(text)``,
``token_received``, ``on_timer(now)`` …) and carries out the commands it hands back (:class:`FetchToken`,
:class:`OpenSocket`, :class:`Send`, :class:`CloseSocket`); typed events for the application come out of
:meth:`take_events`. The idea is the one behind ``websockets``' own protocol object: everything that decides
is a plain object, testable and benchmarkable without a network, and the I/O layer stays thin.

Rules it keeps (protocol-notes §1–§6):

* every socket connection starts with a **freshly fetched** token; a refused token is refetched once, a second
  refusal is :attr:`State.AUTH_FAILED` (no hot loop); "Invalid API Key" fails at once;
* heartbeat every 30 s; a heartbeat still unanswered when the next is due closes the socket;
* reconnect on the phoenix.js schedule with jitter; rejoin after ``phx_error`` on its own schedule;
* the data-stall watchdog marks the feed stale and recovers with a fresh token under the same backoff;
  the backoff resets only once ticks flow again, so a mute feed cannot cause a reconnect storm;
* subscriptions are reference counted and flushed once per loop turn; after every join all wanted tokens
  are subscribed again;
* an order is written **once**. If the socket or channel is lost before any answer, it is reported
  :class:`OrderUnknown` and never resent; a later ``order_response`` still resolves it.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from ..domain.instruments import is_token, parse_token
from ..domain.money import MAX_PRICE, parse_price
from ..domain.nsetime import MARKET_CLOSE, MARKET_OPEN, in_market_hours, now_ist
from ..domain.orders import MAX_QUANTITY, OrderRequest, OrderStatus, OrderUpdate, parse_quantity
from ..logs import RateLimitFilter, redact_value, register_secret, shorten
from .events import (
    ChannelError,
    CloseSocket,
    Command,
    ConnectionState,
    Event,
    FeedStale,
    FetchToken,
    HeartbeatReply,
    Metrics,
    OpenSocket,
    OrderEvent,
    OrderUnknown,
    OrderWritten,
    ReplyTimeout,
    Send,
    State,
    StateChanged,
    Ticks,
    Unsubscribed,
)
from .phoenix import PHOENIX_TOPIC, DecodeError, Message, RefCounter, decode, encode
from .phoenix import Event as Ev
from .token import TokenError

log = logging.getLogger("airalgo.api.channel")
log.addFilter(RateLimitFilter(burst=5, period=10.0))

REASON_INVALID_KEY = "Invalid API Key"
REASON_INVALID_TOKEN = "Invalid Access Token. Try generating fresh Access Token"
REASON_UNMATCHED = "unmatched topic"

# phoenix.js: reconnectAfterMs and rejoinAfterMs
RECONNECT_SCHEDULE = (0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0)
REJOIN_SCHEDULE = (1.0, 2.0, 5.0, 10.0)


@dataclass
class ChannelConfig:
    """Timings and limits; defaults are the protocol notes'. Tests shrink them."""

    api_key: str
    heartbeat_interval: float = 30.0
    push_timeout: float = 10.0
    stall_timeout: float | None = 90.0
    stall_market_hours_only: bool = True
    market_open: time = MARKET_OPEN
    market_close: time = MARKET_CLOSE
    reconnect_schedule: tuple[float, ...] = RECONNECT_SCHEDULE
    rejoin_schedule: tuple[float, ...] = REJOIN_SCHEDULE
    jitter: float = 0.2
    max_frame_chars: int = 4 * 2**20

    @property
    def topic(self) -> str:
        """``api:<key>`` — a secret; never log it."""
        return f"api:{self.api_key}"


@dataclass
class _InFlight:
    request: OrderRequest
    sent_at: float
    order_number: str | None = None
    status: OrderStatus = OrderStatus.SENT
    answered: bool = False


class ChannelMachine:
    """Decides everything about one AirAlgo connection; performs no I/O."""

    def __init__(
        self,
        config: ChannelConfig,
        *,
        rng: random.Random | None = None,
        clock_ist: Callable[[], datetime] = now_ist,
    ) -> None:
        self.cfg = config
        register_secret(config.api_key)
        self.topic = config.topic
        self.rng = rng or random.Random()
        self.clock_ist = clock_ist
        self.metrics = Metrics()
        self._state = ConnectionState(State.DISCONNECTED)
        self._commands: list[Command] = []
        self._events: list[Event] = []
        self._refs = RefCounter()
        self._socket_open = False
        self._token: str | None = None
        self._refetching_after_refusal = False
        self._refused_once = False
        self._join_ref: str | None = None
        self._awaiting: dict[str, tuple[str, float, float]] = {}  # ref -> (event, sent_at, deadline)
        self._heartbeat_ref: str | None = None
        self._next_heartbeat: float | None = None
        self._reconnect_at: float | None = None
        self._rejoin_at: float | None = None
        self._rejoin_attempt = 0
        self._attempt = 0
        self._leaving = False
        self._wanted: Counter[str] = Counter()
        self._server_has: set[str] = set()
        self._dirty = False
        self._orders: OrderedDict[str, _InFlight] = OrderedDict()
        self._by_number: dict[str, str] = {}
        self._last_data: float | None = None
        self._stale = False
        self._ticks_since_join = 0
        self._rate_start: float | None = None
        self._rate_count = 0
        self._known_feed_tokens: set[str] = set()  # feed keys already found to be tokens (the fast path's cache)

    # ================================================================= outputs
    def take_commands(self) -> list[Command]:
        """Commands for the driver, in order; the list is emptied."""
        out, self._commands = self._commands, []
        return out

    def take_events(self) -> list[Event]:
        """Events for the application, in order; the list is emptied."""
        out, self._events = self._events, []
        return out

    @property
    def state(self) -> ConnectionState:
        """The current connection state."""
        return self._state

    @property
    def wanted_tokens(self) -> set[str]:
        """Every token some view still wants."""
        return {t for t, n in self._wanted.items() if n > 0}

    @property
    def subscription_dirty(self) -> bool:
        """True when :meth:`flush_subscriptions` has something to send."""
        return self._dirty

    def next_deadline(self) -> float | None:
        """When :meth:`on_timer` must next be called (driver clock), or None."""
        times = [t for t in (self._next_heartbeat, self._reconnect_at, self._rejoin_at) if t is not None]
        times += [deadline for (_e, _s, deadline) in self._awaiting.values()]
        if self._stall_armed():
            assert self._last_data is not None and self.cfg.stall_timeout is not None
            times.append(self._last_data + self.cfg.stall_timeout)
        return min(times) if times else None

    def _set_state(self, state: State, *, attempt: int = 0, delay: float = 0.0, reason: str = "") -> None:
        new = ConnectionState(state, attempt, delay, reason, self._stale and state is State.JOINED)
        if new != self._state:
            self._state = new
            self._events.append(StateChanged(new))
            log.info("connection: %s", new.describe())

    def _send(self, event: str, payload: Any, *, topic: str | None = None, local_id: str | None = None,
              expect_reply: bool, now: float) -> str:
        ref = self._refs.next()
        message = Message(topic or self.topic, event, payload, ref)
        if expect_reply:
            self._awaiting[ref] = (event, now, now + self.cfg.push_timeout)
        self._commands.append(Send(encode(message), local_id))
        return ref

    # ================================================================= life cycle inputs
    def start(self, now: float) -> None:
        """Begin connecting (from Disconnected, AuthFailed or Closed)."""
        if self._state.state in (State.DISCONNECTED, State.AUTH_FAILED, State.CLOSED):
            self._leaving = False
            self._attempt = 0
            self._refused_once = False
            self._begin_connect(now)

    def reconnect_now(self, now: float) -> None:
        """User asked to reconnect: drop whatever is there and start again at once."""
        self._leaving = False
        self._refused_once = False
        self._attempt = 0
        self._close_socket(now, "reconnect requested")
        self._begin_connect(now)

    def close(self, now: float) -> None:
        """Leave the channel and close the socket for good (app shutdown)."""
        self._leaving = True
        self._reconnect_at = self._rejoin_at = None
        if self._socket_open and self._state.state is State.JOINED:
            self._send(Ev.LEAVE, {}, expect_reply=False, now=now)
        self._close_socket(now, "closing")
        self._set_state(State.CLOSED)

    def _begin_connect(self, now: float) -> None:
        self._reconnect_at = None
        self._set_state(State.CONNECTING)
        self._commands.append(FetchToken())

    def token_received(self, token: str, now: float) -> None:
        """The driver fetched a token."""
        register_secret(token)
        self._token = token
        if self._leaving:
            return
        if self._refetching_after_refusal and self._socket_open:
            self._refetching_after_refusal = False
            self._join(now)
            return
        self._refetching_after_refusal = False
        if not self._socket_open:
            self._commands.append(OpenSocket())

    def token_failed(self, error: TokenError, now: float) -> None:
        """The token fetch failed: a refused key is final, anything else retries with backoff."""
        self._refetching_after_refusal = False
        if self._leaving:
            return
        if error.kind.is_auth:
            self._auth_failed(str(error), now)
            return
        self._close_socket(now, "no token")
        self._schedule_reconnect(now, error.message)

    def socket_opened(self, now: float) -> None:
        """The websocket is open: join, start heartbeats."""
        self._socket_open = True
        self._awaiting.clear()
        self._heartbeat_ref = None
        self._next_heartbeat = now + self.cfg.heartbeat_interval
        if self._leaving:
            self._close_socket(now, "closing")
            return
        if self._token is None:  # cannot happen via the normal flow; be safe
            self._refetching_after_refusal = True
            self._commands.append(FetchToken())
            return
        self._join(now)

    def socket_closed(self, now: float, reason: str = "") -> None:
        """The websocket closed by itself or could not open. Not called for closes the machine commanded."""
        was_open = self._socket_open
        self._socket_gone()
        if self._leaving or self._state.state in (State.CLOSED, State.AUTH_FAILED):
            return
        self._schedule_reconnect(now, reason or ("connection lost" if was_open else "could not connect"))

    def _close_socket(self, now: float, reason: str) -> None:
        """Command a close and treat the socket as gone from now on (the driver reports nothing more of it)."""
        if self._socket_open:
            self._commands.append(CloseSocket(reason))
        self._socket_gone()

    def _socket_gone(self) -> None:
        self._socket_open = False
        self._awaiting.clear()
        self._heartbeat_ref = None
        self._next_heartbeat = None
        self._rejoin_at = None
        self._join_ref = None
        self._server_has.clear()
        self._refetching_after_refusal = False
        # every reconnect after a failure fetches a fresh token (tokens roll over overnight)
        self._token = None
        self._mark_unanswered_unknown()

    def _schedule_reconnect(self, now: float, reason: str) -> None:
        schedule = self.cfg.reconnect_schedule
        delay = schedule[min(self._attempt, len(schedule) - 1)]
        delay *= 1 + self.rng.uniform(-self.cfg.jitter, self.cfg.jitter)
        self._attempt += 1
        self.metrics.reconnects += 1
        self._reconnect_at = now + delay
        self._set_state(State.RECONNECTING, attempt=self._attempt, delay=delay, reason=reason)

    def _auth_failed(self, reason: str, now: float) -> None:
        self._close_socket(now, "authentication failed")
        self._reconnect_at = self._rejoin_at = None
        self._set_state(State.AUTH_FAILED, reason=reason)

    def _join(self, now: float) -> None:
        self._set_state(State.AUTHENTICATING)
        self._join_ref = self._send(Ev.JOIN, {"access_token": self._token}, expect_reply=True, now=now)

    # ================================================================= timers
    def on_timer(self, now: float) -> None:
        """Run whatever is due at ``now``."""
        for ref, (event, _sent, deadline) in list(self._awaiting.items()):
            if deadline <= now:
                del self._awaiting[ref]
                self._events.append(ReplyTimeout(event, ref))
                if event == Ev.JOIN and ref == self._join_ref:
                    log.warning("join got no reply in %.0fs; reconnecting", self.cfg.push_timeout)
                    self._drop_socket(now, "join timed out")
                    return
        if self._next_heartbeat is not None and now >= self._next_heartbeat and self._socket_open:
            if self._heartbeat_ref is not None:
                log.warning("heartbeat unanswered for %.0fs; connection is dead", self.cfg.heartbeat_interval)
                self._drop_socket(now, "heartbeat timeout")
                return
            self._heartbeat_ref = self._send(Ev.HEARTBEAT, {}, topic=PHOENIX_TOPIC, expect_reply=True, now=now)
            self._next_heartbeat = now + self.cfg.heartbeat_interval
        if self._reconnect_at is not None and now >= self._reconnect_at and not self._socket_open:
            self._begin_connect(now)
        if self._rejoin_at is not None and now >= self._rejoin_at and self._socket_open:
            self._rejoin_at = None
            self._join(now)
        if self._stall_armed():
            assert self._last_data is not None and self.cfg.stall_timeout is not None
            silent = now - self._last_data
            if silent >= self.cfg.stall_timeout:
                self._stale = True
                self._events.append(FeedStale(silent))
                log.warning("no ticks for %.0fs although joined: feed stale, reconnecting with a fresh token", silent)
                self._set_state(State.JOINED)  # publishes stale=True
                self._drop_socket(now, f"feed stale ({silent:.0f}s without ticks)")

    def _stall_armed(self) -> bool:
        cfg = self.cfg
        if cfg.stall_timeout is None or self._state.state is not State.JOINED or self._last_data is None:
            return False
        if not self._wanted:  # counts of zero are deleted, so an empty Counter means nothing wanted (O(1): per frame)
            return False
        return not cfg.stall_market_hours_only or in_market_hours(self.clock_ist(), cfg.market_open, cfg.market_close)

    def _drop_socket(self, now: float, reason: str) -> None:
        self._close_socket(now, reason)
        self._schedule_reconnect(now, reason)

    def heartbeat_now(self, now: float) -> str:
        """Send a heartbeat at once (``doctor`` measures its round trip); returns its ref. One at a time."""
        if not self._socket_open:
            raise RuntimeError("not connected")
        if self._heartbeat_ref is None:
            self._heartbeat_ref = self._send(Ev.HEARTBEAT, {}, topic=PHOENIX_TOPIC, expect_reply=True, now=now)
            self._next_heartbeat = now + self.cfg.heartbeat_interval
        return self._heartbeat_ref

    # ================================================================= subscriptions
    def want(self, tokens: Iterable[str]) -> None:
        """One more caller wants each token (subscribe on 0 → 1 at the next flush). Anything that is not a token
        (ASCII digits, :func:`~airalgo_desktop.domain.instruments.parse_token`) is logged and left out: one bad
        value must not make every subscribe frame unusable."""
        for token in _clean_tokens(tokens):
            self._wanted[token] += 1
        self._dirty = True

    def unwant(self, tokens: Iterable[str]) -> None:
        """One caller fewer wants each token (unsubscribe on 1 → 0 at the next flush)."""
        for token in _clean_tokens(tokens):
            if self._wanted[token] > 0:
                self._wanted[token] -= 1
            if self._wanted[token] == 0:
                del self._wanted[token]
        self._dirty = True

    def flush_subscriptions(self, now: float) -> None:
        """Send the net change since the last flush as one subscribe and one unsubscribe frame."""
        self._dirty = False
        if self._state.state is not State.JOINED:
            return
        wanted = self.wanted_tokens
        add = sorted(wanted - self._server_has, key=_token_order)
        remove = sorted(self._server_has - wanted, key=_token_order)
        if add:
            self._send(Ev.SUBSCRIBE, {"list": add}, expect_reply=False, now=now)
            self._server_has.update(add)
        if remove:
            self._send(Ev.UNSUBSCRIBE, {"list": remove}, expect_reply=False, now=now)
            self._server_has.difference_update(remove)

    # ================================================================= orders
    def place_order(self, request: OrderRequest, local_id: str, now: float) -> None:
        """Write one order frame. Raises ``RuntimeError`` when not joined: orders are never queued."""
        if self._state.state is not State.JOINED:
            raise RuntimeError(f"not connected ({self._state.describe()}): the order was not sent")
        if local_id in self._orders:
            raise ValueError(f"order {local_id} was already sent; orders are never sent twice")
        self._orders[local_id] = _InFlight(request, now)
        self.metrics.orders_sent += 1
        self._send(Ev.ORDER, request.to_payload(), local_id=local_id, expect_reply=False, now=now)

    def track_order(self, local_id: str, request: OrderRequest, *, order_number: str | None = None,
                    sent_at: float = 0.0) -> None:
        """Follow an order sent earlier (e.g. by a previous run, from the journal) so that late responses are
        correlated to it. Nothing is sent."""
        if local_id in self._orders:
            return
        self._orders[local_id] = _InFlight(request, sent_at, order_number, answered=order_number is not None)
        if order_number:
            self._by_number[order_number] = local_id

    def order_written(self, local_id: str, at: float) -> None:
        """The driver wrote an order frame."""
        self._events.append(OrderWritten(local_id, at))

    def _mark_unanswered_unknown(self) -> None:
        for local_id, inflight in self._orders.items():
            if not inflight.answered and inflight.status is OrderStatus.SENT:
                inflight.status = OrderStatus.UNKNOWN
                self._events.append(OrderUnknown(local_id, inflight.request))
                log.warning("order %s got no answer before the connection was lost: unknown, not resent", local_id)

    def _on_order_response(self, payload: Any) -> None:
        # server text is redacted and bounded before anything keeps, shows or journals it
        update = OrderUpdate.from_payload(redact_value(payload))
        if update is None:
            self.metrics.malformed_frames += 1
            log.warning("order_response without a usable payload dropped")
            return
        local_id = self._by_number.get(update.order_number) if update.order_number else None
        if local_id is None:
            for candidate, inflight in self._orders.items():  # oldest first
                if not inflight.answered and update.matches(inflight.request):
                    local_id = candidate
                    break
            if local_id is not None:
                inflight = self._orders[local_id]
                inflight.answered = True
                if update.order_number:
                    inflight.order_number = update.order_number
                    self._by_number[update.order_number] = local_id
        if local_id is not None and update.status is not None:
            inflight = self._orders[local_id]
            inflight.status = update.status
            if update.status.is_final:
                del self._orders[local_id]  # the order-number map keeps resolving late duplicates
        self._events.append(OrderEvent(local_id, update))

    # ================================================================= frames in
    def receive(self, text: str | bytes, now: float) -> None:
        """One frame from the socket. Never raises; junk is counted and logged (rate limited): a frame can be
        dropped, it can never take the connection down."""
        try:
            self._receive(text, now)
        except Exception as exc:  # a value no check foresaw: drop this frame, keep the connection and its orders
            self.metrics.malformed_frames += 1
            log.error("frame dropped: it could not be handled (%s)", type(exc).__name__)

    def _receive(self, text: str | bytes, now: float) -> None:
        if isinstance(text, bytes | bytearray):
            self.metrics.malformed_frames += 1
            log.warning("binary frame of %d bytes ignored", len(text))
            return
        if len(text) > self.cfg.max_frame_chars:
            self.metrics.oversized_frames += 1
            log.warning("frame of %d chars over the %d limit ignored", len(text), self.cfg.max_frame_chars)
            return
        msg = decode(text)
        if isinstance(msg, DecodeError):
            self.metrics.malformed_frames += 1
            log.warning("malformed frame ignored: %s: %s", msg.reason, msg.excerpt)
            return
        event = msg.event
        if msg.topic == self.topic:
            if event == Ev.LTP:
                self._on_ltp(msg.payload, now)
            elif event == Ev.REPLY:
                self._on_reply(msg, now)
            elif event == Ev.ORDER_RESPONSE:
                self._on_order_response(msg.payload)
            elif event == Ev.UNSUBSCRIBE:
                tokens = msg.payload.get("tokens") if isinstance(msg.payload, dict) else None
                if isinstance(tokens, list):
                    clean = tuple(t for t in map(parse_token, tokens) if t is not None)
                    if len(clean) < len(tokens):
                        self.metrics.malformed_frames += 1
                    self._events.append(Unsubscribed(clean))
                else:
                    self.metrics.malformed_frames += 1
            elif event == Ev.ERROR:
                self._on_channel_lost(msg, now, "the server reported a channel error")
            elif event == Ev.CLOSE:
                self._on_channel_lost(msg, now, "the server closed the channel")
            else:
                self.metrics.unknown_events += 1
                log.warning("unknown event %r ignored", shorten(event, 40))
        elif msg.topic == PHOENIX_TOPIC and event == Ev.REPLY:
            self._on_reply(msg, now)
        else:
            self.metrics.unknown_events += 1
            log.warning("frame for another topic ignored (event %r)", shorten(event, 40))

    def _on_ltp(self, payload: Any, now: float) -> None:
        if self._state.state is not State.JOINED:
            return
        if not isinstance(payload, dict):
            self.metrics.malformed_frames += 1
            log.warning("ltp payload is not an object")
            return
        # fast path: a well-formed push is passed on as it is; anything else goes through the careful copy
        quotes = payload if quotes_are_clean(payload, self._known_feed_tokens) else self._clean_quotes(payload)
        if not quotes:
            return
        count = len(quotes)
        metrics = self.metrics
        metrics.ticks_total += count
        metrics.last_tick_at = now
        self._last_data = now
        if self._rate_start is None or now - self._rate_start >= 1.0:
            if self._rate_start is not None:
                metrics.ticks_per_s = self._rate_count / max(now - self._rate_start, 1e-9)
            self._rate_start, self._rate_count = now, 0
        self._rate_count += count
        if self._ticks_since_join == 0:
            self._attempt = 0  # data flows: the connection is healthy, reset the backoff
            if self._stale:
                self._stale = False
                self._set_state(State.JOINED)
        self._ticks_since_join += count
        self._events.append(Ticks(quotes))

    def _clean_quotes(self, payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
        clean: dict[str, dict[str, Any]] = {}
        for key, quote in payload.items():
            token = parse_token(key)
            ltp = parse_price(quote.get("ltp")) if isinstance(quote, dict) else None
            if token is None or ltp is None:  # no usable token or price: the quote cannot be shown
                self.metrics.dropped_quotes += 1
                continue
            ltq = parse_quantity(quote.get("ltq"), allow_zero=True)
            ltt = quote.get("ltt")
            clean[token] = {"ltp": ltp, "ltq": ltq or 0, "ltt": ltt if type(ltt) is str and _LTT(ltt) else ""}
        if len(clean) < len(payload):
            log.warning("dropped %d malformed quote(s) in an ltp push", len(payload) - len(clean))
        return clean

    def _on_reply(self, msg: Message, now: float) -> None:
        ref = msg.ref
        pending = self._awaiting.pop(ref, None) if ref is not None else None
        status, reason = msg.reply_status, msg.reply_reason
        if ref is not None and ref == self._heartbeat_ref:
            self._heartbeat_ref = None
            if pending is not None:
                rtt = now - pending[1]
                self.metrics.heartbeat_rtt = rtt
                self._events.append(HeartbeatReply(ref, rtt))
            return
        if ref is not None and ref == self._join_ref and pending is not None:
            if status == "ok":
                self._on_joined(now)
            elif reason == REASON_INVALID_KEY:
                self._auth_failed("Invalid API Key. Re-enter your API key (Account → API key…).", now)
            elif reason == REASON_INVALID_TOKEN:
                if self._refused_once:
                    self._auth_failed("The access token was refused twice, even a fresh one. "
                                      "Check your AirAlgo account, then reconnect.", now)
                else:
                    self._refused_once = True
                    self._refetching_after_refusal = True
                    log.info("access token refused; fetching a fresh one and rejoining")
                    self._commands.append(FetchToken())
            else:
                reason = shorten(reason or "join refused", 200)
                self._events.append(ChannelError(Ev.JOIN, reason))
                self._schedule_rejoin(now, reason)
            return
        if status == "error":
            event = pending[0] if pending else "push"
            reason = shorten(reason or "error", 200)
            self._events.append(ChannelError(event, reason))
            log.warning("server error reply: %s", reason)

    def _on_joined(self, now: float) -> None:
        self._refused_once = False
        self._rejoin_attempt = 0
        self._ticks_since_join = 0
        self._last_data = now  # grace period for the stall watchdog starts now
        self._server_has.clear()
        self._set_state(State.JOINED)
        if not self.wanted_tokens:
            self._attempt = 0
        self.flush_subscriptions(now)

    def _on_channel_lost(self, msg: Message, now: float, reason: str) -> None:
        if self._join_ref is not None and msg.ref not in (None, self._join_ref):
            return  # a close for an older incarnation of the channel (duplicate join)
        if self._leaving:
            return
        self._mark_unanswered_unknown()
        self._schedule_rejoin(now, reason)

    def _schedule_rejoin(self, now: float, reason: str) -> None:
        schedule = self.cfg.rejoin_schedule
        delay = schedule[min(self._rejoin_attempt, len(schedule) - 1)]
        self._rejoin_attempt += 1
        self._join_ref = None
        self._server_has.clear()
        self._rejoin_at = now + delay
        self._set_state(State.RECONNECTING, attempt=self._rejoin_attempt, delay=delay, reason=reason)


_LTT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
                  r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?", re.ASCII).fullmatch
"""A feed timestamp (``2025-01-09T12:53:00Z``): anything else is not passed on (a server could put anything
there, a secret included, and ``stream`` prints it)."""


_UNSEEN = object()


_MAX_KNOWN_TOKENS = 500_000


def quotes_are_clean(payload: dict[Any, Any], known_tokens: set[str] | None = None) -> bool:
    """True when every quote of an ``ltp`` push can be passed on untouched: the token is ASCII digits, ``ltp`` an int
    price in (0, MAX_PRICE], ``ltq`` an int in [0, MAX_QUANTITY], ``ltt`` a timestamp (checked once per distinct
    value: a push's quotes mostly share one). ``known_tokens`` remembers tokens already checked (bounded), so the
    usual push costs a set lookup per token. The feed's normal push; any other goes through the careful copy,
    which drops or repairs each quote on its own."""
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
            if token not in known:
                if not is_token(token):
                    return False
                if len(known) < _MAX_KNOWN_TOKENS:
                    known.add(token)
    except (KeyError, TypeError):
        return False
    return True


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


__all__ = ["ChannelConfig", "ChannelMachine"]
