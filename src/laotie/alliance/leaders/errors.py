"""Group-leader error codes: offers, the sub-library."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class FeeOutOfRange(DomainError):
    """A leader's fee is 0–90% of the commission."""

    code = "fee_out_of_range"
    status = 422


class OfferNotFound(NotFound):
    code = "offer_not_found"


class NotYourOffer(Forbidden):
    """Only the listing's merchant decides an offer; only its leader or merchant ends it."""

    code = "not_your_offer"


class OfferDecided(InvalidState):
    code = "offer_decided"


class AlreadyOffered(Conflict):
    code = "already_offered"


class NotInSubLibrary(NotFound):
    """No accepted offer of this leader on this listing."""

    code = "not_in_sub_library"


class OwnSubLibrary(Forbidden):
    code = "own_sub_library"
