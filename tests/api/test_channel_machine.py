"""The sans-I/O machine on its own: deterministic unit checks and a property-based run over random event
sequences (hypothesis): no exception, no order frame twice, every wanted token subscribed after each join."""

from __future__ import annotations

import json
import random
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airalgo_desktop.api.channel import REASON_INVALID_KEY, REASON_INVALID_TOKEN, ChannelConfig, ChannelMachine
from airalgo_desktop.api.events import (
    CloseSocket,
    FeedStale,
    FetchToken,
    OpenSocket,
    OrderUnknown,
    Send,
    State,
    StateChanged,
)
from airalgo_desktop.api.token import TokenError, TokenErrorKind
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side

KEY = "machine-key-x1"
TOPIC = f"api:{KEY}"
TOKENS = ["22", "2885", "3045", "35013"]
ORDER = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1)


def frame(event: str, payload, ref=None, topic=TOPIC) -> str:
    return json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref})


def sent(commands) -> list[dict]:
    return [json.loads(c.text) for c in commands if isinstance(c, Send)]


def connect(machine: ChannelMachine, now: float = 0.0) -> str:
    """Drive a fresh machine to Joined; returns the join ref."""
    machine.start(now)
    assert isinstance(machine.take_commands()[0], FetchToken)
    machine.token_received("tok-1", now)
    assert isinstance(machine.take_commands()[0], OpenSocket)
    machine.socket_opened(now)
    join = sent(machine.take_commands())[0]
    assert join["event"] == "phx_join" and join["payload"] == {"access_token": "tok-1"}
    machine.receive(frame("phx_reply", {"status": "ok", "response": {}}, join["ref"]), now)
    assert machine.state.state is State.JOINED
    return join["ref"]


def test_join_resubscribes_everything_wanted() -> None:
    m = ChannelMachine(ChannelConfig(KEY))
    m.subscriptions.want(["22", "2885"])
    m.subscriptions.want(["22"])
    connect(m)
    frames = sent(m.take_commands())
    assert frames == [
        {"topic": TOPIC, "event": "subscribe", "payload": {"list": ["22", "2885"]}, "ref": frames[0]["ref"]}
    ]


def test_heartbeat_schedule_and_dead_connection() -> None:
    m = ChannelMachine(ChannelConfig(KEY, heartbeat_interval=30))
    connect(m)
    m.take_commands()
    assert m.next_deadline() == 30
    m.on_timer(30)
    hb = sent(m.take_commands())[0]
    assert hb["topic"] == "phoenix" and hb["event"] == "heartbeat"
    m.on_timer(60)  # previous still unanswered: dead
    commands = m.take_commands()
    assert any(isinstance(c, CloseSocket) for c in commands)
    assert m.state.state is State.RECONNECTING and m.state.reason == "heartbeat timeout"


def test_reconnect_schedule_is_phoenix_js_with_jitter() -> None:
    m = ChannelMachine(ChannelConfig(KEY, jitter=0.2), rng=random.Random(1))
    m.start(0)
    m.take_commands()
    delays = []
    now = 0.0
    for _ in range(12):
        m.token_failed(TokenError(TokenErrorKind.UNREACHABLE, "down"), now)
        delays.append(m.state.delay)
        now += m.state.delay
        m.on_timer(now)
        assert isinstance(m.take_commands()[-1], FetchToken)
    expected = [0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 5.0, 5.0]
    for got, want in zip(delays, expected, strict=True):
        assert want * 0.8 <= got <= want * 1.2


def test_invalid_key_on_join_fails_at_once() -> None:
    m = ChannelMachine(ChannelConfig(KEY))
    m.start(0)
    m.take_commands()
    m.token_received("t", 0)
    m.take_commands()
    m.socket_opened(0)
    join = sent(m.take_commands())[0]
    m.receive(frame("phx_reply", {"status": "error", "response": {"reason": REASON_INVALID_KEY}}, join["ref"]), 1)
    assert m.state.state is State.AUTH_FAILED
    assert any(isinstance(c, CloseSocket) for c in m.take_commands())
    m.on_timer(1000)
    assert m.take_commands() == [] and m.next_deadline() is None


