"""Measures in force (处罚措施): what a case may impose, applying it, escalation by points, and the guards.

A case's measures are only applied when the case goes in force (the appeal window lapsed,
or the appeal was rejected), so a case overturned on appeal never touched traffic, money,
listings or the live room. Each applied measure is a `penalties` row; the guards other
domains ask (`cart_suspended`, `traffic_limits`, the listing-ban publish guard) read
those rows by their end time, so a measure stops the moment it ends even if the job that
marks it lifted has not run yet.

Measures, as stored on a case (JSON), one dict each:
  {"kind": "warning"}
  {"kind": "traffic_limit", "percent": 30, "days": 30}   percent = share of normal traffic kept (限流)
  {"kind": "cart_suspension", "days": 7}                  no products into the live cart
  {"kind": "live_revoked", "days": 3}                     no going live
  {"kind": "listing_ban", "days": 14}                     no publishing products (needs a shop)
  {"kind": "fee", "amount": 300000}                       违约金 in fen, from the deposit (needs a shop)
  {"kind": "account_ban"}                                 清退: the account is deactivated
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.live.service import sessions
from laotie.models import Penalty, Shop, User, ViolationCase, utcnow
from laotie.trust.deposits import service as deposits
from laotie.trust.governance.errors import CartSuspended, InvalidMeasures, ListingBanned
from laotie.trust.governance.service import audit

MEASURE_KINDS = ("warning", "traffic_limit", "cart_suspension", "live_revoked", "listing_ban", "fee", "account_ban")
TIMED = frozenset({"traffic_limit", "cart_suspension", "live_revoked", "listing_ban"})
ONE_OFF = frozenset({"warning", "fee"})  # done when applied: recorded, never "in force" afterwards
NEEDS_SHOP = frozenset({"listing_ban", "fee"})
MAX_DAYS = 365
MAX_FEE = deposits.MAX_TOPUP
MAX_MEASURES = 10
POINTS_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class Threshold:
    points: int
    measures: tuple[dict[str, Any], ...]


# The penalty ladder by points (积分累计): when a case going in force takes the account's points
# over the last 365 days to or past a threshold, the threshold's measures are added to that case.
# Only cases in force count; an overturned case never had points. Deployments may replace this
# list at start-up (e.g. from a plugin module); the defaults follow the common 12/24/48/100 ladder.
ESCALATION: list[Threshold] = [
    Threshold(12, ({"kind": "traffic_limit", "percent": 50, "days": 7},)),
    Threshold(24, ({"kind": "listing_ban", "days": 14},)),
    Threshold(48, ({"kind": "live_revoked", "days": 30},)),
    Threshold(100, ({"kind": "account_ban"},)),
]


def _int(value: Any, lo: int, hi: int, field: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidMeasures(f"{what} is a whole number from {lo} to {hi}", field=field)
    return value


def normalise_measures(raw: Any, *, has_shop: bool) -> list[dict[str, Any]]:
    """Measures checked and reduced to their known keys; refusals name the offending field."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_MEASURES:
        raise InvalidMeasures(f"give 1 to {MAX_MEASURES} measures", field="measures")
    out: list[dict[str, Any]] = []
    for i, m in enumerate(raw):
        where = f"measures.{i}"
        kind = m.get("kind") if isinstance(m, dict) else None
        if kind not in MEASURE_KINDS:
            raise InvalidMeasures(f"a measure's kind is one of {', '.join(MEASURE_KINDS)}", field=f"{where}.kind")
        if kind in NEEDS_SHOP and not has_shop:
            raise InvalidMeasures(f"{kind} needs a shop, and this account has none", field=f"{where}.kind")
        if any(o["kind"] == kind for o in out):
            raise InvalidMeasures(f"give {kind} once", field=f"{where}.kind")
        clean: dict[str, Any] = {"kind": kind}
        if kind == "traffic_limit":
            clean["percent"] = _int(m.get("percent"), 0, 99, f"{where}.percent", "the share of traffic kept (%)")
        if kind in TIMED:
            clean["days"] = _int(m.get("days"), 1, MAX_DAYS, f"{where}.days", "days")
        if kind == "fee":
            clean["amount"] = _int(m.get("amount"), 1, MAX_FEE, f"{where}.amount", "the fee in fen")
        out.append(clean)
    return out


