"""Colour algorithms."""
