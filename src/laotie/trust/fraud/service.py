"""Fake-order (刷单) rings from the order tables to the operator's decision: load, detect, store, confirm, dismiss.

The detector (`laotie.trust.fraud.core`) is pure; this module feeds it and acts on what it finds:

- `load_batch(s, since, until)` reads a window of paid orders, not already excluded, into an
  `OrderBatch` with one SELECT (an analytic read across the order, review and account tables:
  one query beats a million calls into their services, and nothing here writes to them);
- `run_detection(s, since, until, config)` = load, detect (in a worker thread), `store_detection`:
  new suspected rings are inserted, a ring already in the queue is refreshed in place, and a
  ring an operator has already decided is left alone (see `match_ring` for how rings match);
- `confirm_ring` / `dismiss_ring` are the operator's decision, each with an audit entry and an
  event (`fraud.ring_confirmed`, `fraud.ring_dismissed`) naming who decided and why. Confirming
  writes an `ExcludedOrder` row per ring order; other domains react to the event (reviews
  hidden, violation cases opened) and ask `excluded_order_ids` / `is_excluded` / `excluded`
  which orders no longer count for sales figures, reviews and the shop score.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, Exists, case, cast, exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from laotie.identity.auth import require_role
from laotie.kit.db import dialect_insert
from laotie.kit.errors import DomainError, InvalidState, NotFound
from laotie.kit.events import record_event
from laotie.models import (
    AuditEntry,
    ExcludedOrder,
    FraudRing,
    LiveSession,
    Order,
    OrderLine,
    Review,
    Shop,
    User,
    Video,
    utcnow,
)
from laotie.trust.fraud.core import (
    Detection,
    DetectorConfig,
    Evidence,
    InvalidOrderBatch,
    OrderBatch,
    Ring,
    detect_rings,
)

# A quarter: long enough for a ring to repeat itself, short enough to load in seconds.
MAX_WINDOW = timedelta(days=92)
DEFAULT_WINDOW = timedelta(days=30)
REASON_MAX = 500
STATUSES = ("suspected", "confirmed", "dismissed")
_CHUNK = 5_000  # rows per bulk statement: far below PostgreSQL's 32,767 parameters
# Any constant: the lock only keeps two detection runs from storing the same ring twice.
_RUN_LOCK = 0x6C616F74_66726175  # "laotfrau"


class RingNotFound(NotFound):
    code = "fraud_ring_not_found"


class RingAlreadyDecided(InvalidState):
    code = "fraud_ring_decided"


class InvalidWindow(DomainError):
    code = "invalid_request"
    status = 422


class EmptyWindow(InvalidOrderBatch):
    """No paid orders in the window: nothing to analyse (an `InvalidOrderBatch`, told apart
    so a caller can skip a quiet window without hiding a loader bug)."""


# ---- loading ---------------------------------------------------------------------------------------


def fingerprint(value: str | None) -> int:
    """A stable signed 64-bit hash of a text (0 for none): the detector only compares them."""
    if not value:
        return 0
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True) or 1


def normalise_address(address: str) -> str:
    """The address as letters and digits only, width- and case-folded.

    A drop address (代收点) typed by twenty accounts comes out in twenty spellings —
    full-width digits, spaces, commas, "Road" and "road" — that all mean one door.
    """
    folded = unicodedata.normalize("NFKC", address).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _creator_column() -> tuple[ColumnElement[Any], Any, Any]:
    """The creator behind an order's source: a live session's host, a video's owner, a profile's user."""
    live, video = aliased(LiveSession), aliased(Video)
    # CASE first, CAST inside: no database ever casts "direct" to a number, whatever join it plans.
    live_id = case((Order.source.like("live:%"), cast(func.substr(Order.source, 6), BigInteger)), else_=None)
    video_id = case((Order.source.like("video:%"), cast(func.substr(Order.source, 7), BigInteger)), else_=None)
    profile_id = case((Order.source.like("profile:%"), cast(func.substr(Order.source, 9), BigInteger)),
                      else_=None)
    creator = func.coalesce(live.host_id, video.owner_id, profile_id)
    return creator, (live, live.id == live_id), (video, video.id == video_id)


def _window_query(since: datetime, until: datetime) -> Any:
    """One SELECT for the whole window; per-order facts from other tables come from index lookups."""
    creator, (live, on_live), (video, on_video) = _creator_column()
    first_product = (select(OrderLine.product_id).where(OrderLine.order_id == Order.id)
                     .order_by(OrderLine.id).limit(1).scalar_subquery())
    first_review = select(Review).where(Review.order_id == Order.id).order_by(Review.id).limit(1)
    stars = first_review.with_only_columns(Review.product_stars).scalar_subquery()
    chars = first_review.with_only_columns(func.length(Review.body)).scalar_subquery()
    return (
        select(Order.id, Order.buyer_id, Order.shop_id, creator, Shop.owner_id, first_product, Order.total,
               Order.created_at, Order.completed_at, User.created_at, Order.address, Order.device_fp, stars, chars)
        .join(User, User.id == Order.buyer_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(live, on_live)
        .outerjoin(video, on_video)
        .where(Order.paid_at.is_not(None), Order.created_at >= since, Order.created_at < until,
               ~excluded(Order.id))
        .order_by(Order.id)
    )


async def _load_rows(s: AsyncSession, since: datetime, until: datetime) -> list[tuple[Any, ...]]:
    """The window's orders as rows in `OrderBatch.FIELDS` order."""
    result = await s.execute(_window_query(since, until))
    rows = []
    address_fp: dict[str, int] = {}
    for (order_id, buyer_id, shop_id, creator_id, shop_owner, product_id, amount, created_at, completed_at,
         buyer_created_at, address, device, stars, chars) in result:
        # The shop's own live room (店播) is the shop, not a creator beside it.
        creator = 0 if creator_id is None or creator_id == shop_owner else creator_id
        # Clamped: a clock step must not make an order "confirmed before it was placed" (the batch refuses that).
        delay = max((completed_at - created_at).total_seconds(), 0.0) if completed_at is not None else math.nan
        fp = address_fp.get(address)
        if fp is None:
            fp = address_fp[address] = fingerprint(normalise_address(address))
        rows.append((order_id, buyer_id, shop_id, creator, product_id or 0, amount, created_at.timestamp(),
                     delay, buyer_created_at.timestamp(), fp, fingerprint(device), stars or 0,
                     chars or 0))
    return rows


