"""Shared plumbing: database, errors, events, jobs, types."""
