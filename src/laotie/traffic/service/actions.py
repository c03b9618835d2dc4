"""What viewers do with served items: clicks, seconds watched, orders — logged, and taught to the index."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from laotie.kit.errors import DomainError
from laotie.models import FeedAction, Impression, Order, User, utcnow
from laotie.traffic.service.feed import DiscoveryFeed, item_key
from laotie.traffic.service.reports import ImpressionNotFound

MAX_WATCH_SECONDS = 4 * 3600  # one report cannot claim more than a long live session


async def served_to(s: AsyncSession, viewer: User | None, impression_id: int) -> Impression:
    row = await s.get(Impression, impression_id)
    if row is None or row.viewer_id != (viewer.id if viewer else None):
        raise ImpressionNotFound("no such item in your feed")
    return row


async def record_click(s: AsyncSession, feed: DiscoveryFeed, viewer: User | None, impression_id: int) -> Impression:
    """The viewer opened a served item; returns the impression (to send them to the item)."""
    row = await served_to(s, viewer, impression_id)
    s.add(FeedAction(viewer_id=row.viewer_id, impression_id=row.id, item_kind=row.item_kind, item_id=row.item_id,
                     kind="click", value=1, at=utcnow()))
    await s.flush()
    await feed.record(item_key(row.item_kind, row.item_id), "click", 1.0)
    return row


async def record_watch(s: AsyncSession, feed: DiscoveryFeed, viewer: User | None, impression_id: int,
                       seconds: int) -> None:
    if not 1 <= seconds <= MAX_WATCH_SECONDS:
        raise DomainError(f"seconds watched is between 1 and {MAX_WATCH_SECONDS}", code="invalid_request",
                          status=422, field="seconds")
    row = await served_to(s, viewer, impression_id)
    s.add(FeedAction(viewer_id=row.viewer_id, impression_id=row.id, item_kind=row.item_kind, item_id=row.item_id,
                     kind="watch", value=seconds, at=utcnow()))
    await s.flush()
    await feed.record(item_key(row.item_kind, row.item_id), "watch", float(seconds))


async def record_order(s: AsyncSession, feed: DiscoveryFeed | None, order_id: int) -> bool:
    """A paid order whose source is a live room or a video teaches that item its conversion."""
    order = await s.get(Order, order_id)
    if order is None or not order.source.startswith(("live:", "video:")):
        return False
    kind, _, raw = order.source.partition(":")
    s.add(FeedAction(viewer_id=order.buyer_id, impression_id=None, item_kind=kind, item_id=int(raw), kind="order",
                     value=order.total, at=utcnow()))
    await s.flush()
    if feed is not None:
        await feed.record(item_key(kind, int(raw)), "order", float(order.total))
    return True
