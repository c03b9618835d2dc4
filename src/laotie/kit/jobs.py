"""Background jobs on a timer, each named "<domain>.<verb>" and safe to run twice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from laotie.kit.db import Database

log = logging.getLogger("laotie.jobs")

JobFn = Callable[["Database"], Awaitable[int]]


@dataclass
class Scheduler:
    jobs: dict[str, JobFn] = field(default_factory=dict)
    # Seconds between runs for jobs that must run more often than the default interval.
    every: dict[str, float] = field(default_factory=dict)

    def job(self, name: str, every: float | None = None) -> Callable[[JobFn], JobFn]:
        def register(fn: JobFn) -> JobFn:
            self.jobs[name] = fn
            if every is not None:
                self.every[name] = every
            return fn

        return register

    async def run(self, db: Database, name: str) -> int:
        return await _run_job(db, name, self.jobs[name])

    async def run_all(self, db: Database) -> dict[str, int]:
        results = {}
        for name, fn in self.jobs.items():
            try:
                results[name] = await _run_job(db, name, fn)
            except Exception:
                log.exception("job %s failed", name)
                results[name] = -1
        return results

    async def run_forever(self, db: Database, interval: float) -> None:
        """Run each job every `every` seconds (default `interval`).

        Jobs that run rarely (hourly or less often, such as the daily score) remember their last
        run in the database: a process restarted more often than the job's period would
        otherwise push it back for ever. They run soon after start when their time has passed.
        """
        loop = asyncio.get_running_loop()
        due = {name: loop.time() + self.every.get(name, interval) for name in self.jobs}
        for name, period in self.every.items():
            if period >= REMEMBERED_FROM and name in due:
                last = await _last_run(db, name)
                wait = interval if last is None else max(interval, period - (time.time() - last))
                due[name] = loop.time() + wait
        while True:
            now = loop.time()
            for name in [n for n, t in due.items() if t <= now]:
                try:
                    await _run_job(db, name, self.jobs[name])
                except Exception:
                    log.exception("job %s failed", name)
                period = self.every.get(name, interval)
                if period >= REMEMBERED_FROM:
                    await _remember_run(db, name)
                due[name] = loop.time() + period
            await asyncio.sleep(max(0.05, min(due.values()) - loop.time()) if due else interval)


scheduler = Scheduler()


async def _run_job(db: Database, name: str, fn: JobFn) -> int:
    """Jobs are safe to run twice, so one that hit a deadlock or serialization failure runs again."""
    from laotie.kit.db import retrying

    return await retrying(lambda: fn(db), what=f"job {name}")

REMEMBERED_FROM = 3600.0  # jobs at least this far apart keep their last run in the database


async def _last_run(db: Database, name: str) -> float | None:
    from laotie.models import PlatformSetting

    try:
        async with db.transaction() as s:
            row = await s.get(PlatformSetting, f"jobs.last_run:{name}")
    except Exception:  # no table yet (an old database): behave as before
        log.exception("could not read when job %s last ran", name)
        return None
    return float(row.value) if row is not None else None


async def _remember_run(db: Database, name: str) -> None:
    from laotie.kit.db import dialect_insert
    from laotie.models import PlatformSetting, utcnow

    ran, now = time.time(), utcnow()
    try:
        async with db.transaction() as s:
            await s.execute(dialect_insert(s, PlatformSetting)
                            .values(key=f"jobs.last_run:{name}", value=ran, updated_at=now)
                            .on_conflict_do_update(index_elements=[PlatformSetting.key],
                                                   set_={"value": ran, "updated_at": now}))
    except Exception:
        log.exception("could not record that job %s ran", name)


async def each_in_own_transaction(db: Database, ids: Iterable[int],
                                  step: Callable[[AsyncSession, int], Awaitable[object]], *,
                                  what: str = "item") -> int:
    """Run `step` for each id in a transaction of its own; count the steps that did something.

    A step refused by a business rule (moved on meanwhile, say) is skipped and the rest go on;
    the next run of the job retries whatever is still due. A step "did something" when it
    returns a truthy value.
    """
    from laotie.kit.db import in_retried_transaction
    from laotie.kit.errors import DomainError

    done = 0
    for item_id in ids:
        try:
            done += bool(await in_retried_transaction(db, partial(_one, step, item_id), what=f"{what} {item_id}"))
        except DomainError:
            log.info("%s %s skipped: no longer due", what, item_id, exc_info=True)
    return done


async def _one(step: Callable[[AsyncSession, int], Awaitable[object]], item_id: int, s: AsyncSession) -> object:
    return await step(s, item_id)
