"""The social graph and content: follows, the inbox, short videos, profiles, the following feed."""
