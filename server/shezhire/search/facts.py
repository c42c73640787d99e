"""What reconciliation compares and returns besides names: dates, places, kin and sources.

``entity_facts(dataset)`` reads them with a few SPARQL queries, once per build (kept with the
dataset like the name index), for every entity the name index knows:

* ``born`` / ``died``: the dates of a person's birth and death events (where they are the
  event's subject), as the source gives them (EDTF) with the range of years they allow;
* ``dated``: the date of a legal act, archival item or publication;
* ``places``: the places of a person's events, an institution's location, a place's larger
  place; ``within`` adds the places those are part of, for matching ("Rostov" finds a person
  born in a raion of Rostov Oblast);
* ``kin``: a person's kin ties (the other person, the kin type, who is whose);
* ``sources``: the publications that the entity's own citations name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from shezhire.linked_data.graph import Dataset

FACTS_KEY = "reconcile-facts"
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


@dataclass(frozen=True, slots=True)
class DateFact:
    edtf: str  # as the source gives it
    first_year: int | None
    last_year: int | None

    def allows(self, year: int) -> bool:
        first = self.first_year if self.first_year is not None else -10_000
        last = self.last_year if self.last_year is not None else 10_000
        return first <= year <= last


@dataclass(frozen=True, slots=True)
class KinFact:
    other: str
    kin_type: str  # a kin: concept
    other_is_subject: bool  # the other person is this person's <kin_type>


@dataclass
class Facts:
    born: dict[str, list[DateFact]] = field(default_factory=dict)
    died: dict[str, list[DateFact]] = field(default_factory=dict)
    dated: dict[str, list[DateFact]] = field(default_factory=dict)
    places: dict[str, set[str]] = field(default_factory=dict)
    part_of: dict[str, set[str]] = field(default_factory=dict)
    kin: dict[str, list[KinFact]] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=dict)

    def within(self, iri: str) -> set[str]:
        """The entity's places and every place they are part of."""
        found: set[str] = set()
        pending = list(self.places.get(iri, ()))
        while pending:
            place = pending.pop()
            if place not in found:
                found.add(place)
                pending.extend(self.part_of.get(place, ()))
        return found


_LIFE_EVENTS = """
SELECT DISTINCT ?p ?type ?date ?early ?late WHERE {
  VALUES ?type { evt:birth evt:death }
  ?e shz:eventType ?type ; shz:participation ?pt .
  ?pt shz:agent ?p .
  OPTIONAL { ?pt shz:role ?role }
  FILTER(!BOUND(?role) || ?role = role:subject)
  ?e shz:date ?date .
  OPTIONAL { ?e shz:earliestDate ?early }
  OPTIONAL { ?e shz:latestDate ?late }
}
"""
_DATES = """
SELECT DISTINCT ?s ?date ?early ?late WHERE {
  VALUES ?class { shz:LegalAct shz:ArchivalItem shz:Publication shz:SourceText }
  ?s a ?class .
  { ?s shz:date ?date } UNION { ?s dcterms:date ?date }
  OPTIONAL { ?s shz:earliestDate ?early }
  OPTIONAL { ?s shz:latestDate ?late }
}
"""
# The type test sits inside each branch: after the UNION it made the join grow with the square
# of the graph (45 s at a million triples instead of 0.2 s).
_PLACES = """
SELECT DISTINCT ?s ?place WHERE {
  { ?e shz:participant ?s ; shz:place ?place . ?place a shz:Place }
  UNION { ?s shz:location ?place . ?place a shz:Place }
  UNION { ?s a shz:Place ; shz:partOf ?place . ?place a shz:Place }
}
"""
_PART_OF = """
SELECT DISTINCT ?place ?larger WHERE {
  ?place a shz:Place ; shz:partOf ?larger . ?larger a shz:Place
}
"""
_KIN = """
SELECT DISTINCT ?s ?o ?k WHERE {
  ?t a shz:KinTie ; shz:tieSubject ?s ; shz:tieObject ?o ; shz:kinType ?k
}
"""
_SOURCES = """
SELECT DISTINCT ?s ?work WHERE { ?s shz:citation ?c . ?c shz:publication ?work . FILTER(isIRI(?s)) }
"""


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else None


def _year(value: str | None, last: bool = False) -> int | None:
    if not value:
        return None
    years = _YEAR.findall(value)
    if not years:
        return None
    return int(years[-1] if last else years[0])


def _date(row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> DateFact:
    edtf = _text(row.get("date")) or ""
    early, late = _text(row.get("early")), _text(row.get("late"))
    first, last = _year(early), _year(late, last=True)
    if first is None and last is None:
        # no bounds from the build (a publication's dcterms:date): the years it names
        first, last = _year(edtf), _year(edtf, last=True)
    return DateFact(edtf, first, last)


def _pairs(dataset: Dataset, query: str, a: str, b: str) -> Iterable[tuple[str, str]]:
    for row in dataset.select(query):
        left, right = _text(row.get(a)), _text(row.get(b))
        if left and right:
            yield left, right


def build_facts(dataset: Dataset) -> Facts:
    facts = Facts()
    for row in dataset.select(_LIFE_EVENTS):
        person, kind = _text(row.get("p")), _text(row.get("type")) or ""
        if person:
            target = facts.born if kind.endswith("/birth") else facts.died
            target.setdefault(person, []).append(_date(row))
    for row in dataset.select(_DATES):
        subject = _text(row.get("s"))
        if subject:
            facts.dated.setdefault(subject, []).append(_date(row))
    for subject, place in _pairs(dataset, _PLACES, "s", "place"):
        facts.places.setdefault(subject, set()).add(place)
    for place, larger in _pairs(dataset, _PART_OF, "place", "larger"):
        facts.part_of.setdefault(place, set()).add(larger)
    for row in dataset.select(_KIN):
        subject, obj, kin_type = (_text(row.get(k)) for k in ("s", "o", "k"))
        if subject and obj and kin_type:
            facts.kin.setdefault(obj, []).append(KinFact(subject, kin_type, True))
            facts.kin.setdefault(subject, []).append(KinFact(obj, kin_type, False))
    for subject, work in _pairs(dataset, _SOURCES, "s", "work"):
        facts.sources.setdefault(subject, set()).add(work)
    for table in (facts.born, facts.died, facts.dated):
        for values in table.values():
            values.sort(key=lambda d: (d.first_year or 0, d.edtf))
    return facts


def entity_facts(dataset: Dataset) -> Facts:
    """The facts of ``dataset``'s build, read once and kept with it."""
    facts = dataset.memo(FACTS_KEY, lambda: build_facts(dataset))
    assert isinstance(facts, Facts)
    return facts
