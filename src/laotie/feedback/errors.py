"""Review and message error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class ReviewNotFound(NotFound):
    code = "review_not_found"


class NotYourReview(Forbidden):
    code = "not_your_review"


class ReviewNotAllowed(InvalidState):
    """The order is not delivered yet: a review is about goods the buyer has."""

    code = "review_not_allowed"


class ReviewExists(Conflict):
    code = "review_exists"


class ReplyExists(Conflict):
    code = "reply_exists"


class TooManyImages(Conflict):
    code = "too_many_images"


class FeedbackInvalid(DomainError):
    """Bad input caught by the service (pages send forms, not pydantic models)."""

    code = "invalid_request"
    status = 422
