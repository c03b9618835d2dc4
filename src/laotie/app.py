"""The application factory: one FastAPI app serving the JSON API, the pages and the jobs."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles

from laotie import __version__
from laotie.config import Settings, get_settings
from laotie.kit import redact
from laotie.kit.db import Database
from laotie.kit.events import Dispatcher, bus
from laotie.kit.fastpath import FastPaths
from laotie.kit.heap import settle_after_startup
from laotie.kit.http import install_error_handlers
from laotie.kit.jobs import scheduler
from laotie.kit.openapi import document_errors
from laotie.kit.realtime import make_hub
from laotie.live.sale.board import board_of
from laotie.live.sale.redis_gate import RedisFlash
from laotie.live.sale.stock_feed import StockFeed
from laotie.traffic.service.feed import feed_of

log = logging.getLogger("laotie")


# Modules that register event handlers, jobs, payment purposes and publish guards when imported.
DOMAIN_MODULES = (
    "laotie.alliance.governance.handlers",
    "laotie.alliance.handlers",
    "laotie.alliance.links.tasks",
    "laotie.alliance.payouts.handlers",
    "laotie.alliance.samples.handlers",
    "laotie.alliance.samples.tasks",
    "laotie.alliance.mcn.tasks",
    "laotie.alliance.tasks",
    "laotie.aftersales.tasks",
    "laotie.catalog.handlers",
    "laotie.feedback.handlers",
    "laotie.live.analytics.handlers",
    "laotie.live.analytics.tasks",
    "laotie.live.handlers",
    "laotie.live.gifts.handlers",
    "laotie.live.pk.handlers",
    "laotie.live.pk.tasks",
    "laotie.live.sale.fastpath",
    "laotie.live.sale.handlers",
    "laotie.live.sale.tasks",
    "laotie.live.media.handlers",
    "laotie.live.gifts.service",
    "laotie.orders.fastpath",
    "laotie.orders.handlers",
    "laotie.orders.tasks",
    "laotie.social.inbox.handlers",
    "laotie.trust.governance.service.chat_abuse",
    "laotie.trust.fraud.tasks",
    "laotie.trust.governance.tasks",
    "laotie.trust.governance.handlers",
    "laotie.trust.score.handlers",
    "laotie.trust.score.tasks",
    "laotie.trust.deposits.service",
    "laotie.trust.governance.service",
    "laotie.traffic.handlers",
)


def _register_domains() -> None:
    for name in DOMAIN_MODULES:
        importlib.import_module(name)


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    redact.install()  # the media plane's callback token must not land in the access log
    _register_domains()
    database = db or Database.connect(settings)
    dispatcher = Dispatcher(database, bus)
    database.hub = make_hub(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await database.hub.start()
        stock_feed = StockFeed(database)
        database.services["stock_feed"] = stock_feed
        tasks = [asyncio.create_task(stock_feed.run_forever(), name="flash-stock"),
                 asyncio.create_task(board_of(database).run_forever(), name="flash-board")]
        if settings.redis_url:
            gate = RedisFlash(database, settings.redis_url)
            database.services["flash_gate"] = gate
            if settings.flash_persister == "in_process":
                tasks.append(asyncio.create_task(gate.run_persister(), name="flash-persister"))
        tasks += [asyncio.create_task(dispatcher.run_forever(), name="outbox"),
                  asyncio.create_task(feed_of(database).run_forever(database), name="feed-refresh")]
        if settings.jobs_enabled:
            tasks.append(asyncio.create_task(
                scheduler.run_forever(database, settings.jobs_interval_seconds), name="jobs"))
        dispatcher.wake()  # events left over from a previous run
        settle_after_startup()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded: a cancellation swallowed inside a client library must not hang shutdown.
            _, stuck = await asyncio.wait(tasks, timeout=5)
            for task in stuck:
                log.warning("background task %s did not stop in time", task.get_name())
            await database.hub.stop()
            if "flash_gate" in database.services:
                await database.services.pop("flash_gate").close()
            if db is None:
                await database.dispose()

    app = FastAPI(title="laotie", version=__version__, lifespan=lifespan,
                  docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.state.db = database
    app.state.dispatcher = dispatcher
    app.state.settings = settings
    app.add_middleware(FastPaths)  # added first, so it runs inside the body limit
    install_error_handlers(app)

    from laotie.aftersales.endpoints import router as aftersales_router
    from laotie.alliance.endpoints import router as alliance_router
    from laotie.alliance.leaders.endpoints import router as leader_router
    from laotie.alliance.links.endpoints import router as link_router
    from laotie.alliance.mcn.endpoints import router as mcn_router
    from laotie.alliance.payouts.endpoints import router as payout_router
    from laotie.alliance.samples.endpoints import router as sample_router
    from laotie.catalog.endpoints import router as catalog_router
    from laotie.feedback.endpoints import router as feedback_router
    from laotie.identity.endpoints import router as identity_router
    from laotie.live.analytics.endpoints import router as live_analytics_router
    from laotie.live.chat.endpoints import router as chat_router
    from laotie.live.endpoints import router as live_router
    from laotie.live.gifts.endpoints import router as gift_router
    from laotie.live.media.endpoints import router as media_hooks_router
    from laotie.live.media.endpoints import viewer_router as media_viewer_router
    from laotie.live.media.plane import HlsFiles
    from laotie.live.pk.endpoints import router as pk_router
    from laotie.live.sale.endpoints import router as sale_router
    from laotie.orders.endpoints import router as orders_router
    from laotie.social.endpoints import router as social_router
    from laotie.social.videos.endpoints import router as video_router
    from laotie.traffic.endpoints import router as traffic_router
    from laotie.trust.deposits.endpoints import router as deposit_router
    from laotie.trust.fraud.endpoints import router as fraud_router
    from laotie.trust.governance.endpoints import router as governance_router
    from laotie.trust.score.endpoints import router as score_router
    from laotie.web import install_pages
    from laotie.web.api_docs import router as api_docs_router

    for router in (identity_router, catalog_router, orders_router, live_router, sale_router, pk_router,
                   live_analytics_router, media_hooks_router, chat_router, gift_router, social_router, video_router,
                   media_viewer_router, deposit_router, governance_router, aftersales_router, feedback_router,
                   score_router, traffic_router, fraud_router, alliance_router, leader_router, mcn_router,
                   payout_router, sample_router, link_router, api_docs_router):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(
            "# TYPE laotie_sql_statements_total counter\n"
            f"laotie_sql_statements_total {database.stats.statements}\n"
            + board_of(database).metrics()
        )

    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/media", StaticFiles(directory=settings.media_dir), name="media")
    # HLS written by the media plane (nginx-rtmp); served here so the room page needs no CORS.
    app.mount("/hls", HlsFiles(directory=settings.media_prefix / "hls", check_dir=False), name="hls")
    install_pages(app)
    document_errors(app)
    return app
