"""Analyse: measurements of every shot before planning."""
