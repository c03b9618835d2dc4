"""Share links and tracked link-outs: signed tokens, the share cookie, clicks, channels and their postbacks.

**Share links (分享链接).** A creator promoting a product (an approved promotion of an active
listing) gets a link `/s/<token>`; the token names creator, product and issue time and is signed
with a key derived from the instance secret. Opening it sets the share cookie — the token's
fields plus the time it was opened, signed with a second key, so a client can neither forge it
nor renew an old one — and a newer link replaces it (last click wins). A page checkout of that
product within `alliance_share_link_hours` of opening is attributed to the creator as source
``share:<creator_id>``; that source never comes from a form (`share_source`).

**Link-outs (站外推广).** A product sold on another channel (catalog `external_channel` /
`external_url`) and listed in the alliance gets, for a promoting creator, a tracking link
`/go/<token>`: each click is recorded and the buyer is sent on to the external URL with a signed
click id (``lt_click``). The channel reports a sale by a postback signed with its own secret
(HMAC-SHA256 over the raw body, registered by an operator), carrying a timestamp (refused
more than five minutes off) and a nonce (refused when seen before); the same external order is
credited once. Such commission is **external**: the channel pays it, so neither the report nor
the channel's later confirmation touches laotie's ledger — it shows apart in the creator's
earnings (`external_earnings`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.errors import NotPromoting
from laotie.alliance.links import repository
from laotie.alliance.links.errors import (
    BadSignature,
    ChannelDisabled,
    ChannelExists,
    ChannelNotFound,
    ClickNotFound,
    ConversionDecided,
    ConversionExists,
    ConversionNotFound,
    LinkInactive,
    LinkInvalid,
    NotExternal,
    ProductNotFound,
    ReplayedPostback,
    StalePostback,
)
from laotie.config import Settings
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.events import record_event
from laotie.models import AllianceChannel, AllianceExternalConversion, AllianceLinkClick, Product, User, utcnow

SHARE_COOKIE = "laotie_share"
CLICK_PARAM = "lt_click"
SIGNATURE_HEADER = "X-Laotie-Signature"
POSTBACK_SKEW = timedelta(minutes=5)
NONCE_KEPT = timedelta(hours=1)
MAC_BYTES = 16  # 128 bits: out of reach of guessing, short enough for a link
MAX_TOKEN = 200
CHANNEL_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_NUMBER = re.compile(r"[0-9]{1,18}")
# Each purpose its own key: a share token is no cookie, a cookie no click id.
_SHARE, _COOKIE = "alliance-share-link", "alliance-share-cookie"
_LINK_OUT, _CLICK = "alliance-link-out", "alliance-click"


# ---- signed tokens ---------------------------------------------------------------------------------


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    # Only the canonical spelling: the last character's spare bits must not make a second valid link.
    return raw if _b64(raw) == text else None


def _seal(key: bytes, *numbers: int) -> str:
    body = ".".join(str(n) for n in numbers)
    return f"{body}.{_b64(_mac(key, body))}"


def _unseal(key: bytes, text: str | None, count: int) -> tuple[int, ...] | None:
    """The numbers a sealed text carries, or None when it is malformed or its signature fails."""
    if not text or len(text) > MAX_TOKEN:
        return None
    *numbers, signature = text.split(".")
    if len(numbers) != count or not all(_NUMBER.fullmatch(n) for n in numbers):
        return None
    given = _unb64(signature)
    if given is None or len(given) != MAC_BYTES:
        return None
    # Bytes against bytes: compare_digest never sees a str whatever a client sent.
    if not hmac.compare_digest(_mac(key, ".".join(numbers)), given):
        return None
    return tuple(int(n) for n in numbers)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class LinkToken:
    """What a share or tracking link names: who promotes which product, since when."""

    creator_id: int
    product_id: int
    issued_at: datetime


def share_token(settings: Settings, creator_id: int, product_id: int, issued_at: datetime) -> str:
    return _seal(settings.secret(_SHARE), creator_id, product_id, int(issued_at.timestamp()))


def read_share_token(settings: Settings, token: str | None) -> LinkToken | None:
    found = _unseal(settings.secret(_SHARE), token, 3)
    return LinkToken(found[0], found[1], _at(found[2])) if found else None


def share_cookie(settings: Settings, link: LinkToken, opened_at: datetime) -> str:
    """The cookie's value: the token's fields and the opening time, signed together."""
    return _seal(settings.secret(_COOKIE), link.creator_id, link.product_id, int(link.issued_at.timestamp()),
                 int(opened_at.timestamp()))


def open_share_link(settings: Settings, token: str, now: datetime) -> tuple[LinkToken, str]:
    """A visitor opened a share link: the link, and the cookie that remembers it from `now`."""
    link = read_share_token(settings, token)
    if link is None:
        raise LinkInvalid("this share link is not valid")
    return link, share_cookie(settings, link, now)


def share_source(settings: Settings, cookie: str | None, product_id: int, now: datetime) -> str | None:
    """``share:<creator_id>`` when the cookie is genuine, for this product, and opened at most
    `alliance_share_link_hours` before `now`; otherwise None (the purchase stays direct).

    Whether the creator still promotes the product is the attribution's business at checkout.
    """
    found = _unseal(settings.secret(_COOKIE), cookie, 4)
    if found is None:
        return None
    creator_id, cookie_product, _, opened = found
    age = now - _at(opened)
    window = timedelta(hours=settings.alliance_share_link_hours)
    if cookie_product != product_id or age < -POSTBACK_SKEW or age > window:
        return None
    return f"share:{creator_id}"


def tracking_token(settings: Settings, creator_id: int, product_id: int, issued_at: datetime) -> str:
    return _seal(settings.secret(_LINK_OUT), creator_id, product_id, int(issued_at.timestamp()))


def read_tracking_token(settings: Settings, token: str | None) -> LinkToken | None:
    found = _unseal(settings.secret(_LINK_OUT), token, 3)
    return LinkToken(found[0], found[1], _at(found[2])) if found else None


def click_ref(settings: Settings, click: AllianceLinkClick) -> str:
    """The signed click id handed to the external channel, which sends it back in its postback."""
    return _seal(settings.secret(_CLICK), click.id, click.channel_id)


def _click_id(settings: Settings, ref: str, channel_id: int) -> int | None:
    found = _unseal(settings.secret(_CLICK), ref, 2)
    return found[0] if found and found[1] == channel_id else None


# ---- issuing links --------------------------------------------------------------------------------


async def _promoted_product(s: AsyncSession, creator: User, product_id: int) -> Product:
    require_role(creator, "creator")
    product = await s.get(Product, product_id)
    if product is None:
        raise ProductNotFound("no such product", field="product_id")
    if product.status != "published" or await repository.approved_promotion(s, creator.id, product.id) is None:
        raise NotPromoting("you do not promote this product through the alliance", field="product_id")
    return product


@dataclass(frozen=True)
class IssuedLink:
    token: str
    url: str
    creator_id: int
    product_id: int
    issued_at: datetime
    channel: str | None = None


async def issue_share_link(s: AsyncSession, settings: Settings, creator: User, product_id: int,
                           now: datetime | None = None) -> IssuedLink:
    """A share link for a product the creator promotes and that is sold here. Nothing is stored."""
    product = await _promoted_product(s, creator, product_id)
    if product.external_url:
        raise NotExternal(f"this product is sold on {product.external_channel}: ask for a tracking link",
                          field="product_id")
    now = (now or utcnow()).replace(microsecond=0)
    token = share_token(settings, creator.id, product.id, now)
    return IssuedLink(token, f"/s/{token}", creator.id, product.id, now)


async def issue_tracking_link(s: AsyncSession, settings: Settings, creator: User, product_id: int,
                              now: datetime | None = None) -> IssuedLink:
    """A tracking link for a promoted product sold on a registered, active external channel."""
    product = await _promoted_product(s, creator, product_id)
    if not product.external_url or not product.external_channel:
        raise NotExternal("this product is sold here: share it with a share link", field="product_id")
    channel = await _channel_of(s, product)
    now = (now or utcnow()).replace(microsecond=0)
    token = tracking_token(settings, creator.id, product.id, now)
    return IssuedLink(token, f"/go/{token}", creator.id, product.id, now, channel.code)


async def _channel_of(s: AsyncSession, product: Product) -> AllianceChannel:
    channel = await repository.channel_named(s, product.external_channel or "")
    if channel is None:
        raise ChannelNotFound(f"{product.external_channel} is not a channel registered with laotie")
    if channel.status != "active":
        raise ChannelDisabled(f"{channel.name} is not taking tracked links now")
    return channel


def _with_click(url: str, ref: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != CLICK_PARAM]
    return urlunsplit(parts._replace(query=urlencode([*query, (CLICK_PARAM, ref)])))


async def record_click(s: AsyncSession, settings: Settings, token: str, now: datetime | None = None) -> str:
    """A visitor followed a tracking link: record the click; the external URL carrying its signed id.

    A link whose creator stopped promoting the product, or whose channel is off, leads nowhere
    (404 `link_inactive`): a click the channel would credit to nobody is not sent on.
    """
    link = read_tracking_token(settings, token)
    if link is None:
        raise LinkInvalid("this link is not valid")
    product = await s.get(Product, link.product_id)
    found = await repository.approved_promotion(s, link.creator_id, link.product_id)
    if product is None or found is None or product.status != "published" or not product.external_url:
        raise LinkInactive("this product is not promoted through this link any more")
    try:
        channel = await _channel_of(s, product)
    except DomainError:
        raise LinkInactive("this product's channel is not taking tracked links now") from None
    click = AllianceLinkClick(channel_id=channel.id, creator_id=link.creator_id, product_id=product.id,
                              listing_id=found[0].id, created_at=now or utcnow())
    s.add(click)
    await s.flush()
    await record_event(s, "alliance.link_clicked", {"click_id": click.id, "channel_id": channel.id,
                                                    "creator_id": link.creator_id, "product_id": product.id})
    return _with_click(product.external_url, click_ref(settings, click))


# ---- channels -------------------------------------------------------------------------------------


async def register_channel(s: AsyncSession, operator: User, code: str, name: str, secret: str | None = None,
                           ) -> tuple[AllianceChannel, str]:
    """Register an external channel and the secret its postbacks are signed with (generated when
    not given); returns the channel and the secret, which no later answer shows again."""
    require_role(operator, "operator")
    if not CHANNEL_CODE.fullmatch(code):
        raise DomainError("a code is 2–40 lower-case letters, digits or dashes", code="invalid_request",
                          status=422, field="code")
    if await repository.channel_by_code(s, code) is not None:
        raise ChannelExists("a channel with this code is registered already", field="code")
    secret = secret or secrets.token_urlsafe(32)
    now = utcnow()
    channel = AllianceChannel(code=code, name=name, secret=secret, status="active", registered_by=operator.id,
                              secret_set_at=now, created_at=now)
    s.add(channel)
    await s.flush()
    await record_event(s, "alliance.channel_registered", {"channel_id": channel.id, "code": code,
                                                          "by": operator.id})
    return channel, secret


async def channel_registered(s: AsyncSession, external_channel: str) -> bool:
    """Whether a product's `external_channel` names a registered channel (its sales can be tracked)."""
    return await repository.channel_named(s, external_channel) is not None


