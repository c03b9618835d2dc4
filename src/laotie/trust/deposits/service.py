"""Merchant deposits (保证金): the requirement per category, top-ups through the gateway, deductions.

The deposit is a ledger account the platform owes the merchant. Top-ups are gateway
payments of purpose "deposit", credited in the transaction that records the payment.
Compensation (假一赔十) and penalty fees are drawn from it in full even when that takes it
below zero: the buyer is paid what the guarantee promises and the shortfall is a debt
the merchant owes. A shop whose deposit is below its requirement cannot publish new
listings until it tops up (a publish guard in the catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laotie.catalog import service as catalog
from laotie.config import Settings
from laotie.kit.errors import DomainError, Forbidden, Message, NotFound
from laotie.kit.events import record_event
from laotie.ledger import accounts as acct
from laotie.ledger import repository as ledger_repository
from laotie.ledger.service import Line, post_entry
from laotie.models import CategoryDeposit, DepositTopup, Payment, Product, Shop, User, utcnow
from laotie.orders.service import payment as payments

MAX_TOPUP = 10**9  # ¥10 million


class DepositTooLow(Forbidden):
    code = "deposit_below_requirement"


class TopupNotFound(NotFound):
    code = "deposit_topup_not_found"


@dataclass(frozen=True)
class DepositStatus:
    shop_id: int
    balance: int
    required: int

    @property
    def shortfall(self) -> int:
        return max(0, self.required - self.balance)

    @property
    def frozen(self) -> bool:
        """Frozen for new listings: the deposit is below what its categories require."""
        return self.balance < self.required


async def set_category_deposit(s: AsyncSession, operator: User, category_id: int, amount: int) -> None:
    if not operator.has_role("operator"):
        raise Forbidden("only operators set deposit requirements")
    if not 0 <= amount <= MAX_TOPUP:
        raise DomainError("the requirement is between ¥0 and ¥10,000,000", code="invalid_request", status=422,
                          field="amount")
    await catalog.get_category(s, category_id)
    row = await s.get(CategoryDeposit, category_id)
    if row is None:
        s.add(CategoryDeposit(category_id=category_id, amount=amount))
    else:
        row.amount = amount
    await s.flush()
    await record_event(s, "deposit.requirement_set", {"category_id": category_id, "amount": amount,
                                                      "by": operator.id})


async def balance(s: AsyncSession, shop_id: int) -> int:
    code = acct.shop_deposit(shop_id)[0]
    return -(await ledger_repository.balances(s, [code])).get(code, 0)


async def required(s: AsyncSession, shop_id: int, extra_category_id: int | None = None) -> int:
    """The highest requirement among the categories the shop lists in (and one it is about to)."""
    listed = select(Product.category_id).where(Product.shop_id == shop_id, Product.status == "published")
    q = select(func.coalesce(func.max(CategoryDeposit.amount), 0)).where(CategoryDeposit.category_id.in_(listed))
    got = int((await s.execute(q)).scalar_one())
    if extra_category_id is not None:
        extra = await s.get(CategoryDeposit, extra_category_id)
        got = max(got, extra.amount if extra else 0)
    return got


async def status(s: AsyncSession, shop_id: int) -> DepositStatus:
    return DepositStatus(shop_id, await balance(s, shop_id), await required(s, shop_id))


async def _publish_guard(s: AsyncSession, shop: Shop, product: Product) -> None:
    have, need = await balance(s, shop.id), await required(s, shop.id, product.category_id)
    if have < need:
        raise DepositTooLow(Message("this category needs a deposit of ¥%(required)s; yours is ¥%(balance)s. "
                                    "Top up the deposit to list new products.",
                                    {"required": f"{need / 100:,.2f}", "balance": f"{have / 100:,.2f}"}),
                            required=need, balance=have)


catalog.PUBLISH_GUARDS.append(_publish_guard)


async def open_topup(s: AsyncSession, settings: Settings, merchant: User, amount: int) -> DepositTopup:
    shop = await catalog.my_shop(s, merchant)
    if not 1 <= amount <= MAX_TOPUP:
        raise DomainError("top up between ¥0.01 and ¥10,000,000", code="invalid_request", status=422,
                          field="amount")
    pay = await payments.open_payment(s, settings, merchant.id, amount, "deposit")
    topup = DepositTopup(shop_id=shop.id, payment_id=pay.id, amount=amount)
    s.add(topup)
    await s.flush()
    return topup


async def credit_topup(s: AsyncSession, pay: Payment) -> None:
    """The settler of "deposit" payments."""
    topup = (await s.execute(select(DepositTopup).where(DepositTopup.payment_id == pay.id))).scalar_one()
    won = await s.execute(update(DepositTopup).where(DepositTopup.id == topup.id, DepositTopup.status == "pending")
                          .values(status="credited", credited_at=utcnow()).returning(DepositTopup.id))
    if won.first() is None:
        return
    await post_entry(s, "deposit.paid", f"deposit:{topup.id}", [
        (acct.GATEWAY_CLEARING, topup.amount),
        (acct.shop_deposit(topup.shop_id), -topup.amount),
    ], memo=f"deposit top-up {topup.id}")
    await record_event(s, "deposit.credited", {"shop_id": topup.shop_id, "topup_id": topup.id,
                                               "amount": topup.amount})


payments.register_purpose("deposit", credit_topup, "/merchant/deposit?payment={payment_id}")


async def topups(s: AsyncSession, merchant: User, limit: int = 20) -> list[DepositTopup]:
    shop = await catalog.my_shop(s, merchant)
    q = select(DepositTopup).where(DepositTopup.shop_id == shop.id).order_by(DepositTopup.id.desc()).limit(limit)
    return list((await s.execute(q)).scalars().all())


async def topup_of(s: AsyncSession, merchant: User, topup_id: int) -> DepositTopup:
    shop = await catalog.my_shop(s, merchant)
    topup = await s.get(DepositTopup, topup_id, populate_existing=True)
    if topup is None or topup.shop_id != shop.id:
        raise TopupNotFound("no such deposit top-up")
    return topup


async def deduct(s: AsyncSession, shop_id: int, amount: int, *, kind: str, ref: str, to: tuple[str, str],
                 memo: str) -> None:
    """Draw `amount` from the shop's deposit to `to` (a penalty fee, a buyer's compensation).

    Posted once per (kind, ref). The deposit may go below zero: the shortfall is owed.
    """
    lines: list[Line] = [(acct.shop_deposit(shop_id), amount), (to, -amount)]
    await post_entry(s, kind, ref, lines, memo=memo)
    await record_event(s, "deposit.deducted", {"shop_id": shop_id, "amount": amount, "kind": kind, "ref": ref})