async def load_batch(s: AsyncSession, since: datetime, until: datetime) -> OrderBatch:
    """Paid orders created in [since, until) that no confirmed ring has excluded, for `detect_rings`.

    Per order: buyer, shop, creator (0 without one, or when the shop hosts its own room), the
    first line's product, what the buyer paid, times (``confirm_delay`` = completed_at −
    created_at, NaN when not confirmed), the buyer account's age, fingerprints of the
    normalised address and of the ordering device (0 when unknown), and the first review's
    product stars and body length. Raises `EmptyWindow` when the window has no orders.
    """
    _check_window(since, until)
    rows = await _load_rows(s, since, until)
    if not rows:
        raise EmptyWindow(f"no paid orders between {since.isoformat()} and {until.isoformat()}")
    return OrderBatch.from_rows(rows)


def _check_window(since: datetime, until: datetime) -> None:
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidWindow("give the window in UTC-aware times", field="since")
    if since >= until:
        raise InvalidWindow("the window must end after it starts", field="since")
    if until - since > MAX_WINDOW:
        raise InvalidWindow(f"a window is at most {MAX_WINDOW.days} days", field="since")


# ---- storing what was found -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownRing:
    """What matching needs of a stored ring."""

    id: int
    status: str
    buyers: frozenset[int]
    shops: frozenset[int]
    creators: frozenset[int]
    decided_at: datetime | None = None


