"""Samples (寄样): creators ask for a library product, merchants send it, creators must promote it in time."""
