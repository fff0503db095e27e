"""Instrument universe: the demo F&O contracts, the catalog and its search."""
