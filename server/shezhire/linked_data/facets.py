"""Facets of the browse lists: the source, place, type, period and certainty of each member.

Each facet is a SPARQL query that pairs the members of a class (``?x``) with their values
(``?v``, an IRI), or with EDTF dates (``?d``) for the period facet, whose values are decades.
The index is computed once per build and list (:meth:`Dataset.memo`); filtering and counting
are then set operations. Values are named in URLs by the last segment of their IRI
(``?source=bolatkhan-2023&place=alma-ata&period=1950s&certainty=probable``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from shezhire.linked_data.graph import Dataset, local_name
from shezhire.linked_data.human_dates import decades

CERT = "https://w3id.org/shezhire/vocab/cert/"
CERTAINTY_ORDER = tuple(CERT + c for c in ("certain", "probable", "possible", "uncertain"))

# Claims that name a resource: a resource is "in" a source when one of them cites the source.
_MENTIONS = (
    "shz:tieSubject|shz:tieObject|shz:member|shz:participant|shz:approvedBy|shz:place"
    "|shz:organization|shz:concerns|shz:issuedBy|shz:carriedOutBy"
)
# One query per way (a UNION of them is evaluated branch by branch over the whole store).
SOURCE = tuple(
    f"SELECT DISTINCT ?x ?v WHERE {{ ?x a CLS . {pattern} ?v a shz:SourceText }}"
    for pattern in (
        "?x shz:citation ?cit . ?cit shz:publication ?v .",
        "?x shz:pseudonymDeclaredIn ?cit . ?cit shz:publication ?v .",
        "?r shz:refersTo ?x ; shz:publication ?v .",
        f"?c {_MENTIONS} ?x . ?c shz:citation ?cit . ?cit shz:publication ?v .",
        "?v cito:cites ?x .",
        "BIND(?x AS ?v)",
    )
)
# What a person takes part in or holds: events, positions, ties.
_PERSON_CLAIMS = "shz:participant|shz:approvedBy|shz:member|shz:tieSubject|shz:tieObject"


def _pairs(pattern: str, var: str = "?v") -> tuple[str]:
    return (f"SELECT DISTINCT ?x {var} WHERE {{ ?x a CLS . {pattern} }}",)


@dataclass(frozen=True)
class FacetSpec:
    key: str  # the query parameter
    title: str
    queries: tuple[str, ...]  # pair ?x with ?v (an IRI) or, for a period, ?d (an EDTF date)
    period: bool = False
    order: tuple[str, ...] = ()  # these values first, in this order; the rest by count
    hint: str = ""
    short: bool = False  # long labels (publications) are shortened; the IRI shows the rest


def short_label(label: str, limit: int = 48) -> str:
    """ "Bolatkhan 2023" for "Bolatkhan 2023, Selective Favoritism...": the part before the first
    comma when it is short, else the label cut at a word before ``limit`` characters."""
    head = label.split(", ", 1)[0]
    if len(head) <= limit:
        return head
    cut = label[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "\u2026"


def source_facet() -> FacetSpec:
    return FacetSpec(
        "source", "Source", SOURCE, hint="the source texts that mention it", short=True
    )


def certainty_facet(pattern: str = "?x shz:certainty ?v", hint: str = "") -> FacetSpec:
    return FacetSpec("certainty", "Certainty", _pairs(pattern), order=CERTAINTY_ORDER, hint=hint)


def period_facet(pattern: str = "?x shz:date ?d", hint: str = "") -> FacetSpec:
    return FacetSpec("period", "Period", _pairs(pattern, "?d"), period=True, hint=hint)


def place_facet(pattern: str, hint: str = "") -> FacetSpec:
    return FacetSpec("place", "Place", _pairs(pattern), hint=hint)


def type_facet(pattern: str, title: str = "Type", hint: str = "") -> FacetSpec:
    return FacetSpec("type", title, _pairs(pattern), hint=hint)


PERSON_FACETS = (
    source_facet(),
    place_facet("?e shz:participant ?x ; shz:place ?v", "where their events took place"),
    type_facet(
        "?e shz:participant ?x ; shz:eventType ?v", "Event type", "the events they took part in"
    ),
    period_facet(
        f"?c {_PERSON_CLAIMS} ?x ; shz:date ?d", "the dates of their events, positions, ties"
    ),
    certainty_facet(f"?c {_PERSON_CLAIMS} ?x ; shz:certainty ?v", "of a claim about them"),
)
EVENT_FACETS = (
    source_facet(),
    place_facet("?x shz:place ?v"),
    type_facet("?x shz:eventType ?v", "Event type"),
    period_facet(),
    certainty_facet(),
)
ACT_FACETS = (
    source_facet(),
    place_facet("?x shz:concerns ?v . ?v a shz:Place", "a place the act concerns"),
    type_facet("?x shz:legalActType ?v"),
    period_facet(),
    certainty_facet(),
)
INSTITUTION_FACETS = (
    source_facet(),
    place_facet("?x shz:location ?v"),
    type_facet("?x shz:institutionType ?v"),
)
PLACE_FACETS = (source_facet(), type_facet("?x shz:placeType ?v"))
ITEM_FACETS = (source_facet(), period_facet())
WORK_FACETS = (source_facet(), period_facet("?x dcterms:date ?d"))


@dataclass
class FacetIndex:
    """For each facet: member IRI -> its value ids; value id -> (label, IRI or "")."""

    members: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    values: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)


def build_index(dataset: Dataset, cls: str, specs: tuple[FacetSpec, ...]) -> FacetIndex:
    def make() -> FacetIndex:
        index = FacetIndex()
        for spec in specs:
            members: dict[str, set[str]] = {}
            values: dict[str, tuple[str, str]] = {}
            rows = [
                row
                for query in spec.queries
                for row in dataset.select(query.replace("CLS", f"<{cls}>"))
            ]
            for row in rows:
                x = row.get("x")
                if not isinstance(x, ox.NamedNode):
                    continue
                if spec.period:
                    d = row.get("d")
                    ids = decades(d.value) if isinstance(d, ox.Literal) else []
                    for decade in ids:
                        values[decade] = (decade, "")
                else:
                    v = row.get("v")
                    if not isinstance(v, ox.NamedNode):
                        continue
                    value_id = local_name(v.value)
                    known = values.get(value_id)
                    if known is not None and known[1] != v.value:
                        continue  # two IRIs with one last segment: keep the first
                    label = dataset.label(v.value)
                    values[value_id] = (short_label(label) if spec.short else label, v.value)
                    ids = [value_id]
                members.setdefault(x.value, set()).update(ids)
            index.members[spec.key] = members
            index.values[spec.key] = values
        return index

    key = f"facets|{cls}|{'|'.join(s.key for s in specs)}"
    result = dataset.memo(key, make)
    assert isinstance(result, FacetIndex)
    return result


def matching(
    index: FacetIndex,
    candidates: list[str],
    selected: dict[str, set[str]],
    skip: str = "",
) -> list[str]:
    """The candidates that have, for every facet with a selection (but ``skip``), one of the
    selected values: values of one facet are alternatives, facets narrow each other."""
    out = []
    for iri in candidates:
        ok = True
        for key, wanted in selected.items():
            if key == skip or not wanted:
                continue
            if not index.members.get(key, {}).get(iri, set()) & wanted:
                ok = False
                break
        if ok:
            out.append(iri)
    return out


def counts(index: FacetIndex, key: str, members: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    per_member = index.members.get(key, {})
    for iri in members:
        for value in per_member.get(iri, ()):
            found[value] = found.get(value, 0) + 1
    return found
