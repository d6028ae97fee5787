"""create_app(settings) → Litestar: wiring only (templates, static files, security, lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.template.config import TemplateConfig

from inspect_app import __version__
from inspect_app.db import Database
from inspect_app.errors import EXCEPTION_HANDLERS
from inspect_app.permissions import PUBLIC
from inspect_app.security import (
    AppCSRFMiddleware,
    AuthMiddleware,
    ConditionalPageMiddleware,
    StrictFormEncodingMiddleware,
    csrf_config,
    role_guard,
    security_headers_hook,
    session_cookie_name,
)
from inspect_app.reports import jobs
from inspect_app.services.auth import LoginThrottle
from inspect_app.services.checklist_store import Current, sync_checklists
from inspect_app.settings import ROOT, Settings
from inspect_app.web import ROUTE_HANDLERS
from inspect_app.web.boundary import AppRequest, allow_header_hook, annotate, boundary_guard
from inspect_app.web.contract import ContractRenderPlugin
from inspect_app.web.flash import FlashStore, load_note
from inspect_app.web.templating import configure_environment


def create_app(settings: Settings) -> Litestar:
    """Build the app for these settings; the database opens (and migrates) on start-up."""
    settings = settings.with_secret()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = await Database.open(settings.db_path)
        reports = jobs.Registry(db, settings.data_dir)
        try:
            # An invalid checklist file stops start-up with the validator's messages.
            await sync_checklists(db, settings.checklists_dir)
            # Nothing another app process may need lives only here (issue 20): these are handles on the
            # database's rows (and, for the checklists, a copy checked against the database per use).
            app.state.checklists = await Current.load(db)
            app.state.throttle = LoginThrottle(db)
            app.state.flash = FlashStore(db)
            app.state.jobs = reports
            app.state.db = db
            yield
        finally:
            await reports.close()
            await db.close()

    async def provide_db(state: State) -> Database:
        return state.db

    async def provide_settings() -> Settings:
        return settings

    template_config = TemplateConfig(
        directory=ROOT / "templates", engine=JinjaTemplateEngine, engine_callback=configure_environment
    )
    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        lifespan=[lifespan],
        before_request=load_note,  # the note of a `?flash=` address (web/flash.py)
        dependencies={"db": Provide(provide_db), "settings": Provide(provide_settings)},
        guards=[role_guard, boundary_guard],  # who may call first, then what they sent
        request_class=AppRequest,
        before_send=[security_headers_hook(settings), allow_header_hook],
        middleware=[
            ConditionalPageMiddleware,
            StrictFormEncodingMiddleware,
            DefineMiddleware(AppCSRFMiddleware, config=csrf_config(settings),
                             session_cookie=session_cookie_name(settings)),
            DefineMiddleware(AuthMiddleware, settings=settings),
        ],
        plugins=[HTMXPlugin()],
        template_config=template_config,
        exception_handlers=EXCEPTION_HANDLERS,
        # Pages: brotli for browsers that ask, else gzip. Quality 7 makes the 224 KB visit page a fifth
        # smaller than gzip 6 does, for ~3 ms of CPU instead of ~2.5. Static files are compressed once,
        # at the best level, by their own route (web/static.py).
        compression_config=CompressionConfig(backend="brotli", brotli_quality=7, gzip_compress_level=6,
                                             minimum_size=500, exclude_opt_key="precompressed"),
        openapi_config=OpenAPIConfig(
            title="Sổ Kiểm Tra API", version=__version__, path="/schema",
            # The document Litestar writes, finished by web/contract.py so that it tells the truth.
            render_plugins=[ContractRenderPlugin(path=["/", "/openapi.json"])],
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
        ),
        # Expected refusals are answered, not logged; handle_unexpected logs real failures itself.
        logging_config=LoggingConfig(log_exceptions="debug"),
        request_max_body_size=1_000_000,  # forms; upload routes raise their own limit
    )
    annotate(app)
    return app
