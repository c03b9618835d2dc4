"""Governance pages: the operator's queues (cases, appeals, claims, fraud rings) and an account's cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from laotie.alliance import repository as alliance
from laotie.identity import repository as identity_repository
from laotie.identity.auth import require_role
from laotie.kit.errors import DomainError
from laotie.kit.http import Session
from laotie.kit.money import parse_yuan
from laotie.kit.types import MAX_ID, PathId
from laotie.models import User, ViolationType, utcnow
from laotie.trust.governance import service as governance
from laotie.trust.governance.errors import InvalidMeasures, SubjectNotFound
from laotie.trust.governance.service.cases import STATUSES
from laotie.trust.governance.service.penalties import MEASURE_KINDS, TIMED
from laotie.web import i18n
from laotie.web.i18n import N_
from laotie.web.render import Form, PageUser, attempt, redirect, render, text

router = APIRouter(include_in_schema=False)

# Labels are marked for translation here and translated where they are shown: {{ _(STATUS_NAMES[c.status]) }}.
STATUS_NAMES = {"notified": N_("Notified · appealable"), "appealed": N_("Appeal pending"),
                "in_force": N_("In force"), "overturned": N_("Overturned")}
STATUS_STYLES = {"notified": "background:#fff6e0;color:#8a5a00", "appealed": "background:#eaf1ff;color:#1d4ed8",
                 "in_force": "background:#fff0f3;color:#b0123b", "overturned": "background:#e8f8f2;color:#0b6b53"}
SEVERITY_NAMES = {"general": N_("general"), "severe": N_("severe")}
APPEAL_STATES = {"pending": N_("waiting for an operator"), "upheld": N_("upheld"), "rejected": N_("rejected")}
PENALTY_STATES = {"active": N_("in force"), "lifted": N_("lifted")}
# Who found a case that no operator opened, by the case's `source`.
FOUND_BY = {"claim": N_("found by a counterfeit claim"), "fraud_ring": N_("found by the fake-order detector"),
            "chat_abuse": N_("found by the live chat detector")}
AUDIT_ACTIONS = {"case.opened": N_("Case opened"), "live.cut": N_("Live stream ended"),
                 "appeal.filed": N_("Appeal filed"), "appeal.upheld": N_("Appeal upheld"),
                 "appeal.rejected": N_("Appeal rejected"), "case.in_force": N_("Case in force"),
                 "penalty.escalated": N_("Penalty escalated"), "penalty.lifted": N_("Measure lifted")}
# What a measure in force is, before its dates (see governance/_words.html).
PENALTY_WORDS = {"warning": N_("warning"), "cart_suspension": N_("live cart suspended"),
                 "live_revoked": N_("no going live"), "listing_ban": N_("no new listings"),
                 "account_ban": N_("account closed (清退)")}
MEASURE_NAMES = {"warning": N_("Warning"), "traffic_limit": N_("Traffic limit 限流"),
                 "cart_suspension": N_("Live cart suspended"), "live_revoked": N_("No going live"),
                 "listing_ban": N_("No new listings"), "fee": N_("Fee from the deposit 违约金"),
                 "account_ban": N_("Account closed 清退")}
# Which of a measure row's fields each kind uses (see penalties.normalise_measures).
MEASURE_FIELDS = {"percent": ("traffic_limit",), "days": tuple(sorted(TIMED)), "amount": ("fee",)}
MEASURE_ROWS = 3

# The catalog's violations (migration 0007) by name and in a sentence; another code shows its own description.
VIOLATION_NAMES = {"fake_orders": N_("Fake orders 虚假交易 / 刷单"), "counterfeit": N_("Counterfeit goods 售假"),
                   "hype_selling": N_("Hype selling 夸大宣传"), "live_abuse": N_("Abuse in a live room 直播不文明"),
                   "off_platform_trade": N_("Off-platform trade 站外交易"),
                   "late_shipping": N_("Late shipping 延迟发货"), "price_fraud": N_("Price fraud 价格欺诈")}
VIOLATION_SENTENCES = {
    "fake_orders": N_("orders placed to inflate sales, reviews or the score"),
    "counterfeit": N_("selling counterfeit goods (a counterfeit claim upheld)"),
    "hype_selling": N_("exaggerated or false claims while selling"),
    "live_abuse": N_("abusive language by the streamer in a live room"),
    "off_platform_trade": N_("steering buyers to trade off the platform"),
    "late_shipping": N_("shipping later than promised"), "price_fraud": N_("fake original prices or bait pricing"),
}


def violation_name(t: ViolationType) -> str:
    """A violation's name in the page's language (called while the page renders)."""
    return i18n.gettext(VIOLATION_NAMES[t.code]) if t.code in VIOLATION_NAMES else governance.violation_name(t)


def violation_sentence(t: ViolationType) -> str:
    """What the violation is, in a sentence in the page's language."""
    if t.code in VIOLATION_SENTENCES:
        return i18n.gettext(VIOLATION_SENTENCES[t.code])
    return t.description.partition(":")[2].strip() or t.description


