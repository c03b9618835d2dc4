"""Simulator: synthetic worlds that drive the real services (the demo seeds from here)."""
