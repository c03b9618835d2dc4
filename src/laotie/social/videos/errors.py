"""Short-video error codes."""

from __future__ import annotations

from laotie.kit.errors import DomainError, Forbidden, NotFound


class VideoNotFound(NotFound):
    code = "video_not_found"


class VideoOwnerNotFound(NotFound):
    code = "user_not_found"


class NotYourVideo(Forbidden):
    code = "not_your_video"


class BadVideo(DomainError):
    """Not an mp4 (the bytes are checked, never the file name or the browser's type)."""

    code = "bad_video"
    status = 422


class VideoTooLarge(DomainError):
    code = "video_too_large"
    status = 413


class CaptionTooLong(DomainError):
    code = "caption_too_long"
    status = 422


class TooManyProducts(DomainError):
    code = "too_many_products"
    status = 400


class VideoProductNotFound(NotFound):
    """No such product, or not published: drafts are not revealed."""

    code = "product_not_found"


class ProductLinksOut(DomainError):
    """A product sold on another channel (Taobao, JD …) cannot be bought from a video."""

    code = "product_links_out"
    status = 400


class NotYourProduct(Forbidden):
    code = "not_your_product"
