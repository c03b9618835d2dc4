"""All tables, re-exported: the one Alembic target."""

from laotie.models.aftersale import Aftersale
from laotie.models.alliance_channel import AllianceChannel
from laotie.models.alliance_external_conversion import AllianceExternalConversion
from laotie.models.alliance_floor import AllianceFloor
from laotie.models.alliance_leader_offer import AllianceLeaderOffer
from laotie.models.alliance_link_click import AllianceLinkClick
from laotie.models.alliance_listing import AllianceListing
from laotie.models.alliance_mcn_contract import AllianceMcnContract
from laotie.models.alliance_payout import AlliancePayout
from laotie.models.alliance_postback_nonce import AlliancePostbackNonce
from laotie.models.alliance_promotion import AlliancePromotion
from laotie.models.alliance_sample import AllianceSample
from laotie.models.api_token import ApiToken
from laotie.models.appeal import Appeal
from laotie.models.audit_entry import AuditEntry
from laotie.models.base import Base, utcnow
from laotie.models.cart_item import CartItem
from laotie.models.category import Category
from laotie.models.category_deposit import CategoryDeposit
from laotie.models.chat_message import ChatMessage
from laotie.models.coin_purchase import CoinPurchase
from laotie.models.coin_wallet import CoinWallet
from laotie.models.commission_line import CommissionLine
from laotie.models.counterfeit_claim import CounterfeitClaim
from laotie.models.coupon_claim import CouponClaim
from laotie.models.deposit_topup import DepositTopup
from laotie.models.event_delivery import EventDelivery
from laotie.models.excluded_order import ExcludedOrder
from laotie.models.feed_action import FeedAction
from laotie.models.flash_listing import FlashListing
from laotie.models.flash_purchase import FlashPurchase
from laotie.models.follow import Follow
from laotie.models.fraud_ring import FraudRing
from laotie.models.gift_send import GiftSend
from laotie.models.idempotency_key import IdempotencyKey
from laotie.models.impression import Impression
from laotie.models.journal_entry import JournalEntry
from laotie.models.journal_posting import JournalPosting
from laotie.models.ledger_account import LedgerAccount
from laotie.models.live_cart_item import LiveCartItem
from laotie.models.live_coupon import LiveCoupon
from laotie.models.live_minute import LiveMinute
from laotie.models.live_session import LiveSession
from laotie.models.lucky_bag import LuckyBag
from laotie.models.lucky_bag_entry import LuckyBagEntry
from laotie.models.notification import Notification
from laotie.models.official_tag import OfficialTag
from laotie.models.order import ORDER_STATUSES, Order
from laotie.models.order_line import OrderLine
from laotie.models.order_message import OrderMessage
from laotie.models.outbox_event import OutboxEvent
from laotie.models.payment import Payment
from laotie.models.payment_refund import PaymentRefund
from laotie.models.penalty import Penalty
from laotie.models.pk_contest import PkContest
from laotie.models.platform_setting import PlatformSetting
from laotie.models.product import Product
from laotie.models.product_image import ProductImage
from laotie.models.purchase_counter import PurchaseCounter
from laotie.models.review import Review
from laotie.models.room_presence import RoomPresence
from laotie.models.room_restriction import RoomRestriction
from laotie.models.shop import Shop
from laotie.models.shop_policy import ShopPolicy
from laotie.models.shop_score import ShopScore
from laotie.models.sku import Sku
from laotie.models.social_count import SocialCount
from laotie.models.stream_key import StreamKey
from laotie.models.user import ROLES, User
from laotie.models.video import Video
from laotie.models.video_comment import VideoComment
from laotie.models.video_like import VideoLike
from laotie.models.video_product import VideoProduct
from laotie.models.violation_case import ViolationCase
from laotie.models.violation_type import ViolationType
from laotie.models.web_session import WebSession

__all__ = [
    "ORDER_STATUSES",
    "ROLES",
    "Aftersale",
    "AllianceChannel",
    "AllianceExternalConversion",
    "AllianceFloor",
    "AllianceLeaderOffer",
    "AllianceLinkClick",
    "AllianceListing",
    "AllianceMcnContract",
    "AlliancePayout",
    "AlliancePostbackNonce",
    "AlliancePromotion",
    "AllianceSample",
    "ApiToken",
    "Appeal",
    "AuditEntry",
    "Base",
    "CartItem",
    "Category",
    "CategoryDeposit",
    "ChatMessage",
    "CoinPurchase",
    "CoinWallet",
    "CommissionLine",
    "CounterfeitClaim",
    "CouponClaim",
    "DepositTopup",
    "EventDelivery",
    "ExcludedOrder",
    "FeedAction",
    "FlashListing",
    "FlashPurchase",
    "Follow",
    "FraudRing",
    "GiftSend",
    "IdempotencyKey",
    "Impression",
    "JournalEntry",
    "JournalPosting",
    "LedgerAccount",
    "LiveCartItem",
    "LiveCoupon",
    "LiveMinute",
    "LiveSession",
    "LuckyBag",
    "LuckyBagEntry",
    "Notification",
    "OfficialTag",
    "Order",
    "OrderLine",
    "OrderMessage",
    "OutboxEvent",
    "Payment",
    "PaymentRefund",
    "Penalty",
    "PkContest",
    "PlatformSetting",
    "Product",
    "ProductImage",
    "PurchaseCounter",
    "Review",
    "RoomPresence",
    "RoomRestriction",
    "Shop",
    "ShopPolicy",
    "ShopScore",
    "Sku",
    "SocialCount",
    "StreamKey",
    "User",
    "Video",
    "VideoComment",
    "VideoLike",
    "VideoProduct",
    "ViolationCase",
    "ViolationType",
    "WebSession",
    "utcnow",
]
