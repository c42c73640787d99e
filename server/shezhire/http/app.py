"""The FastAPI application: ``create_app(settings)``; resources are opened in its lifespan.

The lifespan opens the :class:`~shezhire.http.snapshot.SnapshotPublisher` (the current build
of the store, its query workers, and the watcher that switches every route to a newly
published build together; ``SIGHUP`` makes it look at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from shezhire import __version__
from shezhire.config import Settings
from shezhire.http import errors
from shezhire.http.engine import StreamAborted
from shezhire.http.routers import docs, health, queries, sparql, writes
from shezhire.http.security import SecurityHeaders
from shezhire.http.snapshot import SnapshotPublisher, SnapshotScope
from shezhire.linked_data import router as linked_data
from shezhire.linked_data import ui as pages_ui
from shezhire.network import http as network
from shezhire.search import http as search


class OneLineStreamAborts(logging.Filter):
    """Uvicorn logs an exception that ends a started response with its traceback; a stream
    we abort on purpose (worker died, time limit) is one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], StreamAborted):
            record.msg = "answer aborted mid-stream, connection closed: %s"
            record.args = (record.exc_info[1],)
            record.exc_info = None
            record.exc_text = None
        return True


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher = SnapshotPublisher(settings)
        await publisher.start()
        app.state.settings = settings
        app.state.publisher = publisher
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, publisher.request_reload)
        one_line = OneLineStreamAborts()
        logging.getLogger("uvicorn.error").addFilter(one_line)
        try:
            yield
        finally:
            logging.getLogger("uvicorn.error").removeFilter(one_line)
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await publisher.close()

    app = FastAPI(
        title="Shezhire SPARQL endpoint",
        version=__version__,
        description="Read-only SPARQL 1.1 endpoint over the Shezhire knowledge graph.",
        lifespan=lifespan,
        docs_url=None,  # routers/docs.py serves /docs from local files, without inline script
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["Accept", "Content-Type"],
        max_age=86400,
    )
    app.add_middleware(SnapshotScope)
    app.add_middleware(SecurityHeaders)  # keep it added last (outermost); serve() wraps the front
    for module in (sparql, health, queries, writes, linked_data, pages_ui, network, search, docs):
        app.include_router(module.router)
    return app
