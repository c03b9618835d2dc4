"""The creator's alliance pages (好物联盟): the selection library, the showcase, samples and earnings."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from laotie.alliance import repository
from laotie.alliance.core.commission import SharePlan, commission_of, split_commission
from laotie.alliance.links import service as links
from laotie.alliance.payouts import service as payouts
from laotie.alliance.samples import service as samples
from laotie.alliance.service import promotions
from laotie.catalog import service as catalog
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.types import MAX_ID, PathId
from laotie.ledger import service as ledger
from laotie.models import AllianceListing, User
from laotie.orders.service.checkout import PHONE_PATTERN
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, redirect, refusal, render, text

router = APIRouter(prefix="/alliance", include_in_schema=False)

SORTS = {"earnings": N_("You keep most"), "rate": N_("Highest rate"), "sales": N_("Best selling (30 days)"),
         "price_low": N_("Lowest price"), "newest": N_("Newest")}
BANDS = ("优", "良", "差", "new")
PER_PAGE = 20


def _int(raw: str | None, lo: int, hi: int) -> int | None:
    raw = (raw or "").strip()
    if not raw or not raw.isdigit() or len(raw) > 12:
        return None
    value = int(raw)
    return value if lo <= value <= hi else None


def _yuan_to_fen(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    whole, _, cents = raw.partition(".")
    if not whole.isdigit() or len(whole) > 9 or (cents and (not cents.isdigit() or len(cents) > 2)):
        return None
    return int(whole) * 100 + int((cents + "00")[:2])


def library_query(params: Any) -> tuple[repository.LibraryQuery, dict[str, Any]]:
    """The library's filters from the query string: anything malformed is simply not applied."""
    sort: repository.LibrarySort = params.get("sort") if params.get("sort") in SORTS else "earnings"
    q = (params.get("q") or "").replace("\x00", "").strip()[:60]  # PostgreSQL text holds no NUL
    category_id = _int(params.get("category_id"), 1, MAX_ID)
    rate = _int(params.get("min_rate"), 0, 100)
    max_price = _yuan_to_fen(params.get("max_price"))
    min_sales = _int(params.get("min_sales"), 0, 10**9)
    bands = tuple(b for b in params.getlist("band") if b in BANDS)
    reliable = params.get("reliable") in ("1", "on", "true")
    page = _int(params.get("page"), 1, 500) or 1
    filters = {"q": q, "category_id": category_id, "min_rate": rate, "max_price": max_price,
               "min_sales": min_sales, "bands": bands, "reliable": reliable, "sort": sort, "page": page}
    return repository.LibraryQuery(
        text=q or None, category_id=category_id, min_rate_bps=None if rate is None else rate * 100,
        max_price=max_price, min_sales=min_sales, bands=bands, reliable=reliable, sort=sort,
        limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE), filters


async def _taken(s: Session, user: User) -> dict[int, str]:
    """The creator's promotions by listing id: applied or approved."""
    return {p.listing_id: p.status for p, _, _ in await repository.promotions_of(s, user.id, ("applied", "approved"))}


@router.get("")
async def library_page(request: Request, s: Session, user: PageUser) -> Response:
    """The selection library (选品库), sorted by what the creator keeps of one order unless asked otherwise."""
    require_role(user, "creator")
    query, filters = library_query(request.query_params)
    fee = get_db(request).settings.alliance_platform_fee_bps
    rows = await repository.library(s, query)
    items = []
    for listing, product, shop_name in rows[:PER_PAGE]:
        plan = SharePlan(rate_bps=listing.rate_bps, platform_fee_bps=fee)
        items.append({"listing": listing, "product": product, "shop_name": shop_name,
                      "keeps": split_commission(commission_of(listing.price, plan), plan).creator})
    return render(request, "alliance/library.html", user=user, items=items, f=filters, sorts=SORTS, bands=BANDS,
                  categories=await catalog.list_categories(s), taken=await _taken(s, user),
                  more=len(rows) > PER_PAGE, params=request.query_params)


