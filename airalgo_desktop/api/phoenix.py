"""Phoenix channel framing (V1 JSON objects and V2 JSON arrays), shared by the client and the simulator.

V1 (what the AirAlgo doc shows, and what our client speaks)::

    {"topic": "api:<key>", "event": "phx_join", "payload": {...}, "ref": "1"}

V2 (phoenix.js's default, ``?vsn=2.0.0``)::

    [join_ref, ref, topic, event, payload]

:func:`decode` never raises: junk comes back as a :class:`DecodeError` value, so a malformed frame can be
counted and logged without tearing down a healthy connection.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from typing import Any

import orjson

from ..logs import shorten

PHOENIX_TOPIC = "phoenix"


class Event(enum.StrEnum):
    """Every event name on the wire: Phoenix's own and AirAlgo's."""

    JOIN = "phx_join"
    REPLY = "phx_reply"
    LEAVE = "phx_leave"
    CLOSE = "phx_close"
    ERROR = "phx_error"
    HEARTBEAT = "heartbeat"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    ORDER = "order"
    LTP = "ltp"
    ORDER_RESPONSE = "order_response"


class Vsn(enum.Enum):
    """Serializer version, chosen per socket by the ``vsn`` query parameter."""

    V1 = "1.0.0"
    V2 = "2.0.0"

    @classmethod
    def from_query(cls, value: str | None) -> Vsn:
        """``None``/``1.x`` → V1 (Phoenix's default); ``2.x`` → V2."""
        if value and value.strip().startswith("2"):
            return cls.V2
        return cls.V1


@dataclass(frozen=True, slots=True)
class Message:
    """One Phoenix message. ``ref`` is None on server pushes; ``join_ref`` exists only in V2."""

    topic: str
    event: str
    payload: Any
    ref: str | None = None
    join_ref: str | None = None

    @property
    def is_reply(self) -> bool:
        """True for ``phx_reply``."""
        return self.event == Event.REPLY

    @property
    def reply_status(self) -> str | None:
        """``"ok"``/``"error"`` of a reply, else None."""
        if self.event == Event.REPLY and isinstance(self.payload, dict):
            status = self.payload.get("status")
            return status if isinstance(status, str) else None
        return None

    @property
    def reply_response(self) -> Any:
        """The ``response`` object of a reply (``{}`` when missing)."""
        if isinstance(self.payload, dict):
            return self.payload.get("response", {})
        return {}

    @property
    def reply_reason(self) -> str | None:
        """``response.reason`` of an error reply, if any."""
        response = self.reply_response
        if isinstance(response, dict):
            reason = response.get("reason")
            return reason if isinstance(reason, str) else None
        return None


@dataclass(frozen=True, slots=True)
class DecodeError:
    """Why a frame could not be read, with a short excerpt of it for the log (never the whole frame)."""

    reason: str
    excerpt: str

    def __bool__(self) -> bool:  # lets callers write ``if isinstance(x, DecodeError)`` or ``if not msg``
        return False


def _excerpt(raw: str | bytes, limit: int = 80) -> str:
    """The start of a frame for the log, redacted *before* it is cut (a cut secret would no longer be found)."""
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw[: 4 * limit + 4096]).decode("utf-8", "replace")
    return shorten(raw, limit)


def _ref(value: Any) -> str | None:
    """Refs are strings on the wire; accept ints (some clients) and keep None as None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError("ref must be a string")


def decode(raw: str | bytes, vsn: Vsn = Vsn.V1) -> Message | DecodeError:
    """Parse one text frame. Returns :class:`DecodeError` for anything that is not a Phoenix message."""
    try:
        data = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError):
        return DecodeError("not JSON", _excerpt(raw))
    try:
        if vsn is Vsn.V2:
            if not isinstance(data, list) or len(data) != 5:
                return DecodeError("not a 5-element V2 array", _excerpt(raw))
            join_ref, ref, topic, event, payload = data
            if not isinstance(topic, str) or not isinstance(event, str):
                return DecodeError("topic and event must be strings", _excerpt(raw))
            return Message(topic, event, payload, _ref(ref), _ref(join_ref))
        if not isinstance(data, dict):
            return DecodeError(f"frame is a JSON {type(data).__name__}, not an object", _excerpt(raw))
        topic, event = data.get("topic"), data.get("event")
        if not isinstance(topic, str) or not isinstance(event, str):
            return DecodeError("topic and event must be strings", _excerpt(raw))
        return Message(topic, event, data.get("payload"), _ref(data.get("ref")), _ref(data.get("join_ref")))
    except TypeError as exc:
        return DecodeError(str(exc), _excerpt(raw))


def encode(message: Message, vsn: Vsn = Vsn.V1) -> str:
    """Serialise a message as text (Phoenix sends text frames for JSON)."""
    if vsn is Vsn.V2:
        data: Any = [message.join_ref, message.ref, message.topic, message.event, message.payload]
    else:
        data = {"topic": message.topic, "event": message.event, "payload": message.payload, "ref": message.ref}
    return orjson.dumps(data).decode()


def reply(to: Message, status: str, response: Any | None = None) -> Message:
    """The ``phx_reply`` a server sends for ``to`` (ref and join_ref echoed)."""
    return Message(
        to.topic, Event.REPLY, {"status": status, "response": {} if response is None else response}, to.ref, to.join_ref
    )


class RefCounter:
    """Unique, increasing string refs ("1", "2", …) for one socket, as phoenix.js makes them."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)

    def next(self) -> str:
        """The next ref."""
        return str(next(self._counter))
