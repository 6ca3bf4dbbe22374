"""Deliver: approved, cleared masters out with manifests and checksums."""
