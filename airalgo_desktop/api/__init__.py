"""The AirAlgo protocol: Phoenix codec, channel state machine, asyncio client. Knows nothing of Qt."""
