"""Orchestrator: graph, cache keys, artifact store, budget, executors, events."""