def match_ring(found: Ring, known: Sequence[KnownRing], *, last_order_at: datetime | None = None,
               ) -> KnownRing | None:
    """The stored ring this detection is another sighting of, or None for a new ring.

    Rings are their accounts, so matching is by shared buyers:

    - a ring still in the queue (suspected) matches when at least half of either ring's
      accounts are in the other: the window slides, so the same ring comes back a little larger
      or smaller, and the newer sighting replaces the older one's members and evidence;
    - a decided ring (confirmed or dismissed) matches when at least half of the new ring's
      accounts were in it, and the new ring either shares a shop or creator with it or has no
      order after the decision (`last_order_at`). So the operator's judgment stands for the
      same accounts at the same shops, and for what is left of a confirmed ring once its orders
      are excluded (its members' purchases elsewhere, camouflage placed before the decision);
      but known accounts turning up at other shops after the decision are new business, and a
      group that is mostly new people deserves a look of its own.

    Among several matches the one sharing the most accounts wins (ties: the older ring).
    """
    buyers = set(found.buyers)
    shops, creators = set(found.shops), set(found.creators)
    best: tuple[int, KnownRing] | None = None
    for ring in known:
        shared = len(buyers & ring.buyers)
        if shared == 0:
            continue
        if ring.status == "suspected":
            matches = 2 * shared >= min(len(buyers), len(ring.buyers))
        else:
            same_place = bool(shops & ring.shops or creators & ring.creators)
            nothing_since = (last_order_at is not None and ring.decided_at is not None
                             and last_order_at <= ring.decided_at)
            matches = 2 * shared >= len(buyers) and (same_place or nothing_since)
        if matches and (best is None or shared > best[0]):  # `known` is oldest first
            best = (shared, ring)
    return best[1] if best else None


def known_accounts(found: Ring, known: Sequence[KnownRing]) -> Evidence | None:
    """An evidence line when accounts of a new ring were in rings already decided (a repeat)."""
    buyers = set(found.buyers)
    overlaps = sorted(((len(buyers & k.buyers), k) for k in known if k.status != "suspected" and buyers & k.buyers),
                      key=lambda pair: (-pair[0], pair[1].id))
    if not overlaps:
        return None
    seen = len(buyers & frozenset().union(*(k.buyers for _, k in overlaps)))
    named = "; ".join(f"{n} in ring #{k.id} ({k.status})" for n, k in overlaps[:3])
    return Evidence("known_accounts", seen / len(buyers),
                    f"{seen} of {len(buyers)} accounts were in rings already decided: {named}"
                    + ("; …" if len(overlaps) > 3 else ""))


async def _known_rings(s: AsyncSession) -> list[KnownRing]:
    rows = await s.execute(select(FraudRing.id, FraudRing.status, FraudRing.buyer_ids, FraudRing.shop_ids,
                                  FraudRing.creator_ids, FraudRing.decided_at).order_by(FraudRing.id))
    return [KnownRing(i, status, frozenset(int(b) for b in buyers), frozenset(int(x) for x in shops),
                      frozenset(int(c) for c in creators), decided_at)
            for i, status, buyers, shops, creators, decided_at in rows]


def _ring_values(ring: Ring, extra: Evidence | None) -> dict[str, Any]:
    as_dict = ring.as_dict()
    evidence = [*ring.evidence, extra] if extra is not None else ring.evidence
    return {"score": float(ring.score), "density": float(ring.density), "buyer_ids": as_dict["buyers"],
            "shop_ids": as_dict["shops"], "creator_ids": as_dict["creators"], "order_ids": as_dict["order_ids"],
            "evidence": [{"signal": e.signal, "value": float(e.value), "explanation": e.explanation}
                         for e in evidence]}


def _last_order_at(batch: OrderBatch, ring: Ring) -> datetime:
    at = batch.created_at[np.isin(batch.order_id, np.asarray(ring.order_ids, dtype=np.int64))]
    return datetime.fromtimestamp(float(at.max()), UTC)


async def _serialise_runs(s: AsyncSession) -> None:
    """Two runs at once (the daily job and an operator's "run now") must not both insert one ring.

    SQLite transactions already take the write lock at BEGIN (IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock, released at commit or rollback.
    """
    if s.get_bind().dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RUN_LOCK})


