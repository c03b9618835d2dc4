"""After-sales use cases: requests and their states, shop policies, counterfeit claims (假一赔十)."""
