"""Plan: the brief and the analysis become a per-shot DAG with reasons."""