async def store_detection(s: AsyncSession, batch: OrderBatch, detection: Detection, since: datetime,
                          until: datetime, *, actor: User | None = None) -> list[FraudRing]:
    """Queue the detection's suspected rings (found in `batch`); returns those inserted or refreshed,
    most suspicious first.

    A ring matching one in the queue refreshes it in place (same id, the operator's link still
    works); matching a decided ring, it is skipped (`match_ring`). A queued ring whose accounts
    were in decided rings says so in a last evidence line (``known_accounts``). One
    `fraud.detection_ran` event records the run: window, orders, and which rings were new,
    refreshed or already decided.
    """
    await _serialise_runs(s)
    known = await _known_rings(s)
    stored: list[FraudRing] = []
    new_ids: list[int] = []
    refreshed: list[int] = []
    decided: list[int] = []
    for ring in detection.rings:
        # A stored ring takes one sighting per run: should it have split in two, the second part
        # is queued as a ring of its own rather than overwriting the first.
        unclaimed = [k for k in known if k.id not in new_ids and k.id not in refreshed]
        match = match_ring(ring, unclaimed, last_order_at=_last_order_at(batch, ring))
        values = _ring_values(ring, known_accounts(ring, known))
        if match is not None and match.status != "suspected":
            decided.append(match.id)
            continue
        if match is not None:
            # Conditional: an operator who decided the ring a moment ago is not overwritten.
            done = await s.execute(update(FraudRing).where(FraudRing.id == match.id, FraudRing.status == "suspected")
                                   .values(**values).returning(FraudRing.id))
            if done.first() is None:
                decided.append(match.id)
                continue
            refreshed.append(match.id)
            row = await s.get(FraudRing, match.id, populate_existing=True)
            assert row is not None
        else:
            row = FraudRing(status="suspected", **values)
            s.add(row)
            await s.flush()
            new_ids.append(row.id)
        stored.append(row)
    await record_event(s, "fraud.detection_ran", {
        "since": since.isoformat(), "until": until.isoformat(), "orders": detection.orders,
        "new": new_ids, "refreshed": refreshed, "already_decided": sorted(set(decided)),
        "dismissed_blocks": len(detection.dismissed), "by": actor.id if actor else None})
    return stored


async def run_detection(s: AsyncSession, since: datetime, until: datetime, config: DetectorConfig | None = None,
                        *, actor: User | None = None) -> list[FraudRing]:
    """Detect rings among the window's orders and queue them (see `store_detection`).

    The detector runs in a worker thread so the event loop keeps serving while it computes.
    With `actor` given (an operator's "run now"), only an operator may run it.
    """
    if actor is not None:
        require_role(actor, "operator")
    _check_window(since, until)
    rows = await _load_rows(s, since, until)
    if not rows:
        await record_event(s, "fraud.detection_ran", {
            "since": since.isoformat(), "until": until.isoformat(), "orders": 0, "new": [], "refreshed": [],
            "already_decided": [], "dismissed_blocks": 0, "by": actor.id if actor else None})
        return []
    batch = OrderBatch.from_rows(rows)
    detection = await detect(batch, config)
    return await store_detection(s, batch, detection, since, until, actor=actor)


async def detect(batch: OrderBatch, config: DetectorConfig | None = None) -> Detection:
    """`detect_rings` off the event loop."""
    return await asyncio.to_thread(detect_rings, batch, config)


# ---- the operator's decision ----------------------------------------------------------------------


def _reason(reason: str) -> str:
    cleaned = reason.replace("\x00", "").strip()
    if not cleaned:
        raise DomainError("say why: the decision is kept with its reason", code="invalid_request", status=422,
                          field="reason")
    if len(cleaned) > REASON_MAX:
        raise DomainError(f"a reason is at most {REASON_MAX} characters", code="invalid_request", status=422,
                          field="reason")
    return cleaned


