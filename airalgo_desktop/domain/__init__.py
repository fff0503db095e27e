"""Pure domain model: money in paisa, instruments, orders, exchange time, option pricing, one-minute bars. No Qt, no
I/O (files and sockets live in ``store/``, ``api/`` and ``instruments/``)."""

from .instruments import Instrument, InstrumentMaster, Master
from .money import MoneyError, Paisa, Rounding, format_rupees, is_on_tick, parse_rupees, round_to_tick
from .nsetime import IST, NSE_EPOCH, from_nse_seconds, parse_ltt, parse_order_timestamp, to_nse_seconds
from .orders import OrderKind, OrderRequest, OrderStatus, OrderUpdate, Side, Validity

__all__ = [
    "IST",
    "NSE_EPOCH",
    "Instrument",
    "InstrumentMaster",
    "Master",
    "MoneyError",
    "OrderKind",
    "OrderRequest",
    "OrderStatus",
    "OrderUpdate",
    "Paisa",
    "Rounding",
    "Side",
    "Validity",
    "format_rupees",
    "from_nse_seconds",
    "is_on_tick",
    "parse_ltt",
    "parse_order_timestamp",
    "parse_rupees",
    "round_to_tick",
    "to_nse_seconds",
]
