"""Page routes, grouped by who uses them."""