async def _decide(s: AsyncSession, operator: User, ring_id: int, to: str, reason: str) -> tuple[FraudRing, bool]:
    """Move a suspected ring to `to`; (ring, True) when this call decided it, (ring, False) when
    it already was in `to` (a retried click); a ring decided the other way is refused."""
    require_role(operator, "operator")
    now = utcnow()
    done = await s.execute(update(FraudRing).where(FraudRing.id == ring_id, FraudRing.status == "suspected")
                           .values(status=to, decided_by=operator.id, decided_at=now).returning(FraudRing.id))
    changed = done.first() is not None
    ring = await s.get(FraudRing, ring_id, populate_existing=True)
    if ring is None:
        raise RingNotFound("no such fraud ring", ring_id=ring_id)
    if not changed and ring.status != to:
        raise RingAlreadyDecided(f"this ring was already {ring.status}", ring_id=ring_id, current=ring.status)
    if changed:
        s.add(AuditEntry(actor_id=operator.id, action=f"fraud_ring.{to}", subject_kind="fraud_ring",
                         subject_id=ring.id, reason=reason, created_at=now,
                         data={"shop_ids": ring.shop_ids, "buyers": len(ring.buyer_ids),
                               "orders": len(ring.order_ids), "score": ring.score}))
        await s.flush()
    return ring, changed


async def confirm_ring(s: AsyncSession, operator: User, ring_id: int, reason: str) -> FraudRing:
    """Confirm a suspected ring: its orders stop counting (an `ExcludedOrder` row each).

    Records `fraud.ring_confirmed` {ring_id, shop_ids, buyer_ids, creator_ids, order_ids, by,
    reason}; reviews and violation cases are the reacting domains' business. Confirming a
    confirmed ring again changes nothing and records nothing; a dismissed one is refused (409).
    """
    require_role(operator, "operator")
    reason = _reason(reason)
    ring, changed = await _decide(s, operator, ring_id, "confirmed", reason)
    if not changed:
        return ring
    now = ring.decided_at or utcnow()
    order_ids = sorted({int(o) for o in ring.order_ids})
    for start in range(0, len(order_ids), _CHUNK):
        # An order already excluded (by an overlapping ring) keeps its first reason.
        await s.execute(dialect_insert(s, ExcludedOrder).values(
            [{"order_id": o, "reason": f"fraud_ring:{ring.id}", "excluded_at": now}
             for o in order_ids[start:start + _CHUNK]]).on_conflict_do_nothing(index_elements=["order_id"]))
    await record_event(s, "fraud.ring_confirmed", {
        "ring_id": ring.id, "shop_ids": list(ring.shop_ids), "buyer_ids": list(ring.buyer_ids),
        "creator_ids": list(ring.creator_ids), "order_ids": order_ids, "by": operator.id, "reason": reason})
    return ring


async def dismiss_ring(s: AsyncSession, operator: User, ring_id: int, reason: str) -> FraudRing:
    """Clear a suspected ring (a loyal customer base, a family, a flash sale): nothing is excluded.

    Records `fraud.ring_dismissed` {ring_id, shop_ids, buyer_ids, by, reason}. Later runs do
    not raise the same accounts again (`match_ring`). A confirmed ring cannot be dismissed (409):
    its orders are already out of every figure.
    """
    require_role(operator, "operator")
    reason = _reason(reason)
    ring, changed = await _decide(s, operator, ring_id, "dismissed", reason)
    if changed:
        await record_event(s, "fraud.ring_dismissed", {
            "ring_id": ring.id, "shop_ids": list(ring.shop_ids), "buyer_ids": list(ring.buyer_ids),
            "by": operator.id, "reason": reason})
    return ring


# ---- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromoterCommission:
    """One promoter's commission on a ring's orders, as it was when the orders were paid."""

    user_id: int
    name: str
    lines: int
    commission: int


@dataclass(frozen=True, slots=True)
class RingCommissions:
    """Commission on a ring's orders (alliance lines): at payment, what still stands, and who promoted them."""

    total: int  # every party's share and the platform's fee, as estimated at payment
    standing: int  # what stands now: nothing once the ring's commissions were forfeited
    lines: int
    promoters: tuple[PromoterCommission, ...]


# Who reads commissions on orders: the alliance registers its reader at start-up, so fraud
# shows commission evidence without importing the alliance (which imports trust).
CommissionReader = Callable[[AsyncSession, dict[int, list[int]]], Awaitable[dict[int, RingCommissions]]]
_commission_readers: list[CommissionReader] = []


def register_commission_reader(reader: CommissionReader) -> None:
    """`reader(s, {ring_id: order_ids})` → {ring_id: RingCommissions} for rings with commission lines."""
    if reader not in _commission_readers:
        _commission_readers.append(reader)


