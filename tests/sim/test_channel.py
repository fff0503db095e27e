"""Phoenix channel semantics the protocol notes describe: heartbeat, idle timeout, duplicate join, leave,
V2 framing, query strings, unknown tokens and events, the token HTTP endpoint."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from airalgo_desktop.sim.server import SimConfig, SimServer
from tests.conftest import OTHER_KEY, TEST_KEY
from tests.helpers import RawClient

TOPIC = f"api:{TEST_KEY}"


async def test_heartbeat_reply(raw) -> None:
    reply = await raw.request("phoenix", "heartbeat", {})
    assert reply == {"topic": "phoenix", "event": "phx_reply", "payload": {"status": "ok", "response": {}},
                     "ref": reply["ref"]}


async def test_refs_are_echoed(sim, raw) -> None:
    token = sim.issue_token(TEST_KEY)
    await raw.send(TOPIC, "phx_join", {"access_token": token}, ref="42")
    assert (await raw.recv())["ref"] == "42"


async def test_idle_socket_closed_silently() -> None:
    async with SimServer(SimConfig(api_keys=(TEST_KEY,), idle_timeout=0.5)) as server:
        client = await RawClient.connect(server.ws_url)
        with pytest.raises(ConnectionClosed) as info:
            await client.recv(timeout=5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1000
        # a socket that keeps sending heartbeats stays open past the timeout
        alive = await RawClient.connect(server.ws_url)
        for _ in range(4):
            await alive.request("phoenix", "heartbeat", {})
            await asyncio.sleep(0.3)
        assert (await alive.request("phoenix", "heartbeat", {}))["payload"]["status"] == "ok"
        await alive.close()


async def test_duplicate_join_closes_old_channel(sim, joined) -> None:
    token = sim.issue_token(TEST_KEY)
    ref = await joined.send(TOPIC, "phx_join", {"access_token": token})
    close = await joined.event("phx_close")
    assert close["topic"] == TOPIC and close["ref"] != ref
    reply = await joined.recv_until(lambda f: f.get("ref") == ref)
    assert reply["payload"]["status"] == "ok"


async def test_leave_replies_then_closes(joined) -> None:
    reply = await joined.request(TOPIC, "phx_leave", {})
    assert reply["payload"] == {"status": "ok", "response": {}}
    assert (await joined.event("phx_close"))["topic"] == TOPIC
    reply = await joined.request(TOPIC, "subscribe", {"list": ["22"]})
    assert reply["payload"]["response"]["reason"] == "unmatched topic"


async def test_two_keys_two_channels_one_socket(sim, raw) -> None:
    for key in (TEST_KEY, OTHER_KEY):
        reply = await raw.request(f"api:{key}", "phx_join", {"access_token": sim.issue_token(key)})
        assert reply["payload"]["status"] == "ok"
    # a token is bound to its key
    reply = await raw.request(f"api:{OTHER_KEY}", "phx_join", {"access_token": sim.issue_token(TEST_KEY)})
    assert reply["payload"]["response"]["reason"].startswith("Invalid Access Token")


async def test_join_on_non_api_topic_is_unmatched(raw) -> None:
    reply = await raw.request("room:lobby", "phx_join", {})
    assert reply["payload"]["response"]["reason"] == "unmatched topic"


async def test_v2_array_framing_like_phoenix_js(sim) -> None:
    client = await RawClient.connect(sim.ws_url, v2=True)
    try:
        await client.send("phoenix", "heartbeat", {}, ref="1")
        assert await client.recv() == [None, "1", "phoenix", "phx_reply", {"status": "ok", "response": {}}]
        await client.send(TOPIC, "phx_join", {"access_token": sim.issue_token(TEST_KEY)}, ref="2", join_ref="2")
        assert await client.recv() == ["2", "2", TOPIC, "phx_reply", {"status": "ok", "response": {}}]
        await client.send(TOPIC, "subscribe", {"list": ["22"]}, ref="3", join_ref="2")
        push = await client.recv()
        assert push[0] == "2" and push[1] is None and push[3] == "ltp" and "22" in push[4]
    finally:
        await client.close()


async def test_query_strings_accepted(sim) -> None:
    for query in ("?vsn=1.0.0", "?token=abc&foo=bar"):
        client = RawClient(await __import__("websockets").asyncio.client.connect(sim.ws_url + query))
        assert (await client.request("phoenix", "heartbeat", {}))["payload"]["status"] == "ok"
        await client.close()


async def test_unknown_tokens_ignored_and_counted(sim, joined) -> None:
    await joined.send(TOPIC, "subscribe", {"list": ["999999", "22", 2885, "x", None]})
    frame = await joined.event("ltp")
    assert set(frame["payload"]) == {"22", "2885"}
    assert sim.stats.unknown_tokens == 1


async def test_bad_payloads_and_events_get_error_replies(joined) -> None:
    reply = await joined.request(TOPIC, "subscribe", {"tokens": ["22"]})
    assert reply["payload"]["status"] == "error" and "list" in reply["payload"]["response"]["reason"]
    reply = await joined.request(TOPIC, "order", ["not", "an", "object"])
    assert reply["payload"]["status"] == "error"
    reply = await joined.request(TOPIC, "dance", {})
    assert reply["payload"]["response"]["reason"] == "unknown event dance"


async def test_malformed_client_frames_are_ignored(sim, joined) -> None:
    await joined.ws.send("{nope")
    await joined.ws.send("[1,2]")
    assert (await joined.request("phoenix", "heartbeat", {}))["payload"]["status"] == "ok"
    assert sim.stats.malformed_in == 2


async def test_token_endpoint(sim) -> None:
    async with httpx.AsyncClient(base_url=sim.base_http) as http:
        ok = await http.get("/api/token/", params={"api_key": TEST_KEY})
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        body = ok.json()
        assert body["status"] == "ok" and isinstance(body["access_token"], str) and len(body["access_token"]) > 16
        no_slash = await http.get("/api/token", params={"api_key": TEST_KEY})
        assert no_slash.status_code == 200
        bad = await http.get("/api/token/", params={"api_key": "wrong"})
        assert bad.status_code == 401 and bad.json() == {"status": "error", "message": "Invalid API Key"}
        assert TEST_KEY not in bad.text
        missing = await http.get("/api/token/")
        assert missing.status_code == 400 and "api_key" in missing.json()["message"]
        assert (await http.get("/nowhere")).status_code == 404
        assert (await http.get("/socket/websocket")).status_code == 400
        stats = (await http.get("/_sim/stats")).json()
        assert stats["tokens_issued"] == 2
