"""The SPARQL 1.1 Protocol core: one framework-free function from a request to an outcome.

:meth:`SparqlService.handle` takes the method, the raw query string, the headers and the body
and returns an :class:`~shezhire.http.engine.Outcome`; the FastAPI routes only read the body
(within its limit) and relay the outcome. Tests may call it without a socket.
"""

from __future__ import annotations

import hmac
import re
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin

from shezhire.config import Settings
from shezhire.http.engine import Outcome, QueryEngine, problem
from shezhire.http.formats import GraphFormat
from shezhire.http.negotiation import choose, negotiate_query, supported_media_types
from shezhire.http.service_description import ServiceDescription
from shezhire.http.wire import Job

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

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


# --- SERVICE (federation) -----------------------------------------------------------------------

_TOKENS = re.compile(
    r"""(?P<comment>\#[^\n]*)
      | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
                   |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
      | (?P<pname>[A-Za-z][\w.-]*?:[^\s{}()<>,;]*|:[^\s{}()<>,;]*)
      | (?P<word>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.UNICODE,
)
_HAS_SERVICE = re.compile("service", re.IGNORECASE)


def service_targets(query: str) -> list[str]:
    """The endpoints the query's SERVICE clauses name; '?var' for a variable endpoint.

    A light lexer (comments, strings and IRIs are skipped as whole tokens), resolving prefixed
    names with the query's PREFIX declarations and relative IRIs with its BASE.
    """
    if not _HAS_SERVICE.search(query):
        return []
    prefixes: dict[str, str] = {}
    base = ""
    targets: list[str] = []
    tokens = [(m.lastgroup, m.group()) for m in _TOKENS.finditer(query)]
    tokens = [t for t in tokens if t[0] not in ("comment", "string")]
    for index, (kind, text) in enumerate(tokens):
        if kind != "word":
            continue
        keyword = text.upper()
        following = tokens[index + 1 : index + 4]
        if keyword == "BASE" and following and following[0][0] == "iri":
            base = urljoin(base, following[0][1][1:-1])
        elif keyword == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            name = following[0][1]
            prefixes[name[:-1] if name.endswith(":") else name] = urljoin(
                base, following[1][1][1:-1]
            )
        elif keyword == "SERVICE":
            rest = following
            if rest and rest[0][0] == "word" and rest[0][1].upper() == "SILENT":
                rest = rest[1:]
            if not rest:
                targets.append("?")
                continue
            target_kind, target = rest[0]
            if target_kind == "iri":
                targets.append(urljoin(base, target[1:-1]))
            elif target_kind == "pname":
                prefix, _, local = target.partition(":")
                targets.append(prefixes[prefix] + local if prefix in prefixes else target)
            else:
                targets.append(target if target_kind == "var" else "?")
    return targets


# --- the result cache -----------------------------------------------------------------------


class ResultCache:
    """Answers to recent queries, least recently used out first.

    The served store never changes while the process runs, so an answer stays right; only
    whole (non-streamed) 200 and 400 answers up to ``max_bytes`` are kept.
    """

    CACHEABLE = frozenset({200, 400})

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[Hashable, Outcome] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Outcome | None:
        if not self.entries:
            return None
        outcome = self._data.get(key)
        if outcome is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return outcome

    def put(self, key: Hashable, outcome: Outcome) -> None:
        if (
            not self.entries
            or outcome.body is None
            or outcome.status not in self.CACHEABLE
            or len(outcome.body) > self.max_bytes
        ):
            return
        self._data[key] = outcome
        if len(self._data) > self.entries:
            self._data.popitem(last=False)


# --- the service ----------------------------------------------------------------------------


class SparqlService:
    """Everything ``/sparql`` needs: settings, the query engine and the service description."""

    def __init__(self, settings: Settings, engine: QueryEngine, sd: ServiceDescription) -> None:
        self.settings = settings
        self.engine = engine
        self.sd = sd
        self.allowlist = frozenset(settings.service_allowlist)
        self.cache = ResultCache(settings.result_cache_entries, settings.result_cache_max_bytes)

    def timeout_for(self, requested: str | None) -> float:
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
        return min(value, limit)

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

    def check_services(self, query: str) -> None:
        for target in service_targets(query):
            if target not in self.allowlist:
                allowed = ", ".join(sorted(self.allowlist)) or "none"
                raise ProtocolError(
                    403,
                    f"SERVICE {target} refused: this endpoint makes no outbound requests except "
                    f"to its allow-list (service_allowlist: {allowed}).",
                )

    async def handle(
        self,
        method: str,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes,
        endpoint: str,
    ) -> Outcome:
        """Answer one protocol request (GET or POST on /sparql)."""
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
        self.check_services(query)
        job = Job(
            query,
            -1 if results_fmt is None else int(results_fmt),
            -1 if graph_fmt is None else int(graph_fmt),
            default_graphs if dataset else None,
            named_graphs if dataset else None,
            self.settings.max_result_rows,
            base_iri,
        )
        outcome = await self.engine.run(job, timeout_s)
        self.cache.put(key, outcome)
        return outcome
