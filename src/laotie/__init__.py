"""laotie: a self-hostable live-stream trust-commerce platform."""

__version__ = "0.1.0"
