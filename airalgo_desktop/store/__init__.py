"""State that outlives a frame: the market-data store and (later) the SQLite order journal."""
