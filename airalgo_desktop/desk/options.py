"""The options desk: option chains (their legs streamed while open), the greeks of open F&O positions and their
payoff. It follows :class:`PositionsChanged` (open F&O positions stream with what prices them) and
:class:`InstrumentsChanged` (a new master is indexed again on next use) — through notices, never a call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from ..domain.nsetime import now_ist
from ..domain.options import PayoffLeg
from ..services.chain import (
    DEFAULT_WIDTH,
    ChainState,
    LegGreeks,
    OptionCatalog,
    payoff_legs,
    position_greeks,
)
from ..services.positions import PositionBook
from .notices import InstrumentsChanged, PositionsChanged
from .part import DeskContext, Part

POSITIONS_OWNER = "positions"  # subscription owner: open F&O positions and their underlyings


class OptionsDesk(Part):
    """Chains, greeks and payoff over the master's options; ``positions`` is the day's (read only), ``now`` the IST
    time expiries and time value are counted from."""

    def __init__(self, ctx: DeskContext, positions: PositionBook,
                 now: Callable[[], datetime] = now_ist) -> None:
        self.ctx = ctx
        self.positions = positions
        self.now = now
        self.chains: dict[str, ChainState] = {}  # open option chains by subscription owner
        self._catalog: OptionCatalog | None = None
        self._serial = 0
        ctx.on(PositionsChanged, self._want_fno_positions)
        ctx.on(InstrumentsChanged, self._forget_catalog)

    @property
    def catalog(self) -> OptionCatalog:
        """The master's options and futures by underlying and expiry (indexed on first use)."""
        if self._catalog is None:
            self._catalog = OptionCatalog(self.ctx.master)
        return self._catalog

    def _forget_catalog(self, _notice: InstrumentsChanged) -> None:
        self._catalog = None  # another master: its options are indexed again when next asked

    def open_chain(self, underlying: str, expiry: date | None = None, width: int = DEFAULT_WIDTH) -> ChainState:
        """A new option chain; its legs join the streamed tokens (reference-counted with the watchlist's) and
        follow the ATM strike as it moves. Raises ValueError when ``underlying`` has no options."""
        self._serial += 1
        owner = f"chain:{self._serial}"
        subscriptions = self.ctx.subscriptions
        chain = ChainState(self.catalog, self.ctx.store, underlying, expiry, width=width, today=self.now().date(),
                           on_tokens=lambda tokens: subscriptions.want(owner, tokens))
        self.chains[owner] = chain
        return chain

    def close_chain(self, chain: ChainState) -> None:
        """The chain's window closed: release its tokens (those the watchlist still wants stay streamed)."""
        for owner, open_chain in list(self.chains.items()):
            if open_chain is chain:
                del self.chains[owner]
        chain.close()

    def greeks(self, now: datetime | None = None) -> dict[str, LegGreeks]:
        """Delta/theta/vega of each open F&O position (see :func:`services.chain.position_greeks`)."""
        return position_greeks(self.positions, self.catalog, self.ctx.store, now or self.now(),
                               live=self.ctx.subscriptions.tokens)

    def payoff(self, underlying: str, now: datetime | None = None) -> list[PayoffLeg]:
        """The open option and future positions of ``underlying`` as payoff legs."""
        return payoff_legs(self.positions, self.catalog, self.ctx.store, underlying, now or self.now(),
                           live=self.ctx.subscriptions.tokens)

    def _want_fno_positions(self, _notice: PositionsChanged) -> None:
        """Stream open F&O positions with what prices them (underlying, same-expiry future): their greeks and
        payoff need live prices even with no chain or watchlist row showing them."""
        options = self.catalog
        tokens: list[str] = []
        for token, position in self.positions.positions.items():
            inst = options.get(token)
            if inst is None or inst.expiry is None or not position.net:
                continue
            tokens.append(token)
            spot = options.spot_tokens.get(inst.name)
            if spot:
                tokens.append(spot)
            future = options.futures(inst.name).get(inst.expiry)
            if future is not None:
                tokens.append(future.token)
        self.ctx.subscriptions.want(POSITIONS_OWNER, tokens)
