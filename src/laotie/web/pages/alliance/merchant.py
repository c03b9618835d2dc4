"""The merchant's alliance pages: listings and their plans, applications, group leaders' offers, samples,
promoters and the commission the shop paid."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from laotie.alliance import repository
from laotie.alliance.leaders import service as leaders
from laotie.alliance.samples import service as samples
from laotie.alliance.service import listings, promotions, reports
from laotie.catalog import service as catalog
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.models import User, utcnow
from laotie.web.render import Form, PageUser, attempt, number, redirect, render, text

router = APIRouter(prefix="/merchant/alliance", include_in_schema=False)
HOME = "/merchant/alliance"


def rate_bps(data: dict[str, str], name: str = "rate") -> int:
    """A percentage with up to two decimals from the form: '12.5' → 1250 basis points."""
    try:
        bps = parse_yuan(text(data, name, 8))  # the same shape as an amount: two decimals, ×100
    except ValueError:
        raise DomainError("enter a rate such as 10 or 12.5", code="invalid_request", status=422,
                          field=name) from None
    if bps > 10_000:
        raise DomainError("a rate is at most 100%", code="invalid_request", status=422, field=name)
    return bps


async def _listings_context(request: Request, s: Session, user: User) -> dict[str, Any]:
    require_role(user, "merchant")
    shop, products, _ = await catalog.shop_products(s, user)
    mine = await reports.shop_listings(s, user)
    listed = {product.id for _, product in mine}
    settings = get_db(request).settings
    return {"user": user, "shop": shop, "listings": mine, "now": utcnow(),
            "listable": [p for p in products if p.status == "published" and p.id not in listed],
            "applications": await repository.applications_for_shop(s, shop.id),
            "offers": await leaders.offers_to_me(s, user, ("proposed", "accepted")),
            "cut_days": settings.alliance_rate_cut_days, "default_floor": settings.alliance_default_floor_bps}


async def _page(request: Request, s: Session, user: User, exc: DomainError | None = None, at: str = "") -> Response:
    ctx = await _listings_context(request, s, user)
    if exc is None:
        return render(request, "alliance/merchant.html", **ctx)
    return render(request, "alliance/merchant.html", status_code=exc.status, error=exc.message,
                  error_code=exc.code, error_at=at, **ctx)


@router.get("")
async def listings_page(request: Request, s: Session, user: PageUser) -> Response:
    return await _page(request, s, user)


@router.post("/list")
async def list_product(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    try:
        terms = listings.ListingTerms(
            rate_bps=rate_bps(data), needs_approval=data.get("needs_approval") == "on",
            exclusive_creator_id=number(data, "exclusive_creator_id", lo=1, hi=MAX_ID),
            exclusive_days=number(data, "exclusive_days", lo=0, hi=90) or 0,
            sample_min_sales=(number(data, "sample_min_sales", lo=0, hi=10**9) or 0) * 100,
            sample_min_fans=number(data, "sample_min_fans", lo=0, hi=10**9) or 0)
        product_id = number(data, "product_id", lo=1, hi=MAX_ID)
        if product_id is None:
            raise DomainError("choose a product", code="invalid_request", status=422, field="product_id")
        async with attempt(s):
            await listings.list_product(s, get_db(request).settings, user, product_id, terms)
    except DomainError as exc:
        return await _page(request, s, user, exc, "list")
    return redirect(HOME)


@router.post("/listings/{listing_id}/{action}")
async def listing_action(request: Request, listing_id: PathId, action: str, s: Session, user: PageUser,
                         data: Form) -> Response:
    try:
        async with attempt(s):
            if action == "rate":
                await listings.change_rate(s, get_db(request).settings, user, listing_id, rate_bps(data))
            elif action in ("withdraw", "resume"):
                await listings.set_status(s, user, listing_id, active=action == "resume")
            else:
                raise DomainError("no such action", code="not_found", status=404)
    except DomainError as exc:
        return await _page(request, s, user, exc, f"listing-{listing_id}")
    return redirect(f"{HOME}#listing-{listing_id}")


@router.post("/applications/{promotion_id}")
async def decide_application(request: Request, promotion_id: PathId, s: Session, user: PageUser,
                             data: Form) -> Response:
    try:
        async with attempt(s):
            await promotions.decide(s, user, promotion_id, approve=data.get("decision") == "approve")
    except DomainError as exc:
        return await _page(request, s, user, exc, "applications")
    return redirect(f"{HOME}#applications")


@router.post("/offers/{offer_id}")
async def decide_offer(request: Request, offer_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    """A group leader's offer to recruit creators for a listing (团长招商): accept or decline."""
    try:
        async with attempt(s):
            await leaders.decide_offer(s, user, offer_id, accept=data.get("decision") == "accept")
    except DomainError as exc:
        return await _page(request, s, user, exc, "offers")
    return redirect(f"{HOME}#offers")


# ---- samples (寄样) ----


async def _samples_page(request: Request, s: Session, user: User, exc: DomainError | None = None,
                        at: str = "") -> Response:
    require_role(user, "merchant")
    shop = await catalog.my_shop(s, user)
    extra: dict[str, Any] = {} if exc is None else {"error": exc.message, "error_code": exc.code, "error_at": at}
    return render(request, "alliance/merchant_samples.html", status_code=exc.status if exc else 200, user=user,
                  shop=shop, samples=await samples.samples_of_shop(s, user, shop.id, None, limit=100), **extra)


@router.get("/samples")
async def samples_page(request: Request, s: Session, user: PageUser) -> Response:
    return await _samples_page(request, s, user)


@router.post("/samples/{sample_id}/{action}")
async def sample_action(request: Request, sample_id: PathId, action: str, s: Session, user: PageUser,
                        data: Form) -> Response:
    try:
        async with attempt(s):
            if action in ("approve", "decline"):
                await samples.decide_sample(s, user, sample_id, approve=action == "approve",
                                            reason=text(data, "reason", 200))
            elif action == "ship":
                await samples.ship_sample(s, get_db(request).settings, user, sample_id,
                                          carrier=text(data, "carrier", 40), tracking_no=text(data, "tracking_no", 60))
            else:
                raise DomainError("no such action", code="not_found", status=404)
    except DomainError as exc:
        return await _samples_page(request, s, user, exc, f"sample-{sample_id}")
    return redirect(f"{HOME}/samples#sample-{sample_id}")


@router.get("/promoters")
async def promoters_page(request: Request, s: Session, user: PageUser) -> Response:
    """The creators who sell for the shop, and what each alliance sale cost it in commission."""
    require_role(user, "merchant")
    promoters = await reports.promoters_of_shop(s, user)
    return render(request, "alliance/merchant_promoters.html", user=user, shop=await catalog.my_shop(s, user),
                  promoters=promoters, lines=await reports.shop_commission_lines(s, user),
                  paid=sum(p.settled for p in promoters), standing=sum(p.commission for p in promoters))
