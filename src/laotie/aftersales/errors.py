"""After-sales error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class AftersaleNotFound(NotFound):
    code = "aftersale_not_found"


class NotYourAftersale(Forbidden):
    code = "not_your_aftersale"


class AftersaleOpen(Conflict):
    code = "aftersale_open"


class AftersaleNotAllowed(InvalidState):
    code = "aftersale_not_allowed"


class AftersaleWrongState(InvalidState):
    code = "aftersale_wrong_state"


class AftersaleInvalid(DomainError):
    code = "invalid_request"
    status = 422


class ClaimNotFound(NotFound):
    code = "claim_not_found"


class ClaimExists(Conflict):
    code = "claim_exists"
