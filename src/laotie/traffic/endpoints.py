"""HTTP for the discovery feed, its explanations, and the operator's traffic settings."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Query, Request

from laotie.identity.auth import CurrentUser
from laotie.kit.errors import Forbidden
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.models import utcnow
from laotie.traffic.ranking.settings import FeedSettings
from laotie.traffic.schemas import (
    FeedItemOut,
    FeedSettingsIn,
    FeedSettingsOut,
    OfficialTagIn,
    OwnerTrafficOut,
    WatchIn,
    WhyOut,
)
from laotie.traffic.service import actions, items, reports
from laotie.traffic.service.feed import EDITABLE, Served, change_feed_settings, feed_of, feed_settings

router = APIRouter(prefix="/api/v1", tags=["feed"])


async def page_items(s: Session, served: list[Served]) -> list[FeedItemOut]:
    shown = await items.cards(s, [x.entry.key for x in served])
    out = []
    for x in served:
        card = shown.get(x.entry.key)
        if card is None:
            continue  # removed between ranking and now: the impression stays logged, the card is gone
        out.append(FeedItemOut(impression_id=x.impression_id, kind=card.key[0], id=card.key[1],
                               position=x.entry.position, source=x.entry.source, title=card.title,
                               owner_id=card.owner_id, owner_name=card.owner_name, picture=card.picture,
                               official=x.entry.official, url=f"/feed/open/{x.impression_id}"))
    return out


@router.get("/feed/discover")
async def discover(request: Request, user: CurrentUser, s: Session, k: int = Query(10, ge=1, le=30)
                   ) -> list[FeedItemOut]:
    """A page of the discovery feed; each item's impression is logged with why it is there."""
    feed = feed_of(get_db(request))
    return await page_items(s, await feed.serve(s, user.id, None, k, utcnow()))


@router.post("/feed/impressions/{impression_id}/click", status_code=204)
async def click(impression_id: PathId, request: Request, user: CurrentUser, s: Session) -> None:
    await actions.record_click(s, feed_of(get_db(request)), user, impression_id)


@router.post("/feed/impressions/{impression_id}/watch", status_code=204)
async def watch(impression_id: PathId, body: WatchIn, request: Request, user: CurrentUser, s: Session) -> None:
    await actions.record_watch(s, feed_of(get_db(request)), user, impression_id, body.seconds)


@router.get("/feed/impressions/{impression_id}/why")
async def why(impression_id: PathId, user: CurrentUser, s: Session) -> WhyOut:
    """"Why am I seeing this?" for an item served to you."""
    got = await reports.why(s, user, impression_id)
    return WhyOut(impression_id=got.impression.id, served_at=got.impression.served_at, position=got.entry.position,
                  source=got.entry.source, explanation=got.text, components=got.entry.components._asdict())


@router.get("/me/traffic")
async def my_traffic(user: CurrentUser, s: Session, days: int = Query(7, ge=1, le=30)) -> OwnerTrafficOut:
    """"Why is my traffic what it is?" counted from what was served."""
    r = await reports.owner_report(s, user.id, utcnow(), days)
    data = asdict(r)
    data["trust_multipliers"] = {str(k): v for k, v in r.trust_multipliers.items()}
    data["limits"] = {str(k): v for k, v in r.limits.items()}
    return OwnerTrafficOut(**data)


def settings_out(st: FeedSettings) -> FeedSettingsOut:
    return FeedSettingsOut(**{k: getattr(st, k) for k in EDITABLE if k != "ad_positions"},
                           ad_positions=list(st.ad_positions))


@router.get("/traffic/settings")
async def get_settings(user: CurrentUser, s: Session) -> FeedSettingsOut:
    if not user.has_role("operator"):
        raise Forbidden("only operators see the traffic settings")
    return settings_out(await feed_settings(s))


@router.put("/traffic/settings")
async def put_settings(body: FeedSettingsIn, request: Request, user: CurrentUser, s: Session) -> FeedSettingsOut:
    """Change the targets; every process picks them up at its next refresh (this one at once)."""
    return settings_out(await change_feed_settings(s, feed_of(get_db(request)), user,
                                                   body.model_dump(exclude_none=True)))


@router.put("/official-tags", status_code=204)
async def tag(body: OfficialTagIn, user: CurrentUser, s: Session) -> None:
    await items.tag_official(s, user, body.item_kind, body.item_id, body.label)


@router.delete("/official-tags/{item_kind}/{item_id}", status_code=204)
async def untag(item_kind: str, item_id: PathId, user: CurrentUser, s: Session) -> None:
    await items.untag_official(s, user, item_kind, item_id)
