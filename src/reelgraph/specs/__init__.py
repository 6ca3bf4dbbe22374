"""Delivery specs and their targets: configuration, not algorithms."""
