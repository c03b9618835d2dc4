"""Social error codes: follows, the inbox, profiles and feeds."""

from laotie.kit.errors import Conflict, NotFound


class UserNotFound(NotFound):
    code = "user_not_found"


class CannotFollowSelf(Conflict):
    code = "cannot_follow_self"


class NotificationNotFound(NotFound):
    code = "notification_not_found"
