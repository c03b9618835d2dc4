"""Live chat (弹幕): comments, moderation, counters, the room fan-out over WebSocket."""
