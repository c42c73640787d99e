"""Security headers on every answer: a pure ASGI middleware.

Every answer gets ``X-Content-Type-Options: nosniff`` (a browser must not run a query result
or a dump as a script or a page because it looks like one). HTML answers also get a
Content-Security-Policy that allows scripts, fonts and fetches from this origin only (no inline
script, no ``eval``; the pages' data blocks are ``<script type="application/json">``, which are
not run; no inline style), ``X-Frame-Options: DENY`` and a ``Referrer-Policy``;
an HTML answer that sets its own Content-Security-Policy keeps it (and is not denied framing).

A redirect's ``Location`` never names the host the client sent: Starlette's trailing-slash
redirects build an absolute URL from the ``Host`` header (or, when that is not a valid host,
from the bind address), which a shared cache would then serve to everyone. Such a
``Location`` is cut to its path (a relative reference, RFC 9110 section 10.2.2).

``serve`` wraps the whole ASGI application (the SPARQL fast path included) in it;
``create_app`` installs it too, for apps served without ``serve``. It marks the scope, so that
when it is installed twice only the outer one adds headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # No inline styles either: the one <style> a library writes at run time (YASGUI's
        # column resizer) is refused, and ui.css carries the same rules.
        "style-src 'self'",
        "img-src 'self' data:",  # Swagger UI's icons are data: URLs in its stylesheet
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
NOSNIFF = (b"x-content-type-options", b"nosniff")
HTML_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
MARK = "shezhire.security_headers"


class SecurityHeaders:
    """ASGI middleware: ``SecurityHeaders(app)``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(MARK):
            await self.app(scope, receive, send)
            return
        scope[MARK] = True

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                html = False
                for name, value in headers:
                    if name.lower() == b"content-type":
                        html = value[:9].lower() == b"text/html"
                        break
                if 300 <= message["status"] < 400:
                    _relative_location(scope, headers)
                headers.append(NOSNIFF)
                # An answer that brings its own policy keeps it (the reconciliation preview
                # card, which OpenRefine shows in a frame, allows framing and nothing else).
                own_policy = any(n.lower() == b"content-security-policy" for n, _ in headers)
                if html and not own_policy:
                    headers.extend(HTML_HEADERS)
                elif html:
                    headers.append(HTML_HEADERS[2])
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _relative_location(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """Cut a ``Location`` on the request's own host (its Host header or the bind address) to
    its path."""
    hosts = {value.lower() for name, value in scope["headers"] if name == b"host"}
    server = scope.get("server")
    if server:
        hosts.add(f"{server[0]}:{server[1]}".encode("latin-1"))
    for index, (name, value) in enumerate(headers):
        if name.lower() != b"location":
            continue
        scheme, sep, rest = value.partition(b"://")
        if not sep or scheme.lower() not in (b"http", b"https"):
            continue
        cut = min((at for at in (rest.find(m) for m in (b"/", b"?", b"#")) if at >= 0), default=-1)
        authority, tail = (rest, b"") if cut < 0 else (rest[:cut], rest[cut:])
        if authority.lower() in hosts:
            headers[index] = (name, tail if tail.startswith(b"/") else b"/" + tail)
