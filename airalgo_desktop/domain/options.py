"""Option pricing for NSE F&O: Black-76 prices, implied volatility, greeks and payoffs. Pure: numpy only, no Qt.

**Model.** Indian index and stock options are European and settle to the underlying's price at expiry; terminals
(Kite, Sensibull) price them with **Black-76 on the future of the same expiry**, or, where no such future exists
(weekly expiries), on the forward implied by put-call parity at the at-the-money strike. NSE's own chain uses
Black-Scholes on spot with a flat 10 % rate; on a forward the rate only discounts the premium, so Black-76 does not
need the dividend yield or cost of carry that the spot model has to guess.

**Rate.** :data:`DEFAULT_RATE` is 6 %: about India's 91-day treasury-bill yield over 2024-25 (5.3-6.9 %). In Black-76
it only discounts the premium (``e^{-rt}``), so an error of one point changes a 30-day ATM premium by < 0.1 % and
its IV by less than that; pass ``rate=`` to use another (NSE's 10 % to match its chain).

**Time.** Options expire at 15:30 IST on the expiry date; :func:`years_to_expiry` counts calendar time to then in
years of 365 days (theta is therefore per calendar day, as Kite and Sensibull show it).

**Solver.** Measured here (CPython 3.11, one core, shared machine; ``python -m benchmarks`` prints the figure):

* ``vollib`` 1.0.11 (LetsBeRational, pure Python, scalar): ~37,000 solves/s, error ~1e-16; it has no vectorised
  entry point and pulls in scipy and pandas (~200 MB), which the frozen app would carry.
* ``opengreeks`` 0.2.0 (Rust, has ``implied_volatility_array``): does not import on CPython 3.11 — its abi3 wheel
  calls ``PyErr_SetRaisedException`` (3.12+), so ``import opengreeks`` raises ImportError here (0.1.0 too).
* this module's vectorised solver (numpy; Newton-Raphson on the normalised Black price with a bisection safeguard,
  started from the Manaster-Koehler inflection point or, in the low-price region, from the small-vol asymptote
  and run on ``ln b``): ~800,000 solves/s on a 10,000-leg batch and 85,000-135,000/s on a single 164-leg chain
  (numpy's per-call overhead; about 2.5x that when warm-started from the previous IVs, as the chain does),
  recovering the input vol to ~1e-11 over NSE-like inputs where vollib's prices agree with ours to 1e-11
  (tests/domain/test_options.py, benchmarks/options.py). So it is hand-rolled: measured faster, at the accuracy
  that matters.

The normal CDF is W. J. Cody's rational Chebyshev approximation of erfc (Math. Comp. 23, 1969, 631-638; Netlib
SPECFUN CALERF), vectorised: numpy has no erf and scipy is not a dependency.

Prices, strikes and P&L at the boundary of this module are integer paisa; the maths is float rupees inside.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

from .instruments import Instrument
from .money import Paisa
from .nsetime import IST

DEFAULT_RATE = 0.06
EXPIRY_TIME = time(15, 30)
YEAR_SECONDS = 365.0 * 86400.0
MIN_YEARS = 60.0 / YEAR_SECONDS  # below a minute to expiry nothing is priced: the option is its intrinsic value

# ----------------------------------------------------------------------------------------------- normal CDF
# Cody (1969) coefficients for erf on |x| <= 0.46875, erfc on 0.46875 < |x| <= 4 and erfc on |x| > 4.
_A = (3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153)
_B = (23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062)
_C = (0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
      1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8)
_D = (15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
      4362.61909014324716, 3439.36767414372164, 1230.33935480374942)
_P = (0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
      6.58749161529837803e-4, 0.0163153871373020978)
_Q = (2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191,
      0.00233520497626869185)
_SQRPI = 0.56418958354775628695  # 1/sqrt(pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _erfc(x: np.ndarray) -> np.ndarray:
    """erfc(x) for a float array, relative accuracy ~1e-16 (Cody's CALERF, vectorised by region)."""
    y = np.abs(x)
    out = np.empty_like(y)
    small = y <= 0.46875
    if small.any():
        ys = y[small]
        ysq = ys * ys
        num = _A[4] * ysq
        den = ysq
        for i in range(3):
            num = (num + _A[i]) * ysq
            den = (den + _B[i]) * ysq
        out[small] = 1.0 - ys * (num + _A[3]) / (den + _B[3])
    mid = (~small) & (y <= 4.0)
    if mid.any():
        ym = y[mid]
        num = _C[8] * ym
        den = ym
        for i in range(7):
            num = (num + _C[i]) * ym
            den = (den + _D[i]) * ym
        # exp(-y²) split as exp(-ysq²)·exp(-del) keeps the tail's relative accuracy (Cody's trick)
        ysq = np.trunc(ym * 16.0) / 16.0
        out[mid] = (num + _C[7]) / (den + _D[7]) * np.exp(-ysq * ysq) * np.exp(-(ym - ysq) * (ym + ysq))
    big = y > 4.0
    if big.any():
        yb = y[big]
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            z = 1.0 / (yb * yb)
            num = _P[5] * z
            den = z
            for i in range(4):
                num = (num + _P[i]) * z
                den = (den + _Q[i]) * z
            r = z * (num + _P[4]) / (den + _Q[4])
            r = (_SQRPI - r) / yb
            ysq = np.trunc(yb * 16.0) / 16.0
            val = r * np.exp(-ysq * ysq) * np.exp(-(yb - ysq) * (yb + ysq))
        out[big] = np.where(yb >= 26.543, 0.0, val)
    neg = x < 0
    if neg.any():
        out[neg] = 2.0 - out[neg]
    return out


def norm_cdf(x: np.ndarray | float) -> np.ndarray:
    """Standard normal CDF, accurate in the far tails (where option time values live)."""
    arr = np.asarray(x, dtype=float)
    return 0.5 * _erfc(-arr.reshape(-1) * _INV_SQRT2).reshape(arr.shape)


def norm_pdf(x: np.ndarray | float) -> np.ndarray:
    """Standard normal density."""
    arr = np.asarray(x, dtype=float)
    return _INV_SQRT2PI * np.exp(-0.5 * arr * arr)


# ----------------------------------------------------------------------------------------------- Black-76
def _arrays(*values: object) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v, dtype=float) for v in np.broadcast_arrays(*values))


