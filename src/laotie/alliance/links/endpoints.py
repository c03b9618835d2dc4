"""HTTP for share links, tracking links, external channels and their signed postbacks."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from laotie.alliance.links import service
from laotie.alliance.links.schemas import (
    ChannelIn,
    ChannelOut,
    ConversionOut,
    ExternalEarningsOut,
    LinkIn,
    LinkOut,
    PostbackIn,
    PostbackOut,
)
from laotie.identity.auth import CurrentUser
from laotie.kit.errors import DomainError
from laotie.kit.http import Session, get_db
from laotie.models import AllianceChannel

router = APIRouter(prefix="/api/v1/alliance", tags=["alliance"])


def _link_out(link: service.IssuedLink, hours: int | None = None) -> LinkOut:
    return LinkOut(token=link.token, url=link.url, creator_id=link.creator_id, product_id=link.product_id,
                   issued_at=link.issued_at, channel=link.channel, attribution_hours=hours)


def channel_out(c: AllianceChannel, secret: str | None = None) -> ChannelOut:
    return ChannelOut(id=c.id, code=c.code, name=c.name, status=c.status, secret_set_at=c.secret_set_at,
                      secret=secret)


def external_out(e: service.ExternalEarnings) -> ExternalEarningsOut:
    return ExternalEarningsOut(reported=e.reported, confirmed=e.confirmed, cancelled=e.cancelled, conversions=[
        ConversionOut(id=c.id, channel=code, external_order_id=c.external_order_id, product_id=c.product_id,
                      amount=c.amount, commission=c.commission, status=c.status, reported_at=c.reported_at,
                      decided_at=c.decided_at) for c, code in e.conversions])


@router.post("/share-links", status_code=201)
async def share_link(body: LinkIn, request: Request, user: CurrentUser, s: Session) -> LinkOut:
    """A share link for a product the creator promotes: a purchase within the attribution window
    after opening it is theirs (source ``share``)."""
    settings = get_db(request).settings
    link = await service.issue_share_link(s, settings, user, body.product_id)
    return _link_out(link, settings.alliance_share_link_hours)


@router.post("/tracking-links", status_code=201)
async def tracking_link(body: LinkIn, request: Request, user: CurrentUser, s: Session) -> LinkOut:
    """A tracking link for a promoted product sold on a registered external channel."""
    return _link_out(await service.issue_tracking_link(s, get_db(request).settings, user, body.product_id))


@router.post("/channels", status_code=201)
async def register_channel(body: ChannelIn, user: CurrentUser, s: Session) -> ChannelOut:
    """Operators: register an external channel; its postback secret is shown in this answer only."""
    channel, secret = await service.register_channel(s, user, body.code, body.name, body.secret)
    return channel_out(channel, secret)


@router.get("/channels")
async def channels(user: CurrentUser, s: Session) -> list[ChannelOut]:
    return [channel_out(c) for c in await service.list_channels(s, user)]


@router.post("/postbacks/{channel}")
async def postback(channel: str, request: Request, s: Session,
                   signature: Annotated[str | None, Header(alias=service.SIGNATURE_HEADER, max_length=200)] = None,
                   ) -> PostbackOut:
    """An external channel reports a sale or its outcome.

    The body is JSON signed with the channel's secret: the header carries the hex HMAC-SHA256 of
    the raw body. Forged (401 `postback_signature_invalid`), stale (400 `postback_stale`),
    replayed (409 `postback_replayed`, `conversion_already_reported`) postbacks store nothing.
    """
    body = await request.body()
    found = await service.verified_channel(s, channel[:40], body, signature)
    try:
        raw = json.loads(body)
    except ValueError:  # not UTF-8, not JSON
        raise DomainError("body: not valid JSON", code="invalid_request", status=422, field="body") from None
    try:
        data = PostbackIn.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)],
                                     ) from None
    if data.status == "reported":
        for name in ("click_id", "amount", "commission"):
            if getattr(data, name) is None:
                raise DomainError(f"{name}: required when status is reported", code="invalid_request", status=422,
                                  field=name)
        if data.commission is not None and data.amount is not None and data.commission > data.amount:
            raise DomainError("commission: cannot exceed amount", code="invalid_request", status=422,
                              field="commission")
    conversion = await service.receive_postback(s, get_db(request).settings, found, service.Postback(
        nonce=data.nonce, timestamp=data.timestamp, external_order_id=data.external_order_id, status=data.status,
        click_id=data.click_id, amount=data.amount, commission=data.commission))
    return PostbackOut(conversion_id=conversion.id, status=conversion.status)
