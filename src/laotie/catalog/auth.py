"""Catalog permissions: a merchant touches only the shop it owns; operators run categories."""

from __future__ import annotations

from laotie.catalog.errors import NotYourShop
from laotie.identity.auth import require_role
from laotie.models import Shop, User


def ensure_owns_shop(user: User, shop: Shop) -> None:
    # Same answer for "not yours" whatever the shop, so ids cannot be probed for owners.
    if shop.owner_id != user.id:
        raise NotYourShop("that is not your shop")


def ensure_operator(user: User) -> None:
    require_role(user, "operator")


def ensure_merchant(user: User) -> None:
    require_role(user, "merchant")
