"""PK contests between two live rooms."""
