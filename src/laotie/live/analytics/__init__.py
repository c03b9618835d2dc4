"""Live analytics: per-minute counters, the session summary, the console's charts."""
