"""The channel client against the real simulator over real sockets, with fault injection."""

from __future__ import annotations

import asyncio
import logging

import pytest

from airalgo_desktop.api.client import (
    AirAlgoClient,
    ClientConfig,
    NotConnectedError,
    OrderValidationError,
)
from airalgo_desktop.api.events import (
    ChannelError,
    FeedStale,
    OrderEvent,
    OrderUnknown,
    OrderWritten,
    State,
    StateChanged,
    Ticks,
    Unsubscribed,
)
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.sim.server import Malformed
from airalgo_desktop.transport import InsecureTransportError, check_transport
from tests.api.conftest import fast_config
from tests.conftest import TEST_KEY

MARKET_BUY = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1)


def ticked(rec, token: str, after: int = 0) -> bool:
    return any(token in e.quotes for e in rec.of(Ticks)[after:])


async def test_connects_joins_subscribes_and_ticks(sim, make_client) -> None:
    client, rec = await make_client()
    client.subscribe(["22", "2885"])
    await client.start()
    await rec.joined()
    await rec.until(lambda: ticked(rec, "22") and ticked(rec, "2885"))
    states = [e.state.state for e in rec.of(StateChanged)]
    assert states[:3] == [State.CONNECTING, State.AUTHENTICATING, State.JOINED]
    assert client.metrics.ticks_total > 0 and client.metrics.last_tick_at is not None
    quote = next(e.quotes["22"] for e in rec.of(Ticks) if "22" in e.quotes)
    assert isinstance(quote["ltp"], int) and isinstance(quote["ltq"], int)


async def test_drop_midstream_reconnects_with_fresh_token_and_resubscribes(sim, make_client) -> None:
    client, rec = await make_client()
    client.subscribe(["22"])
    await client.start()
    await rec.until(lambda: ticked(rec, "22"))
    tokens_before = sim.stats.tokens_issued
    for n in range(1, 4):
        sim.drop_all()
        # this drop's own Reconnecting (not an earlier one's), then a tick on the new channel
        await rec.until(lambda n=n: sum(e.state.state is State.RECONNECTING for e in rec.of(StateChanged)) >= n)
        mark = len(rec.of(Ticks))
        await rec.until(lambda mark=mark: ticked(rec, "22", mark))
    assert sim.stats.tokens_issued == tokens_before + 3  # a fresh token after every failure
    assert client.metrics.reconnects == 3
    # the server holds exactly the wanted subscription on the new channel
    channels = [ch for conn in sim._conns for ch in conn.channels.values()]
    assert len(channels) == 1 and channels[0].subscriptions == {"22"}


async def test_expired_token_refreshed_once_then_rejoins(sim, make_client) -> None:
    client, rec = await make_client()
    client.subscribe(["22"])
    await client.start()
    await rec.joined()
    requests_before = sim.stats.token_requests
    sim.expire_tokens()
    sim.crash_channels()  # phx_error: the client rejoins on the same socket with its (now expired) token
    await rec.until(lambda: sum(1 for e in rec.of(StateChanged) if e.state.state is State.JOINED) >= 2)
    assert sim.stats.token_requests == requests_before + 1
    assert sim.stats.joins_failed == 1
    mark = len(rec.of(Ticks))
    await rec.until(lambda: ticked(rec, "22", mark))


async def test_token_refused_twice_is_auth_failed_without_loop(sim, make_client) -> None:
    sim.config.token_ttl = 0.0  # every token is dead on arrival
    client, _rec = await make_client()
    await client.start()
    state = await client.wait_for(lambda s: s.state is State.AUTH_FAILED, 10)
    assert "refused twice" in state.reason
    await asyncio.sleep(1.0)
    assert sim.stats.token_requests == 2 and client.state.state is State.AUTH_FAILED


async def test_invalid_api_key_is_auth_failed_at_once(sim, make_client) -> None:
    client, _rec = await make_client(api_key="wrong-key-123")
    await client.start()
    state = await client.wait_for(lambda s: s.state is State.AUTH_FAILED, 10)
    assert "API key was refused" in state.reason and "Re-enter" in state.reason
    assert "wrong-key-123" not in state.describe()
    await asyncio.sleep(1.0)
    assert sim.stats.token_requests == 1  # no reconnect loop


async def test_dead_token_server_retries_with_backoff_then_recovers(sim, make_client) -> None:
    sim.set_token_fault("http500")
    client, rec = await make_client()
    client.subscribe(["22"])
    await client.start()
    await rec.until(lambda: sum(1 for e in rec.of(StateChanged) if e.state.state is State.RECONNECTING) >= 3)
    reasons = {e.state.reason for e in rec.of(StateChanged) if e.state.state is State.RECONNECTING}
    assert any("HTTP 500" in r for r in reasons)
    sim.set_token_fault(None)
    await rec.joined()
    await rec.until(lambda: ticked(rec, "22"))


