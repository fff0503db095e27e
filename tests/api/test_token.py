"""Every way the token fetch can fail gives its own error, with an action, and never the key."""

from __future__ import annotations

import httpx
import pytest

from airalgo_desktop.api.token import TokenError, TokenErrorKind, fetch_token
from tests.conftest import TEST_KEY


async def test_ok(sim) -> None:
    async with httpx.AsyncClient() as http:
        token = await fetch_token(http, sim.base_http, TEST_KEY)
    assert token in sim._tokens


@pytest.mark.parametrize(
    ("fault", "key", "kind"),
    [
        (None, "wrong-key-77", TokenErrorKind.INVALID_KEY),
        ("http500", TEST_KEY, TokenErrorKind.HTTP_STATUS),
        ("notjson", TEST_KEY, TokenErrorKind.NOT_JSON),
        ("status_error", TEST_KEY, TokenErrorKind.STATUS_NOT_OK),
        ("no_token", TEST_KEY, TokenErrorKind.NO_TOKEN),
        ("hang", TEST_KEY, TokenErrorKind.TIMEOUT),
    ],
)
async def test_each_failure_is_distinct(sim, fault, key, kind) -> None:
    sim.set_token_fault(fault)
    async with httpx.AsyncClient(timeout=0.5) as http:
        with pytest.raises(TokenError) as info:
            await fetch_token(http, sim.base_http, key)
    sim.set_token_fault(None)
    err = info.value
    assert err.kind is kind
    assert err.action and key not in str(err) and key not in repr(err)
    assert err.__cause__ is None  # httpx errors (which carry the URL, so the key) are not chained


async def test_unreachable() -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        with pytest.raises(TokenError) as info:
            await fetch_token(http, "http://127.0.0.1:9", "key-unreachable")
    assert info.value.kind is TokenErrorKind.UNREACHABLE and "key-unreachable" not in str(info.value)


async def test_tls_failure_is_its_own_kind(sim) -> None:
    # https:// to a plain-HTTP port fails the TLS handshake
    async with httpx.AsyncClient(timeout=2) as http:
        with pytest.raises(TokenError) as info:
            await fetch_token(http, f"https://127.0.0.1:{sim.port}", TEST_KEY)
    assert info.value.kind in (TokenErrorKind.TLS, TokenErrorKind.UNREACHABLE)
    assert TEST_KEY not in str(info.value)
