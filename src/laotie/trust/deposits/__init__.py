"""Merchant deposits (保证金): requirements per category, top-ups, deductions."""