EVIDENCE_LABELS = {"note": N_("Note"), "order_id": N_("Order"), "order_ids": N_("Orders"),
                   "orders": N_("Orders in all"), "claim_id": N_("Counterfeit claim"), "ring_id": N_("Fake-order ring"),
                   "role": N_("Role in the ring"), "session_id": N_("Live room"), "message_id": N_("Chat message"),
                   "body": N_("What was said"), "matched": N_("Words matched"), "labels": N_("Classified as"),
                   "at": N_("When"), "commission": N_("Commission")}
EVIDENCE_LINKS = {"order_id": "/operator/orders/{}", "order_ids": "/operator/orders/{}", "ring_id": "/operator/fraud",
                  "session_id": "/live/{}"}


def _evidence_value(key: str, value: Any) -> tuple[str, str | None]:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in value.items()), None
    if key in EVIDENCE_LINKS and isinstance(value, int) and not isinstance(value, bool):
        return f"#{value}", EVIDENCE_LINKS[key].format(value)
    if key == "commission" and isinstance(value, int):
        return f"¥{i18n.yuan(value)}", None
    if key == "at" and isinstance(value, str):
        try:
            return f"{i18n.when(datetime.fromisoformat(value), 'long')} UTC", None
        except ValueError:
            pass
    if isinstance(value, bool):
        return (i18n.gettext("yes") if value else i18n.gettext("no")), None
    return str(value), None


def evidence_rows(evidence: Any) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """A case's evidence for people, in the page's language: a label per item, its values, links to what they name.

    Called while the page renders, so the words follow the page's locale; the values themselves
    (notes, what was said) are the evidence and stay as they were written."""
    if not isinstance(evidence, dict):
        return [(i18n.gettext("Evidence"), [_evidence_value("", evidence)])] if evidence else []
    return [(i18n.gettext(EVIDENCE_LABELS[key]) if key in EVIDENCE_LABELS else key.replace("_", " ").capitalize(),
             [_evidence_value(key, v) for v in (value if isinstance(value, list) else [value])])
            for key, value in evidence.items() if value not in (None, "", [])]


PAGE_HELPERS: dict[str, Any] = {"STATUS_NAMES": STATUS_NAMES, "STATUS_STYLES": STATUS_STYLES,
                                "SEVERITY_NAMES": SEVERITY_NAMES, "APPEAL_STATES": APPEAL_STATES,
                                "PENALTY_STATES": PENALTY_STATES, "FOUND_BY": FOUND_BY,
                                "AUDIT_ACTIONS": AUDIT_ACTIONS, "PENALTY_WORDS": PENALTY_WORDS,
                                "violation_name": violation_name, "violation_sentence": violation_sentence,
                                "evidence_rows": evidence_rows,
                                "MEASURE_NAMES": MEASURE_NAMES, "MEASURE_FIELDS": MEASURE_FIELDS,
                                "MEASURE_ROWS": MEASURE_ROWS, "MEASURE_KINDS": MEASURE_KINDS}


def _status_filter(request: Request) -> str | None:
    status = request.query_params.get("status") or None
    return status if status in STATUSES else None


async def _queue(request: Request, s: Session, user: User, status_code: int = 200, **extra: Any) -> Response:
    require_role(user, "operator")
    status = _status_filter(request)
    return render(request, "governance/queue.html", status_code=status_code, user=user, status=status,
                  cases=await governance.case_queue(s, user, status=status, limit=100),
                  appeals=await governance.appeal_queue(s, user), types=await governance.violation_types(s),
                  now=utcnow(), form=extra.pop("form", {}), **PAGE_HELPERS, **extra)


@router.get("/operator/cases")
async def queue_page(request: Request, s: Session, user: PageUser) -> Response:
    # The page words the outcome from the number alone: a link cannot put text on it.
    opened = request.query_params.get("opened", "")
    decided = request.query_params.get("decided", "")
    return await _queue(request, s, user, opened=int(opened) if opened.isdigit() and len(opened) < 19 else None,
                        decided=int(decided) if decided.isdigit() and len(decided) < 19 else None)


