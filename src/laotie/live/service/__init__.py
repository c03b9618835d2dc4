"""The live session core: stream keys, sessions, presence."""