def fits_account(measures: Sequence[dict[str, Any]], *, has_shop: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """The catalog's default measures that can apply to this account, and the kinds left out (no shop)."""
    kept = [dict(m) for m in measures if has_shop or m["kind"] not in NEEDS_SHOP]
    return kept, [m["kind"] for m in measures if not has_shop and m["kind"] in NEEDS_SHOP]


def describe(m: dict[str, Any]) -> str:
    """One measure in words, for notices and pages."""
    kind = m["kind"]
    if kind == "traffic_limit":
        return f"traffic limited to {m['percent']}% for {m['days']} days (限流)"
    if kind == "cart_suspension":
        return f"live cart suspended for {m['days']} days"
    if kind == "live_revoked":
        return f"live permission revoked for {m['days']} days"
    if kind == "listing_ban":
        return f"no new listings for {m['days']} days"
    if kind == "fee":
        return f"fee of ¥{m['amount'] / 100:,.2f} from the deposit (违约金)"
    if kind == "account_ban":
        return "account closed (清退)"
    return "warning"


def system_operator() -> User:
    """The platform acting on its own (a detector, the enforcement job) where the live service wants an operator.

    Transient and never added to a session; audit entries record the system as actor None.
    """
    no_login = "!"  # matches no argon2 hash: the system never signs in
    return User(username="laotie-system", display_name="laotie", password_hash=no_login, roles="operator",
                is_active=True)


async def cut_streams(s: AsyncSession, user_id: int, reason: str) -> list[int]:
    """End the account's live streams now (an immediate safety measure); the encoder is dropped after commit."""
    cut = []
    for session in await sessions.live_now(s, [user_id]):
        await sessions.cut_session(s, system_operator(), session.id, reason)
        cut.append(session.id)
    return cut


async def points_of(s: AsyncSession, user_id: int, now: datetime | None = None) -> int:
    """Points of the cases in force that took effect in the 365 days up to `now`."""
    now = now or utcnow()
    q = select(func.coalesce(func.sum(ViolationCase.points), 0)).where(
        ViolationCase.subject_id == user_id, ViolationCase.status == "in_force",
        ViolationCase.effective_at > now - POINTS_WINDOW, ViolationCase.effective_at <= now)
    return int((await s.execute(q)).scalar_one())


def _active(now: datetime) -> Any:
    return (Penalty.status == "active") & or_(Penalty.ends_at.is_(None), Penalty.ends_at > now)


async def _apply_one(s: AsyncSession, case: ViolationCase, m: dict[str, Any], now: datetime) -> Penalty:
    kind = m["kind"]
    ends = now + timedelta(days=int(m["days"])) if kind in TIMED else (now if kind in ONE_OFF else None)
    value = int(m.get("percent", m.get("amount", 0)))
    penalty = Penalty(case_id=case.id, subject_id=case.subject_id, shop_id=case.shop_id, kind=kind, value=value,
                      starts_at=now, ends_at=ends, status="lifted" if kind in ONE_OFF else "active")
    s.add(penalty)
    await s.flush()
    if kind == "fee":
        assert case.shop_id is not None  # normalise_measures refuses a fee without a shop
        await deposits.deduct(s, case.shop_id, value, kind="penalty.fee", ref=f"case:{case.id}:fee",
                              to=acct.PENALTY_REVENUE, memo=f"penalty fee, violation case {case.id}")
    elif kind == "live_revoked":
        # The longest revocation in force wins: a shorter, later one must not shorten it.
        assert ends is not None
        q = select(Penalty.ends_at).where(Penalty.subject_id == case.subject_id, Penalty.kind == "live_revoked",
                                          _active(now))
        until = max([ends, *[e for e in (await s.execute(q)).scalars().all() if e is not None]])
        await sessions.suspend_live(s, system_operator(), case.subject_id, until)
        await cut_streams(s, case.subject_id, f"case {case.id}: live revoked")
    elif kind == "account_ban":
        user = await s.get(User, case.subject_id)
        if user is not None and user.is_active:
            user.is_active = False
            await audit.record(s, None, "account.deactivated", "user", user.id, f"account ban, case {case.id}",
                               {"case_id": case.id})
        await cut_streams(s, case.subject_id, f"case {case.id}: account ban")
    return penalty


async def apply_case(s: AsyncSession, case: ViolationCase, now: datetime) -> list[Penalty]:
    """Apply a case that has just gone in force: its measures, then the ladder's if its points cross a threshold.

    The caller has won the case's transition to in_force (a conditional update), so this runs
    once per case; the subject's row is locked first so two cases of one account going in force
    at once count each other's points.
    """
    await s.execute(select(User.id).where(User.id == case.subject_id).with_for_update())
    applied = [await _apply_one(s, case, m, now) for m in case.measures]
    after = await points_of(s, case.subject_id, now)
    before = after - case.points
    added: list[dict[str, Any]] = []
    for threshold in sorted(ESCALATION, key=lambda t: t.points):
        if not before < threshold.points <= after:
            continue
        for m in threshold.measures:
            if m["kind"] in NEEDS_SHOP and case.shop_id is None:
                continue
            applied.append(await _apply_one(s, case, m, now))
            added.append({**m, "escalation": threshold.points})
        await audit.record(s, None, "penalty.escalated", "case", case.id,
                           f"{after} points in 365 days reached the {threshold.points}-point threshold",
                           {"points": after, "threshold": threshold.points,
                            "measures": [dict(m) for m in threshold.measures]})
    if added:
        case.measures = [*case.measures, *added]  # a new list: the JSON column sees the change
    await s.flush()
    return applied


async def lift_expired(s: AsyncSession, now: datetime) -> int:
    """Mark measures whose time is up as lifted (the guards already ignore them by end time)."""
    q = select(Penalty).where(Penalty.status == "active", Penalty.ends_at.is_not(None), Penalty.ends_at <= now)
    lifted = 0
    for penalty in (await s.execute(q.order_by(Penalty.id).limit(1000))).scalars().all():
        won = await s.execute(update(Penalty).where(Penalty.id == penalty.id, Penalty.status == "active")
                              .values(status="lifted").returning(Penalty.id))
        if won.first() is None:
            continue
        lifted += 1
        await audit.record(s, None, "penalty.lifted", "case", penalty.case_id, f"{penalty.kind} ended",
                           {"penalty_id": penalty.id, "kind": penalty.kind})
        await record_event(s, "penalty.lifted", {"penalty_id": penalty.id, "case_id": penalty.case_id,
                                                 "subject_id": penalty.subject_id, "kind": penalty.kind})
    return lifted


# ---- what other domains ask -------------------------------------------------------------------

async def in_force(s: AsyncSession, user_id: int, now: datetime | None = None) -> list[Penalty]:
    """The account's measures in force now, soonest-ending first (open-ended last)."""
    now = now or utcnow()
    q = select(Penalty).where(Penalty.subject_id == user_id, _active(now)).order_by(Penalty.id)
    rows = list((await s.execute(q)).scalars().all())
    return sorted(rows, key=lambda p: (p.ends_at is None, p.ends_at or now))


async def cart_suspended(s: AsyncSession, user_id: int, now: datetime | None = None) -> bool:
    """May this account not put products into a live or video cart right now?"""
    q = select(Penalty.id).where(Penalty.subject_id == user_id, Penalty.kind == "cart_suspension",
                                 _active(now or utcnow())).limit(1)
    return (await s.execute(q)).first() is not None


async def ensure_cart_allowed(s: AsyncSession, user_id: int) -> None:
    """Refuse (403 `cart_suspended`) while a cart suspension is in force against the account."""
    if await cart_suspended(s, user_id):
        raise CartSuspended("your cart is suspended by a penalty in force; see /me/cases")


async def traffic_limits(s: AsyncSession, now: datetime | None = None) -> dict[int, float]:
    """Share of normal traffic each limited account keeps (0.3 = 30%): the lowest of its limits in force.

    Keyed by the account (the case's subject: the shop owner or the creator). Accounts not in
    the map are not limited. The discovery feed multiplies their exposure by this.
    """
    q = (select(Penalty.subject_id, func.min(Penalty.value))
         .where(Penalty.kind == "traffic_limit", _active(now or utcnow())).group_by(Penalty.subject_id))
    return {int(user_id): int(percent) / 100 for user_id, percent in (await s.execute(q)).all()}


async def listing_ban_until(s: AsyncSession, shop: Shop, now: datetime | None = None) -> datetime | None:
    """When the shop's listing ban in force ends (None: not banned); bans are always timed."""
    now = now or utcnow()
    q = select(Penalty.ends_at).where(Penalty.kind == "listing_ban", _active(now),
                                      or_(Penalty.shop_id == shop.id, Penalty.subject_id == shop.owner_id))
    return max((e for e in (await s.execute(q)).scalars().all() if e is not None), default=None)


async def _listing_guard(s: AsyncSession, shop: Shop, product: Any) -> None:
    until = await listing_ban_until(s, shop)
    if until is not None:
        raise ListingBanned(f"this shop may not list products until {until:%Y-%m-%d %H:%M} UTC (a penalty in force)",
                            until=until.isoformat())


catalog.PUBLISH_GUARDS.append(_listing_guard)