async def _subject(s: Session, ref: str) -> int:
    """An account by username, or by id ("#12" or "12")."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit() and len(ref) < 19 and 1 <= int(ref) <= MAX_ID:
        return int(ref)
    found = await identity_repository.user_by_username(s, ref) if ref else None
    if found is None:
        raise SubjectNotFound("no account with that username or id", field="subject")
    return found.id


def _measures(data: dict[str, str]) -> list[Any] | None:
    """The measures chosen in the form's rows; None (the catalog's) when no row names a kind.

    Only the fields a kind uses are read, so a value left in a hidden field counts for nothing;
    the service checks what is read and names the row and field it refuses."""
    chosen: list[Any] = []
    for i in range(MEASURE_ROWS):
        kind = text(data, f"m{i}_kind", 40)
        if not kind:
            continue
        m: dict[str, Any] = {"kind": kind}
        for name, kinds in MEASURE_FIELDS.items():
            if kind not in kinds:
                continue
            raw = text(data, f"m{i}_{name}", 20)
            if name == "amount":
                try:
                    m[name] = parse_yuan(raw)
                except ValueError:
                    raise InvalidMeasures("write the fee in yuan, e.g. 200 or 200.50",
                                          field=f"measures.{len(chosen)}.amount") from None
            else:
                m[name] = int(raw) if raw.isdigit() and len(raw) < 10 else None
        chosen.append(m)
    return chosen or None


@router.post("/operator/cases")
async def open_case(request: Request, s: Session, user: PageUser, data: Form) -> Response:
    require_role(user, "operator")
    try:
        async with attempt(s):
            note = text(data, "evidence", 2000)
            case = await governance.open_case(
                s, user, violation_code=text(data, "violation_code", 40), subject_id=await _subject(
                    s, text(data, "subject", 80)),
                reason=text(data, "reason", 500), evidence={"note": note} if note else None,
                measures=_measures(data), immediate=data.get("immediate") == "on")
    except DomainError as exc:
        return await _queue(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code,
                            error_field=exc.field, form=data)
    return redirect(f"/operator/cases?opened={case.id}")


@router.post("/operator/appeals/{appeal_id}/decide")
async def decide(request: Request, appeal_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    require_role(user, "operator")
    try:
        async with attempt(s):
            decision = data.get("decision")
            if decision not in ("uphold", "reject"):
                raise DomainError("choose uphold or reject", code="invalid_request", status=422, field="decision")
            await governance.decide_appeal(s, user, appeal_id, uphold=decision == "uphold",
                                           reason=text(data, "reason", 500))
    except DomainError as exc:
        return await _queue(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code)
    return redirect(f"/operator/cases?decided={appeal_id}")


@router.get("/operator/cases/{case_id}")
async def case_page(request: Request, case_id: PathId, s: Session, user: PageUser) -> Response:
    """One case with its measures and its full audit trail (who decided what, and why)."""
    require_role(user, "operator")
    view = await governance.case_for(s, user, case_id)
    trail = await governance.audit.entries(s, "case", case_id)
    return render(request, "governance/case.html", user=user, v=view, trail=trail,
                  names=await governance.audit.actor_names(s, trail), now=utcnow(), **PAGE_HELPERS)


@router.get("/operator/orders/{order_id}")
async def order_review_page(request: Request, order_id: PathId, s: Session, user: PageUser) -> Response:
    """An order in a dispute, claim, case or ring, for the operator judging it (the read is audited)."""
    review = await governance.read_order(s, user, order_id)
    return render(request, "order.html", user=user, view=review.view, paying=False, aftersales=review.aftersales,
                  review_grounds=review.grounds, commission_lines=await alliance.lines_of_order(s, order_id))


async def _mine(request: Request, s: Session, user: User, status_code: int = 200, **extra: Any) -> Response:
    now = utcnow()
    return render(request, "governance/mine.html", status_code=status_code, user=user,
                  st=await governance.standing(s, user.id, now), now=now, **PAGE_HELPERS, **extra)


@router.get("/me/cases")
async def my_cases(request: Request, s: Session, user: PageUser) -> Response:
    appealed = request.query_params.get("appealed", "")
    return await _mine(request, s, user, appealed=int(appealed) if appealed.isdigit() and len(appealed) < 19 else None)


@router.post("/me/cases/{case_id}/appeal")
async def appeal(request: Request, case_id: PathId, s: Session, user: PageUser, data: Form) -> Response:
    try:
        async with attempt(s):
            await governance.appeal_case(s, user, case_id, text(data, "statement", 2000))
    except DomainError as exc:
        return await _mine(request, s, user, status_code=exc.status, error=exc.message, error_code=exc.code)
    return redirect(f"/me/cases?appealed={case_id}")
