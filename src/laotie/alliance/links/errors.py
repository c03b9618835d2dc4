"""Error codes of share links, link-outs, channels and their postbacks."""

from laotie.kit.errors import Conflict, DomainError, NotFound, Unauthorized


class LinkInvalid(NotFound):
    """A share or tracking link whose signature does not verify: as if it never existed."""

    code = "link_invalid"


class LinkInactive(NotFound):
    """The link verifies, but the creator no longer promotes the product or the channel is off."""

    code = "link_inactive"


class ProductNotFound(NotFound):
    code = "product_not_found"


class NotExternal(DomainError):
    """A tracking link is for a product sold on another channel; a share link for one sold here."""

    code = "wrong_link_kind"
    status = 409


class ChannelNotFound(NotFound):
    code = "channel_not_found"


class ChannelExists(Conflict):
    code = "channel_exists"


class ChannelDisabled(DomainError):
    code = "channel_disabled"
    status = 403


class BadSignature(Unauthorized):
    code = "postback_signature_invalid"


class StalePostback(DomainError):
    """The postback's timestamp is more than five minutes from our clock."""

    code = "postback_stale"
    status = 400


class ReplayedPostback(Conflict):
    """The channel sent this nonce before."""

    code = "postback_replayed"


class ClickNotFound(NotFound):
    code = "click_not_found"


class ConversionExists(Conflict):
    """The channel reported this external order already."""

    code = "conversion_already_reported"


class ConversionNotFound(NotFound):
    code = "conversion_not_found"


class ConversionDecided(Conflict):
    code = "conversion_decided"
