"""Alliance use cases: the selection library, creators' promotions, commissions through their life."""
