"""Order use cases, one module each: cart, checkout, payment, lifecycle, queries."""
