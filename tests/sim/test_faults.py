"""Each fault the simulator can inject, seen from a raw client."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from airalgo_desktop.sim.server import Malformed
from tests.conftest import TEST_KEY
from tests.helpers import RawClient

TOPIC = f"api:{TEST_KEY}"


async def _join(sim, client, token=None):
    return await client.request(TOPIC, "phx_join", {"access_token": token or sim.issue_token(TEST_KEY)})


async def test_drop_cuts_sockets_without_close_frame(sim, joined) -> None:
    assert sim.drop_all() == 1
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(100):
            await joined.recv(timeout=2)
    assert info.value.rcvd is None  # no close frame: a network drop, not a goodbye


async def test_stall_answers_nothing_then_recovers(sim, joined) -> None:
    await joined.send(TOPIC, "subscribe", {"list": ["22"]})
    await joined.event("ltp")
    sim.stall(True)
    await asyncio.sleep(0.1)
    joined.inbox.clear()
    ref = await joined.send("phoenix", "heartbeat", {})
    with pytest.raises(TimeoutError):
        await joined.recv_until(lambda f: True, timeout=0.6)  # no reply, no ticks
    sim.stall(False)
    assert (await joined.request("phoenix", "heartbeat", {}))["ref"] != ref
    await joined.event("ltp")


async def test_expire_tokens_blocks_rejoin_until_fresh_token(sim, raw) -> None:
    token = sim.issue_token(TEST_KEY)
    sim.expire_tokens()
    assert (await _join(sim, raw, token))["payload"]["response"]["reason"].startswith("Invalid Access Token")
    assert (await _join(sim, raw))["payload"]["status"] == "ok"


async def test_token_ttl(sim, raw) -> None:
    sim.config.token_ttl = 0.2
    token = sim.issue_token(TEST_KEY)
    await asyncio.sleep(0.3)
    assert (await _join(sim, raw, token))["payload"]["status"] == "error"


@pytest.mark.parametrize("kind", list(Malformed))
async def test_malformed_frames_are_delivered(sim, joined, kind) -> None:
    assert sim.send_malformed(kind) == 1
    raw = await asyncio.wait_for(joined.ws.recv(), 5)
    if kind is Malformed.BINARY:
        assert isinstance(raw, bytes)
    elif kind is Malformed.NOT_JSON:
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw)
    elif kind is Malformed.OVERSIZED:
        assert len(raw) > 3 * 2**20
    elif kind is Malformed.NOT_OBJECT:
        assert isinstance(json.loads(raw), list)
    else:
        assert isinstance(json.loads(raw), dict)
    # the socket stays usable
    assert (await joined.request("phoenix", "heartbeat", {}))["payload"]["status"] == "ok"


async def test_reply_delay(sim, raw) -> None:
    sim.set_reply_delay(0.3)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await raw.request("phoenix", "heartbeat", {})
    assert loop.time() - start >= 0.28
    sim.set_reply_delay(0)


async def test_restart_keeps_port_and_tokens(sim, joined) -> None:
    port = sim.port
    token = sim.issue_token(TEST_KEY)
    await sim.restart(downtime=0.1)
    with pytest.raises(ConnectionClosed):
        for _ in range(100):
            await joined.recv(timeout=2)
    assert sim.port == port
    client = await RawClient.connect(sim.ws_url)
    assert (await _join(sim, client, token))["payload"]["status"] == "ok"
    await client.close()


async def test_mute_feed_until_rejoin_with_fresh_token(sim, raw) -> None:
    old_token = sim.issue_token(TEST_KEY)
    await _join(sim, raw, old_token)
    await raw.send(TOPIC, "subscribe", {"list": ["22", "2885"]})
    await raw.event("ltp")
    sim.mute_feed()
    await asyncio.sleep(0.1)
    raw.inbox.clear()
    # heartbeats answered, subscriptions accepted, but no ticks
    assert (await raw.request("phoenix", "heartbeat", {}))["payload"]["status"] == "ok"
    await raw.send(TOPIC, "subscribe", {"list": ["3045"]})
    with pytest.raises(TimeoutError):
        await raw.event("ltp", timeout=0.6)
    # rejoining with the same (pre-fault) token does not help
    await _join(sim, raw, old_token)
    await raw.send(TOPIC, "subscribe", {"list": ["22"]})
    with pytest.raises(TimeoutError):
        await raw.event("ltp", timeout=0.6)
    # a token issued after the fault brings the feed back
    assert (await _join(sim, raw))["payload"]["status"] == "ok"
    await raw.send(TOPIC, "subscribe", {"list": ["22"]})
    assert "22" in (await raw.event("ltp"))["payload"]


async def test_crash_channels_sends_phx_error(sim, joined) -> None:
    assert sim.crash_channels() == 1
    assert (await joined.event("phx_error"))["topic"] == TOPIC
    reply = await joined.request(TOPIC, "subscribe", {"list": ["22"]})
    assert reply["payload"]["response"]["reason"] == "unmatched topic"


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("http500", lambda r: r.status_code == 500),
        ("notjson", lambda r: r.status_code == 200 and r.text.startswith("<html>")),
        ("status_error", lambda r: r.json()["status"] == "error"),
        ("no_token", lambda r: r.json() == {"status": "ok"}),
    ],
)
async def test_token_endpoint_faults(sim, fault, check) -> None:
    sim.set_token_fault(fault)
    async with httpx.AsyncClient(base_url=sim.base_http) as http:
        assert check(await http.get("/api/token/", params={"api_key": TEST_KEY}))
        sim.set_token_fault(None)
        assert (await http.get("/api/token/", params={"api_key": TEST_KEY})).json()["status"] == "ok"


async def test_token_endpoint_hang(sim) -> None:
    sim.set_token_fault("hang")
    async with httpx.AsyncClient(base_url=sim.base_http, timeout=0.5) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/api/token/", params={"api_key": TEST_KEY})
    sim.set_token_fault(None)


async def test_missed_order_responses_delivered_on_rejoin(sim, joined) -> None:
    sim.engine.fill_delay = 0.3
    await joined.send(TOPIC, "order", {"token_number": "2885", "market_limit_sl": "market", "price": 0,
                                       "order_type": "B", "trigger_price": 0, "validity": "Day",
                                       "quantity": 1, "ltp": 0})
    await joined.event("order_response")  # Pending
    sim.drop_all()
    await asyncio.sleep(0.5)  # the fill happens while nobody is connected
    client = await RawClient.connect(sim.ws_url)
    await _join(sim, client)
    executed = (await client.event("order_response"))["payload"]
    assert executed["status"] == "Executed"
    await client.close()


async def test_admin_fault_endpoint(sim, joined) -> None:
    async with httpx.AsyncClient(base_url=sim.base_http) as http:
        assert (await http.get("/_sim/fault", params={"name": "crash"})).json()["status"] == "ok"
        assert (await http.get("/_sim/fault", params={"name": "bogus"})).status_code == 400
    await joined.event("phx_error")