@dataclass(frozen=True, slots=True)
class RingView:
    """A ring as an operator reads it: the row, its shops' names, the decision's who and why, and
    the commission promoters earned on its orders (None when no alliance line is on them)."""

    ring: FraudRing
    shop_names: dict[int, str]
    decided_by_name: str | None
    reason: str | None
    commissions: RingCommissions | None = None


async def list_rings(s: AsyncSession, operator: User, status: str = "suspected", *, limit: int = 100,
                     ) -> list[RingView]:
    """The queue: suspected rings most suspicious first; decided ones most recently decided first."""
    require_role(operator, "operator")
    if status not in STATUSES:
        raise DomainError(f"status is one of {', '.join(STATUSES)}", code="invalid_request", status=422,
                          field="status")
    q = select(FraudRing).where(FraudRing.status == status)
    q = (q.order_by(FraudRing.score.desc(), FraudRing.id) if status == "suspected"
         else q.order_by(FraudRing.decided_at.desc(), FraudRing.id.desc()))
    rings = list((await s.execute(q.limit(limit))).scalars())
    return await views(s, rings)


async def get_ring(s: AsyncSession, operator: User, ring_id: int) -> RingView:
    require_role(operator, "operator")
    ring = await s.get(FraudRing, ring_id)
    if ring is None:
        raise RingNotFound("no such fraud ring", ring_id=ring_id)
    return (await views(s, [ring]))[0]


async def views(s: AsyncSession, rings: list[FraudRing]) -> list[RingView]:
    """Rings with their shops' names, decisions and commission evidence, in a fixed number of
    queries whatever their count."""
    if not rings:
        return []
    shop_ids = sorted({int(x) for r in rings for x in r.shop_ids})
    names: dict[int, str] = {}
    if shop_ids:
        names = {i: n for i, n in await s.execute(select(Shop.id, Shop.name).where(Shop.id.in_(shop_ids)))}
    decided = [r.id for r in rings if r.status != "suspected"]
    reasons: dict[int, str] = {}
    if decided:
        q = (select(AuditEntry.subject_id, AuditEntry.reason)
             .where(AuditEntry.subject_kind == "fraud_ring", AuditEntry.subject_id.in_(decided),
                    AuditEntry.action.in_(("fraud_ring.confirmed", "fraud_ring.dismissed")))
             .order_by(AuditEntry.id))
        reasons = {i: reason for i, reason in await s.execute(q)}
    deciders = sorted({r.decided_by for r in rings if r.decided_by is not None})
    people: dict[int, str] = {}
    if deciders:
        people = {i: n for i, n in await s.execute(select(User.id, User.display_name).where(User.id.in_(deciders)))}
    commissions: dict[int, RingCommissions] = {}
    for reader in _commission_readers:
        commissions.update(await reader(s, {r.id: [int(o) for o in r.order_ids] for r in rings}))
    return [RingView(r, {int(x): names.get(int(x), f"shop {x}") for x in r.shop_ids},
                     people.get(r.decided_by) if r.decided_by is not None else None, reasons.get(r.id),
                     commissions.get(r.id))
            for r in rings]


# ---- for other domains: which orders no longer count ---------------------------------------------


def excluded(order_id: ColumnElement[int] | Any) -> Exists:
    """``EXISTS`` an exclusion for this order id column: ``.where(~excluded(Order.id))`` in a
    sales figure, a review list or the score keeps orders of confirmed rings out."""
    return exists().where(ExcludedOrder.order_id == order_id)


async def excluded_order_ids(s: AsyncSession, order_ids: Iterable[int]) -> set[int]:
    """Which of these orders no longer count (from a confirmed fake-order ring)."""
    wanted = sorted({int(o) for o in order_ids})
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        q = select(ExcludedOrder.order_id).where(ExcludedOrder.order_id.in_(wanted[start:start + _CHUNK]))
        found.update((await s.execute(q)).scalars())
    return found


async def is_excluded(s: AsyncSession, order_id: int) -> bool:
    return bool(await excluded_order_ids(s, [order_id]))

