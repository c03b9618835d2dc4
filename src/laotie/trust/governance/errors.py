"""Governance error codes (雷霆计划): cases, appeals, measures in force."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class UnknownViolation(DomainError):
    code = "unknown_violation"
    status = 422


class InvalidMeasures(DomainError):
    code = "invalid_measures"
    status = 422


class SubjectNotFound(NotFound):
    code = "subject_not_found"


class ShopNotSubjects(DomainError):
    """The shop named on a case is not the subject's: a fee must come from the right deposit."""

    code = "shop_not_subjects"
    status = 422


class ReasonRequired(DomainError):
    """Every decision says why: the audit log is worthless without it."""

    code = "reason_required"
    status = 422


class CaseNotFound(NotFound):
    code = "case_not_found"


class AppealNotFound(NotFound):
    code = "appeal_not_found"


class NotCaseSubject(Forbidden):
    code = "not_case_subject"


class AppealWindowClosed(InvalidState):
    code = "appeal_window_closed"


class AlreadyAppealed(Conflict):
    code = "already_appealed"


class CaseClosed(InvalidState):
    code = "case_closed"


class AppealDecided(Conflict):
    code = "appeal_already_decided"


class CartSuspended(Forbidden):
    code = "cart_suspended"


class ListingBanned(Forbidden):
    code = "listing_banned"
