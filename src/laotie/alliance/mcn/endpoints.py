"""HTTP for MCNs (机构): contracts offered, accepted and ended; the MCN's creators' sales and its share."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from laotie.alliance.mcn import service
from laotie.alliance.mcn.schemas import (
    ContractIn,
    ContractOut,
    ContractStatusIn,
    McnCreatorOut,
    McnEarningsOut,
    McnLineOut,
    ViolationIn,
)
from laotie.identity.auth import CurrentUser
from laotie.kit.http import Session
from laotie.kit.types import PathId
from laotie.ledger import service as ledger
from laotie.models import AllianceMcnContract, CommissionLine

router = APIRouter(prefix="/api/v1/alliance/mcn", tags=["alliance"])
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
ALL_STATUSES = ("offered", "active", "declined", "withdrawn", "ended")


def contract_out(c: AllianceMcnContract) -> ContractOut:
    return ContractOut(id=c.id, mcn_id=c.mcn_id, creator_id=c.creator_id, share_bps=c.share_bps,
                       starts_at=c.starts_at, ends_at=c.ends_at, status=c.status, accepted_at=c.accepted_at,
                       end_requested_by=c.end_requested_by, ended_at=c.ended_at, end_reason=c.end_reason)


def mcn_line_out(c: CommissionLine) -> McnLineOut:
    return McnLineOut(id=c.id, order_id=c.order_id, order_line_id=c.order_line_id, source=c.source,
                      rate_bps=c.rate_bps, mcn_bps=c.mcn_bps, base=c.base, refunded=c.refunded, status=c.status,
                      commission_estimated=c.est_creator, commission_standing=c.cur_creator,
                      commission_settled=c.set_creator, share_estimated=c.est_mcn, share_standing=c.cur_mcn,
                      share_settled=c.set_mcn, created_at=c.created_at)


@router.post("/contracts", status_code=201)
async def offer(body: ContractIn, user: CurrentUser, s: Session) -> ContractOut:
    """An MCN (provider) offers a creator a contract: its share of the creator's commission over a term."""
    return contract_out(await service.offer_contract(s, user, body.creator_id, body.share_bps, body.ends_at,
                                                     body.starts_at))


@router.get("/contracts")
async def contracts(user: CurrentUser, s: Session, status: ContractStatusIn | None = None, limit: Limit = 50,
                    offset: Offset = 0) -> list[ContractOut]:
    """Contracts where you are the MCN or the creator."""
    statuses = ALL_STATUSES if status is None else (status,)
    return [contract_out(c) for c in await service.contracts(s, user, statuses, limit, offset)]


@router.post("/contracts/{contract_id}/accept")
async def accept(contract_id: PathId, user: CurrentUser, s: Session) -> ContractOut:
    return contract_out(await service.accept_contract(s, user, contract_id))


@router.post("/contracts/{contract_id}/decline")
async def decline(contract_id: PathId, user: CurrentUser, s: Session) -> ContractOut:
    return contract_out(await service.decline_contract(s, user, contract_id))


@router.post("/contracts/{contract_id}/withdraw")
async def withdraw(contract_id: PathId, user: CurrentUser, s: Session) -> ContractOut:
    return contract_out(await service.withdraw_contract(s, user, contract_id))


@router.post("/contracts/{contract_id}/end")
async def end(contract_id: PathId, user: CurrentUser, s: Session) -> ContractOut:
    """Either side asks to end early; the contract ends when the other side asks too."""
    return contract_out(await service.agree_to_end(s, user, contract_id))


@router.post("/contracts/{contract_id}/violation")
async def violation(contract_id: PathId, body: ViolationIn, user: CurrentUser, s: Session) -> ContractOut:
    """Operators: end a contract at once for a violation."""
    return contract_out(await service.end_for_violation(s, user, contract_id, body.reason))


@router.get("/creators")
async def creators(user: CurrentUser, s: Session) -> McnEarningsOut:
    """The MCN's creators: lines, GMV attributed, their commission estimated and settled, the MCN's share."""
    rows = [McnCreatorOut(**r) for r in await service.creators_sales(s, user)]
    balances = await ledger.commission_balances(s, user.id)
    return McnEarningsOut(pending_balance=balances.pending, available_balance=balances.available, creators=rows)


@router.get("/creators/{creator_id}/lines")
async def creator_lines(creator_id: PathId, user: CurrentUser, s: Session, limit: Limit = 50,
                        offset: Offset = 0) -> list[McnLineOut]:
    """One creator's lines that carry this MCN's share, newest first."""
    return [mcn_line_out(c) for c in await service.creator_lines(s, user, creator_id, limit, offset)]
