"""HTTP content negotiation with q-values (RFC 9110 section 12.5.1).

``choose(accept, offers)`` picks the offer the client prefers most; ties go to the server's order
(its first offer is its default). A range's quality comes from the most specific range that
matches an offer; ``q=0`` excludes.

Parsed Accept headers are cached, as clients repeat them; only headers of at most
:data:`MAX_CACHED_ACCEPT_CHARS` are, so that the caches stay small whatever clients send
(longer ones are parsed each time), and only the first :data:`MAX_ACCEPT_RANGES` ranges of a
header count.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

from shezhire.http.formats import (
    GRAPH_ALIASES,
    GRAPH_MEDIA,
    RESULTS_ALIASES,
    RESULTS_MEDIA,
    GraphFormat,
    ResultsFormat,
)

T = TypeVar("T")

# (type, subtype, q) triples; specificity: 2 = exact, 1 = type/*, 0 = */*
AcceptRange = tuple[str, str, float]

# Browsers send Accept headers of 50-250 characters, API clients shorter ones; a longer one is
# parsed each time rather than kept (512 entries of at most 1 KiB each, per cache).
MAX_CACHED_ACCEPT_CHARS = 1024
ACCEPT_CACHE_ENTRIES = 512
# Ranges beyond this many are ignored: no client lists more, and parsing (and the parsed
# tuple, which is larger than the header) stays bounded for any header the server accepts.
MAX_ACCEPT_RANGES = 64


def parse_accept(header: str) -> tuple[AcceptRange, ...]:
    """Parse an Accept header into (type, subtype, q); malformed ranges are skipped."""
    if len(header) <= MAX_CACHED_ACCEPT_CHARS:
        return _parse_accept_cached(header)
    return _parse_accept(header)


def _parse_accept(header: str) -> tuple[AcceptRange, ...]:
    ranges: list[AcceptRange] = []
    for part in header.split(",", MAX_ACCEPT_RANGES)[:MAX_ACCEPT_RANGES]:
        fields = part.split(";")
        media = fields[0].strip().lower()
        if not media:
            continue
        if "/" in media:
            main, _, sub = media.partition("/")
        elif media == "*":
            main, sub = "*", "*"
        else:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((main.strip(), sub.strip(), q))
    return tuple(ranges)


_parse_accept_cached = lru_cache(maxsize=ACCEPT_CACHE_ENTRIES)(_parse_accept)


def match(ranges: Sequence[AcceptRange], media_type: str) -> tuple[int, float]:
    """(specificity of the most specific range matching ``media_type``, its q); specificity
    is -1 when no range matches."""
    main, _, sub = media_type.partition("/")
    best_specificity = -1
    best_q = 0.0
    for r_main, r_sub, q in ranges:
        if r_main == main and r_sub == sub:
            specificity = 2
        elif r_main == main and r_sub == "*":
            specificity = 1
        elif r_main == "*" and r_sub == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_specificity, best_q


def quality(ranges: Sequence[AcceptRange], media_type: str) -> float:
    """The quality the client gives ``media_type`` (0.0 when it does not accept it)."""
    return match(ranges, media_type)[1]


def choose(header: str | None, offers: Sequence[tuple[str, T]]) -> T | None:
    """The offer (media type, value) the client prefers, or None when it accepts none."""
    if not header or not header.strip():
        return offers[0][1]
    ranges = parse_accept(header)
    if not ranges:
        return offers[0][1]
    best: T | None = None
    best_q = 0.0
    for media_type, value in offers:
        q = quality(ranges, media_type)
        if q > best_q:
            best, best_q = value, q
    return best


_RESULTS_OFFERS: list[tuple[str, ResultsFormat]] = [
    *((m.media_type, f) for f, m in RESULTS_MEDIA.items()),
    *RESULTS_ALIASES.items(),
]
_GRAPH_OFFERS: list[tuple[str, GraphFormat]] = [
    *((m.media_type, f) for f, m in GRAPH_MEDIA.items()),
    *GRAPH_ALIASES.items(),
]
_RESULTS_BY_NAME: dict[str, ResultsFormat] = {
    **{n: f for f, m in RESULTS_MEDIA.items() for n in (*m.names, m.media_type)},
    **RESULTS_ALIASES,
}
_GRAPH_BY_NAME: dict[str, GraphFormat] = {
    **{n: f for f, m in GRAPH_MEDIA.items() for n in (*m.names, m.media_type)},
    **GRAPH_ALIASES,
}


def negotiate_query(
    accept: str | None, format_param: str | None = None
) -> tuple[ResultsFormat | None, GraphFormat | None]:
    """Formats for (SELECT/ASK, CONSTRUCT/DESCRIBE) results; None where nothing is acceptable.

    A ``format`` parameter (a short name such as ``json``/``ttl`` or a media type) wins over
    the Accept header, as browsers cannot set headers from a link.
    """
    if len(accept or "") + len(format_param or "") <= MAX_CACHED_ACCEPT_CHARS:
        return _negotiate_query_cached(accept, format_param)
    return _negotiate_query(accept, format_param)


def _negotiate_query(
    accept: str | None, format_param: str | None
) -> tuple[ResultsFormat | None, GraphFormat | None]:
    if format_param:
        name = format_param.strip().lower()
        return _RESULTS_BY_NAME.get(name), _GRAPH_BY_NAME.get(name)
    return choose(accept, _RESULTS_OFFERS), choose(accept, _GRAPH_OFFERS)


_negotiate_query_cached = lru_cache(maxsize=ACCEPT_CACHE_ENTRIES)(_negotiate_query)


def supported_media_types() -> str:
    """A human-readable list for 406 messages."""
    results = ", ".join(m.media_type for m in RESULTS_MEDIA.values())
    graphs = ", ".join(m.media_type for m in GRAPH_MEDIA.values())
    return f"SELECT/ASK: {results}; CONSTRUCT/DESCRIBE: {graphs}"