def test_refused_token_refetched_once_on_same_socket() -> None:
    m = ChannelMachine(ChannelConfig(KEY))
    m.start(0)
    m.take_commands()
    m.token_received("t1", 0)
    m.take_commands()
    m.socket_opened(0)
    join = sent(m.take_commands())[0]
    m.receive(frame("phx_reply", {"status": "error", "response": {"reason": REASON_INVALID_TOKEN}}, join["ref"]), 1)
    assert m.take_commands() == [FetchToken()]
    m.token_received("t2", 1)
    join2 = sent(m.take_commands())[0]
    assert join2["payload"] == {"access_token": "t2"}
    m.receive(frame("phx_reply", {"status": "error", "response": {"reason": REASON_INVALID_TOKEN}}, join2["ref"]), 2)
    assert m.state.state is State.AUTH_FAILED


def test_stall_watchdog_only_in_market_hours_by_default() -> None:
    night = ChannelMachine(
        ChannelConfig(KEY, stall_timeout=5), clock_ist=lambda: datetime(2025, 1, 14, 2, 0, tzinfo=IST)
    )
    night.subscriptions.want(["22"])
    connect(night)
    night.on_timer(100)
    assert not [e for e in night.take_events() if isinstance(e, FeedStale)]
    day = ChannelMachine(
        ChannelConfig(KEY, stall_timeout=5, heartbeat_interval=1000),
        clock_ist=lambda: datetime(2025, 1, 14, 11, 0, tzinfo=IST),
    )
    day.subscriptions.want(["22"])
    connect(day)
    assert day.next_deadline() == 5
    day.on_timer(5)
    assert [e for e in day.take_events() if isinstance(e, FeedStale)]
    assert day.state.state is State.RECONNECTING


def test_order_unknown_on_drop_and_never_resent() -> None:
    m = ChannelMachine(ChannelConfig(KEY))
    connect(m)
    m.take_commands()
    m.place_order(ORDER, "A", 1)
    assert [f["event"] for f in sent(m.take_commands())] == ["order"]
    m.socket_closed(2, "drop")
    assert [e.local_id for e in m.take_events() if isinstance(e, OrderUnknown)] == ["A"]
    m.on_timer(100)
    m.token_received("t2", 100)
    m.socket_opened(100)
    join = [f for f in sent(m.take_commands()) if f["event"] == "phx_join"][-1]
    m.receive(frame("phx_reply", {"status": "ok", "response": {}}, join["ref"]), 100)
    assert all(f["event"] != "order" for f in sent(m.take_commands()))


