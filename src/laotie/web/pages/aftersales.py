"""After-sales pages: the buyer's request and claim forms, the merchant's queue, deposit and guarantees,
and the operator's queue of disputes and counterfeit claims."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from laotie.aftersales import repository
from laotie.aftersales.errors import AftersaleInvalid
from laotie.aftersales.service import claims, policies, requests
from laotie.aftersales.standing import standing
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.kit.limits import upload
from laotie.kit.money import parse_yuan
from laotie.kit.types import PathId
from laotie.models import utcnow
from laotie.orders.gateway import gateway_for
from laotie.orders.service import queries
from laotie.trust.deposits import service as deposits
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, redirect, render, templates, text

router = APIRouter(include_in_schema=False)

# Labels are marked for translation and translated where shown: {{ _(kinds[a.kind]) }}.
KIND_LABELS = {"refund_only": N_("Refund only 仅退款"), "return_refund": N_("Return and refund 退货退款"),
               "exchange": N_("Exchange 换货")}
REASON_LABELS = {"no_reason": N_("Changed my mind (7-day no-reason)"), "quality": N_("Quality problem"),
                 "not_as_described": N_("Not as described"), "wrong_item": N_("Wrong item"),
                 "damaged": N_("Arrived damaged"), "not_received": N_("Not received"), "other": N_("Other")}
STATUS_LABELS = {"requested": N_("Waiting for the shop"), "approved": N_("Approved"),
                 "awaiting_return": N_("Approved · awaiting the return"),
                 "return_shipped": N_("Sent back · on its way"),
                 "refunded": N_("Refunded"), "exchanged": N_("Exchanged"), "rejected": N_("Rejected by the shop"),
                 "disputed": N_("The platform is deciding"), "closed": N_("Closed"), "cancelled": N_("Withdrawn")}
GUARANTEE_LABELS = {"instant": N_("Instant refund 极速退款"), "no_return": N_("Refund without return 退款不退货")}
# The order page (whichever route renders it) shows its after-sales with these words.
templates.env.globals.update(AFTERSALE_KINDS=KIND_LABELS, AFTERSALE_REASONS=REASON_LABELS,
                             AFTERSALE_STATUSES=STATUS_LABELS, AFTERSALE_GUARANTEES=GUARANTEE_LABELS)


def _yuan_or_none(data: dict[str, str], name: str) -> int | None:
    raw = data.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_yuan(raw)
    except ValueError:
        raise AftersaleInvalid("enter an amount such as 12.50", field=name) from None


async def _new_form(request: Request, s: Session, user: PageUser, order_id: int, status_code: int = 200,
                    **extra: object) -> Response:
    view = await queries.order_view(s, user, order_id)
    return render(request, "aftersales/new.html", status_code=status_code, user=user, view=view,
                  kinds=KIND_LABELS, reasons=REASON_LABELS, refundable=view.order.total - view.order.refunded,
                  standing=await standing(s, get_db(request).settings, user, utcnow()), **extra)


@router.get("/aftersales/new/{order_id}")
async def new_request(request: Request, order_id: PathId, s: Session, user: PageUser) -> Response:
    return await _new_form(request, s, user, order_id)


@router.post("/aftersales/new/{order_id}")
@upload("image")
async def create_request(request: Request, order_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    settings = get_db(request).settings
    # The same upload path as a review's photos: files named "images", checked by their bytes.
    uploads = [f for f in (await request.form()).getlist("images") if isinstance(f, UploadFile) and f.filename]
    try:
        async with attempt(s):
            a = await requests.request_aftersale(
                s, settings, user, order_id, kind=text(data, "kind", 20),
                reason=text(data, "reason", 20), amount=_yuan_or_none(data, "amount"),
                description=text(data, "description", 500))
            if uploads:
                images = [await f.read(settings.max_image_bytes + 1) for f in uploads]
                await requests.add_request_photos(s, user, a.id, images, media_dir=settings.media_dir,
                                                  max_bytes=settings.max_image_bytes)
    except DomainError as exc:
        return await _new_form(request, s, user, order_id, status_code=exc.status, error=exc.message,
                               error_code=exc.code, form=data)
    return redirect(f"/orders/{order_id}#aftersales")


@router.get("/claims/new/{order_id}")
async def new_claim(request: Request, order_id: PathId, s: Session, user: PageUser) -> Response:
    return render(request, "aftersales/claim.html", user=user, view=await queries.order_view(s, user, order_id))


@router.post("/claims/new/{order_id}")
async def create_claim(request: Request, order_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await claims.file_claim(s, get_db(request).settings, user, order_id, text(data, "statement", 2000))
    except DomainError as exc:
        return render(request, "aftersales/claim.html", status_code=exc.status, user=user, error=exc.message,
                      error_code=exc.code, view=await queries.order_view(s, user, order_id), form=data)
    return redirect(f"/orders/{order_id}#aftersales")


@router.post("/aftersales/{aftersale_id}/{action}")
async def act(request: Request, aftersale_id: PathId, action: str, s: Session, user: PageUser,
              data: Form) -> Response:
    """Every step after the request, for whichever side may take it; a refusal is shown where it was taken."""
    settings = get_db(request).settings
    a = await requests.get_aftersale(s, aftersale_id)
    back = f"/orders/{a.order_id}#aftersales" if a.buyer_id == user.id else "/merchant/aftersales"
    if user.has_role("operator") and action == "arbitrate":
        back = "/operator/disputes"
    try:
        async with attempt(s):
            if action == "approve":
                await requests.decide(s, settings, user, a.id, approve=True)
            elif action == "reject":
                await requests.decide(s, settings, user, a.id, approve=False, reason=text(data, "reason", 300))
            elif action == "ship-return":
                await requests.ship_return(s, settings, user, a.id, carrier=text(data, "carrier", 40),
                                           tracking_no=text(data, "tracking_no", 60))
            elif action == "received":
                await requests.confirm_return(s, settings, user, a.id)
            elif action == "cancel":
                await requests.cancel(s, user, a.id)
            elif action == "escalate":
                await requests.escalate(s, user, a.id)
            elif action == "arbitrate":
                await requests.arbitrate(s, settings, user, a.id, for_buyer=data.get("for") == "buyer",
                                         reason=text(data, "reason", 300))
            else:
                raise DomainError("unknown action", code="not_found", status=404)
    except DomainError as exc:
        return render(request, "error.html", status_code=exc.status, user=user, error=exc.message,
                      error_code=exc.code, back=back.split("#")[0])
    return redirect(back)


# ---- the merchant's side ------------------------------------------------------------------------


@router.get("/merchant/aftersales")
async def merchant_queue(request: Request, s: Session, user: PageUser) -> Response:
    open_ = await policies.shop_queue(s, user, repository.OPEN[:-1])
    done = [a for a in await policies.shop_queue(s, user, None) if a.status not in repository.OPEN][:30]
    return render(request, "merchant/aftersales.html", user=user, open=open_, done=done, kinds=KIND_LABELS,
                  reasons=REASON_LABELS, now=utcnow())


async def _deposit_page(request: Request, s: Session, user: PageUser, status_code: int = 200,
                        **extra: object) -> Response:
    policy = await policies.my_policy(s, user)
    payment_id = request.query_params.get("payment", "")
    topup = None
    if payment_id.isdigit():
        topup = next((t for t in await deposits.topups(s, user) if t.payment_id == int(payment_id)), None)
    return render(request, "merchant/deposit.html", status_code=status_code, user=user,
                  deposit=await deposits.status(s, policy.shop_id), policy=policy, topup=topup, **extra)


@router.get("/merchant/deposit")
async def deposit_page(request: Request, s: Session, user: PageUser) -> Response:
    """The deposit (保证金) and the shop's guarantee settings (信任购)."""
    return await _deposit_page(request, s, user)


