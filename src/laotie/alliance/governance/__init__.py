"""The alliance under governance: commissions on confirmed fake-order rings forfeited, cases against their promoters."""
