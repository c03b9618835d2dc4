"""Domain errors: a stable code, an HTTP status, a human message."""

from __future__ import annotations


class DomainError(Exception):
    """A business refusal. Services raise it; endpoints and pages render it."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidState(DomainError):
    """The thing exists but is not in a state that allows this action."""

    code = "invalid_state"
    status = 409
