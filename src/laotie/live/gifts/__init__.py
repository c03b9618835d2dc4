"""Gifts and ranking (打赏, 打榜): coins bought through the gateway, gifts, the room's ranking."""
