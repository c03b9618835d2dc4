"""A refusal on a page reads in the reader's language, its values filled in; the API keeps the English message."""

from __future__ import annotations

import pickle

from laotie.kit.errors import Message, NotFound
from laotie.orders.errors import PurchaseLimitExceeded
from laotie.web import i18n
from tests.support import ADDRESS, Api
from tests.web.test_pages import sign_in


def test_a_refusal_keeps_its_message_id_and_values() -> None:
    exc = PurchaseLimitExceeded("at most %(limit)s per buyer", field="quantity", limit=3)
    assert exc.message == str(exc) == "at most 3 per buyer"
    assert exc.to_dict() == {"code": "purchase_limit_exceeded", "message": "at most 3 per buyer",
                             "field": "quantity", "details": {"limit": 3}}
    with i18n.using("zh_CN"):
        assert i18n.translate(exc.message) == "每人限购 3 件"
    with i18n.using("en"):
        assert i18n.translate(exc.message) == "at most 3 per buyer"
    # Passed on, pickled, or given values of its own (yuan beside the details' fen), it stays translatable.
    again = pickle.loads(pickle.dumps(NotFound(exc.message).message))
    assert isinstance(again, Message) and (again.msgid, again.values) == ("at most %(limit)s per buyer", {"limit": 3})
    shown = NotFound(Message("at most ¥%(refundable)s of this order is left to refund", {"refundable": "12.50"}),
                     refundable=1250)
    assert shown.message == "at most ¥12.50 of this order is left to refund" and shown.details == {"refundable": 1250}
    # A message without placeholders is left as written, "%" and all; a template whose values are missing too.
    assert NotFound("a rate is at most 100%").message == "a rate is at most 100%"
    assert NotFound("at most %(limit)s per buyer").message == "at most %(limit)s per buyer"


async def _checkout(api: Api, token: str, sku: int, qty: int, key: str) -> tuple[int, str]:
    r = await api.client.post("/checkout", data={
        "csrf_token": token, "sku": str(sku), "qty": str(qty), "recipient": ADDRESS["recipient"],
        "phone": ADDRESS["phone"], "address": ADDRESS["address"], "idempotency_key": key})
    return r.status_code, r.text


async def _own_sku(api: Api, token: str, category: int) -> int:
    await api.call("POST", "/api/v1/shops", token, expect=201, json={"name": "shopper's"})
    r = await api.call("POST", "/api/v1/products", token, expect=201, json={
        "title": "Shopper's own tea", "category_id": category,
        "skus": [{"price": 1000, "stock": 5, "attributes": {"size": "M"}}]})
    product = r.json()
    await api.call("POST", f"/api/v1/products/{product['id']}/publish", token, expect=200)
    return int(product["skus"][0]["id"])


async def test_page_refusals_follow_the_language_switch(api: Api) -> None:
    op = await api.operator()
    category = await api.category(op)
    _, _, limited = await api.merchant_with_product(category, limit=1)
    bearer = await api.user("consumer", "merchant", name="shopper")
    own = await _own_sku(api, bearer, category)
    csrf = await sign_in(api, "shopper")

    # English, as the test client's Accept-Language asks.
    status, page = await _checkout(api, csrf, limited, 2, "en-limit")
    assert status == 409 and "at most 1 per buyer" in page
    status, page = await _checkout(api, csrf, own, 1, "en-own")
    assert status == 403 and "you cannot buy from your own shop" in page
    missing = await api.client.get("/orders/987654")
    assert missing.status_code == 404 and "no such order" in missing.text

    # Chinese, chosen with the language switch's cookie over the same Accept-Language.
    api.client.cookies.set(i18n.COOKIE, "zh_CN")
    status, page = await _checkout(api, csrf, limited, 2, "zh-limit")
    assert status == 409 and "每人限购 1 件" in page and "per buyer" not in page
    status, page = await _checkout(api, csrf, own, 1, "zh-own")
    assert status == 403 and "不能购买自己店铺的商品" in page and "you cannot buy" not in page
    assert 'data-code="own_shop"' in page
    missing = await api.client.get("/orders/987654")
    assert missing.status_code == 404 and "订单不存在" in missing.text and "no such order" not in missing.text

    # The API answers in English whatever the cookie says: its clients read the code and the details.
    r = await api.buy(bearer, limited, quantity=2, expect=409)
    assert r.json()["message"] == "at most 1 per buyer" and r.json()["details"]["limit"] == 1
