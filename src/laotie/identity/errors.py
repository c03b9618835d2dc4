"""Identity error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized


class UsernameTaken(Conflict):
    code = "username_taken"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class NotAuthenticated(Unauthorized):
    code = "not_authenticated"


class RoleRequired(Forbidden):
    code = "role_required"


class RoleNotSelfServe(DomainError):
    code = "role_not_self_serve"
    status = 403


class UserNotFound(NotFound):
    code = "user_not_found"


def unknown_token() -> NotAuthenticated:
    """The one refusal for a token that is not (or no longer) valid, wherever it is checked."""
    return NotAuthenticated("unknown or revoked token")
