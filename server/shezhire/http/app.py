"""The FastAPI application: ``create_app(settings)``; resources are opened in its lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from shezhire import __version__
from shezhire.config import Settings
from shezhire.http import errors
from shezhire.http.dataset import discard, snapshot
from shezhire.http.engine import QueryEngine
from shezhire.http.protocol import SparqlService
from shezhire.http.routers import health, queries, sparql, writes
from shezhire.http.service_description import ServiceDescription
from shezhire.linked_data import router as linked_data
from shezhire.network import http as network


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dataset = await asyncio.to_thread(snapshot, settings.store)
        engine = QueryEngine(dataset.dump_path, settings.query_workers, settings.worker_memory_mb)
        try:
            await engine.start()
            app.state.settings = settings
            app.state.dataset = dataset
            app.state.engine = engine
            app.state.service = SparqlService(
                settings, engine, ServiceDescription(dataset, settings)
            )
            yield
        finally:
            await engine.close()
            discard(dataset)

    app = FastAPI(
        title="Shezhire SPARQL endpoint",
        version=__version__,
        description="Read-only SPARQL 1.1 endpoint over the Shezhire knowledge graph.",
        lifespan=lifespan,
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
    for module in (sparql, health, queries, writes, linked_data, network):
        app.include_router(module.router)
    return app
