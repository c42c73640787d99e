"""The graph's vocabulary: edge and node attributes, certainty order, filters, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from shezhire.errors import ShezhireError

BASE = "https://w3id.org/shezhire/"
PREFIXES = {
    "person": BASE + "id/person/",
    "inst": BASE + "id/inst/",
    "place": BASE + "id/place/",
    "work": BASE + "id/work/",
    "tie": BASE + "id/tie/",
}

#: Certainty from most to least sure; ``min_certainty="probable"`` keeps certain and probable.
CERTAINTY_ORDER = ("certain", "probable", "possible", "uncertain")
#: Person-to-person tie kinds, and the kinds of the bipartite (institution/place) layer.
TIE_KINDS = ("kin", "social")
LAYER_KINDS = ("membership", "event-place", "location")
NODE_KINDS = ("person", "institution", "place")

#: Edge attributes, every one present on every edge ("" when the data has no value).
EDGE_STRING_ATTRS = (
    "tie",
    "kind",
    "type",
    "type_iri",
    "type_label",
    "subject",
    "object",
    "label",
    "mode",
    "certainty",
    "date",
    "earliest",
    "latest",
    "comment",
)
#: Edge attributes that are lists: JSON strings in GraphML, GEXF and CSV.
EDGE_LIST_ATTRS = ("citations", "sources")
NODE_ATTRS = ("label", "kind", "pseudonym", "unnamed", "bipartite")


class NetworkError(ShezhireError):
    """A request the network cannot answer (bad parameter); ``status`` is the HTTP code."""

    status = 400


class UnknownPersonError(NetworkError):
    status = 404


class TooLargeError(NetworkError):
    status = 422


def local_name(iri: str) -> str:
    """The last path segment or fragment of an IRI (``cert:probable`` -> ``probable``)."""
    return re.split(r"[/#]", iri.rstrip("/"))[-1] if iri else ""


def expand(ref: str, default_prefix: str = "person") -> str:
    """``person:aduchi``, ``aduchi`` or the full IRI -> the full IRI."""
    ref = ref.strip()
    if ref.startswith(("http://", "https://")):
        return ref
    prefix, sep, rest = ref.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + rest
    return PREFIXES[default_prefix] + ref


def certainty_rank(value: str) -> int:
    return CERTAINTY_ORDER.index(value) if value in CERTAINTY_ORDER else len(CERTAINTY_ORDER) - 1


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_bound(text: str, *, upper: bool) -> date:
    """``1950`` -> 1950-01-01 (lower) or 1950-12-31 (upper); months and days likewise."""
    match = _PARTIAL_DATE.match(text.strip())
    if not match:
        raise NetworkError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 12, 31) if upper else date(year, 1, 1)
        if day is None:
            if not upper:
                return date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return date.fromordinal(following.toordinal() - 1)
        return date(year, month, day)
    except ValueError as error:
        raise NetworkError(f"not a date: {text!r} ({error})") from error


@dataclass(frozen=True)
class NetworkFilter:
    """Which ties to keep. Empty fields keep everything.

    - ``sources``: publication IRIs (or ``work:slug``); a tie is kept when one of its
      citations cites one of them.
    - ``min_certainty``: ``certain`` keeps only certain ties; ``probable`` certain and
      probable; and so on (a tie without certainty counts as ``uncertain``).
    - ``kinds``: ``kin`` and/or ``social``.
    - ``since``/``until``: ``YYYY[-MM[-DD]]``; a tie is kept when its date interval
      (``shz:earliestDate``..``shz:latestDate``) overlaps the period. Undated ties are
      dropped whenever a period is given.
    - ``institutions``: keep the bipartite layer (institutions, places and the membership,
      event-place and location edges); off by default: persons only.
    """

    sources: tuple[str, ...] = ()
    min_certainty: str | None = None
    kinds: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    institutions: bool = False
    _since: date | None = field(default=None, init=False, repr=False, compare=False)
    _until: date | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(expand(s, "work") for s in self.sources))
        if self.min_certainty is not None and self.min_certainty not in CERTAINTY_ORDER:
            raise NetworkError(
                f"min_certainty must be one of {', '.join(CERTAINTY_ORDER)}: {self.min_certainty!r}"
            )
        for kind in self.kinds:
            if kind not in TIE_KINDS:
                raise NetworkError(f"kind must be kin or social: {kind!r}")
        since = date_bound(self.since, upper=False) if self.since else None
        until = date_bound(self.until, upper=True) if self.until else None
        if since and until and since > until:
            raise NetworkError(f"since ({self.since}) is after until ({self.until})")
        object.__setattr__(self, "_since", since)
        object.__setattr__(self, "_until", until)

    @property
    def is_empty(self) -> bool:
        return self == NetworkFilter(institutions=self.institutions)

    def keeps_node_kind(self, kind: str) -> bool:
        return self.institutions or kind == "person"

    def keeps(self, edge: dict[str, object]) -> bool:
        """True when the edge (its attribute dict) passes every filter."""
        kind = str(edge.get("kind", ""))
        if kind in LAYER_KINDS:
            if not self.institutions:
                return False
        elif self.kinds and kind not in self.kinds:
            return False
        if self.min_certainty is not None and certainty_rank(
            str(edge.get("certainty", ""))
        ) > certainty_rank(self.min_certainty):
            return False
        if self.sources:
            cited = edge.get("sources") or []
            assert isinstance(cited, list)
            if not set(self.sources) & set(cited):
                return False
        if self._since is not None or self._until is not None:
            earliest = str(edge.get("earliest") or "")
            latest = str(edge.get("latest") or "")
            if not earliest and not latest:
                return False
            if self._since is not None and latest and date.fromisoformat(latest) < self._since:
                return False
            if (
                self._until is not None
                and earliest
                and (date.fromisoformat(earliest) > self._until)
            ):
                return False
        return True

    def as_params(self) -> dict[str, object]:
        """The filter as it is echoed in JSON answers."""
        return {
            "source": list(self.sources),
            "min_certainty": self.min_certainty,
            "kind": list(self.kinds),
            "since": self.since,
            "until": self.until,
            "institutions": self.institutions,
        }
