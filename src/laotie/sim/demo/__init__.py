"""The demo world: a deterministic marketplace seeded through the real services."""
