"""Absolute URLs of this service, from ``Settings.public_url`` (or the bind address).

Never from the request's ``Host`` header: a client chooses that header, and what the service
says about itself (the service description's endpoint, the base IRI of queries, the VoID and
DCAT access URLs) is cached and shared, so it must not depend on it (nor break on a Host with
a space in it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shezhire.config import Settings


def public_url(settings: Settings, path: str = "/") -> str:
    """The absolute URL of ``path`` (which starts with ``/``) on this service."""
    return settings.public_base_url + path


def public_endpoint(settings: Settings, scope: Mapping[str, Any]) -> str:
    """The absolute URL of the request's path (an ASGI scope's ``path`` less its
    ``root_path``: the public URL already holds any prefix a proxy adds)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return public_url(settings, path)
