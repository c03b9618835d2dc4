"""Identity: accounts, roles, sessions and API tokens."""
