"""Background jobs on a timer, each named "<domain>.<verb>" and safe to run twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from laotie.kit.db import Database

log = logging.getLogger("laotie.jobs")

JobFn = Callable[["Database"], Awaitable[int]]


@dataclass
class Scheduler:
    jobs: dict[str, JobFn] = field(default_factory=dict)

    def job(self, name: str) -> Callable[[JobFn], JobFn]:
        def register(fn: JobFn) -> JobFn:
            self.jobs[name] = fn
            return fn

        return register

    async def run(self, db: Database, name: str) -> int:
        return await self.jobs[name](db)

    async def run_all(self, db: Database) -> dict[str, int]:
        results = {}
        for name, fn in self.jobs.items():
            try:
                results[name] = await fn(db)
            except Exception:
                log.exception("job %s failed", name)
                results[name] = -1
        return results

    async def run_forever(self, db: Database, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.run_all(db)


scheduler = Scheduler()
