"""The scheduler: rare jobs remember their last run, so restarts never postpone them for ever."""

from __future__ import annotations

import asyncio
import contextlib
import time

from laotie.kit.jobs import Scheduler
from laotie.models import PlatformSetting, utcnow
from tests.support import Api

DAY = 86_400.0


async def run_briefly(scheduler: Scheduler, api: Api, seconds: float = 0.5) -> None:
    task = asyncio.create_task(scheduler.run_forever(api.db, interval=0.05))
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_daily_job_overdue_at_start_runs_soon_and_is_remembered(api: Api) -> None:
    runs: list[float] = []
    scheduler = Scheduler()

    @scheduler.job("test.daily", every=DAY)
    async def daily(_db: object) -> int:
        runs.append(time.time())
        return 1

    async with api.db.transaction() as s:
        s.add(PlatformSetting(key="jobs.last_run:test.daily", value=time.time() - 2 * DAY, updated_at=utcnow()))
    await run_briefly(scheduler, api)
    assert len(runs) == 1  # two days overdue: it ran right after start, once
    async with api.db.transaction() as s:
        stored = await s.get(PlatformSetting, "jobs.last_run:test.daily")
        assert stored is not None and abs(float(stored.value) - runs[0]) < 5
    await run_briefly(scheduler, api)  # a restart an instant later: not due for a day
    assert len(runs) == 1


async def test_a_daily_job_never_run_runs_after_start(api: Api) -> None:
    runs: list[int] = []
    scheduler = Scheduler()

    @scheduler.job("test.fresh", every=DAY)
    async def fresh(_db: object) -> int:
        runs.append(1)
        return 1

    await run_briefly(scheduler, api)
    assert runs == [1]
