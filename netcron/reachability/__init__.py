"""Reachability history beyond the inventory: state-change events, their counters, prefix-scan results."""
