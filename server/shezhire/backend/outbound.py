"""The outbound allow-list, enforced below the application: a process-wide connect() guard.

A process that must reach the network (a query worker of a remote store, or one with SERVICE
endpoints allow-listed) calls :func:`allow_only` once, before it opens anything: from then on
every connect through Python's ``socket`` module is checked by an audit hook (audit hooks
cannot be removed) against the addresses of the allow-listed URLs, resolved once here; any
other destination raises ``PermissionError`` whatever code asked for it (an HTTP client, a
redirect it follows, a library). Unix sockets are not network traffic and pass. pyoxigraph's
own SERVICE client is native code, below this hook: SERVICE is checked by the query parser
(:mod:`shezhire.http.query_guard`) and, with nothing allow-listed, by network isolation.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def allowed_addresses(urls: Iterable[str]) -> frozenset[tuple[str, int]]:
    """(IP address, port) pairs the URLs' hosts resolve to (parsed by urllib, not by hand)."""
    found: set[tuple[str, int]] = set()
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname is None or parts.scheme not in DEFAULT_PORTS:
            raise ValueError(f"{url!r} is not an http(s) URL with a host")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
        for *_, address in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM):
            found.add((str(address[0]), int(address[1])))
    return frozenset(found)


def allow_only(urls: Iterable[str]) -> frozenset[tuple[str, int]]:
    """Refuse, from now on, every connect() of this process but to ``urls``' hosts and ports."""
    allowed = allowed_addresses(urls)

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event != "socket.connect":
            return
        sock, address = args
        if sock.family == socket.AF_UNIX:
            return
        destination = (str(address[0]), int(address[1]))
        if destination not in allowed:
            raise PermissionError(
                f"outbound connection to {destination[0]} port {destination[1]} refused: "
                "not an allow-listed endpoint"
            )

    sys.addaudithook(guard)
    return allowed
