"""Speed and memory figures for AirAlgo Desktop: ``python -m benchmarks [--quick] [--json PATH]``."""
