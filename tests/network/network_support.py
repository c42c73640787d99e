"""Constants and the live-server helper shared by the network tests (a plain module: a
conftest is not importable by name)."""

from __future__ import annotations

from pathlib import Path

from shezhire.config import Settings
from shezhire.http.testing import LiveServer

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
P = "https://w3id.org/shezhire/id/person/"


def start_server(
    settings: Settings,
    folder: Path,
    factory: str,
    extra_env: dict[str, str] | None = None,
) -> LiveServer:
    """``netapp:<factory>`` (the router alone, or fed by a provider) on a free 127.0.0.1 port;
    the whole service is the session's ``site`` fixture."""
    server = LiveServer(
        settings.model_copy(update={"port": 8000, "store_path": settings.store}),
        extra_env,
        factory=(HERE, f"netapp:{factory}"),
    )
    server.log_path = folder / "server.log"
    return server.start()
