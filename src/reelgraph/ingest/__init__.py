"""Ingest: sources in, probed, fingerprinted, registered as shots."""
