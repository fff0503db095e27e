"""Every example and error of the API document, reproduced by the simulator over a real socket."""

from __future__ import annotations

import re
from datetime import datetime, time

from airalgo_desktop.domain.nsetime import IST, to_nse_seconds
from tests.conftest import TEST_KEY
from tests.helpers import shape
from tests.sim import doc_examples as doc

TOPIC = f"api:{TEST_KEY}"


def _as_doc(frame: dict) -> dict:
    return {**frame, "topic": "api:<api_key>"}


async def test_join_ok_verbatim(sim, raw) -> None:
    token = sim.issue_token(TEST_KEY)
    await raw.send(TOPIC, "phx_join", {"access_token": token}, ref="")  # the doc's empty ref is echoed
    assert _as_doc(await raw.recv()) == doc.JOIN_RESPONSE


async def test_error_invalid_api_key_verbatim(sim, raw) -> None:
    token = sim.issue_token(TEST_KEY)
    await raw.send("api:not-a-key", "phx_join", {"access_token": token}, ref="")
    assert _as_doc(await raw.recv()) == doc.ERROR_INVALID_KEY


async def test_error_invalid_access_token_verbatim(sim, raw) -> None:
    await raw.send(TOPIC, "phx_join", {"access_token": "forged"}, ref="")
    assert _as_doc(await raw.recv()) == doc.ERROR_INVALID_TOKEN
    token = sim.issue_token(TEST_KEY)
    sim.expire_tokens()
    await raw.send(TOPIC, "phx_join", {"access_token": token}, ref="")
    assert _as_doc(await raw.recv()) == doc.ERROR_INVALID_TOKEN


async def test_error_unmatched_topic_verbatim(raw) -> None:
    for event, payload in (("subscribe", {"list": ["22"]}), ("order", doc.ORDER_REQUEST),
                           ("unsubscribe", {"list": ["22"]})):
        await raw.send(TOPIC, event, payload, ref="")
        assert _as_doc(await raw.recv()) == doc.ERROR_UNMATCHED


async def test_subscribe_then_ltp_updates_in_doc_shape(joined) -> None:
    await joined.send(TOPIC, "subscribe", {"list": ["22", "2442"]})
    first = await joined.event("ltp")  # the doc's subscribe "Response" is an ltp push
    assert first["ref"] is None and first["topic"] == TOPIC
    assert shape(first["payload"]) == shape(doc.LTP_UPDATE["payload"])
    seen: set[str] = set()
    for _ in range(40):
        frame = await joined.event("ltp")
        for token, quote in frame["payload"].items():
            assert shape(quote) == shape(doc.LTP_UPDATE["payload"]["22"])
            assert isinstance(quote["ltp"], int) and quote["ltp"] % 5 == 0  # paisa on the tick grid
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", quote["ltt"])
            seen.add(token)
        if seen == {"22", "2442"}:
            break
    assert seen == {"22", "2442"}


async def test_unsubscribe_push_in_doc_shape(joined) -> None:
    await joined.send(TOPIC, "subscribe", {"list": ["22", "2442", "2885"]})
    await joined.event("ltp")
    await joined.send(TOPIC, "unsubscribe", {"list": ["22", "2442"]})
    frame = await joined.event("unsubscribe")
    assert _as_doc(frame) == doc.UNSUBSCRIBE_RESPONSE


async def test_market_order_pending_then_executed_in_doc_shape(joined) -> None:
    await joined.send(TOPIC, "order", doc.ORDER_REQUEST)
    pending = await joined.event("order_response")
    executed = await joined.event("order_response")
    assert pending["ref"] is None
    assert shape(pending["payload"]) == shape(doc.ORDER_PENDING)
    assert shape(executed["payload"]) == shape(doc.ORDER_EXECUTED)
    p, e = pending["payload"], executed["payload"]
    assert (p["status"], p["message"]) == ("Pending", "Order Entry Confirm")
    assert (e["status"], e["message"]) == ("Executed", "Your Order has been executed successfully")
    assert p["order_number"] == e["order_number"] and isinstance(p["order_number"], float)
    assert e["executed_price"] > 0 and e["executed_price"] % 5 == 0
    assert p["symbol"] == "RELIANCE" and p["instrument"] == "EQUITY" and p["option_type"] == "EQ"
    assert re.fullmatch(r"\d{1,2}:\d{1,2}:\d{1,2},\d{1,2}-\d{1,2}-\d{4}", p["timestamp"])
    assert e["transaction_id"] > p["transaction_id"]


async def test_nifty_example_rejected_for_margin_in_doc_shape(sim, joined) -> None:
    await joined.send(TOPIC, "order", doc.NIFTY_REQUEST)
    rejected = (await joined.event("order_response"))["payload"]
    # the doc's rejection has error null; the simulator says why there ("the reason may be in error")
    assert rejected.pop("error") == "Margin limit exceeded"
    expected = dict(doc.ORDER_REJECTED)
    expected.pop("error")
    assert shape(rejected) == shape(expected)
    for key in ("instrument", "option_type", "last_modified", "symbol", "message", "status"):
        assert rejected[key] == doc.ORDER_REJECTED[key], key
    # the doc's contract expired in Feb 2025; the demo's 35013 is today's near-month NIFTY future, same encoding
    expiry = sim.master.get("35013").expiry
    assert rejected["expiry_date"] == str(to_nse_seconds(datetime.combine(expiry, time(14, 30), tzinfo=IST)))
    assert 6_000_000 < rejected["required_margin"] < 7_500_000  # the doc's 6602427.33 paisa, give or take the walk
