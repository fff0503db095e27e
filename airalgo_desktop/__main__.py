"""``python -m airalgo_desktop``: the app and its command-line tools."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point (the GUI arrives with the desktop issue; until then --demo runs the simulator)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--demo" in args:
        print("AirAlgo Desktop: the window is not built yet; starting the embedded simulator in demo mode.")
        from .sim.__main__ import main as sim_main

        return sim_main(["--port", "0"])
    print("usage: python -m airalgo_desktop --demo", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
