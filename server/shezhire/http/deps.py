"""Typed dependency aliases: what a route may ask for, opened once in the app's lifespan.

Everything that depends on the data comes from the request's snapshot (the build the request
started on), so that all routes answer from the same store.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from shezhire.config import Settings
from shezhire.http.protocol import SparqlService
from shezhire.http.snapshot import Snapshot, SnapshotPublisher, request_snapshot


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_snapshot(request: Request) -> Snapshot:
    return request_snapshot(request)


async def get_publisher(request: Request) -> SnapshotPublisher:
    return cast(SnapshotPublisher, request.app.state.publisher)


async def get_service(request: Request) -> SparqlService:
    return (await get_snapshot(request)).service


SettingsDep = Annotated[Settings, Depends(get_settings)]
SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
PublisherDep = Annotated[SnapshotPublisher, Depends(get_publisher)]
ServiceDep = Annotated[SparqlService, Depends(get_service)]
