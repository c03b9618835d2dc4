"""Sale use cases: the live cart, flash sales, in-room coupons, lucky bags (福袋)."""
