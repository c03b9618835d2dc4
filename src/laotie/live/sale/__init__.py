"""Selling in the room: the live cart and pinning, '3-2-1 上车' flash sales, coupons, lucky bags."""
