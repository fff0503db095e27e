from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airalgo_desktop.api.phoenix import DecodeError, Message, RefCounter, Vsn, decode, encode, reply

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
refs = st.none() | st.text(alphabet="0123456789", min_size=1, max_size=6)


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=20), json_values, refs, refs)
def test_roundtrip_v1_and_v2(topic, event, payload, ref, join_ref) -> None:
    v1 = Message(topic, event, payload, ref)
    assert decode(encode(v1)) == v1
    v2 = Message(topic, event, payload, ref, join_ref)
    assert decode(encode(v2, Vsn.V2), Vsn.V2) == v2


def test_v1_wire_format_is_the_docs() -> None:
    msg = Message("api:KEY", "phx_join", {"access_token": "T"}, "1")
    assert json.loads(encode(msg)) == {"topic": "api:KEY", "event": "phx_join",
                                       "payload": {"access_token": "T"}, "ref": "1"}
    assert json.loads(encode(msg, Vsn.V2)) == [None, "1", "api:KEY", "phx_join", {"access_token": "T"}]


@pytest.mark.parametrize(
    ("raw", "vsn"),
    [
        ("{not json", Vsn.V1),
        ("[1,2,3]", Vsn.V1),
        ('"just a string"', Vsn.V1),
        ("42", Vsn.V1),
        ('{"topic": 5, "event": "x"}', Vsn.V1),
        ('{"topic": "t"}', Vsn.V1),
        ('{"topic": "t", "event": "e", "ref": {"a": 1}}', Vsn.V1),
        ('{"topic": "t", "event": "e"}', Vsn.V2),
        ('[null, "1", "t"]', Vsn.V2),
        ('[null, "1", 3, "e", {}]', Vsn.V2),
        (b"\xff\xfe", Vsn.V1),
        ("", Vsn.V1),
    ],
)
def test_decode_never_raises_on_junk(raw, vsn) -> None:
    result = decode(raw, vsn)
    assert isinstance(result, DecodeError)
    assert not result and result.reason and len(result.excerpt) <= 120


def test_long_junk_excerpt_is_short() -> None:
    result = decode("x" * 10_000)
    assert isinstance(result, DecodeError) and "chars" in result.excerpt and len(result.excerpt) < 120


def test_reply_helpers_and_refs() -> None:
    join = Message("api:K", "phx_join", {}, "7", "7")
    r = reply(join, "error", {"reason": "Invalid API Key"})
    assert (r.event, r.ref, r.join_ref, r.reply_status, r.reply_reason) == (
        "phx_reply", "7", "7", "error", "Invalid API Key")
    assert Message("t", "ltp", {}).reply_status is None
    counter = RefCounter()
    assert [counter.next() for _ in range(3)] == ["1", "2", "3"]
    assert decode('{"topic":"t","event":"e","payload":{},"ref":5}') == Message("t", "e", {}, "5")
    assert Vsn.from_query("2.0.0") is Vsn.V2 and Vsn.from_query(None) is Vsn.V1 and Vsn.from_query("1.0.0") is Vsn.V1
