"""Score use cases: recompute and read stored scores; operators' settings and policy."""