def black76(forward: object, strike: object, years: object, vol: object, is_call: object,
            rate: float = DEFAULT_RATE) -> np.ndarray:
    """Black-76 premium (discounted), rupees or paisa alike — the units of ``forward`` and ``strike``.

    Every argument broadcasts; ``is_call`` is a bool or bool array. At or after expiry (or zero vol) the premium is
    the discounted intrinsic value.
    """
    f, k, t, v = _arrays(forward, strike, years, vol)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), f.shape)
    disc = np.exp(-rate * np.maximum(t, 0.0))
    s = v * np.sqrt(np.maximum(t, 0.0))
    live = s > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.where(live, np.log(f / k) / np.where(live, s, 1.0) + 0.5 * s, 0.0)
    d2 = d1 - s
    sign = np.where(call, 1.0, -1.0)
    value = sign * (f * norm_cdf(sign * d1) - k * norm_cdf(sign * d2))
    intrinsic = np.maximum(sign * (f - k), 0.0)
    return disc * np.where(live, np.maximum(value, intrinsic), intrinsic)


@dataclass(frozen=True, slots=True)
class Greeks:
    """Greeks of one option or arrays of them (per 1 unit of the underlying).

    ``delta`` in underlying units per unit; ``gamma`` per rupee of the forward; ``theta`` in rupees per calendar
    day (negative for a long option); ``vega`` in rupees per 1 vol point (1 %).
    """

    delta: np.ndarray
    gamma: np.ndarray
    theta: np.ndarray
    vega: np.ndarray