async def test_stall_detected_within_two_heartbeats(sim, make_client) -> None:
    client, rec = await make_client(heartbeat_interval=0.3)
    await client.start()
    await rec.joined()
    loop = asyncio.get_running_loop()
    sim.stall(True)
    started = loop.time()
    await client.wait_for(lambda s: s.state is not State.JOINED, 5)
    detected = loop.time() - started
    assert detected <= 2 * 0.3 + 0.2, detected
    assert any("heartbeat timeout" in e.state.reason for e in rec.of(StateChanged))
    sim.stall(False)
    await rec.joined()


@pytest.mark.parametrize("kind", list(Malformed))
async def test_malformed_and_unknown_frames_ignored_and_counted(sim, make_client, kind) -> None:
    client, rec = await make_client()
    client.subscribe(["22"])
    await client.start()
    await rec.until(lambda: ticked(rec, "22"))
    metrics = client.metrics
    sim.send_malformed(kind)
    await rec.until(lambda: metrics.malformed_frames + metrics.unknown_events + metrics.oversized_frames
                    + metrics.dropped_quotes > 0)
    mark = len(rec.of(Ticks))
    await rec.until(lambda: ticked(rec, "22", mark))
    assert metrics.reconnects == 0 and client.state.state is State.JOINED
    if kind is Malformed.WRONG_TYPES:
        assert metrics.dropped_quotes == 2


async def test_mute_feed_goes_stale_then_recovers_with_fresh_token(sim, make_client) -> None:
    client, rec = await make_client(stall_timeout=0.6, stall_market_hours_only=False)
    client.subscribe(["22"])
    await client.start()
    await rec.until(lambda: ticked(rec, "22"))
    issued = sim.stats.tokens_issued
    sim.mute_feed()
    await rec.until(lambda: bool(rec.of(FeedStale)), timeout=5)
    assert any(e.state.stale for e in rec.of(StateChanged))
    mark = len(rec.of(Ticks))
    await rec.until(lambda: ticked(rec, "22", mark), timeout=5)
    assert sim.stats.tokens_issued == issued + 1
    assert not client.state.stale
    assert client.metrics.reconnects == 1  # one recovery, no storm


async def test_order_executes_and_is_correlated(sim, make_client) -> None:
    client, rec = await make_client()
    await client.start()
    await rec.joined()
    local_id = client.place_order(MARKET_BUY, sim.master.get("2885"))
    await rec.until(lambda: any(e.update.status is OrderStatus.EXECUTED for e in rec.of(OrderEvent)))
    events = rec.of(OrderEvent)
    assert [e.local_id for e in events] == [local_id, local_id]
    assert events[0].update.status is OrderStatus.PENDING and events[1].update.executed_price > 0
    assert rec.of(OrderWritten)[0].local_id == local_id


async def test_order_sent_once_across_a_drop_and_resolved_later(sim, make_client) -> None:
    sim.engine.fill_delay = 0.6
    sim.set_reply_delay(0.3)  # the Pending is still on its way when the socket drops
    client, rec = await make_client()
    await client.start()
    await rec.joined()
    local_id = client.place_order(MARKET_BUY, sim.master.get("2885"))
    await rec.until(lambda: bool(rec.of(OrderWritten)))
    await asyncio.sleep(0.1)
    sim.drop_all()
    sim.set_reply_delay(0)
    await rec.until(lambda: bool(rec.of(OrderUnknown)))
    assert rec.of(OrderUnknown)[0].local_id == local_id
    await rec.joined()
    # the simulator queued the responses while nobody was joined; they resolve the unknown order
    await rec.until(lambda: any(e.update.status is OrderStatus.EXECUTED for e in rec.of(OrderEvent)), timeout=10)
    assert all(e.local_id == local_id for e in rec.of(OrderEvent))
    assert len(sim.stats.orders_received) == 1  # never resent


async def test_orders_refused_locally_when_invalid_or_not_joined(sim, make_client) -> None:
    client, rec = await make_client()
    with pytest.raises(NotConnectedError):
        client.place_order(MARKET_BUY, sim.master.get("2885"))
    await client.start()
    await rec.joined()
    with pytest.raises(OrderValidationError) as info:
        client.place_order(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 0), sim.master.get("2885"))
    assert len(info.value.problems) >= 2
    await asyncio.sleep(0.2)
    assert sim.stats.orders_received == []


async def test_two_identical_tickets_correlate_oldest_first(sim, make_client) -> None:
    client, rec = await make_client()
    await client.start()
    await rec.joined()
    first = client.place_order(MARKET_BUY, sim.master.get("2885"))
    second = client.place_order(MARKET_BUY, sim.master.get("2885"))
    await rec.until(lambda: sum(1 for e in rec.of(OrderEvent) if e.update.status is OrderStatus.EXECUTED) == 2)
    by_local: dict[str, set[str]] = {}
    for e in rec.of(OrderEvent):
        by_local.setdefault(e.local_id, set()).add(e.update.order_number)
    assert set(by_local) == {first, second}
    assert all(len(numbers) == 1 for numbers in by_local.values())
    assert by_local[first] != by_local[second]