@router.post("/take/{listing_id}")
async def take(request: Request, listing_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    """Add to the showcase, or apply; with htmx only the item's button is swapped."""
    error: DomainError | None = None
    status = None
    try:
        async with attempt(s):
            status = (await promotions.take_product(s, user, listing_id)).status
    except DomainError as exc:
        error = exc
    if request.headers.get("hx-request"):
        # htmx swaps only 2xx answers by default: the refusal travels in the fragment, marked for tests.
        return render(request, "alliance/_take.html", user=user, listing_id=listing_id, status=status,
                      error=error.message if error else None, error_code=error.code if error else None)
    if error is not None:
        raise error
    return redirect("/alliance/showcase")


async def _showcase_context(request: Request, s: Session, user: User) -> dict[str, Any]:
    settings = get_db(request).settings
    showcase = []
    for promotion, listing, product in await promotions.showcase(s, user.id):
        share = None
        if not product.external_url:
            try:
                share = (await links.issue_share_link(s, settings, user, product.id)).url
            except DomainError:
                share = None
        showcase.append({"promotion": promotion, "listing": listing, "product": product, "share": share})
    everything = await repository.promotions_of(s, user.id, ("applied", "declined"))
    return {"user": user, "showcase": showcase, "applications": everything,
            "samples": await samples.samples_of_creator(s, user, limit=50)}


@router.get("/showcase")
async def showcase_page(request: Request, s: Session, user: PageUser) -> Response:
    """The showcase (橱窗) with a share link each, applications waiting or declined, and samples."""
    require_role(user, "creator")
    return render(request, "alliance/showcase.html", **await _showcase_context(request, s, user))


@router.post("/showcase/{listing_id}/remove")
async def remove(request: Request, listing_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await promotions.remove(s, user, listing_id)
    except DomainError as exc:
        return refusal(request, "alliance/showcase.html", exc, **await _showcase_context(request, s, user))
    return redirect("/alliance/showcase")


async def _sample_context(request: Request, s: Session, user: User, listing_id: int) -> dict[str, Any]:
    require_role(user, "creator")
    settings = get_db(request).settings
    standing = await samples.eligibility(s, settings, user, listing_id)
    listing = await s.get(AllianceListing, listing_id)
    assert listing is not None  # eligibility checked it
    product = await catalog.product_view(s, listing.product_id)
    return {"user": user, "listing": listing, "product": product.product, "e": standing, "phone_pattern": PHONE_PATTERN}


@router.get("/samples/new/{listing_id}")
async def sample_form(request: Request, listing_id: PathId, s: Session, user: PageUser) -> Response:
    """Ask for a sample (寄样): the product's policy against the creator's standing, then the address."""
    return render(request, "alliance/sample_new.html", **await _sample_context(request, s, user, listing_id))


@router.post("/samples/new/{listing_id}")
async def request_sample(request: Request, listing_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    to = samples.Recipient(recipient=text(data, "recipient", 120), phone=text(data, "phone", 24),
                           address=text(data, "address", 300))
    try:
        for name in ("recipient", "phone", "address"):
            if not getattr(to, name):
                raise DomainError(f"fill in the {name}", code="invalid_request", status=422, field=name)
        async with attempt(s):
            await samples.request_sample(s, get_db(request).settings, user, listing_id, to)
    except DomainError as exc:
        return refusal(request, "alliance/sample_new.html", exc, form=data,
                       **await _sample_context(request, s, user, listing_id))
    return redirect("/alliance/showcase#samples")


@router.get("/earnings")
async def earnings_page(request: Request, s: Session, user: PageUser) -> Response:
    """Commission per line (estimated, settled, reversed), by day in a chart, and the balances."""
    totals = await repository.earnings_totals(s, user.id)
    balances = await ledger.commission_balances(s, user.id)
    days = await payouts.earnings_by_day(s, user, 30)
    chart = {"days": [d.day.isoformat()[5:] for d in days], "estimated": [d.estimated / 100 for d in days],
             "settled": [d.settled / 100 for d in days], "reversed": [d.reversed / 100 for d in days]}
    return render(request, "alliance/earnings.html", user=user, totals=totals,
                  reversed=totals["estimated"] - totals["standing"], balances=balances,
                  lines=await repository.commission_lines_of(s, user.id), chart=json.dumps(chart))
