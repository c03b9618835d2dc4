"""Alliance error codes: listings, promotions, attribution, commissions."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class ListingNotFound(NotFound):
    code = "listing_not_found"


class RateOutOfRange(DomainError):
    """Below the category's floor or above 100%."""

    code = "rate_out_of_range"
    status = 422


class NotYourProduct(Forbidden):
    code = "not_your_product"


class NotAdmitted(Forbidden):
    """The shop's score band or its violations keep it out of the library."""

    code = "shop_not_admitted"


class ProductNotListable(InvalidState):
    code = "product_not_listable"


class AlreadyListed(Conflict):
    code = "already_listed"


class ListingPaused(InvalidState):
    code = "listing_paused"


class AlreadyPromoting(Conflict):
    code = "already_promoting"


class PromotionNotFound(NotFound):
    code = "promotion_not_found"


class ExclusiveListing(Forbidden):
    code = "listing_exclusive"


class NotPromoting(Forbidden):
    """The product is not in the library, paused, or not taken by this creator."""

    code = "not_promoting"


class OwnProduct(Forbidden):
    code = "own_product"


class CategoryNotFound(NotFound):
    code = "category_not_found"
