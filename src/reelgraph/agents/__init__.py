"""Agents: thin adapters that stream media through the algorithms."""