def greeks(forward: object, strike: object, years: object, vol: object, is_call: object,
           rate: float = DEFAULT_RATE) -> Greeks:
    """Black-76 greeks (Haug, *The Complete Guide to Option Pricing Formulas*, 2nd ed., §1.1.6 and §2.1).

    Inputs in rupees. NaN vol → NaN greeks (the caller shows "—").
    """
    f, k, t, v = _arrays(forward, strike, years, vol)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), f.shape)
    t = np.maximum(t, MIN_YEARS)
    sqrt_t = np.sqrt(t)
    s = v * sqrt_t
    disc = np.exp(-rate * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = np.log(f / k) / s + 0.5 * s
        d2 = d1 - s
        pdf = norm_pdf(d1)
        sign = np.where(call, 1.0, -1.0)
        delta = sign * disc * norm_cdf(sign * d1)
        gamma = disc * pdf / (f * s)
        vega_unit = disc * f * pdf * sqrt_t
        premium = disc * sign * (f * norm_cdf(sign * d1) - k * norm_cdf(sign * d2))
        # ∂V/∂(calendar time): decay of the variance term, plus the premium's discount unwinding (Haug 1.1.6)
        theta_year = -disc * f * pdf * v / (2.0 * sqrt_t) + rate * premium
    return Greeks(delta=delta, gamma=gamma, theta=theta_year / 365.0, vega=vega_unit / 100.0)


# ----------------------------------------------------------------------------------------------- implied vol
def _normalised_call(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Normalised Black call b(x, s) = e^{x/2}Φ(x/s + s/2) − e^{-x/2}Φ(x/s − s/2) (Jäckel's notation), x <= 0."""
    h = x / s
    n = h.size
    both = norm_cdf(np.concatenate((h + 0.5 * s, h - 0.5 * s)))  # one vectorised pass: per-call overhead dominates
    return np.exp(0.5 * x) * both[:n] - np.exp(-0.5 * x) * both[n:]


def _normalised_vega(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """∂b/∂s = φ(x/s + s/2)·e^{x/2}."""
    h = x / s
    return np.exp(0.5 * x) * norm_pdf(h + 0.5 * s)


def _solve_normalised(beta: np.ndarray, x: np.ndarray, *, tol: float = 1e-10, max_iter: int = 60,
                      start: np.ndarray | None = None) -> np.ndarray:
    """Total vol s = σ√t with b(x, s) = beta, for out-of-the-money calls (x <= 0, 0 < beta < e^{x/2}).

    Newton from the inflection point s_c = √(2|x|) (Manaster & Koehler 1982: monotone from there in the upper
    region). Below b(x, s_c) the price is exponentially flat in s, so Newton runs on ln b, which is close to
    linear there; a bracket [lo, hi] kept from the signs of the residual catches any step that leaves it.
    """
    n = beta.size
    s = np.sqrt(2.0 * np.abs(x))
    s = np.where(s < 1e-3, np.sqrt(2.0 * np.pi) * beta / np.exp(0.5 * x), s)  # ATM: b ≈ s/√(2π)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    b_c = _normalised_call(x, np.maximum(s, 1e-300))
    low_region = beta < b_c
    log_beta = np.log(beta)
    if low_region.any():
        # small-s asymptote ln b ≈ −x²/(2s²) + 3·ln s − 2·ln|x| − ln√(2π): a few fixed-point rounds start Newton
        # next to the root instead of at s_c, where ln b is still far off and the first step overshoots to s < 0
        xl = np.abs(x[low_region])
        rhs = log_beta[low_region] + 2.0 * np.log(np.maximum(xl, 1e-300)) + 0.5 * math.log(2.0 * math.pi)
        guess = s[low_region].copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            for _ in range(3):
                guess = xl / np.sqrt(2.0 * (3.0 * np.log(guess) - rhs))
        s_c = s[low_region]
        s[low_region] = np.where(np.isfinite(guess) & (guess > 0) & (guess < s_c), guess, 0.5 * s_c)
    if start is not None:
        # warm start (a chain re-solving the legs it solved a moment ago): two or three Newton steps instead of ~10
        usable = np.isfinite(start) & (start > 0)
        s = np.where(usable, start, s)
    active = np.arange(n)
    for _ in range(max_iter):
        sa, xa, ba = s[active], x[active], beta[active]
        b = _normalised_call(xa, sa)
        vega = _normalised_vega(xa, sa)
        above = b > ba
        hi[active] = np.where(above, np.minimum(hi[active], sa), hi[active])
        lo[active] = np.where(above, lo[active], np.maximum(lo[active], sa))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = np.where(
                low_region[active],
                (np.log(b) - log_beta[active]) * b / vega,
                (b - ba) / vega,  # vega can underflow to 0 far out: inf → bisection below
            )
            new = sa - step
        bad = ~np.isfinite(new) | (new < lo[active]) | (new > hi[active])  # a zero step stays
        bisect = np.where(np.isfinite(hi[active]), 0.5 * (lo[active] + hi[active]), 2.0 * sa)
        new = np.where(bad, bisect, new)
        s[active] = new
        done = np.abs(new - sa) <= tol * np.maximum(new, 1e-12)
        active = active[~done]
        if active.size == 0:
            break
    return s


def implied_vol(price: object, forward: object, strike: object, years: object, is_call: object,
                rate: float = DEFAULT_RATE, guess: object = None) -> np.ndarray:
    """Black-76 implied volatility (annual, 0.15 = 15 %), vectorised. NaN where no volatility explains the price.

    NaN (shown as "—") when: the price is at or below the intrinsic value (a deep ITM quote below parity; just
    above it Black-76's discounting alone would explain the gap with some vol, a number that means nothing), at or
    above the forward's (call) or strike's (put) discounted value, not positive, or expiry has
    passed. It works on the out-of-the-money side of put-call parity (time value only), so a deep ITM quote is
    solved as accurately as its OTM twin. ``guess`` (vols, NaN where unknown) starts the solver near the answer,
    e.g. the IVs of the previous refresh; the result does not depend on it.
    """
    p, f, k, t = _arrays(price, forward, strike, years)
    call = np.broadcast_to(np.asarray(is_call, dtype=bool), p.shape).reshape(-1)
    p, f, k, t = (a.reshape(-1) for a in (p, f, k, t))
    out = np.full(p.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        undiscounted = p * np.exp(rate * np.maximum(t, 0.0))
        intrinsic = np.where(call, np.maximum(f - k, 0.0), np.maximum(k - f, 0.0))
        time_value = undiscounted - intrinsic  # = the OTM twin's undiscounted price, by parity
        root = np.sqrt(f * k)
        beta = time_value / root
        x = -np.abs(np.log(f / k))
        ok = (
            # at or under the undiscounted intrinsic value the 'IV' would only measure the rate: no answer
            np.isfinite(beta) & (t >= MIN_YEARS) & (p > intrinsic) & (p > 0) & (f > 0) & (k > 0)
            & (time_value > 1e-12 * root) & (beta < np.exp(0.5 * x) * (1 - 1e-12))
        )
    if ok.any():
        start = None
        if guess is not None:
            g = np.broadcast_to(np.asarray(guess, dtype=float), out.shape)
            start = g[ok] * np.sqrt(t[ok])
        s = _solve_normalised(beta[ok], x[ok], start=start)
        out[ok] = s / np.sqrt(t[ok])
    return out.reshape(np.shape(np.broadcast_arrays(price, forward, strike, years)[0]))


def implied_vol_or_none(price: Paisa, forward: Paisa, strike: Paisa, years: float, is_call: bool,
                        rate: float = DEFAULT_RATE) -> float | None:
    """Scalar IV from paisa (the chain's LTP), or None where the price makes no sense."""
    value = float(implied_vol(price, forward, strike, years, is_call, rate))
    return value if math.isfinite(value) else None


# ----------------------------------------------------------------------------------------------- vol surface
@dataclass(frozen=True, slots=True)
class VolSurface:
    """A parametric smile with a term structure, for the simulator and the demo's reference premia.

    ATM vol rises into expiry (``term_boost`` more at 0 days, fading over ``term_days``), and across strikes it
    follows a quadratic in standardised moneyness z = ln(K/F)/(σ_atm·√t): negative ``skew`` makes puts below the
    forward dearer, as NSE index chains show; capped to 0.5-3 × ATM so the far wings stay sane.
    """

    atm: float
    term_boost: float = 0.25
    term_days: float = 10.0
    skew: float = -0.08
    curvature: float = 0.025

    def atm_vol(self, years: float) -> float:
        """ATM vol for a time to expiry."""
        return self.atm * (1.0 + self.term_boost * math.exp(-years * 365.0 / self.term_days))

    def vol(self, forward: float, strike: float, years: float) -> float:
        """Vol of one strike (scalar)."""
        base = self.atm_vol(years)
        z = math.log(strike / forward) / (base * math.sqrt(max(years, MIN_YEARS)))
        return base * min(3.0, max(0.5, 1.0 + self.skew * z + self.curvature * z * z))

    def vols(self, forward: np.ndarray, strike: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`vol`."""
        base = self.atm * (1.0 + self.term_boost * np.exp(-years * 365.0 / self.term_days))
        z = np.log(strike / forward) / (base * np.sqrt(np.maximum(years, MIN_YEARS)))
        return base * np.clip(1.0 + self.skew * z + self.curvature * z * z, 0.5, 3.0)


# ----------------------------------------------------------------------------------------------- underlyings
# index rows as broker masters name them → the name their F&O contracts carry
INDEX_ALIASES = {"NIFTY 50": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTY FIN SERVICE": "FINNIFTY",
                 "NIFTY MID SELECT": "MIDCPNIFTY", "NIFTY NEXT 50": "NIFTYNXT50"}


def underlying_tokens(instruments: Iterable[Instrument]) -> dict[str, str]:
    """F&O underlying name → token of its price row: ``INDEX`` rows by name (or a master's index symbol such as
    "NIFTY 50"), cash rows by symbol."""
    rows = list(instruments)
    out: dict[str, str] = {}
    for inst in rows:
        if inst.instrument_type == "INDEX":
            key = INDEX_ALIASES.get(inst.symbol.upper(), inst.name or inst.symbol)
            out.setdefault(key, inst.token)
    for inst in rows:
        if inst.instrument_type == "EQ" and inst.expiry is None:
            out.setdefault(INDEX_ALIASES.get(inst.symbol.upper(), inst.symbol), inst.token)
    return out


# ----------------------------------------------------------------------------------------------- time, forward
def expiry_moment(expiry: date) -> datetime:
    """When a contract stops trading: 15:30 IST on its expiry date."""
    return datetime.combine(expiry, EXPIRY_TIME, tzinfo=IST)


def years_to_expiry(expiry: date, now: datetime) -> float:
    """Calendar years from ``now`` (aware) to 15:30 IST on ``expiry``; 0 once it has passed."""
    return max(0.0, (expiry_moment(expiry) - now).total_seconds() / YEAR_SECONDS)


def days_to_expiry(expiry: date, today: date) -> int:
    """Whole calendar days to expiry, as chains label their expiry tabs (0 on expiry day)."""
    return (expiry - today).days


def parity_forward(call: Paisa, put: Paisa, strike: Paisa, years: float, rate: float = DEFAULT_RATE) -> Paisa:
    """Forward implied by put-call parity at one strike: F = K + (C − P)·e^{rt} (paisa)."""
    return round(strike + (call - put) * math.exp(rate * years))


@dataclass(frozen=True, slots=True)
class ForwardQuote:
    """The forward an expiry's options are priced on, and where it came from (``"future"`` or ``"parity"``)."""

    price: Paisa
    source: str
    strike: Paisa = 0  # the strike whose call/put pair gave the parity forward


def choose_forward(
    future: Paisa | None,
    pairs: Sequence[tuple[Paisa, Paisa | None, Paisa | None]],
    spot: Paisa | None,
    years: float,
    rate: float = DEFAULT_RATE,
) -> ForwardQuote | None:
    """The forward for one expiry: the same-expiry future's price when there is one, else put-call parity at the
    strike nearest ``spot`` (or the future of another expiry, as a guess of where ATM is) with both legs priced.

    ``pairs`` are ``(strike, call_ltp, put_ltp)``; None where a leg has no price yet.
    """
    if future is not None and future > 0:
        return ForwardQuote(future, "future")
    priced = [(k, c, p) for k, c, p in pairs if c and p and c > 0 and p > 0]
    if not priced:
        return None
    if spot is None or spot <= 0:
        # no reference: the strike where call and put are closest is ATM by definition
        k, c, p = min(priced, key=lambda row: abs(row[1] - row[2]))
    else:
        k, c, p = min(priced, key=lambda row: abs(row[0] - spot))
    return ForwardQuote(parity_forward(c, p, k, years, rate), "parity", k)


def atm_strike(strikes: Sequence[Paisa], forward: Paisa) -> Paisa | None:
    """The listed strike nearest the forward (ties go to the lower strike)."""
    if not strikes:
        return None
    return min(strikes, key=lambda k: (abs(k - forward), k))


# ----------------------------------------------------------------------------------------------- payoff
@dataclass(frozen=True, slots=True)
class PayoffLeg:
    """One position of a strategy: a net quantity in units (lots × lot size; negative = short; 0 once squared off)
    of an option (``kind`` CE/PE, ``strike``) or a future (``kind`` FUT), and ``cash``: the paisa it has put in or taken
    out so far (sell value − buy value, as the positions tab adds it up). P&L at a price = cash + quantity × value
    there.

    For the "today" curve of a book with several expiries, each leg carries its own expiry's ``forward`` now and its
    ``mark`` (last traded price): :func:`payoff_today` moves every leg's forward with the underlying and anchors the
    leg at its mark, so at the current level the P&L is the positions tab's, to the paisa.
    """

    kind: str
    quantity: int
    cash: Paisa
    strike: Paisa = 0
    expiry: date | None = None
    vol: float | None = None  # current IV, for the "today" curve
    forward: Paisa | None = None  # this leg's expiry's forward now (None: unknown, the chart's level stands in)
    mark: Paisa | None = None  # the leg's current price (LTP); None: valued by the model alone

    @classmethod
    def opened(cls, kind: str, quantity: int, price: Paisa, strike: Paisa = 0, expiry: date | None = None,
               vol: float | None = None) -> PayoffLeg:
        """A leg opened at ``price`` (long when ``quantity`` > 0)."""
        return cls(kind, quantity, -quantity * price, strike, expiry, vol)

    def value_at_expiry(self, underlying: Paisa) -> Paisa:
        """The contract's settlement value per unit at an underlying price (exact)."""
        if self.kind == "CE":
            return max(underlying - self.strike, 0)
        if self.kind == "PE":
            return max(self.strike - underlying, 0)
        return underlying

    def pnl_at_expiry(self, underlying: Paisa) -> Paisa:
        """Exact P&L in paisa if the underlying settles at ``underlying``."""
        return self.cash + self.quantity * self.value_at_expiry(underlying)


def payoff_at_expiry(legs: Iterable[PayoffLeg], prices: Iterable[Paisa]) -> list[Paisa]:
    """Total P&L (paisa, exact) of ``legs`` for each settlement price."""
    legs = list(legs)
    return [sum(leg.pnl_at_expiry(p) for leg in legs) for p in prices]


def _model_value(leg: PayoffLeg, forward: np.ndarray, now: datetime, rate: float) -> np.ndarray:
    """Per-unit value of ``leg`` at each forward of its own expiry now: Black-76 at its IV (intrinsic without one)."""
    if leg.kind in ("CE", "PE") and leg.expiry is not None:
        t = years_to_expiry(leg.expiry, now)
        vol = leg.vol if leg.vol is not None and leg.vol > 0 else 0.0
        return np.asarray(black76(forward, float(leg.strike), t, vol, leg.kind == "CE", rate), dtype=float)
    if leg.kind in ("CE", "PE"):
        return np.maximum((forward - leg.strike) if leg.kind == "CE" else (leg.strike - forward), 0.0)
    return forward


def payoff_today(legs: Iterable[PayoffLeg], prices: Sequence[Paisa], now: datetime,
                 rate: float = DEFAULT_RATE, reference: Paisa | None = None) -> list[Paisa]:
    """Total P&L (paisa, rounded) if the underlying moved to each price now, options re-priced with Black-76 at
    their current IV (a leg without an IV at intrinsic).

    Without ``reference`` each price is every leg's forward (a book of one expiry, legs without forwards). With
    ``reference`` — the underlying's level now on the same scale as ``prices`` — each leg keeps its own expiry: its
    forward moves in proportion (``leg.forward × price / reference``) and a leg with a ``mark`` is valued at that mark
    plus the model's change from its forward now. So at ``reference`` the P&L is Σ cash + quantity × mark exactly
    (the positions tab's total at the current prices), whatever the mix of expiries.
    """
    grid = np.asarray(prices, dtype=float)
    total = np.zeros(grid.shape)
    for leg in legs:
        total += leg.cash
        if not leg.quantity:
            continue  # squared off: its booked P&L only
        if reference is None or reference <= 0:
            total += leg.quantity * _model_value(leg, grid, now, rate)
            continue
        base = float(leg.forward if leg.forward is not None and leg.forward > 0 else reference)
        # base × (price / reference), not (base / reference) × price: the ratio is exactly 1.0 at the reference
        value = _model_value(leg, base * (grid / float(reference)), now, rate)
        if leg.mark is not None:
            value = leg.mark + (value - _model_value(leg, np.array([base]), now, rate)[0])
        total += leg.quantity * value
    return [int(v) for v in np.rint(total)]


@dataclass(frozen=True, slots=True)
class PayoffSummary:
    """Breakevens and extremes of a strategy at expiry. None for an unbounded side."""

    breakevens: list[Paisa]
    max_profit: Paisa | None
    max_loss: Paisa | None


def payoff_summary(legs: Sequence[PayoffLeg]) -> PayoffSummary:
    """Breakevens (rounded to the paisa) and max profit/loss at expiry over underlying prices 0 … ∞.

    At expiry the payoff is piecewise linear with kinks at the strikes, so it is evaluated exactly at 0 and at each
    strike, and the slope past the highest strike decides whether the upside is bounded.
    """
    legs = list(legs)
    kinks = sorted({0, *(leg.strike for leg in legs if leg.kind in ("CE", "PE"))})
    values = payoff_at_expiry(legs, kinks)
    # slope per paisa beyond the last kink: calls and futures keep moving with the underlying
    slope = sum(leg.quantity for leg in legs if leg.kind in ("CE", "FUT"))
    breakevens: list[Paisa] = []
    points = list(zip(kinks, values, strict=True))
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if y0 == 0 and (not breakevens or breakevens[-1] != x0) and x0 > 0:
            breakevens.append(x0)
        if (y0 < 0 < y1) or (y1 < 0 < y0):
            breakevens.append(round(x0 + (x1 - x0) * (-y0) / (y1 - y0)))
    last_x, last_y = points[-1]
    if last_y == 0 and last_x > 0 and (not breakevens or breakevens[-1] != last_x):
        breakevens.append(last_x)
    if slope and (last_y < 0 < slope or slope < 0 < last_y):
        breakevens.append(round(last_x - last_y / slope))
    max_profit = None if slope > 0 else max(values)
    max_loss = None if slope < 0 else min(values)
    return PayoffSummary(breakevens, max_profit, max_loss)


def price_grid(centre: Paisa, strikes: Sequence[Paisa], points: int = 201, span: float = 0.12,
               tick: Paisa = 5) -> list[Paisa]:
    """Underlying prices for a payoff chart: ±``span`` around ``centre``, widened to include every strike, on the
    tick grid, ``points`` long (kinks at strikes are added so the expiry line is drawn exactly)."""
    low = min([int(centre * (1 - span)), *(int(k * 0.97) for k in strikes)])
    high = max([int(centre * (1 + span)), *(int(k * 1.03) for k in strikes)])
    low = max(tick, low - low % tick)
    step = max(tick, ((high - low) // max(points - 1, 1)) // tick * tick)
    grid = set(range(low, high + step, step))
    grid.update(k for k in strikes if low <= k <= high)
    return sorted(grid)
