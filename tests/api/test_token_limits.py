"""Issue 19, items 6 and 7: the token fetch has one deadline for the whole answer and a size cap, against hostile
HTTP servers on 127.0.0.1 (a trickler sending one byte at a time, a 20 MB token). Both failed on af75238: the
trickler kept the fetch (so ``doctor`` and the app) waiting forever; the huge token was read whole and compiled
into a redaction regex."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from airalgo_desktop.api.client import AirAlgoClient
from airalgo_desktop.api.events import State
from airalgo_desktop.api.token import TokenError, TokenErrorKind, fetch_token
from tests.api.conftest import fast_config
from tests.conftest import TEST_KEY


@contextlib.asynccontextmanager
async def http_server(handler) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """A raw HTTP/1.1 server on 127.0.0.1 running ``handler(writer)`` per request; yields its base URL."""
    tasks: set[asyncio.Task] = set()  # type: ignore[type-arg]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            await handler(writer)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await server.wait_closed()


async def trickle(writer: asyncio.StreamWriter) -> None:
    """Headers, then one byte every 0.1 s — each read well inside httpx's per-read timeout. Stops by itself."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n")
    for _ in range(600):  # fewer than Content-Length: the answer never completes
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.1)


async def huge_token(writer: asyncio.StreamWriter) -> None:
    body = b'{"status": "ok", "access_token": "' + b"T" * (20 * 2**20) + b'"}'
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")  # no length
    writer.write(body)
    await writer.drain()


async def test_a_trickling_token_server_meets_one_deadline() -> None:
    async with http_server(trickle) as url, httpx.AsyncClient(timeout=1.0) as http:
        with pytest.raises(TokenError) as info:
            # the outer wait only turns a hang into a failure; the fetch's own deadline must end it first
            await asyncio.wait_for(fetch_token(http, url, "key-trickle-123", deadline=0.8), 20)
    assert info.value.kind is TokenErrorKind.TIMEOUT and "0.8 s" in str(info.value)


async def test_the_client_backs_off_after_the_deadline_and_keeps_retrying() -> None:
    async with http_server(trickle) as url:
        config = fast_config(type("S", (), {"ws_url": "ws://127.0.0.1:9/socket/websocket", "base_http": url})(),
                             token_deadline=0.5)
        client = AirAlgoClient(config)
        try:
            await client.start()
            state = await client.wait_for(lambda s: s.state is State.RECONNECTING, 20)
            assert "did not answer within 0.5 s" in state.reason
        finally:
            await client.close()


async def test_a_huge_token_answer_is_refused_without_reading_it_all() -> None:
    async with http_server(huge_token) as url, httpx.AsyncClient(timeout=5.0) as http:
        with pytest.raises(TokenError) as info:
            await asyncio.wait_for(fetch_token(http, url, "key-huge-123"), 30)
    assert info.value.kind is not TokenErrorKind.INVALID_KEY  # retried with backoff, not "re-enter your key"
    assert "KB" in str(info.value)


async def test_an_over_long_token_in_a_small_answer_is_refused(sim) -> None:
    async def long_token(writer: asyncio.StreamWriter) -> None:
        body = b'{"status": "ok", "access_token": "' + b"t" * 5000 + b'"}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()

    async with http_server(long_token) as url, httpx.AsyncClient(timeout=5.0) as http:
        with pytest.raises(TokenError) as info:
            await fetch_token(http, url, TEST_KEY)
    assert info.value.kind is TokenErrorKind.NO_TOKEN and "4,096" in str(info.value)


async def test_doctor_reports_a_trickling_token_server_instead_of_hanging(monkeypatch) -> None:
    import argparse

    from airalgo_desktop.cli import EXIT_FAIL, doctor

    monkeypatch.setattr("airalgo_desktop.cli.TOKEN_DEADLINE", 0.8)  # 15 s in real use
    lines: list[str] = []
    async with http_server(trickle) as url:
        args = argparse.Namespace(demo=False, ws_url="ws://127.0.0.1:9/socket/websocket", token_url=url,
                                  api_key="key-doctor-123", allow_insecure=False)
        code = await asyncio.wait_for(doctor(args, out=lines.append), 20)
    assert code == EXIT_FAIL
    assert any("[FAIL] token endpoint" in line and "0.8 s" in line for line in lines), lines
