"""Live use cases: keys and sessions, the live cart, flash sales."""
