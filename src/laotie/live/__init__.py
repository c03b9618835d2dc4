"""Live rooms: the session core, the media plane, chat, selling in the room, gifts, PK contests, analytics."""
