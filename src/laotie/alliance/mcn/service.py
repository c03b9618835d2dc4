"""MCN contracts (机构签约): the MCN's share of a creator's commission over a term, agreed by both sides.

An MCN is a user with the provider role (granted by operators). The rules:

- **Offer**: the MCN offers a creator a contract — its share in basis points (0–10000) of what
  the creator keeps after the platform's fee (the core's `mcn_bps`), a start (default now) and an
  end in the future, after the start. The MCN may withdraw an offer until the creator decides.
- **Accept**: only the creator accepts or declines, once. A creator is under at most one active
  contract at a time (a partial unique index holds it under races): accepting while another
  contract is active is refused; an active contract past its end is ended first. A renewal is a
  new offer accepted once the current contract has ended.
- **In force**: from its start to its end, while active. At checkout each line of the creator's
  sales takes the MCN and its share from the contract in force at that moment; lines already
  sold keep the plan they were sold under whatever happens to the contract later.
- **End**: at its end date (`alliance.mcn.expire`, and at the next acceptance); early only
  (a) when both sides agree — one side asks, the other confirms, either may ask again — or
  (b) when an operator ends it for a violation, with the reason recorded. Neither side ends a
  contract alone before its term.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.alliance.mcn import repository
from laotie.alliance.mcn.errors import (
    ContractActive,
    ContractDecided,
    ContractNotActive,
    ContractNotFound,
    CreatorNotFound,
    NotYourContract,
    SelfContract,
    ShareOutOfRange,
    TermInvalid,
)
from laotie.identity import service as identity
from laotie.identity.auth import require_role
from laotie.kit.events import record_event
from laotie.models import AllianceMcnContract, CommissionLine, User, utcnow

BPS = 10_000
Contract = AllianceMcnContract


async def offer_contract(s: AsyncSession, mcn: User, creator_id: int, share_bps: int, ends_at: datetime,
                         starts_at: datetime | None = None) -> Contract:
    """The MCN offers a creator a contract; nothing applies until the creator accepts."""
    require_role(mcn, "provider")
    if not 0 <= share_bps <= BPS:
        raise ShareOutOfRange(f"an MCN's share is between 0 and {BPS} basis points", field="share_bps")
    now = utcnow()
    starts_at = starts_at or now
    if ends_at <= starts_at or ends_at <= now:
        raise TermInvalid("a contract ends after it starts, and in the future", field="ends_at")
    creator = await s.get(User, creator_id)
    if creator is None or not creator.has_role("creator"):
        raise CreatorNotFound("no such creator", field="creator_id")
    if creator.id == mcn.id:
        raise SelfContract("an MCN does not contract with itself", field="creator_id")
    contract = Contract(mcn_id=mcn.id, creator_id=creator.id, share_bps=share_bps, starts_at=starts_at,
                        ends_at=ends_at, status="offered")
    s.add(contract)
    await s.flush()
    await record_event(s, "alliance.mcn_contract_offered", {
        "contract_id": contract.id, "mcn_id": mcn.id, "creator_id": creator.id, "share_bps": share_bps})
    return contract


async def _contract(s: AsyncSession, contract_id: int) -> Contract:
    contract = await s.get(Contract, contract_id)
    if contract is None:
        raise ContractNotFound("no such contract")
    return contract


async def _claim(s: AsyncSession, contract: Contract, from_status: str, **values: object) -> bool:
    """Move a contract on from `from_status`, only if it is still there (a racing decision loses)."""
    claimed = (await s.execute(update(Contract).where(Contract.id == contract.id, Contract.status == from_status)
                               .values(**values).returning(Contract.id))).first()
    await s.refresh(contract)
    return claimed is not None


async def accept_contract(s: AsyncSession, creator: User, contract_id: int) -> Contract:
    """The creator accepts: from now (or its start) their sales pay the MCN its share."""
    contract = await _contract(s, contract_id)
    if contract.creator_id != creator.id:
        raise NotYourContract("only the creator it is offered to accepts this contract")
    if contract.status != "offered":
        raise ContractDecided(f"this contract is {contract.status} already", state=contract.status)
    now = utcnow()
    if contract.ends_at <= now:
        raise ContractDecided("this offer's term is over", code="contract_expired")
    current = await repository.active_contract(s, creator.id)
    if current is not None and current.ends_at <= now:
        await _end(s, current, now, "term over")
        current = None
    if current is not None:
        raise ContractActive("you are under another contract until it ends", contract_id=current.id,
                             ends_at=current.ends_at.isoformat())
    try:
        async with s.begin_nested():
            ok = await _claim(s, contract, "offered", status="active", accepted_at=now)
    except IntegrityError:
        raise ContractActive("you are under another contract until it ends") from None
    if not ok:
        raise ContractDecided(f"this contract is {contract.status} already", state=contract.status)
    await record_event(s, "alliance.mcn_contract_accepted", {
        "contract_id": contract.id, "mcn_id": contract.mcn_id, "creator_id": creator.id,
        "share_bps": contract.share_bps})
    return contract


async def decline_contract(s: AsyncSession, creator: User, contract_id: int) -> Contract:
    contract = await _contract(s, contract_id)
    if contract.creator_id != creator.id:
        raise NotYourContract("only the creator it is offered to declines this contract")
    if not await _claim(s, contract, "offered", status="declined"):
        raise ContractDecided(f"this contract is {contract.status} already", state=contract.status)
    await record_event(s, "alliance.mcn_contract_declined", {
        "contract_id": contract.id, "mcn_id": contract.mcn_id, "creator_id": creator.id})
    return contract


async def withdraw_contract(s: AsyncSession, mcn: User, contract_id: int) -> Contract:
    contract = await _contract(s, contract_id)
    if contract.mcn_id != mcn.id:
        raise NotYourContract("only the MCN that offered it withdraws this contract")
    if not await _claim(s, contract, "offered", status="withdrawn"):
        raise ContractDecided(f"this contract is {contract.status} already", state=contract.status)
    await record_event(s, "alliance.mcn_contract_withdrawn", {
        "contract_id": contract.id, "mcn_id": mcn.id, "creator_id": contract.creator_id})
    return contract


async def _end(s: AsyncSession, contract: Contract, now: datetime, reason: str) -> bool:
    if not await _claim(s, contract, "active", status="ended", ended_at=now, end_reason=reason):
        return False
    await record_event(s, "alliance.mcn_contract_ended", {
        "contract_id": contract.id, "mcn_id": contract.mcn_id, "creator_id": contract.creator_id,
        "reason": reason})
    return True


async def agree_to_end(s: AsyncSession, user: User, contract_id: int) -> Contract:
    """One side asks to end early; when the other side has asked already, the contract ends now."""
    contract = await _contract(s, contract_id)
    if user.id not in (contract.mcn_id, contract.creator_id):
        raise NotYourContract("only the MCN or the creator of a contract asks to end it")
    if contract.status != "active":
        raise ContractNotActive(f"this contract is {contract.status}", state=contract.status)
    now = utcnow()
    if contract.end_requested_by is not None and contract.end_requested_by != user.id:
        if not await _end(s, contract, now, "agreed by both sides"):
            raise ContractNotActive(f"this contract is {contract.status}", state=contract.status)
        return contract
    if not await _claim(s, contract, "active", end_requested_by=user.id):
        raise ContractNotActive(f"this contract is {contract.status}", state=contract.status)
    await record_event(s, "alliance.mcn_contract_end_requested", {
        "contract_id": contract.id, "mcn_id": contract.mcn_id, "creator_id": contract.creator_id,
        "by": user.id})
    return contract


async def end_for_violation(s: AsyncSession, operator: User, contract_id: int, reason: str) -> Contract:
    """An operator ends a contract at once for a violation by either side."""
    require_role(operator, "operator")
    contract = await _contract(s, contract_id)
    if not await _end(s, contract, utcnow(), f"violation: {reason}"):
        raise ContractNotActive(f"this contract is {contract.status}", state=contract.status)
    await record_event(s, "alliance.mcn_contract_ended_by_operator", {
        "contract_id": contract.id, "by": operator.id, "reason": reason})
    return contract


async def expire_contracts(s: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Active contracts past their end date end (the job; idempotent)."""
    ended = 0
    for contract_id in await repository.expired(s, now, limit):
        contract = await s.get(Contract, contract_id)
        if contract is not None:
            ended += await _end(s, contract, now, "term over")
    return ended


async def contracts(s: AsyncSession, user: User, statuses: tuple[str, ...], limit: int = 50, offset: int = 0
                    ) -> list[Contract]:
    return await repository.contracts_of(s, user.id, statuses, limit, offset)


async def creators_sales(s: AsyncSession, mcn: User) -> list[dict[str, int]]:
    """Per creator: the lines that carry the MCN's share, GMV, the creator's commission and the MCN's share."""
    require_role(mcn, "provider")
    return await repository.sales_by_creator(s, mcn.id)


async def creator_lines(s: AsyncSession, mcn: User, creator_id: int, limit: int = 50, offset: int = 0
                        ) -> list[CommissionLine]:
    require_role(mcn, "provider")
    await identity.get_user(s, creator_id)
    return await repository.lines_of_creator(s, mcn.id, creator_id, limit, offset)
