"""The shop experience score's catalogue: three dimensions and their ten indicators.

Everything a page or a diagnosis says about an indicator lives here, next to how it is
measured, so the computation, the merchant page and the advice cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    """Which way is better: a shop ranks above its peers by being lower or higher."""

    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


class Kind(StrEnum):
    """How per-order facts become one number per shop.

    RATE: the per-order fact is 0/1 (NaN when it does not apply) and the indicator is the
    recency-weighted share of 1s. MEAN: the fact is a measurement (hours) and the
    indicator is its recency-weighted mean. Both are sum(w·x) / sum(w) over the orders
    where x is not NaN; only the allowed values differ.
    """

    RATE = "rate"
    MEAN = "mean"


PRODUCT = "product"
LOGISTICS = "logistics"
SERVICE = "service"
DIMENSIONS: tuple[str, ...] = (PRODUCT, LOGISTICS, SERVICE)
"""Dimension names in display order; also the keys of `ScoreSettings.dimension_weights`."""

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    PRODUCT: ("商品体验", "product"),
    LOGISTICS: ("物流体验", "logistics"),
    SERVICE: ("服务体验", "service"),
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it measures, which order fact feeds it, and what to tell a merchant.

    `ideal` is the best value an indicator can take (0 for a bad-event rate, 1 for a
    good-event rate, None for measurements such as hours, which have no attainable best).
    A shop at the ideal cannot do better, so with `ScoreSettings.perfect_is_top` it gets
    the top percentile even when most of its category ties with it.
    """

    name: str
    column: str  # the OrderFacts field that feeds it
    dimension: str
    direction: Direction
    kind: Kind
    ideal: float | None
    label_zh: str
    label_en: str
    applies_to: str  # which orders count, in the words a merchant page can show
    cause_zh: str
    cause_en: str
    advice_zh: str
    advice_en: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        name="quality_return_rate", column="quality_return", dimension=PRODUCT,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.RATE, ideal=0.0,
        label_zh="品质退货率", label_en="quality-return rate", applies_to="all orders",
        cause_zh="因质量问题退货偏多，拉低商品分",
        cause_en="returns for quality problems pull the product score down",
        advice_zh="抽检在售商品，下架退货集中的款式，详情页如实描述材质和尺寸",
        advice_en="spot-check stock, delist the items most returned, describe material and size truthfully",
    ),
    Indicator(
        name="product_negative_review_rate", column="product_negative_review", dimension=PRODUCT,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.RATE, ideal=0.0,
        label_zh="商品差评率", label_en="product negative-review rate", applies_to="orders with a review",
        cause_zh="商品差评偏多，拉低商品分",
        cause_en="negative product reviews pull the product score down",
        advice_zh="逐条查看差评原因，改进选品或描述，对不满意的买家主动回访",
        advice_en="read each negative review, fix the product or its description, follow up with unhappy buyers",
    ),
    Indicator(
        name="counterfeit_claim_rate", column="counterfeit_upheld", dimension=PRODUCT,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.RATE, ideal=0.0,
        label_zh="假货投诉成立率", label_en="upheld counterfeit claims", applies_to="all orders",
        cause_zh="有假货投诉被判成立，严重拉低商品分",
        cause_en="upheld counterfeit claims pull the product score down hard",
        advice_zh="核对进货渠道并留存授权和进货凭证，立即下架来源不明的商品",
        advice_en="check your supply chain, keep brand authorisations and invoices, delist goods of unclear origin",
    ),
    Indicator(
        name="shipped_within_48h_rate", column="shipped_within_48h", dimension=LOGISTICS,
        direction=Direction.HIGHER_IS_BETTER, kind=Kind.RATE, ideal=1.0,
        label_zh="48小时发货率", label_en="shipped within 48 h",
        applies_to="orders shipped, or unshipped past 48 h",
        cause_zh="发货慢拉低物流分",
        cause_en="slow shipping pulls the logistics score down",
        advice_zh="设置发货提醒，预售商品注明发货时间",
        advice_en="set shipping reminders; state the ship date on pre-sale items",
    ),
    Indicator(
        name="delivery_hours", column="delivery_hours", dimension=LOGISTICS,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.MEAN, ideal=None,
        label_zh="平均配送时长", label_en="average delivery time", applies_to="delivered orders",
        cause_zh="从发货到签收时间偏长，拉低物流分",
        cause_en="long transit from shipping to delivery pulls the logistics score down",
        advice_zh="换用时效更好的快递，或在买家集中的地区分仓发货",
        advice_en="use a faster carrier, or ship from a warehouse near where your buyers are",
    ),
    Indicator(
        name="logistics_negative_review_rate", column="logistics_negative_review", dimension=LOGISTICS,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.RATE, ideal=0.0,
        label_zh="物流差评率", label_en="logistics negative-review rate", applies_to="orders with a review",
        cause_zh="物流差评偏多，拉低物流分",
        cause_en="negative logistics reviews pull the logistics score down",
        advice_zh="加固包装，跟踪异常件并主动告知买家",
        advice_en="pack more sturdily, watch stuck parcels and tell buyers before they ask",
    ),
    Indicator(
        name="reply_within_3min_rate", column="first_reply_within_3min", dimension=SERVICE,
        direction=Direction.HIGHER_IS_BETTER, kind=Kind.RATE, ideal=1.0,
        label_zh="3分钟回复率", label_en="replied within 3 minutes", applies_to="orders with a buyer message",
        cause_zh="客服回复慢拉低服务分",
        cause_en="slow replies to buyers pull the service score down",
        advice_zh="开播和大促时增加客服排班，设置常见问题自动回复",
        advice_en="staff customer service during streams and sales; set automatic answers to common questions",
    ),
    Indicator(
        name="refund_handling_hours", column="refund_handling_hours", dimension=SERVICE,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.MEAN, ideal=None,
        label_zh="退款处理时长", label_en="refund handling time", applies_to="orders with a refund request",
        cause_zh="退款处理慢拉低服务分",
        cause_en="slow refund handling pulls the service score down",
        advice_zh="每天固定时间处理退款申请，小额未发货订单开启极速退款",
        advice_en="handle refund requests at set times every day; turn on instant refunds for small unshipped orders",
    ),
    Indicator(
        name="dispute_lost_rate", column="dispute_lost", dimension=SERVICE,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.RATE, ideal=0.0,
        label_zh="纠纷商责率", label_en="disputes lost by the merchant", applies_to="all orders",
        cause_zh="平台判定商家责任的纠纷偏多，拉低服务分",
        cause_en="disputes the platform ruled against you pull the service score down",
        advice_zh="售后问题先与买家协商解决，保留发货和沟通凭证",
        advice_en="settle after-sale problems with the buyer first; keep shipping and chat records",
    ),
    Indicator(
        name="service_negative_review_rate", column="service_negative_review", dimension=SERVICE,
        direction=Direction.LOWER_IS_BETTER, kind=Kind.RATE, ideal=0.0,
        label_zh="服务差评率", label_en="service negative-review rate", applies_to="orders with a review",
        cause_zh="服务差评偏多，拉低服务分",
        cause_en="negative service reviews pull the service score down",
        advice_zh="复盘差评对应的聊天记录，统一客服话术，及时兑现承诺",
        advice_en="review the chats behind negative reviews, align what the team says, keep promises on time",
    ),
)
"""The indicators in display order; `ScoreTable` columns follow this order."""

INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)
BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}
