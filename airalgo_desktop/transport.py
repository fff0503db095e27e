"""Which URLs the app will dial: one check, made once per configured URL before anything connects to it.

Used by the API client (the WebSocket and token URLs), the command line (``doctor``) and the instrument importer
(a master's download URL) — a base module, so none of them has to import another's room for it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .logs import shorten


class UrlError(ValueError):
    """A configured URL the app will not dial: malformed, or not encrypted. The text says which and why."""


class InsecureTransportError(UrlError):
    """A plain ``ws://`` / ``http://`` URL to another machine, without explicit permission."""


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and localhost."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


WS_SCHEMES = ("wss", "ws")
HTTP_SCHEMES = ("https", "http")


def check_transport(url: str, *, allow_insecure: bool = False, kind: str = "URL",
                    schemes: tuple[str, ...] = WS_SCHEMES + HTTP_SCHEMES) -> None:
    """Validate a configured URL once, before anything dials it. Raises :class:`UrlError` for a URL that can never
    work — blanks or control characters inside it (a space once gave 13 reconnects in 20 s and tracebacks), no
    host, a bad port, user info, non-ASCII — and :class:`InsecureTransportError` for a scheme other than
    ``schemes`` or plain-text transport to anything but this machine without explicit permission."""
    shown = shorten(url, 80)
    if not url or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise UrlError(f"{kind} {shown!r} contains a space or a control character; fix it in your settings or .env")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"{kind} {shown!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise InsecureTransportError(f"{kind} must start with {' or '.join(s + '://' for s in schemes[::2])} "
                                     f"(got {scheme or 'no scheme'}://)")
    if scheme in ("ws", "http") and not (allow_insecure or is_loopback_host(parts.hostname)):
        raise InsecureTransportError(
            f"{kind} {scheme}://{parts.hostname} is not encrypted. Use {scheme}s:// (or allow insecure "
            "transport explicitly, e.g. for a test server on your network)."
        )
    if not parts.hostname:
        raise UrlError(f"{kind} {shown!r} has no host name")
    if not url.isascii():
        raise UrlError(f"{kind} {shown!r} contains non-ASCII characters; write the host name in ASCII (punycode)")
    if parts.username is not None or parts.password is not None:
        raise UrlError(f"{kind} must not carry a user name or password")
    if port == 0:
        raise UrlError(f"{kind} {shown!r} has port 0")
