"""Typed dependency aliases: what a route may ask for, opened once in the app's lifespan."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from shezhire.config import Settings
from shezhire.http.dataset import DatasetInfo
from shezhire.http.engine import QueryEngine
from shezhire.http.protocol import SparqlService


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_engine(request: Request) -> QueryEngine:
    return cast(QueryEngine, request.app.state.engine)


async def get_service(request: Request) -> SparqlService:
    return cast(SparqlService, request.app.state.service)


async def get_dataset(request: Request) -> DatasetInfo:
    return cast(DatasetInfo, request.app.state.dataset)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[QueryEngine, Depends(get_engine)]
ServiceDep = Annotated[SparqlService, Depends(get_service)]
DatasetDep = Annotated[DatasetInfo, Depends(get_dataset)]
