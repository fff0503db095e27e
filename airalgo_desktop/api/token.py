"""Access token fetch (protocol-notes §1) with one distinct, readable error per way it can fail.

``GET {TOKEN_SERVER_URL}/api/token/?api_key=KEY`` → ``{"status": "ok", "access_token": "…"}``.
Error texts never contain the key: httpx exceptions carry the request URL (and so the key), so they are
translated here and never passed on.
"""

from __future__ import annotations

import asyncio
import enum
import ssl
from dataclasses import dataclass

import httpx
import orjson

from ..logs import register_secret, shorten

TOKEN_PATH = "/api/token/"
TOKEN_DEADLINE = 15.0
"""Seconds for the whole fetch — connect, headers and body. httpx's timeout is per read, so a server sending one
byte a second would otherwise keep the app "Connecting" forever."""
MAX_RESPONSE_BYTES = 64 * 1024
"""The largest token answer read (a real one is ~100 bytes; a JWT a few KB)."""
MAX_TOKEN_CHARS = 4096
"""The longest access token accepted (a 20 MB one once cost 36 s and 2 GB)."""


class TokenErrorKind(enum.Enum):
    """Why a token could not be had."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "tls"
    INVALID_KEY = "invalid_key"
    HTTP_STATUS = "http_status"
    NOT_JSON = "not_json"
    STATUS_NOT_OK = "status_not_ok"
    NO_TOKEN = "no_token"
    TOO_LARGE = "too_large"

    @property
    def is_auth(self) -> bool:
        """Only a refused key is final; every other failure is retried with backoff."""
        return self is TokenErrorKind.INVALID_KEY


_ACTIONS = {
    TokenErrorKind.UNREACHABLE: "Check your internet connection and TOKEN_SERVER_URL; the app keeps retrying.",
    TokenErrorKind.TIMEOUT: "The token server is slow or down; the app keeps retrying.",
    TokenErrorKind.TLS: "The server's certificate could not be verified. Check the system clock and any proxy; "
    "do not turn verification off.",
    TokenErrorKind.INVALID_KEY: "Re-enter your API key (Account → API key…) or generate a new one at AirAlgo.",
    TokenErrorKind.HTTP_STATUS: "The token server returned an error; the app keeps retrying. If it persists, "
    "check TOKEN_SERVER_URL or contact AirAlgo support.",
    TokenErrorKind.NOT_JSON: "TOKEN_SERVER_URL probably points at the wrong server (it did not answer JSON).",
    TokenErrorKind.STATUS_NOT_OK: "The token service refused the request; the app keeps retrying.",
    TokenErrorKind.NO_TOKEN: "The token service answered without a token; the app keeps retrying.",
    TokenErrorKind.TOO_LARGE: "TOKEN_SERVER_URL probably points at the wrong server (its answer was far larger "
    "than a token answer); the app keeps retrying.",
}


@dataclass(frozen=True)
class TokenError(Exception):
    """A failed token fetch: ``kind``, a message and the action to take. Safe to show and log."""

    kind: TokenErrorKind
    message: str

    @property
    def action(self) -> str:
        """What the user should do."""
        return _ACTIONS[self.kind]

    def __str__(self) -> str:
        return f"{self.message}. {self.action}"


def _server_words(data: object) -> str:
    """The server's own message, if any, shortened and redacted."""
    if isinstance(data, dict):
        for key in ("message", "reason", "error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return shorten(value, 200)
    return ""


async def _get(http: httpx.AsyncClient, url: str, api_key: str) -> tuple[int, bytes]:
    """Status and body (at most MAX_RESPONSE_BYTES) of the token request; TokenError for anything else."""
    too_large = ""  # TokenError is frozen: raised inside httpx's context managers it cannot take a traceback
    try:
        async with http.stream("GET", url, params={"api_key": api_key}) as response:
            declared = response.headers.get("content-length", "")
            body = bytearray()
            if declared.isascii() and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                too_large = f"The token server's answer is {int(declared):,} bytes"
            else:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        too_large = f"The token server's answer is over {MAX_RESPONSE_BYTES // 1024} KB"
                        break
            status = response.status_code
    except httpx.TimeoutException:
        raise TokenError(TokenErrorKind.TIMEOUT, "The token server did not answer in time") from None
    except httpx.ConnectError as exc:
        if isinstance(exc.__context__, ssl.SSLError) or "CERTIFICATE" in str(exc).upper():
            raise TokenError(TokenErrorKind.TLS, "Secure connection to the token server failed") from None
        raise TokenError(TokenErrorKind.UNREACHABLE, "Cannot reach the token server") from None
    except httpx.HTTPError:
        raise TokenError(TokenErrorKind.UNREACHABLE, "The connection to the token server failed") from None
    if too_large:
        raise TokenError(TokenErrorKind.TOO_LARGE, too_large)
    return status, bytes(body)


async def fetch_token(http: httpx.AsyncClient, base_url: str, api_key: str, *,
                      deadline: float = TOKEN_DEADLINE) -> str:
    """Fetch a fresh access token within ``deadline`` seconds overall; raises :class:`TokenError` (never an httpx
    error). The answer is read up to :data:`MAX_RESPONSE_BYTES`; a token over :data:`MAX_TOKEN_CHARS` is refused."""
    register_secret(api_key)
    url = base_url.rstrip("/") + TOKEN_PATH
    try:
        async with asyncio.timeout(deadline):
            status_code, content = await _get(http, url, api_key)
    except TimeoutError:
        raise TokenError(TokenErrorKind.TIMEOUT, f"The token server did not answer within {deadline:g} s") from None
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        data = None
    words = _server_words(data)
    if status_code in (401, 403) or (words and "invalid api key" in words.lower()):
        raise TokenError(TokenErrorKind.INVALID_KEY, "The API key was refused" + (f" ({words})" if words else ""))
    if not 200 <= status_code < 300:
        detail = f" ({words})" if words else ""
        raise TokenError(TokenErrorKind.HTTP_STATUS, f"The token server answered HTTP {status_code}{detail}")
    if not isinstance(data, dict):
        raise TokenError(TokenErrorKind.NOT_JSON, "The token server's answer was not JSON")
    if data.get("status") != "ok":
        raise TokenError(TokenErrorKind.STATUS_NOT_OK,
                         "The token server said " + (words or f"status {shorten(str(data.get('status')), 40)!r}"))
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenError(TokenErrorKind.NO_TOKEN, "The token server's answer had no access_token")
    if len(token) > MAX_TOKEN_CHARS or not (token.isascii() and token.isprintable()) or " " in token:
        raise TokenError(TokenErrorKind.NO_TOKEN,
                         f"The token server's access_token is not usable ({len(token):,} characters; a token is at "
                         f"most {MAX_TOKEN_CHARS:,} printable ASCII characters)")
    register_secret(token)
    return token
