"""The inbox (消息): go-live notices to followers, unread counts, the push to open pages."""
