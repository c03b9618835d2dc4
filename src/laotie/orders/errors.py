"""Order error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class NotInCart(NotFound):
    code = "not_in_cart"


class NotYourOrder(Forbidden):
    code = "not_your_order"


class SoldOut(Conflict):
    code = "sold_out"


class PurchaseLimitExceeded(Conflict):
    code = "purchase_limit_exceeded"


class NotForSale(Conflict):
    code = "not_for_sale"


class OwnShop(DomainError):
    code = "own_shop"
    status = 403


class WrongOrderState(InvalidState):
    code = "wrong_order_state"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


class EmptyCart(DomainError):
    code = "empty_cart"
    status = 400


class BadSignature(DomainError):
    code = "bad_signature"
    status = 401


class BadNotification(DomainError):
    code = "bad_notification"
    status = 400


class AmountMismatch(DomainError):
    code = "amount_mismatch"
    status = 400


class CouponNotApplicable(Conflict):
    """The order does not meet the coupon's terms (its shop, its products, its minimum spend)."""

    code = "coupon_not_applicable"


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"
