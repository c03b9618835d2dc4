"""Domain errors: a stable code, an HTTP status, a human message."""

from __future__ import annotations

from collections.abc import Mapping


def fill(text: str, values: Mapping[str, object]) -> str:
    """`text` with its %(name)s placeholders filled from `values`; as it is when it has none or they do not fit."""
    if "%(" not in text:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return text


class Message(str):
    """A refusal's English text, filled in, that keeps its message id and values.

    The API sends the text; a page translates the id (extracted by `laotie.kit.i18n_extract`) and fills the
    translation with the same values, so "at most %(limit)s per buyer" reads 每人限购 3 件 in Chinese.
    A refusal's values are its details; one that shows a value the details keep in another form (yuan
    written out, where the details keep fen) passes `Message(text, values)` as its message.
    """

    msgid: str
    values: Mapping[str, object]

    def __new__(cls, msgid: str, values: Mapping[str, object] | None = None) -> Message:
        if isinstance(msgid, Message):  # its own values win: `Message("¥%(need)s", {"need": "12.50"})` beside fen
            values = {**(values or {}), **msgid.values}
            msgid = msgid.msgid
        values = dict(values or {})
        self = super().__new__(cls, fill(msgid, values))
        self.msgid = msgid
        self.values = values
        return self


class DomainError(Exception):
    """A business refusal. Services raise it; endpoints and pages render it."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 field: str | None = None, **details: object) -> None:
        self.message: str = Message(message, details)
        super().__init__(str(self.message))
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": str(self.message)}
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
