"""Catalog error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class CategoryNotFound(NotFound):
    code = "category_not_found"


class ShopNotFound(NotFound):
    code = "shop_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class SkuNotFound(NotFound):
    code = "sku_not_found"


class NotYourShop(Forbidden):
    code = "not_your_shop"


class ShopExists(Conflict):
    code = "shop_exists"


class ShopNameTaken(Conflict):
    code = "shop_name_taken"


class NoShop(DomainError):
    code = "no_shop"
    status = 404


class ProductIncomplete(DomainError):
    code = "product_incomplete"
    status = 400


class ProductNotPublishable(InvalidState):
    code = "product_not_publishable"


class StockWouldGoNegative(Conflict):
    code = "stock_would_go_negative"


class BadImage(DomainError):
    code = "bad_image"
    status = 400


class ImageTooLarge(DomainError):
    code = "image_too_large"
    status = 413


class ImageNotFound(NotFound):
    code = "image_not_found"


class SkuInUse(Conflict):
    """An option that orders, carts or live sales refer to stays, so their history keeps its meaning."""

    code = "sku_in_use"


class LastSku(InvalidState):
    code = "last_sku"
