"""Live error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class SessionNotFound(NotFound):
    code = "live_session_not_found"


class NotYourRoom(Forbidden):
    code = "not_your_room"


class LiveNotAllowed(Forbidden):
    code = "live_not_allowed"


class UnknownStreamKey(Forbidden):
    code = "unknown_stream_key"


class LiveSuspended(Forbidden):
    code = "live_suspended"


class SessionNotLive(InvalidState):
    code = "session_not_live"


class AlreadyLive(Conflict):
    code = "already_live"


class NotInLiveCart(DomainError):
    code = "not_in_live_cart"
    status = 400


class FlashNotFound(NotFound):
    code = "flash_not_found"


class FlashNotOpen(InvalidState):
    code = "flash_not_open"


class FlashSoldOut(Conflict):
    code = "sold_out"


class FlashCapReached(Conflict):
    code = "purchase_limit_exceeded"


class CommentEmpty(DomainError):
    code = "comment_empty"
    status = 400


class CommentTooLong(DomainError):
    code = "comment_too_long"
    status = 400


class CommentBlocked(DomainError):
    """The comment carries a word the room refuses (luring buyers away, fraud, ...)."""

    code = "comment_blocked"
    status = 400


class ChatMuted(Forbidden):
    code = "muted"


class ChatBanned(Forbidden):
    code = "banned"


class ChatRateLimited(DomainError):
    code = "rate_limited"
    status = 429


class LatencyReportsTooFrequent(DomainError):
    """A viewer (or an address) reports its latency more often than a player does."""

    code = "rate_limited"
    status = 429


class NotModerator(Forbidden):
    code = "not_moderator"


class MessageNotFound(NotFound):
    code = "chat_message_not_found"


class CannotModerate(Forbidden):
    """The host, moderators and operators are out of reach of a moderator's mute or ban."""

    code = "cannot_moderate"


class NoShopToFund(Forbidden):
    """Coupons and lucky bags are paid for by a shop: the host needs one."""

    code = "host_has_no_shop"


class NotPresent(Forbidden):
    """Room promotions are for viewers in the room (see live/service/presence.py)."""

    code = "not_in_room"


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class CouponInvalid(DomainError):
    code = "coupon_invalid"
    status = 400


class CouponNotPushed(InvalidState):
    code = "coupon_not_pushed"


class CouponExpired(InvalidState):
    code = "coupon_expired"


class CouponAlreadyClaimed(Conflict):
    code = "coupon_already_claimed"


class CouponClaimedOut(Conflict):
    code = "coupon_claimed_out"


class CouponNotClaimed(Forbidden):
    code = "coupon_not_claimed"


class CouponUsed(Conflict):
    code = "coupon_used"


class CouponOwnShop(Forbidden):
    code = "coupon_own_shop"


class LuckyBagNotFound(NotFound):
    code = "lucky_bag_not_found"


class LuckyBagConditionUnsupported(DomainError):
    code = "lucky_bag_condition_unsupported"
    status = 400


class LuckyBagInvalid(DomainError):
    code = "lucky_bag_invalid"
    status = 400


class PkNotFound(NotFound):
    code = "pk_not_found"


class PkInvalid(DomainError):
    code = "pk_invalid"
    status = 400


class AlreadyInPk(Conflict):
    """A room takes part in one contest (or open challenge) at a time."""

    code = "already_in_pk"


class NotPkOpponent(Forbidden):
    """Only the challenged host answers a challenge."""

    code = "not_pk_opponent"


class PkChallengeExpired(InvalidState):
    code = "pk_challenge_expired"


class PkNotPending(InvalidState):
    code = "pk_not_pending"


class PkOver(InvalidState):
    code = "pk_over"


class UnknownGift(DomainError):
    code = "unknown_gift"
    status = 422


class InsufficientCoins(Conflict):
    code = "insufficient_coins"


class OwnRoomGift(Forbidden):
    code = "own_room_gift"


class CoinPurchaseNotFound(NotFound):
    code = "coin_purchase_not_found"


class ReservationNotFound(NotFound):
    code = "reservation_not_found"
