"""The project folder: brief, store (typed queries) and audit log."""
