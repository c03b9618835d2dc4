"""Buyer–merchant messages about one order (客服消息), and how fast the shop answers them.

The shop experience score's service dimension measures the 3-minute reply rate from these
messages: per order, the buyer's first message sent inside the opening hours, and whether
the shop's first answer after it came within `REPLY_WITHIN` (`first_reply_facts`). Messages
outside the opening hours are answered whenever the shop can; they never count against it.

Opening hours default to 09:00–22:00 Asia/Shanghai (`DEFAULT_OPENING_HOURS`): when most shops
staff customer service and most buyers shop. Operators change them for the whole platform
(`set_opening_hours`, stored as the platform setting "feedback.opening_hours").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.feedback import repository
from laotie.feedback.errors import FeedbackInvalid
from laotie.identity.auth import require_role
from laotie.kit.events import record_event
from laotie.models import Order, OrderMessage, PlatformSetting, User, utcnow
from laotie.orders.auth import ensure_party
from laotie.orders.service.lifecycle import get_order

MAX_TEXT = 1000
REPLY_WITHIN = timedelta(minutes=3)
OPENING_HOURS_KEY = "feedback.opening_hours"
# A reply stamped at the 3-minute mark counts, whatever the float rounding of the timestamps.
_TOLERANCE_S = 1e-3


@dataclass(frozen=True)
class OpeningHours:
    """Customer-service hours in a time zone; start == end means around the clock.

    An end before the start spans midnight (20:00–02:00).
    """

    start: time = time(9, 0)
    end: time = time(22, 0)
    tz: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise FeedbackInvalid(f"unknown time zone {self.tz!r}", field="tz") from None

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M} {self.tz}"

    def contains(self, when: datetime) -> bool:
        return bool(self.contains_epochs(np.array([when.timestamp()]))[0])

    def contains_epochs(self, epochs: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Vectorised: which Unix times fall inside the hours, in local time.

        The zone's UTC offset is looked up once per distinct UTC hour, so a month of messages
        costs about 700 look-ups, and zones with daylight saving are still right.
        """
        if epochs.size == 0:
            return np.zeros(0, dtype=bool)
        zone = ZoneInfo(self.tz)
        hours, inverse = np.unique(np.floor(epochs / 3600.0).astype(np.int64), return_inverse=True)
        offsets = np.array([_offset(int(h) * 3600, zone) for h in hours.tolist()])
        local = np.mod(epochs + offsets[inverse.reshape(-1)], 86400.0)
        start = self.start.hour * 3600 + self.start.minute * 60
        end = self.end.hour * 3600 + self.end.minute * 60
        if start == end:
            return np.ones(epochs.shape, dtype=bool)
        if start < end:
            return np.asarray((local >= start) & (local < end))
        return np.asarray((local >= start) | (local < end))


def _offset(epoch: int, zone: ZoneInfo) -> float:
    delta = datetime.fromtimestamp(epoch, UTC).astimezone(zone).utcoffset()
    return delta.total_seconds() if delta is not None else 0.0


DEFAULT_OPENING_HOURS = OpeningHours()


async def opening_hours(s: AsyncSession) -> OpeningHours:
    row = await s.get(PlatformSetting, OPENING_HOURS_KEY)
    if row is None:
        return DEFAULT_OPENING_HOURS
    value = row.value
    return OpeningHours(time.fromisoformat(value["start"]), time.fromisoformat(value["end"]), value["tz"])


async def set_opening_hours(s: AsyncSession, operator: User, *, start: str, end: str, tz: str) -> OpeningHours:
    require_role(operator, "operator")
    try:
        hours = OpeningHours(time.fromisoformat(start), time.fromisoformat(end), tz)
    except ValueError:
        raise FeedbackInvalid("times are HH:MM", field="start") from None
    value = {"start": f"{hours.start:%H:%M}", "end": f"{hours.end:%H:%M}", "tz": hours.tz}
    row = await s.get(PlatformSetting, OPENING_HOURS_KEY)
    if row is None:
        s.add(PlatformSetting(key=OPENING_HOURS_KEY, value=value, updated_by=operator.id, updated_at=utcnow()))
    else:
        row.value, row.updated_by, row.updated_at = value, operator.id, utcnow()
    await record_event(s, "feedback.opening_hours_set", {"by": operator.id, **value})
    return hours


