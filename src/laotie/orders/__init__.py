"""Orders: cart, checkout without oversell, payments, shipping, receipt, completion."""
