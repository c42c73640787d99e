"""``/sparql`` and ``/query``: the SPARQL 1.1 Protocol (queries; updates are refused)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from shezhire.http.deps import ServiceDep, SettingsDep
from shezhire.http.responses import read_body, to_response
from shezhire.http.urls import public_endpoint

router = APIRouter(tags=["sparql"])


def endpoint_of(request: Request) -> str:
    """The endpoint's public URL (the service description's sd:endpoint, the base IRI of
    queries): from the settings, never from the Host header."""
    return public_endpoint(request.app.state.settings, request.scope)


@router.get("/sparql", summary="SPARQL query (GET ?query=), or the service description")
@router.get("/query", include_in_schema=False)
async def sparql_get(request: Request, service: ServiceDep) -> Response:
    outcome = await service.handle(
        "GET",
        request.scope["query_string"],
        request.headers,
        b"",
        endpoint_of(request),
        client=request.client.host if request.client else None,
    )
    return to_response(outcome)


@router.post("/sparql", summary="SPARQL query (form or application/sparql-query body)")
@router.post("/query", include_in_schema=False)
async def sparql_post(request: Request, service: ServiceDep, settings: SettingsDep) -> Response:
    body = await read_body(request, settings.max_body_bytes)
    outcome = await service.handle(
        "POST",
        request.scope["query_string"],
        request.headers,
        body,
        endpoint_of(request),
        client=request.client.host if request.client else None,
    )
    return to_response(outcome)
