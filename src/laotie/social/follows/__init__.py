"""Follows (关注), fan counts and follower brackets."""
