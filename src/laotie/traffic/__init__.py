"""Traffic: the discovery and following feeds, their ranking, explanations and operator targets."""