@router.post("/merchant/deposit/{action}")
async def deposit_action(request: Request, action: str, s: Session, user: PageUser, data: Form) -> Response:
    settings = get_db(request).settings
    try:
        async with attempt(s):
            if action == "topup":
                topup = await deposits.open_topup(s, settings, user, _yuan_or_none(data, "amount") or 0)
                return redirect(gateway_for(settings).pay_url(topup.payment_id))
            if action == "policy":
                await policies.set_policy(
                    s, user, refund_without_return=data.get("refund_without_return") == "on",
                    no_return_threshold=_yuan_or_none(data, "no_return_threshold") or 0,
                    return_shipping_funded_by="merchant" if data.get("funded_by") == "merchant" else "platform")
            else:
                raise DomainError("unknown action", code="not_found", status=404)
    except DomainError as exc:
        return await _deposit_page(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code)
    return redirect("/merchant/deposit")


# ---- the operator's side ------------------------------------------------------------------------


@router.get("/operator/disputes")
async def operator_queue(request: Request, s: Session, user: PageUser) -> Response:
    """Disputed after-sales to arbitrate and counterfeit claims to decide."""
    filed = await claims.queue(s, user, "filed")
    return render(request, "operator/disputes.html", user=user, disputes=await repository.disputed(s),
                  claims=filed, kinds=KIND_LABELS, reasons=REASON_LABELS)


@router.post("/operator/claims/{claim_id}")
async def decide_claim(request: Request, claim_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await claims.decide_claim(s, get_db(request).settings, user, claim_id,
                                      uphold=data.get("decision") == "uphold", reason=text(data, "reason", 500))
    except DomainError as exc:
        return render(request, "error.html", status_code=exc.status, user=user, error=exc.message,
                      error_code=exc.code)
    return redirect("/operator/disputes")
