"""A generated 250,000-row broker master of realistic shape (Kite CSV layout), for benchmarks and screenshots.

Shape of a real Kite dump: index options (NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY) on weekly and monthly expiries
with hundreds of strikes, ~180 stock underlyings with three monthly expiries and ~75 strikes a side, futures,
~2,500 NSE cash rows, NSE indices, BSE cash and SENSEX options, MCX and CDS contracts — all from ``today`` on.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

HEADER = ("instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,"
          "instrument_type,segment,exchange\n")
INDICES = (("NIFTY", 23500, 50, 75, 18), ("BANKNIFTY", 49500, 100, 30, 8), ("FINNIFTY", 23000, 50, 65, 8),
           ("MIDCPNIFTY", 12000, 25, 120, 8))


def _thursdays(today: date, count: int) -> list[date]:
    first = today + timedelta(days=(3 - today.weekday()) % 7)
    return [first + timedelta(weeks=i) for i in range(count)]


def _monthlies(today: date, count: int) -> list[date]:
    out: list[date] = []
    year, month = today.year, today.month
    while len(out) < count:
        nxt = date(year + month // 12, month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        last -= timedelta(days=(last.weekday() - 3) % 7)
        if last >= today:
            out.append(last)
        year, month = nxt.year, nxt.month
    return out


def generate(path: Path, today: date, rows: int = 250_000, seed: int = 7) -> int:
    """Write the master to ``path``; returns the number of data rows. RELIANCE is 2885 / NIFTY 23500 CE exists."""
    rng = random.Random(seed)
    lines: list[str] = []
    token = [40000]

    def nfo(sym: str, name: str, expiry: date, strike: int, lot: int, kind: str, exch: str = "NFO") -> None:
        token[0] += 1
        seg = f"{exch}-FUT" if kind == "FUT" else f"{exch}-OPT"
        lines.append(f"{token[0] * 256 + 3},{token[0]},{sym},\"{name}\",0,{expiry.isoformat()},{strike},0.05,"
                     f"{lot},{kind},{seg},{exch}")

    lines.append('738561,2885,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,NSE,NSE')
    lines.append('779521,3045,SBIN,"STATE BANK OF INDIA",0,,0,0.05,1,EQ,NSE,NSE')
    for i, (name, _, _, _, _) in enumerate(INDICES):
        lines.append(f"{256265 + i * 256},{26000 + i},{name} 50,\"{name}\",0,,0,0,0,EQ,INDICES,NSE")
    stocks = ["RELIANCE", "SBIN"] + [f"STK{i:03d}" for i in range(178)]
    for i in range(2500 - 2):
        sym = f"EQ{i:04d}" if i >= 178 else stocks[i + 2]
        lines.append(f"{(3000 + i) * 256 + 1},{3100 + i},{sym},\"{sym} LIMITED\",0,,0,0.05,1,EQ,NSE,NSE")
    weeklies = _thursdays(today, 18)
    monthlies = _monthlies(today, 3)
    for name, spot, step, lot, n_exp in INDICES:
        for m in monthlies:
            nfo(f"{name}{m:%y%b}FUT".upper(), name, m, 0, lot, "FUT")
        for expiry in sorted(set(weeklies[:n_exp]) | set(monthlies)):
            for k in range(-150, 151):
                strike = spot + k * step
                for kind in ("CE", "PE"):
                    nfo(f"{name}{expiry:%y%b}{strike}{kind}".upper(), name, expiry, strike, lot, kind)
    for s, name in enumerate(stocks):
        spot = 1000 + (s * 37) % 3000
        step = max(2, spot // 150)
        lot = 250 + (s * 13) % 1000
        for m in monthlies:
            nfo(f"{name}{m:%y%b}FUT".upper(), name, m, 0, lot, "FUT")
            for k in range(-75, 76):
                strike = spot + k * step
                if strike * 4 < spot:
                    continue
                for kind in ("CE", "PE"):
                    nfo(f"{name}{m:%y%b}{strike}{kind}".upper(), name, m, strike, lot, kind)
        if len(lines) >= rows * 0.80:
            break
    bse = 500000
    while len(lines) < rows * 0.86:
        bse += 1
        lines.append(f"{bse * 256 + 4},{bse},BSE{bse},\"BSE STOCK {bse}\",0,,0,0.01,1,EQ,BSE,BSE")
    sx = 800000
    while len(lines) < rows * 0.94:
        sx += 1
        e = weeklies[sx % 6]
        lines.append(f"{sx * 256 + 5},{sx},SENSEX{e:%y%b}{70000 + sx % 300 * 100}CE,\"SENSEX\",0,{e.isoformat()},"
                     f"{70000 + sx % 300 * 100},0.05,20,CE,BFO-OPT,BFO")
    mcx = 900000
    while len(lines) < rows:
        mcx += 1
        e = monthlies[mcx % 3]
        exch, seg = ("MCX", "MCX-OPT") if mcx % 3 else ("CDS", "CDS-OPT")
        lines.append(f"{mcx * 256 + 6},{mcx},CRUDE{e:%y%b}{5000 + mcx % 500 * 10}PE,\"CRUDEOIL\",0,{e.isoformat()},"
                     f"{5000 + mcx % 500 * 10},1,100,PE,{seg},{exch}")
    rng.shuffle(lines)
    path.write_text(HEADER + "\n".join(lines[:rows]) + "\n")
    return min(rows, len(lines))
