"""After-sales and guarantees (信任购): refunds, returns, exchanges, arbitration, counterfeit claims."""
