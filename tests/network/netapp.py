"""The app the network tests serve with uvicorn: the project's ``create_app`` with the
network router included (unless the app already includes it).

``python -m uvicorn --factory --app-dir tests/network netapp:make_app`` with the
``SHEZHIRE_*`` environment of the test's settings.
"""

from __future__ import annotations

from fastapi import FastAPI

from shezhire.config import Settings
from shezhire.http.app import create_app
from shezhire.network.http import router


def make_app() -> FastAPI:
    app = create_app(Settings())
    if not any(str(getattr(route, "path", "")).startswith("/network/") for route in app.routes):
        app.include_router(router)
    return app