async def send_message(s: AsyncSession, user: User, order_id: int, body: str) -> OrderMessage:
    """The order's buyer or its shop writes; nobody else can see or join the conversation."""
    text = body.replace("\x00", "").strip()
    if not text:
        raise FeedbackInvalid("write something", field="text")
    if len(text) > MAX_TEXT:
        raise FeedbackInvalid("at most %(max_length)s characters", field="text", max_length=MAX_TEXT)
    order = await get_order(s, order_id)
    role = await ensure_party(s, user, order)
    message = OrderMessage(order_id=order.id, shop_id=order.shop_id, sender_id=user.id,
                           sender_role="buyer" if role == "buyer" else "merchant", body=text)
    s.add(message)
    await s.flush()
    await record_event(s, "order_message.sent", {"message_id": message.id, "order_id": order.id,
                                                 "shop_id": order.shop_id, "sender_role": message.sender_role})
    return message


@dataclass(frozen=True)
class Thread:
    """One order's conversation as its buyer or shop sees it.

    ``waits``: for each buyer message that opened a wait (the first after the shop last
    spoke), seconds until the shop's first reply, or None while unanswered.
    """

    order: Order
    role: str  # buyer | seller
    messages: list[OrderMessage]
    waits: dict[int, float | None]
    hours: OpeningHours

    def in_hours(self, message: OrderMessage) -> bool:
        return self.hours.contains(message.created_at)


def reply_waits(messages: Sequence[OrderMessage]) -> dict[int, float | None]:
    """The shop's first reply time per buyer message thread (a run of buyer messages)."""
    waits: dict[int, float | None] = {}
    opened: OrderMessage | None = None
    for m in messages:
        if m.sender_role == "buyer" and opened is None:
            opened = m
            waits[m.id] = None
        elif m.sender_role == "merchant" and opened is not None:
            waits[opened.id] = (m.created_at - opened.created_at).total_seconds()
            opened = None
    return waits


async def order_thread(s: AsyncSession, user: User, order_id: int) -> Thread:
    order = await get_order(s, order_id)
    role = await ensure_party(s, user, order)
    messages = list(await repository.messages_of_order(s, order.id))
    return Thread(order, role, messages, reply_waits(messages), await opening_hours(s))


async def awaiting_reply(s: AsyncSession, merchant: User, limit: int = 50) -> list[tuple[int, str, datetime]]:
    """The shop's conversations whose last word is the buyer's, longest wait first."""
    shop = await catalog.my_shop(s, merchant)
    return await repository.awaiting_reply(s, shop.id, limit)


async def first_reply_facts(s: AsyncSession, *, since: datetime, as_of: datetime, hours: OpeningHours,
                            shop_ids: Sequence[int] | None = None,
                            ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per order paid in [since, as_of) with a buyer message in opening hours: 1.0 if the shop's
    first message after the first such buyer message came within 3 minutes, 0.0 if later or
    not at all once 3 minutes have passed by `as_of`, NaN while the 3 minutes are still running.

    Returns (order ids ascending, flags). Vectorised: one query, then numpy over all messages.
    """
    rows = await repository.message_times(s, since=since, as_of=as_of, shop_ids=shop_ids)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
    if not rows:
        return empty
    table = np.array(rows, dtype=np.float64)
    orders, from_buyer, t = table[:, 0].astype(np.int64), table[:, 1] == 1, table[:, 2]
    asks = from_buyer & hours.contains_epochs(t)
    if not asks.any():
        return empty
    # Rows come sorted by (order, time): the first row of each order among `asks` is its first ask.
    _, rank = np.unique(orders, return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    ask_orders, first = np.unique(orders[asks], return_index=True)
    t_ask, rank_ask = t[asks][first], rank[asks][first]
    replies = ~from_buyer
    t_reply, rank_reply = t[replies], rank[replies]
    # One sorted key (order rank, milliseconds) finds each order's first reply at or after its ask.
    ms = np.round((t - t.min()) * 1000.0).astype(np.int64)
    span = int(ms.max()) + 1
    key_reply = rank_reply * span + ms[replies]
    key_ask = rank_ask * span + ms[asks][first]
    at = np.searchsorted(key_reply, key_ask, side="left")
    found = at < key_reply.size
    found[found] = rank_reply[at[found]] == rank_ask[found]
    delay = np.full(ask_orders.size, np.nan)
    delay[found] = t_reply[at[found]] - t_ask[found]
    limit = REPLY_WITHIN.total_seconds() + _TOLERANCE_S
    flags = np.full(ask_orders.size, np.nan)
    flags[found & (delay <= limit)] = 1.0
    flags[found & (delay > limit)] = 0.0
    flags[~found & (as_of.timestamp() - t_ask > limit)] = 0.0
    return ask_orders.astype(np.int64), flags