# ------------------------------------------------------------------ property-based
class FakeDriver:
    """Keeps to what a real driver can do: answer only the commands it was given."""

    def __init__(self) -> None:
        self.m = ChannelMachine(
            ChannelConfig(KEY, heartbeat_interval=3, push_timeout=2, stall_timeout=4, stall_market_hours_only=False),
            rng=random.Random(0),
        )
        self.now = 0.0
        self.fetch_pending = 0
        self.open_pending = 0
        self.socket = False
        self.server_view: set[str] = set()
        self.order_frames: list[str] = []
        self.placed: list[str] = []
        self.last_join_ref: str | None = None
        self.last_hb_ref: str | None = None
        self.joined_events = 0

    def drain(self) -> None:
        for c in self.m.take_commands():
            if isinstance(c, FetchToken):
                self.fetch_pending += 1
            elif isinstance(c, OpenSocket):
                self.open_pending += 1
            elif isinstance(c, CloseSocket):
                self.socket = False
            elif isinstance(c, Send):
                assert self.socket, "frame written with no socket"
                f = json.loads(c.text)
                if f["event"] == "order":
                    self.order_frames.append(c.local_id)
                elif f["event"] == "phx_join":
                    self.last_join_ref = f["ref"]
                elif f["event"] == "heartbeat":
                    self.last_hb_ref = f["ref"]
                elif f["event"] == "subscribe":
                    self.server_view |= set(f["payload"]["list"])
                elif f["event"] == "unsubscribe":
                    self.server_view -= set(f["payload"]["list"])
        for e in self.m.take_events():
            if isinstance(e, StateChanged) and e.state.state is State.JOINED and not e.state.stale:
                self.joined_events += 1
        if self.m.state.state is not State.JOINED:
            self.server_view = set()  # a new channel starts empty

    def step(self, choice: int, arg: int) -> None:
        m = self.m
        actions = ["advance", "want", "unwant", "order", "reconnect"]
        if self.fetch_pending:
            actions += ["token_ok", "token_fail"]
        if self.open_pending:
            actions += ["open_ok", "open_fail"]
        if self.socket:
            actions += ["remote_close", "join_ok", "join_err", "hb_reply", "ltp", "phx_error", "junk", "order_resp"]
        action = actions[choice % len(actions)]
        token = TOKENS[arg % len(TOKENS)]
        if action == "advance":
            self.now += (arg % 50) / 10
            m.on_timer(self.now)
        elif action == "want":
            m.subscriptions.want([token])
        elif action == "unwant":
            m.subscriptions.unwant([token])
        elif action == "order":
            lid = f"L{len(self.placed)}"
            try:
                m.place_order(ORDER, lid, self.now)
                self.placed.append(lid)
            except RuntimeError:
                assert m.state.state is not State.JOINED
        elif action == "reconnect":
            m.reconnect_now(self.now)
        elif action == "token_ok":
            self.fetch_pending -= 1
            m.token_received(f"tok{arg}", self.now)
        elif action == "token_fail":
            self.fetch_pending -= 1
            kind = list(TokenErrorKind)[arg % len(TokenErrorKind)]
            m.token_failed(TokenError(kind, "x"), self.now)
        elif action == "open_ok":
            self.open_pending -= 1
            if not self.socket:
                self.socket = True
                m.socket_opened(self.now)
        elif action == "open_fail":
            self.open_pending -= 1
            if not self.socket:
                m.socket_closed(self.now, "refused")
        elif action == "remote_close":
            self.socket = False
            m.socket_closed(self.now, "drop")
        elif action == "join_ok":
            m.receive(frame("phx_reply", {"status": "ok", "response": {}}, self.last_join_ref), self.now)
        elif action == "join_err":
            reason = [REASON_INVALID_TOKEN, REASON_INVALID_KEY, "other"][arg % 3]
            m.receive(
                frame("phx_reply", {"status": "error", "response": {"reason": reason}}, self.last_join_ref), self.now
            )
        elif action == "hb_reply":
            m.receive(frame("phx_reply", {"status": "ok", "response": {}}, self.last_hb_ref, "phoenix"), self.now)
        elif action == "ltp":
            m.receive(frame("ltp", {token: {"ltp": 100 + arg, "ltq": 1, "ltt": "2025-01-09T12:53:00Z"}}), self.now)
        elif action == "phx_error":
            m.receive(frame("phx_error", {}, self.last_join_ref), self.now)
        elif action == "junk":
            m.receive(["{", "[1]", '{"topic":"x","event":"y"}', frame("what", {})][arg % 4], self.now)
        elif action == "order_resp":
            payload = {
                "token_number": "2885",
                "status": ["Pending", "Executed", "Rejected"][arg % 3],
                "buy_sell": "1",
                "volume": 1,
                "market_limit_sl": "market",
                "order_number": float(1000 + arg),
            }
            m.receive(frame("order_response", payload), self.now)
        self.drain()
        if m.subscriptions.dirty:  # the driver flushes once per loop turn
            m.flush_subscriptions(self.now)
            self.drain()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 1000)), max_size=80))
def test_random_event_sequences_keep_the_promises(steps) -> None:
    driver = FakeDriver()
    driver.m.start(0)
    driver.drain()
    for choice, arg in steps:
        driver.step(choice, arg)
        # no duplicate order frame, ever
        assert len(driver.order_frames) == len(set(driver.order_frames))
        assert set(driver.order_frames) <= set(driver.placed)
        # whenever joined (after the loop-turn flush), the server holds exactly the wanted tokens
        if driver.m.state.state is State.JOINED:
            assert driver.server_view == driver.m.subscriptions.wanted
        assert driver.m.next_deadline() is None or driver.m.next_deadline() >= 0


def test_late_second_answer_for_a_final_order_is_an_event_not_an_error(caplog) -> None:
    """Issue 26 item 10: the second answer for an order already final was dropped as "frame dropped: it could not
    be handled (KeyError)" and never reached the journal."""
    from airalgo_desktop.api.events import LateOrderResponse, OrderEvent

    m = ChannelMachine(ChannelConfig(KEY))
    connect(m)
    m.place_order(ORDER, "A", 1)
    m.take_commands()
    m.take_events()
    answer = {"token_number": "2885", "order_number": 1300000000111170.0, "buy_sell": "1", "volume": 1,
              "market_limit_sl": "market"}
    m.receive(frame("order_response", answer | {"status": "Executed"}), 2)
    m.receive(frame("order_response", answer | {"status": "Rejected", "error": "late"}), 3)
    final, late = m.take_events()
    assert isinstance(final, OrderEvent) and final.local_id == "A"
    assert isinstance(late, LateOrderResponse) and late.local_id == "A" and late.contradicts
    assert late.update.raw["error"] == "late"  # kept raw for the journal
    assert m.metrics.malformed_frames == 0 and not [r for r in caplog.records if r.levelname == "ERROR"]
