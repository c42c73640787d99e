"""Turning query outcomes into HTTP responses, and reading bodies within their limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from shezhire.http.engine import Outcome, ResultStream
from shezhire.http.errors import HttpProblem

VARY = {"vary": "Accept"}


async def _relay(stream: ResultStream) -> AsyncIterator[bytes]:
    """The stream's chunks; its worker is released (or replaced) however the relay ends."""
    try:
        async for chunk in stream:
            yield chunk
    finally:
        await stream.aclose()


def to_response(outcome: Outcome, extra: dict[str, str] | None = None) -> Response:
    headers = {
        "content-type": outcome.content_type,
        **VARY,
        **dict(outcome.headers),
        **(extra or {}),
    }
    if outcome.body is not None:
        return Response(outcome.body, status_code=outcome.status, headers=headers)
    assert outcome.stream is not None
    return StreamingResponse(_relay(outcome.stream), status_code=outcome.status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise HttpProblem(400, "Content-Length is not a number.") from None
        if size > limit:
            raise HttpProblem(413, f"The request body has {size} bytes; the limit is {limit}.")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise HttpProblem(413, f"The request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
