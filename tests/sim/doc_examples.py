"""The API document's examples, verbatim (``<api_key>`` placeholders aside), for shape comparisons."""

JOIN_RESPONSE = {"event": "phx_reply", "payload": {"response": {}, "status": "ok"}, "ref": "", "topic": "api:<api_key>"}

LTP_UPDATE = {
    "event": "ltp",
    "payload": {
        "22": {"ltp": 220800, "ltq": 1, "ltt": "2025-01-09T12:53:00Z"},
        "2442": {"ltp": 24295, "ltq": 499, "ltt": "2025-01-09T12:54:39Z"},
    },
    "ref": None,
    "topic": "api:<api_key>",
}

UNSUBSCRIBE_RESPONSE = {"event": "unsubscribe", "payload": {"tokens": ["22", "2442"]}, "ref": None,
                        "topic": "api:<api_key>"}

ORDER_REQUEST = {"token_number": "2885", "market_limit_sl": "market", "price": 0, "order_type": "B",
                 "trigger_price": 0, "validity": "Day", "quantity": 20, "ltp": 0}

_BASE = {
    "book_type": "1", "buy_sell": "1", "client_id": "1234567890", "disclosed_volume": 20,
    "entry_modify_cancel": "0", "error": None, "executed_price": 0, "expiry_date": "0",
    "good_till_date": "0000000000", "instrument": "EQUITY", "last_modified": 1421348186,
    "market_limit_sl": "market", "message": "Order Entry Confirm", "net_charges": 0.025, "option_type": "EQ",
    "order_flag": None, "order_number": 1300000000111170.0, "pnl": 0, "price": 0.0, "required_margin": 0,
    "status": "Pending", "strike_price": "0", "symbol": "RELIANCE", "timestamp": "18:56:26,14-1-2025",
    "token_number": "2885", "transaction_id": 11, "trigger_price": 0.0, "user_id": "47241", "volume": 20,
}
ORDER_PENDING = dict(_BASE)
ORDER_EXECUTED = {**_BASE, "executed_price": 120275.0, "message": "Your Order has been executed successfully",
                  "status": "Executed"}

NIFTY_REQUEST = {"token_number": "35013", "market_limit_sl": "market", "price": 0, "order_type": "B",
                 "trigger_price": 0, "validity": "Day", "quantity": 25, "ltp": 0}
ORDER_REJECTED = {
    "book_type": "1", "buy_sell": "1", "client_id": "1234567890", "disclosed_volume": 25,
    "entry_modify_cancel": "0", "error": None, "executed_price": 0, "expiry_date": "1425133800",
    "good_till_date": "0000000000", "instrument": "FUTIDX", "last_modified": "0000000000",
    "market_limit_sl": "market", "message": "Order has been Rejected", "net_charges": 6602427.364333333,
    "option_type": "XX", "order_flag": None, "order_number": 1000000000085530.0, "pnl": 0, "price": 0.0,
    "required_margin": 6602427.333333333, "status": "Rejected", "strike_price": "0", "symbol": "NIFTY",
    "timestamp": "18:58:5,14-1-2025", "token_number": "35013", "transaction_id": 13, "trigger_price": 0.0,
    "user_id": "46950", "volume": 25,
}

ERROR_INVALID_KEY = {"event": "phx_reply", "payload": {"response": {"reason": "Invalid API Key"}, "status": "error"},
                     "ref": "", "topic": "api:<api_key>"}
ERROR_INVALID_TOKEN = {
    "event": "phx_reply",
    "payload": {"response": {"reason": "Invalid Access Token. Try generating fresh Access Token"}, "status": "error"},
    "ref": "", "topic": "api:<api_key>",
}
ERROR_UNMATCHED = {"event": "phx_reply", "payload": {"response": {"reason": "unmatched topic"}, "status": "error"},
                   "ref": "", "topic": "api:<api_key>"}
