"""Money as integer paisa.

Every price, value and P&L inside the application is an ``int`` number of paisa (1 rupee = 100 paisa).
Rupees exist only at the edges: :func:`parse_rupees` turns what a trader types into paisa without ever
going through ``float``, and :func:`format_rupees` renders paisa with Indian digit grouping
(``₹1,23,45,678.90``).
"""

from __future__ import annotations

import enum
import math
import re

Paisa = int
"""Alias that documents intent: an ``int`` holding an amount in paisa."""

RUPEE = "\u20b9"

_NUMBER = re.compile(r"^(?P<sign>[-+]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?$")


class MoneyError(ValueError):
    """Raised when text cannot be read as an amount of rupees."""


MAX_PRICE: Paisa = 10**10
"""The highest price (paisa per unit) accepted from outside: ₹10 crore, some 700× the dearest NSE share. Every
price from the feed, an ``order_response`` or a file goes through :func:`parse_price`, so nothing above this (nor
2⁶³−1, nor 1e308) is ever shown, compared or stored; it also keeps every price exact in a float and in SQLite."""

# ASCII only: str.isdigit() and float() also accept "²", "٣" and full-width digits
_WIRE_NUMBER = re.compile(r"[0-9]{1,19}(?:\.[0-9]{1,9})?", re.ASCII)


def wire_number(value: object) -> int | float | None:
    """A number as it arrives from outside (JSON int, float, or text of ASCII digits with an optional fraction):
    an ``int``/``float``, or None for anything else (bools, NaN, infinities, signs, Unicode digits, 5,000-digit
    text). Never raises. Range checks are the caller's (:func:`parse_price`, ``parse_quantity``)."""
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 29 or not _WIRE_NUMBER.fullmatch(text):
            return None
        return int(text) if "." not in text else float(text)
    return None


def parse_price(value: object, *, allow_zero: bool = False) -> Paisa | None:
    """A price in paisa from the wire or a file, or None when it is not a valid price.

    Valid: positive (zero too with ``allow_zero``, for the "no price" of market orders), at most
    :data:`MAX_PRICE`, written with ASCII digits; a fractional float (``120275.4``) is rounded to the paisa.
    This is the one definition of a valid price: the feed's fast and careful paths, ``order_response`` and the
    journal all use it."""
    number = wire_number(value)
    if number is None:
        return None
    if type(number) is float:
        if not -1 < number <= MAX_PRICE:  # checked before round(): round(1e308) is a 309-digit int
            return None
        number = round(number)
    if number > MAX_PRICE or number < 0 or (number == 0 and not allow_zero):
        return None
    return int(number)


def parse_rupees(text: str) -> Paisa:
    """Parse a rupee amount typed by a person into exact paisa.

    Accepts ``"2208.05"``, ``"2,208.05"``, ``"₹ 2,208.05"``, ``"2208"``, ``".5"``, ``"-12.3"``.
    Commas are accepted anywhere between digits (Indian and Western grouping are both common in
    what traders paste). More than two decimals is an error rather than a silent rounding: an order
    price must be exactly what the trader meant.
    """
    if not isinstance(text, str):
        raise MoneyError(f"expected text, got {type(text).__name__}")
    cleaned = text.strip().replace(RUPEE, "").replace("Rs.", "").replace("Rs", "").strip()
    cleaned = cleaned.replace(" ", "")
    if cleaned.startswith(("-", "+")):
        sign, body = cleaned[0], cleaned[1:]
    else:
        sign, body = "", cleaned
    if "," in body:
        if body.startswith(",") or ",," in body or ",." in body or body.endswith(","):
            raise MoneyError(f"'{text}' is not an amount (misplaced comma)")
        if "." in body and "," in body.split(".", 1)[1]:
            raise MoneyError(f"'{text}' is not an amount (comma after the decimal point)")
        body = body.replace(",", "")
    match = _NUMBER.match(sign + body)
    if not match or not (match.group("int") or match.group("frac")):
        raise MoneyError(f"'{text}' is not an amount in rupees")
    frac = match.group("frac") or ""
    if len(frac) > 2:
        raise MoneyError(f"'{text}' has more than two decimals (paisa is the smallest unit)")
    paisa = int(match.group("int") or "0") * 100 + int((frac + "00")[:2])
    return -paisa if match.group("sign") == "-" else paisa


def _group_indian(digits: str) -> str:
    """Group a string of digits the Indian way: last three, then pairs (1,23,45,678)."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return ",".join(pairs) + "," + tail


def format_rupees(paisa: Paisa, *, symbol: bool = True, sign: bool = False) -> str:
    """Render paisa as rupees with Indian grouping: ``220805`` → ``₹2,208.05``.

    ``sign=True`` always prints a sign (``+₹12.00``), which change columns want.
    """
    if not isinstance(paisa, int) or isinstance(paisa, bool):
        raise TypeError(f"paisa must be int, got {type(paisa).__name__}")
    negative = paisa < 0
    rupees, rest = divmod(abs(paisa), 100)
    body = f"{_group_indian(str(rupees))}.{rest:02d}"
    if symbol:
        body = RUPEE + body
    if negative:
        return "-" + body
    return ("+" + body) if sign and paisa > 0 else body


def format_plain(paisa: Paisa) -> str:
    """Render paisa as a plain decimal (``2208.05``) for CSV export and editable fields."""
    negative = paisa < 0
    rupees, rest = divmod(abs(paisa), 100)
    return f"{'-' if negative else ''}{rupees}.{rest:02d}"


class Rounding(enum.Enum):
    """Direction for :func:`round_to_tick`."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"


def round_to_tick(paisa: Paisa, tick: Paisa, mode: Rounding = Rounding.NEAREST) -> Paisa:
    """Round a price onto the exchange tick grid (ties in NEAREST go up, as exchanges quote)."""
    if tick <= 0:
        raise ValueError("tick size must be positive")
    low = (paisa // tick) * tick
    if low == paisa:
        return paisa
    if mode is Rounding.DOWN:
        return low
    if mode is Rounding.UP:
        return low + tick
    return low + tick if (paisa - low) * 2 >= tick else low


def is_on_tick(paisa: Paisa, tick: Paisa) -> bool:
    """True when ``paisa`` is a whole multiple of ``tick``."""
    return tick > 0 and paisa % tick == 0


def percent_change_bp(value: Paisa, reference: Paisa) -> int | None:
    """Change from ``reference`` in basis points (1/100 of a percent), or None without a reference.

    Integer arithmetic keeps the watchlist free of float drift; display divides by 100.
    """
    if reference <= 0:
        return None
    delta = (value - reference) * 10000
    # round half away from zero so +0.005% and -0.005% are symmetric
    q, r = divmod(abs(delta), reference)
    if r * 2 >= reference:
        q += 1
    return q if delta >= 0 else -q
