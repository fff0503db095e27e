"""Baselines measured in the same run as ours."""
