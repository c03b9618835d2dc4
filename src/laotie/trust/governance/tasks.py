"""Governance jobs: lapsed appeal windows put cases in force; measures whose time is up are lifted."""

from __future__ import annotations

from datetime import datetime

from laotie.kit.db import Database
from laotie.kit.jobs import each_in_own_transaction, scheduler
from laotie.models import utcnow
from laotie.trust.governance import service as governance


@scheduler.job("governance.enforce_due", every=60.0)
async def enforce_due(db: Database, now: datetime | None = None) -> int:
    """Each lapsed case goes in force in its own transaction, so one case held back holds back no other.

    `now` is for tests and replays; the scheduler passes nothing and the clock is read here.
    A case appealed meanwhile is skipped by its conditional update.
    """
    now = now or utcnow()
    async with db.transaction() as s:
        due = await governance.due_cases(s, now)
    done = await each_in_own_transaction(db, due, lambda s, case_id: governance.lapse_case(s, case_id, now),
                                         what="violation case")
    async with db.transaction() as s:
        done += await governance.lift_expired(s, now)
    return done
