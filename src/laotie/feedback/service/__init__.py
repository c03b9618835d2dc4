"""Feedback use cases: reviews with the shop's reply, messages per order."""
