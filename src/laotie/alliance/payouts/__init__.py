"""Withdrawals of settled commission (佣金提现) through the gateway, and earnings by day."""
