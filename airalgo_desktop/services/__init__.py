"""Glue without widgets: order placement and tracking on top of the client."""
