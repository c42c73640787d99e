"""The SPARQL 1.1 Protocol core: one framework-free function from a request to an outcome.

:meth:`SparqlService.handle` takes the method, the raw query string, the headers and the body
and returns an :class:`~shezhire.http.engine.Outcome`; the FastAPI routes only read the body
(within its limit) and relay the outcome. Tests may call it without a socket.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from shezhire.config import Settings
from shezhire.http.engine import Outcome, QueryEngine, problem
from shezhire.http.formats import GraphFormat
from shezhire.http.negotiation import choose, negotiate_query, supported_media_types
from shezhire.http.result_cache import ResultCache
from shezhire.http.service_description import ServiceDescription
from shezhire.http.wire import Job

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
# The shortest time limit a request may ask for (timeout=); smaller values are raised to it.
MIN_QUERY_TIMEOUT_S = 1.0

# Service descriptions in the formats a client may ask for; Turtle first (the default).
SD_OFFERS: list[tuple[str, GraphFormat]] = [
    ("text/turtle", GraphFormat.TURTLE),
    ("application/ld+json", GraphFormat.JSONLD),
    ("application/rdf+xml", GraphFormat.RDFXML),
    ("application/n-triples", GraphFormat.NTRIPLES),
    ("application/trig", GraphFormat.TRIG),
    ("application/n-quads", GraphFormat.NQUADS),
    ("application/json", GraphFormat.JSONLD),
    ("application/xml", GraphFormat.RDFXML),
]


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Operation:
    """A parsed protocol request."""

    query: str | None
    update: str | None
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    timeout: str | None
    format: str | None


def _params(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(400, f"Parameters are not valid UTF-8 URL-encoding: {error}") from None


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    if charset is not None and charset not in UTF8_NAMES:
        raise ProtocolError(415, f"Only UTF-8 request bodies are accepted, not charset={charset}.")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"The request body is not valid UTF-8: {error}") from None


def parse_operation(
    method: str, query_string: bytes, content_type: str | None, body: bytes
) -> Operation:
    """Read the SPARQL Protocol parameters of a GET or POST (raises ProtocolError)."""
    params = _params(query_string.decode("latin-1")) if query_string else []
    direct: str | None = None
    direct_update: str | None = None
    if method == "POST":
        media, charset = _media_type(content_type)
        if media == FORM:
            params += _params(_decode(body, charset))
        elif media == SPARQL_QUERY:
            direct = _decode(body, charset)
        elif media == SPARQL_UPDATE:
            direct_update = _decode(body, charset)
        elif not media:
            raise ProtocolError(415, f"A POST needs a Content-Type: {FORM} or {SPARQL_QUERY}.")
        else:
            raise ProtocolError(
                415, f"Unsupported Content-Type {media!r}: use {FORM} or {SPARQL_QUERY}."
            )
    queries = [v for k, v in params if k == "query"]
    updates = [v for k, v in params if k == "update"]
    if direct is not None:
        if queries:
            raise ProtocolError(
                400, "Give the query either in the body or as a parameter, not both."
            )
        queries = [direct]
    if direct_update is not None:
        updates.append(direct_update)
    if len(queries) > 1:
        raise ProtocolError(400, "More than one 'query' parameter.")
    if len(updates) > 1:
        raise ProtocolError(400, "More than one 'update' parameter.")
    if queries and updates:
        raise ProtocolError(400, "A request holds either a query or an update, not both.")
    single: dict[str, str] = {}
    for name in ("timeout", "format", "output"):
        values = [v for k, v in params if k == name]
        if values:
            single[name] = values[0]
    return Operation(
        query=queries[0] if queries else None,
        update=updates[0] if updates else None,
        default_graphs=tuple(v for k, v in params if k == "default-graph-uri"),
        named_graphs=tuple(v for k, v in params if k == "named-graph-uri"),
        timeout=single.get("timeout"),
        format=single.get("format") or single.get("output"),
    )


# --- the service ----------------------------------------------------------------------------


class SparqlService:
    """Everything ``/sparql`` needs: settings, the query engine and the service description."""

    def __init__(self, settings: Settings, engine: QueryEngine, sd: ServiceDescription) -> None:
        self.settings = settings
        self.engine = engine
        self.sd = sd
        # The endpoints SERVICE may call; the workers check each query against it.
        self.allowlist = tuple(sorted(set(settings.service_allowlist)))
        self.cache = ResultCache(
            settings.result_cache_entries,
            settings.result_cache_max_bytes,
            settings.result_cache_total_bytes,
        )

    def timeout_for(self, requested: str | None) -> float:
        """The time limit for a query that asked for ``timeout=requested`` seconds.

        At most the server's ``query_timeout_s``; at least :data:`MIN_QUERY_TIMEOUT_S` (a
        smaller positive value is raised to it: a limit shorter than a worker takes to answer
        would only get workers killed), unless the server's own limit is smaller still.
        """
        limit = self.settings.query_timeout_s
        if requested is None or requested == "":
            return limit
        try:
            value = float(requested)
        except ValueError:
            raise ProtocolError(
                400, f"timeout must be a number of seconds, not {requested!r}."
            ) from None
        if not value > 0:
            raise ProtocolError(400, "timeout must be a positive number of seconds.")
        return min(max(value, MIN_QUERY_TIMEOUT_S), limit)

    def refuse_write(self, authorization: str | None) -> Outcome:
        token = self.settings.write_token
        if not token:
            return problem(
                403,
                "This endpoint is read-only: SPARQL Update and other writes are refused "
                "(no write token is configured).",
            )
        supplied = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            return problem(403, "Writes need 'Authorization: Bearer <write token>'.")
        return problem(501, "Writes are not implemented by this version of the endpoint.")

    async def handle(
        self,
        method: str,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes,
        endpoint: str,
        *,
        client: str | None = None,
    ) -> Outcome:
        """Answer one protocol request (GET or POST on /sparql) from ``client`` (an address)."""
        try:
            op = parse_operation(method, query_string, headers.get("content-type"), body)
            if op.update is not None:
                return self.refuse_write(headers.get("authorization"))
            if op.query is None:
                if method == "POST":
                    return problem(400, "Missing 'query' parameter.")
                fmt = choose(headers.get("accept"), SD_OFFERS) or GraphFormat.TURTLE
                data, ctype = self.sd.render(endpoint, fmt)
                return Outcome(200, ctype, data)
            return await self.run_query(
                op.query,
                accept=headers.get("accept"),
                format_param=op.format,
                default_graphs=op.default_graphs,
                named_graphs=op.named_graphs,
                timeout=op.timeout,
                base_iri=endpoint,
                client=client,
            )
        except ProtocolError as error:
            return problem(error.status, error.message)

    async def run_query(
        self,
        query: str,
        *,
        accept: str | None,
        format_param: str | None = None,
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
        timeout: str | None = None,
        base_iri: str | None = None,
        client: str | None = None,
    ) -> Outcome:
        """Run a query with the endpoint's limits; raises ProtocolError for client errors."""
        limit = self.settings.max_query_length
        if len(query) > limit:
            raise ProtocolError(
                413, f"The query has {len(query)} characters; this endpoint takes at most {limit}."
            )
        timeout_s = self.timeout_for(timeout)
        results_fmt, graph_fmt = negotiate_query(accept, format_param)
        if results_fmt is None and graph_fmt is None:
            wanted = format_param or accept
            return problem(
                406, f"Cannot answer in {wanted!r}. Supported: {supported_media_types()}."
            )
        dataset = bool(default_graphs or named_graphs)
        key = (query, results_fmt, graph_fmt, default_graphs, named_graphs, base_iri)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        job = Job(
            query,
            -1 if results_fmt is None else int(results_fmt),
            -1 if graph_fmt is None else int(graph_fmt),
            default_graphs if dataset else None,
            named_graphs if dataset else None,
            self.settings.max_result_bytes,
            base_iri,
            self.allowlist,
        )
        outcome = await self.engine.run(job, timeout_s, client)
        # A remote endpoint's data may change under us; the store's never does.
        if not (self.allowlist and "service" in query.lower()):
            self.cache.put(key, outcome)
        return outcome
