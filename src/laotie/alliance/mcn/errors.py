"""MCN contract error codes."""

from laotie.kit.errors import Conflict, DomainError, Forbidden, InvalidState, NotFound


class ShareOutOfRange(DomainError):
    """An MCN's share is 0–100% of what the creator keeps."""

    code = "share_out_of_range"
    status = 422


class TermInvalid(DomainError):
    """A contract ends after it starts, and in the future."""

    code = "contract_term_invalid"
    status = 422


class CreatorNotFound(NotFound):
    code = "creator_not_found"


class ContractNotFound(NotFound):
    code = "contract_not_found"


class NotYourContract(Forbidden):
    code = "not_your_contract"


class SelfContract(Forbidden):
    code = "self_contract"


class ContractDecided(InvalidState):
    """The offer was accepted, declined or withdrawn already."""

    code = "contract_decided"


class ContractNotActive(InvalidState):
    code = "contract_not_active"


class ContractActive(Conflict):
    """The creator is under another contract now."""

    code = "contract_active"