async def list_channels(s: AsyncSession, operator: User) -> list[AllianceChannel]:
    require_role(operator, "operator")
    return await repository.channels(s)


# ---- postbacks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Postback:
    """A channel's report, as its signed body says."""

    nonce: str
    timestamp: int
    external_order_id: str
    status: Literal["reported", "confirmed", "cancelled"] = "reported"
    click_id: str | None = None
    amount: int | None = None
    commission: int | None = None


async def verified_channel(s: AsyncSession, code: str, body: bytes, signature: str | None) -> AllianceChannel:
    """The channel whose secret signed this raw body (HMAC-SHA256, hex), or a refusal."""
    channel = await repository.channel_by_code(s, code)
    if channel is None:
        raise ChannelNotFound("no such channel")
    try:
        given = bytes.fromhex((signature or "").strip())
    except ValueError:
        given = b""
    expected = hmac.new(channel.secret.encode("utf-8"), body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise BadSignature("the postback's signature does not verify")
    if channel.status != "active":
        raise ChannelDisabled("this channel is disabled")
    return channel


async def receive_postback(s: AsyncSession, settings: Settings, channel: AllianceChannel, postback: Postback,
                           now: datetime | None = None) -> AllianceExternalConversion:
    """Credit (status reported) or decide (confirmed, cancelled) an external sale, once.

    Refused, with nothing stored: a timestamp more than five minutes off (`postback_stale`), a
    nonce the channel used before (`postback_replayed`), an external order reported twice
    (`conversion_already_reported`), a click id that is not ours or not this channel's
    (`click_not_found`), a decision on an unknown or decided conversion. A confirmed conversion
    stays outside the ledger: the channel pays the creator, laotie only shows it.
    """
    now = now or utcnow()
    if abs(now - _at(postback.timestamp)) > POSTBACK_SKEW:
        raise StalePostback("the postback's timestamp is more than five minutes from ours", field="timestamp")
    if not await repository.take_nonce(s, channel.id, postback.nonce, now):
        raise ReplayedPostback("this nonce was used before", field="nonce")
    if postback.status == "reported":
        return await _credit(s, settings, channel, postback, now)
    return await _decide(s, channel, postback, now)


async def _credit(s: AsyncSession, settings: Settings, channel: AllianceChannel, postback: Postback,
                  now: datetime) -> AllianceExternalConversion:
    assert postback.amount is not None and postback.commission is not None and postback.click_id is not None
    click_id = _click_id(settings, postback.click_id, channel.id)
    click = await s.get(AllianceLinkClick, click_id) if click_id is not None else None
    if click is None:
        raise ClickNotFound("no click of this channel has this id", field="click_id")
    conversion_id = await repository.insert_conversion(s, {
        "channel_id": channel.id, "click_id": click.id, "creator_id": click.creator_id,
        "product_id": click.product_id, "external_order_id": postback.external_order_id,
        "amount": postback.amount, "commission": postback.commission, "status": "reported", "reported_at": now})
    if conversion_id is None:
        raise ConversionExists("this external order was reported already", field="external_order_id")
    conversion = await s.get(AllianceExternalConversion, conversion_id)
    assert conversion is not None
    await record_event(s, "alliance.external_conversion_reported", {
        "conversion_id": conversion.id, "channel_id": channel.id, "creator_id": click.creator_id,
        "product_id": click.product_id, "amount": postback.amount, "commission": postback.commission})
    return conversion


async def _decide(s: AsyncSession, channel: AllianceChannel, postback: Postback,
                  now: datetime) -> AllianceExternalConversion:
    conversion = await repository.conversion_of(s, channel.id, postback.external_order_id)
    if conversion is None:
        raise ConversionNotFound("this channel never reported this external order", field="external_order_id")
    c = AllianceExternalConversion
    done = await s.execute(update(c).where(c.id == conversion.id, c.status == "reported")
                           .values(status=postback.status, decided_at=now).returning(c.id))
    if done.first() is None:
        await s.refresh(conversion)
        raise ConversionDecided(f"this conversion is {conversion.status} already", field="status",
                                current=conversion.status)
    await s.refresh(conversion)
    await record_event(s, f"alliance.external_conversion_{postback.status}", {
        "conversion_id": conversion.id, "channel_id": channel.id, "creator_id": conversion.creator_id,
        "commission": conversion.commission})
    return conversion


# ---- the creator's external earnings ---------------------------------------------------------------


@dataclass(frozen=True)
class ExternalEarnings:
    """Commission reported by external channels: theirs to pay, never in laotie's ledger."""

    reported: int
    confirmed: int
    cancelled: int
    conversions: list[tuple[AllianceExternalConversion, str]]


async def external_earnings(s: AsyncSession, creator_id: int, limit: int = 50) -> ExternalEarnings:
    totals = await repository.external_totals(s, creator_id)
    reported, confirmed, cancelled = (totals.get(k, (0, 0))[1] for k in ("reported", "confirmed", "cancelled"))
    return ExternalEarnings(reported, confirmed, cancelled, await repository.external_conversions(s, creator_id, limit))


async def prune_nonces(s: AsyncSession, now: datetime) -> int:
    """Forget nonces no replay could use: a replay carries the signed timestamp of the original,
    refused once it is more than the skew from our clock, so ten minutes after the first sight a
    nonce guards nothing (kept an hour, to be safe with clocks)."""
    return await repository.prune_nonces(s, now - NONCE_KEPT)
