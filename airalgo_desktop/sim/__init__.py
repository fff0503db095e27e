"""An AirAlgo-compatible server: token endpoint, Phoenix channel, market random walk, order engine, faults."""

from .server import SimConfig, SimServer

__all__ = ["SimConfig", "SimServer"]
