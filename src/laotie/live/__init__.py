"""Live rooms: stream keys, sessions, the live cart and pinning, '3-2-1 上车' flash sales, chat."""
