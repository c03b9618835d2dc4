"""Traffic pages: the discovery feed, "Why am I seeing this?", "Why is my traffic what it is?", and the
operator's overview with the editable targets."""

from __future__ import annotations

import json
import secrets

from fastapi import APIRouter, Request, Response

from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.types import PathId
from laotie.models import utcnow
from laotie.traffic.endpoints import page_items
from laotie.traffic.service import actions, items, reports
from laotie.traffic.service.feed import change_feed_settings, feed_of, feed_settings, item_key
from laotie.web.i18n import N_
from laotie.web.render import Form, MaybeUser, PageUser, attempt, number, redirect, render, text

router = APIRouter(include_in_schema=False)

VIEWER_COOKIE = "laotie_viewer"  # signed-out viewers: their feed memory, not an identity
# Where a served item came from (traffic.ranking.pages.SOURCES), as the pages name it.
SOURCE_LABELS = {"discovery": N_("Discovery"), "cold_start": N_("New-creator slots"), "ad": N_("Ads"),
                 "ad_slot_organic": N_("Ad slots (organic)"), "following": N_("Following")}
# The owner report's notes (traffic/service/reports.py), marked here for the catalogs: the service
# speaks English to the API, and mine.html translates each note it shows.
REPORT_NOTES = (
    N_("A penalty limited your traffic: you were shown only to that share of viewers."),
    N_("Your shop score band lowered your ranking (差 ×0.7 by default): see /merchant/score."),
    N_("You were under-exposed for your content's predicted value, so fairness lifted you."),
    N_("Nothing of yours was in the discovery feed: publish a video or go live."),
)


@router.get("/discover")
async def discover_page(request: Request, s: Session, user: MaybeUser) -> Response:
    """发现: a page of the discovery feed; each card opens through /feed/open so the click is counted."""
    anonymous = request.cookies.get(VIEWER_COOKIE) or secrets.token_urlsafe(12)
    feed = feed_of(get_db(request))
    served = await feed.serve(s, user.id if user else None, None if user else anonymous, 12, utcnow())
    response = render(request, "traffic/discover.html", user=user, cards=await page_items(s, served))
    if user is None and VIEWER_COOKIE not in request.cookies:
        response.set_cookie(VIEWER_COOKIE, anonymous, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


@router.get("/feed/open/{impression_id}")
async def open_item(request: Request, impression_id: PathId, s: Session, user: MaybeUser) -> Response:
    """Count the click, then go to the room or video, carrying the impression for the watch-time beacon."""
    row = await actions.record_click(s, feed_of(get_db(request)), user, impression_id)
    card = (await items.cards(s, [item_key(row.item_kind, row.item_id)])).get(item_key(row.item_kind, row.item_id))
    if card is None:
        return render(request, "error.html", status_code=404, user=user, error=N_("That is no longer available."))
    return redirect(f"{card.url}?imp={row.id}")


@router.post("/feed/watch/{impression_id}", status_code=204)
async def watched(request: Request, impression_id: PathId, s: Session, user: MaybeUser, data: Form) -> Response:
    """Seconds watched, sent by the item page when the viewer leaves it (navigator.sendBeacon)."""
    seconds = number(data, "seconds", lo=1, hi=actions.MAX_WATCH_SECONDS)
    if seconds is None:
        raise DomainError(N_("seconds watched is a whole number"), code="invalid_request", status=422, field="seconds")
    await actions.record_watch(s, feed_of(get_db(request)), user, impression_id, seconds)
    return Response(status_code=204)


@router.get("/why/{impression_id}")
async def why_page(request: Request, impression_id: PathId, s: Session, user: PageUser) -> Response:
    got = await reports.why(s, user, impression_id)
    card = (await items.cards(s, [got.entry.key])).get(got.entry.key)
    return render(request, "traffic/why.html", user=user, why=got, card=card, sources=SOURCE_LABELS)


@router.get("/me/traffic")
async def my_traffic_page(request: Request, s: Session, user: PageUser) -> Response:
    report = await reports.owner_report(s, user.id, utcnow())
    chart = {"days": [d for d, _ in report.by_day], "impressions": [n for _, n in report.by_day],
             "sources": report.by_source}
    return render(request, "traffic/mine.html", user=user, r=report, chart=json.dumps(chart, ensure_ascii=False),
                  sources=SOURCE_LABELS)


async def _operator_page(request: Request, s: Session, user: PageUser, status_code: int = 200,
                         **extra: object) -> Response:
    settings = await feed_settings(s)
    view = await reports.operator_view(s, user, utcnow(), settings)
    chart = {"days": [d.day for d in view.days], "gini": [round(d.gini, 4) for d in view.days],
             "target": settings.gini_target, "impressions": [d.impressions for d in view.days],
             "new_share": [round(d.new_owner_share, 4) for d in view.days],
             "brackets": [b.bracket for b in view.brackets],
             "bracket_impressions": [round(b.impressions_share, 4) for b in view.brackets],
             "bracket_gmv": [round(b.gmv_share, 4) for b in view.brackets]}
    return render(request, "traffic/operator.html", status_code=status_code, user=user, view=view,
                  settings=settings, feed=settings, chart=json.dumps(chart, ensure_ascii=False), **extra)


@router.get("/operator/traffic")
async def operator_page(request: Request, s: Session, user: PageUser) -> Response:
    return await _operator_page(request, s, user)


@router.post("/operator/traffic/{action}")
async def operator_action(request: Request, action: str, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            if action == "settings":
                try:
                    positions = [int(p) for p in text(data, "ad_positions", 60).replace("，", ",").split(",")
                                 if p.strip()]
                    values = {"gini_target": float(data.get("gini_target", "")),
                              "cold_start_days": float(data.get("cold_start_days", "")),
                              "cold_start_share": float(data.get("cold_start_share", "")) / 100,
                              "official_boost": float(data.get("official_boost", "")),
                              "fairness": data.get("fairness") == "on", "cold_start": data.get("cold_start") == "on",
                              "ad_positions": positions}
                except ValueError as exc:
                    raise DomainError(N_("Check the settings: each is a number, the ad slot positions whole "
                                         "numbers separated by commas."), code="invalid_request", status=422) from exc
                await change_feed_settings(s, feed_of(get_db(request)), user, values)
            elif action == "tag":
                await items.tag_official(s, user, text(data, "item_kind", 10),
                                         number(data, "item_id", lo=1, hi=2**62) or 0, text(data, "label", 40))
            else:
                raise DomainError(N_("unknown action"), code="not_found", status=404)
    except DomainError as exc:
        return await _operator_page(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code)
    return redirect("/operator/traffic")