async def test_rejection_reason_reaches_the_app(sim, make_client, monkeypatch) -> None:
    import datetime

    # the sample's NIFTY FEB 2025 future is expired today: trade it as of a day it was live
    monkeypatch.setattr("airalgo_desktop.domain.orders.trading_today", lambda: datetime.date(2025, 2, 10))
    client, rec = await make_client()
    await client.start()
    await rec.joined()
    local_id = client.place_order(OrderRequest("35013", Side.BUY, OrderKind.MARKET, 650), sim.master.get("35013"))
    await rec.until(lambda: bool(rec.of(OrderEvent)))
    event = rec.of(OrderEvent)[0]
    assert event.local_id == local_id and event.update.status is OrderStatus.REJECTED
    assert event.update.reason == "Margin limit exceeded"


async def test_subscriptions_are_reference_counted(sim, make_client) -> None:
    client, rec = await make_client()
    await client.start()
    await rec.joined()

    def server_subs() -> set[str]:
        return {t for conn in sim._conns for ch in conn.channels.values() for t in ch.subscriptions}

    client.subscribe(["22", "2885"])  # view A
    client.subscribe(["22"])  # view B
    await asyncio.sleep(0.1)
    assert server_subs() == {"22", "2885"}
    client.unsubscribe(["22"])  # view B leaves: A still wants 22
    await asyncio.sleep(0.1)
    assert server_subs() == {"22", "2885"}
    client.unsubscribe(["22", "2885"])  # view A leaves
    await rec.until(lambda: bool(rec.of(Unsubscribed)))
    assert server_subs() == set()
    assert set(rec.of(Unsubscribed)[0].tokens) == {"22", "2885"}
    # a subscribe and an unsubscribe in the same loop turn cancel out: no frames at all
    frames_before = sim.stats.frames_in
    client.subscribe(["3045"])
    client.unsubscribe(["3045"])
    await asyncio.sleep(0.1)
    assert sim.stats.frames_in == frames_before


async def test_error_reply_is_surfaced(sim, make_client) -> None:
    client, rec = await make_client()
    await client.start()
    await rec.joined()
    client.machine._send("dance", {}, expect_reply=True, now=client.now())
    client._pump()
    await rec.until(lambda: bool(rec.of(ChannelError)))
    assert rec.of(ChannelError)[0].reason == "unknown event dance"


async def test_doctor_ping_and_clean_close(sim, make_client) -> None:
    client, rec = await make_client()
    await client.start()
    await rec.joined()
    rtt = await client.ping()
    assert 0 <= rtt < 1
    await client.close()
    assert client.state.state is State.CLOSED
    await asyncio.sleep(0.2)
    assert not sim._conns  # the socket is gone


async def test_restart_and_phx_close_recovery(sim, make_client) -> None:
    client, rec = await make_client()
    client.subscribe(["22"])
    await client.start()
    await rec.until(lambda: ticked(rec, "22"))
    await sim.restart(downtime=0.3)
    mark = len(rec.of(Ticks))
    await rec.until(lambda: ticked(rec, "22", mark), timeout=10)


def test_insecure_transport_refused() -> None:
    check_transport("wss://api.airalgo.com/socket/websocket")
    check_transport("ws://127.0.0.1:8765/socket/websocket")
    check_transport("http://localhost:8765")
    check_transport("ws://[::1]:8765/socket/websocket")
    for url in ("ws://api.airalgo.com/socket/websocket", "http://10.0.0.5:8765", "ftp://x"):
        with pytest.raises(InsecureTransportError):
            check_transport(url)
    check_transport("ws://192.0.2.1:8765", allow_insecure=True)
    with pytest.raises(InsecureTransportError):
        AirAlgoClient(ClientConfig("ws://api.airalgo.com/socket/websocket", "https://api.airalgo.com", "k"))


async def test_connection_refused_reports_and_retries(sim) -> None:
    port = sim.port
    await sim.stop()
    client = AirAlgoClient(fast_config(sim))
    states = []
    client.add_listener(lambda e: states.append(e) if isinstance(e, StateChanged) else None)
    await client.start()
    await client.wait_for(lambda s: s.state is State.RECONNECTING and s.attempt >= 2, 5)
    assert any("token server" in e.state.reason.lower() for e in states)
    await client.close()
    assert port


async def test_no_secret_in_any_log_line(sim, make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client, rec = await make_client()
    client.subscribe(["22"])
    await client.start()
    await rec.until(lambda: ticked(rec, "22"))
    client.place_order(MARKET_BUY, sim.master.get("2885"))
    sim.send_malformed("unknown_event")
    sim.drop_all()
    await rec.until(lambda: client.metrics.reconnects >= 1 and client.state.state is State.JOINED)
    sim.expire_tokens()
    sim.crash_channels()
    await rec.until(lambda: sum(1 for e in rec.of(StateChanged) if e.state.state is State.JOINED) >= 3)
    bad, _ = await make_client(api_key="another-secret-key")
    await bad.start()
    await bad.wait_for(lambda s: s.state is State.AUTH_FAILED, 5)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) > 5
    secrets = [TEST_KEY, "another-secret-key", *sim._tokens]
    for secret in secrets:
        assert secret not in text
        for i in range(len(secret) - 9):  # not even a 10-character piece (truncated frame dumps keep tails)
            assert secret[i:i + 10] not in text
    assert f"api:{TEST_KEY}" not in text
