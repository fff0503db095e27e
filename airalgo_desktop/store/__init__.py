"""State that outlives a frame: the SQLite order journal, the day's one-minute bars (bars.db), the imported
instrument master, and the in-memory market-data store (latest tick per token + dirty set). No Qt."""
