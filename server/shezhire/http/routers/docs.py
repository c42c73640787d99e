"""``/docs``: Swagger UI on this service's OpenAPI description, served from local files.

FastAPI's own page loads Swagger UI from a CDN (a blank page offline) and starts it with an
inline script (which the Content-Security-Policy of HTML answers forbids). This page uses the
Swagger UI 5 files shipped by the ``fastapi-offline`` package (Swagger UI is Apache-2.0, the
package MIT) and starts it from ``static/docs-init.js``. Asset URLs carry a hash of the file
(``?v=``), so they are cached for a year.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

HERE = Path(__file__).resolve().parents[1]
SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"
# A year: the longest lifetime caches honour (RFC 9111); a changed file gets a new ?v=.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (
        SWAGGER_UI / "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css; charset=utf-8"),
    "favicon.png": (SWAGGER_UI / "favicon.png", "image/png"),
    "docs-init.js": (HERE / "static" / "docs-init.js", "text/javascript; charset=utf-8"),
}

router = APIRouter(tags=["docs"])

_templates = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


@cache
def asset_versions() -> dict[str, str]:
    """A short hash of each asset's content, read once."""
    return {
        name: hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for name, (path, _) in ASSETS.items()
    }


@router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    html = _templates.get_template("docs.html").render(
        title=f"{request.app.title} - API",
        assets=f"{root}/docs/assets",
        openapi_url=f"{root}{request.app.openapi_url}",
        versions=asset_versions(),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/docs/assets/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    entry = ASSETS.get(name)
    if entry is None:
        return PlainTextResponse(f"No asset {name!r}.", status_code=404)
    path, media_type = entry
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": ASSET_CACHE_CONTROL})
