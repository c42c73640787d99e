"""What the HTML pages show, read from the in-memory store into plain view models.

Templates only lay these out; every string in them is data and is escaped by Jinja's autoescape.
IRIs under ``https://w3id.org/shezhire/`` are linked to this site (``Site.href``) so that the
pages work on any host; other http(s) IRIs link out; anything else is not a link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from shezhire.config import BASE_IRI, GRAPH_BASE, INFERRED_GRAPH
from shezhire.linked_data.graph import (
    DCTERMS,
    ID_BASE,
    OA,
    RDF,
    RDF_TYPE,
    RDFS,
    SCHEMA,
    SHZ,
    SKOS,
    Dataset,
    curie,
    local_name,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
QB = "http://purl.org/linked-data/cube#"
PLAIN_DATATYPES = {XSD + "string", RDF + "langString", XSD + "integer", XSD + "decimal"}
CITATION_PROPERTIES = {SHZ + "citation", SHZ + "pseudonymDeclaredIn"}
FRIENDLY = {
    RDF + "type": "type",
    RDFS + "label": "label",
    RDFS + "comment": "comment",
    RDFS + "seeAlso": "see also",
    OA + "exact": "quote",
    SCHEMA + "name": "name",
    SCHEMA + "givenName": "given name",
    SCHEMA + "familyName": "family name",
    SCHEMA + "alternateName": "alternate name",
    SCHEMA + "relatedTo": "related to",
    SCHEMA + "knows": "knows",
    SCHEMA + "parent": "parent",
    SCHEMA + "children": "children",
    SCHEMA + "sibling": "sibling",
    SCHEMA + "spouse": "spouse",
    SCHEMA + "sameAs": "same as",
    OWL + "sameAs": "same as",
    SKOS + "prefLabel": "preferred label",
    SKOS + "altLabel": "alternative label",
    SKOS + "definition": "definition",
    SKOS + "inScheme": "in scheme",
    SKOS + "broader": "broader",
    SKOS + "narrower": "narrower",
    SKOS + "topConceptOf": "top concept of",
    SKOS + "hasTopConcept": "top concept",
    DCTERMS + "title": "title",
    DCTERMS + "creator": "creator",
    DCTERMS + "date": "date",
    DCTERMS + "isPartOf": "is part of",
    DCTERMS + "bibliographicCitation": "bibliographic citation",
    DCTERMS + "license": "license",
}
# Shown first, in this order; the rest follow by label.
PROPERTY_ORDER = [
    RDFS + "label",
    SHZ + "nameAsWritten",
    SCHEMA + "givenName",
    SHZ + "patronymic",
    SCHEMA + "familyName",
    SCHEMA + "alternateName",
    SHZ + "unnamed",
    SHZ + "tieSubject",
    SHZ + "kinType",
    SHZ + "socialTieType",
    SHZ + "tieObject",
    SHZ + "eventType",
    SHZ + "legalActType",
    SHZ + "institutionType",
    SHZ + "placeType",
    SHZ + "date",
    SHZ + "place",
    SHZ + "participation",
    SHZ + "epistemicMode",
    SHZ + "certainty",
]
# Incoming links a person page shows in its own sections, not under "Referenced by".
PERSON_SECTIONS = {SHZ + "tieSubject", SHZ + "tieObject", SHZ + "member", SHZ + "participant"}
MAX_REFERRERS = 60


@dataclass(frozen=True)
class Site:
    """Where this site lives: ``root`` is the ASGI root path (``""`` at the top)."""

    root: str = ""

    def href(self, iri: str) -> str | None:
        if iri.startswith(BASE_IRI):
            return f"{self.root}/{iri[len(BASE_IRI) :]}"
        if iri.startswith(("http://", "https://")):
            return iri
        return None


@dataclass
class Link:
    text: str
    href: str | None = None
    iri: str = ""
    external: bool = False


@dataclass
class Citation:
    publication: Link | None = None
    footnote: str = ""
    page: str = ""
    section: str = ""
    references: list[Link] = field(default_factory=list)
    quote: str = ""
    extra: list[Prop] = field(default_factory=list)
    inferred: bool = False


@dataclass
class Value:
    kind: str  # "iri" | "literal" | "node" | "citation"
    text: str = ""
    href: str | None = None
    iri: str = ""
    lang: str = ""
    datatype: str = ""
    props: list[Prop] = field(default_factory=list)
    citation: Citation | None = None
    inferred: bool = False
    external: bool = False


@dataclass
class Prop:
    iri: str
    label: str
    href: str | None
    values: list[Value] = field(default_factory=list)


@dataclass
class Row:
    """A row of a table on a person page (a tie, an event, a position, a document)."""

    main: Link
    cells: dict[str, list[Link]] = field(default_factory=dict)
    sort_key: str = ""
    evidence: list[Citation] = field(default_factory=list)


@dataclass
class EntityPage:
    iri: str
    title: str
    types: list[Link]
    is_person: bool = False
    is_pseudonym: bool = False
    pseudonym_notes: list[Citation] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    properties: list[Prop] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    inferred: list[Prop] = field(default_factory=list)
    kin_ties: list[Row] = field(default_factory=list)
    social_ties: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    positions: list[Row] = field(default_factory=list)
    referenced_by: list[tuple[str, list[Link], int]] = field(default_factory=list)
    graphs: list[Link] = field(default_factory=list)


class Views:
    """Builds view models from one dataset for one site."""

    def __init__(self, dataset: Dataset, site: Site) -> None:
        self.ds = dataset
        self.site = site

    # -- small pieces ---------------------------------------------------------------------

    def link(self, iri: str, text: str | None = None) -> Link:
        href = self.site.href(iri)
        return Link(
            text if text is not None else self.ds.label(iri),
            href,
            iri,
            external=href is not None and not iri.startswith(BASE_IRI),
        )

    def predicate_label(self, iri: str) -> str:
        if iri in FRIENDLY:
            return FRIENDLY[iri]
        if iri in self.ds.labels:
            return self.ds.labels[iri]
        return curie(iri)

    def _graphs(self, s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: object) -> set[str]:
        assert isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
        return {
            q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            for q in self.ds.store.quads_for_pattern(s, p, o)
        }

    def _value(self, term: object, depth: int) -> Value:
        if isinstance(term, ox.NamedNode):
            link = self.link(term.value)
            return Value("iri", link.text, link.href, term.value, external=link.external)
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            return Value(
                "literal",
                term.value,
                lang=term.language or "",
                datatype="" if datatype in PLAIN_DATATYPES else curie(datatype),
            )
        if isinstance(term, ox.BlankNode):
            if self._is_citation(term):
                return Value("citation", citation=self.citation(term))
            if depth > 4:
                return Value("literal", "…")
            return Value("node", props=self.properties(term, depth + 1)[0])
        return Value("literal", str(term))

    def _is_citation(self, node: ox.BlankNode) -> bool:
        for _ in self.ds.store.quads_for_pattern(node, ox.NamedNode(OA + "exact"), None):
            return True
        for _ in self.ds.store.quads_for_pattern(node, RDF_TYPE, ox.NamedNode(SHZ + "Citation")):
            return True
        return False

    def _literal(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> list[str]:
        return [
            q.object.value
            for q in self.ds.store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
            if isinstance(q.object, ox.Literal)
        ]

    def _objects(self, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> list[str]:
        return sorted(
            {
                q.object.value
                for q in self.ds.store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
                if isinstance(q.object, ox.NamedNode)
            }
        )

    def citation(self, node: ox.BlankNode | ox.NamedNode) -> Citation:
        """The evidence block: publication, locator, archival references, the quote."""
        cit = Citation()
        known = {
            SHZ + "publication",
            SHZ + "footnote",
            SHZ + "page",
            SHZ + "section",
            SHZ + "archivalReference",
            OA + "exact",
            RDF + "type",
        }
        publications = self._objects(node, SHZ + "publication")
        if publications:
            cit.publication = self.link(publications[0])
        cit.footnote = ", ".join(sorted(self._literal(node, SHZ + "footnote"), key=_numeric))
        cit.page = ", ".join(self._literal(node, SHZ + "page"))
        cit.section = "; ".join(self._literal(node, SHZ + "section"))
        for ref in self._objects(node, SHZ + "archivalReference"):
            printed = self._literal(ox.NamedNode(ref), SHZ + "printedCitation")
            cit.references.append(self.link(ref, printed[0] if printed else None))
        cit.quote = " … ".join(self._literal(node, OA + "exact"))
        cit.extra = [p for p in self.properties(node, 5)[0] if p.iri not in known]
        return cit

    def properties(
        self, subject: ox.NamedNode | ox.BlankNode, depth: int = 0, skip: Iterable[str] = ()
    ) -> tuple[list[Prop], list[Prop]]:
        """(asserted, inferred) properties of ``subject``, in reading order."""
        skipped = set(skip)
        asserted: dict[str, Prop] = {}
        inferred: dict[str, Prop] = {}
        seen: set[tuple[str, str]] = set()
        for quad in self.ds.store.quads_for_pattern(subject, None, None, None):
            predicate = quad.predicate.value
            if predicate in skipped or isinstance(quad.object, ox.Triple):
                continue
            key = (predicate, str(quad.object))
            if key in seen:
                continue
            seen.add(key)
            only_inferred = self._graphs(subject, quad.predicate, quad.object) == {INFERRED_GRAPH}
            bucket = inferred if only_inferred else asserted
            prop = bucket.get(predicate)
            if prop is None:
                prop = Prop(predicate, self.predicate_label(predicate), self.site.href(predicate))
                bucket[predicate] = prop
            value = self._value(quad.object, depth)
            value.inferred = only_inferred
            prop.values.append(value)
        return _ordered(asserted.values()), _ordered(inferred.values())

    # -- entity pages -----------------------------------------------------------------------

    def entity(self, iri: str) -> EntityPage:
        node = ox.NamedNode(iri)
        ds = self.ds
        type_iris = self._objects(node, RDF + "type")
        asserted_types = [
            t
            for t in type_iris
            if self._graphs(node, RDF_TYPE, ox.NamedNode(t)) != {INFERRED_GRAPH}
        ]
        is_person = SHZ + "Person" in type_iris
        page = EntityPage(
            iri=iri,
            title=ds.labels.get(iri) or local_name(iri),
            types=[self.link(t) for t in asserted_types],
            is_person=is_person,
            is_pseudonym=SHZ + "EditorialPseudonym" in type_iris,
        )
        for note in self._blank_or_iri(node, SHZ + "pseudonymDeclaredIn"):
            page.pseudonym_notes.append(self.citation(note))
        page.comments = self._literal(node, RDFS + "comment")
        skip = {RDF + "type", RDFS + "comment", *CITATION_PROPERTIES}
        page.properties, page.inferred = self.properties(node, skip=skip)
        inferred_types = [t for t in type_iris if t not in asserted_types]
        if inferred_types:
            page.inferred.insert(
                0,
                Prop(
                    RDF + "type",
                    "type",
                    None,
                    [Value("iri", self.ds.label(t), self.site.href(t), t) for t in inferred_types],
                ),
            )
        for cit in self._blank_or_iri(node, SHZ + "citation"):
            page.citations.append(self.citation(cit))
        page.citations.sort(
            key=lambda c: (c.publication.text if c.publication else "", _numeric(c.footnote))
        )
        if is_person:
            page.kin_ties, page.social_ties = self._ties(iri)
            page.events = self._events(iri)
            page.positions = self._positions(iri)
        page.referenced_by = self._referrers(node, PERSON_SECTIONS if is_person else set())
        page.graphs = [
            Link(g.removeprefix(GRAPH_BASE), self.site.href(g), g) for g in ds.graphs_of(iri)
        ]
        return page

    def _blank_or_iri(
        self, node: ox.NamedNode, predicate: str
    ) -> list[ox.BlankNode | ox.NamedNode]:
        found: list[ox.BlankNode | ox.NamedNode] = []
        for quad in self.ds.store.quads_for_pattern(node, ox.NamedNode(predicate), None):
            if isinstance(quad.object, ox.BlankNode | ox.NamedNode) and quad.object not in found:
                found.append(quad.object)
        return found

    def _evidence(self, iri: str) -> list[Citation]:
        return [self.citation(c) for c in self._blank_or_iri(ox.NamedNode(iri), SHZ + "citation")]

    def _ties(self, person: str) -> tuple[list[Row], list[Row]]:
        rows = self.ds.select(
            f"""SELECT ?t ?kind ?s ?o ?type ?cert ?mode ?date ?early WHERE {{
                  {{ ?t shz:tieSubject <{person}> }} UNION {{ ?t shz:tieObject <{person}> }}
                  ?t a ?kind . FILTER(?kind IN (shz:KinTie, shz:SocialTie))
                  ?t shz:tieSubject ?s ; shz:tieObject ?o .
                  OPTIONAL {{ ?t shz:kinType|shz:socialTieType ?type }}
                  OPTIONAL {{ ?t shz:certainty ?cert }} OPTIONAL {{ ?t shz:epistemicMode ?mode }}
                  OPTIONAL {{ ?t shz:date ?date }} OPTIONAL {{ ?t shz:earliestDate ?early }}
                }}"""
        )
        kin: dict[str, Row] = {}
        social: dict[str, Row] = {}
        for r in rows:
            tie = _iri(r.get("t"))
            if not tie:
                continue
            table = kin if _iri(r.get("kind")) == SHZ + "KinTie" else social
            row = table.get(tie)
            if row is None:
                subject, obj = _iri(r.get("s")), _iri(r.get("o"))
                other = obj if subject == person else subject
                row = Row(self.link(tie))
                row.cells["other"] = [self.link(other)] if other else []
                row.cells["direction"] = [Link("subject" if subject == person else "object")]
                row.evidence = self._evidence(tie)
                table[tie] = row
            for cell, name in (("type", "type"), ("certainty", "cert"), ("mode", "mode")):
                value = _iri(r.get(name))
                if value and all(x.iri != value for x in row.cells.get(cell, [])):
                    row.cells.setdefault(cell, []).append(self.link(value))
            date = _text(r.get("date"))
            if date and all(x.text != date for x in row.cells.get("date", [])):
                row.cells.setdefault("date", []).append(Link(date))
            row.sort_key = _text(r.get("early")) or row.sort_key

        def order(row: Row) -> tuple[str, str]:
            types = row.cells.get("type", [])
            return (types[0].text if types else "~", row.main.text)

        return sorted(kin.values(), key=order), sorted(social.values(), key=order)

    def _events(self, person: str) -> list[Row]:
        rows = self.ds.select(
            f"""SELECT ?e ?role ?type ?date ?early ?place WHERE {{
                  {{ ?e shz:participation ?p . ?p shz:agent <{person}> .
                     OPTIONAL {{ ?p shz:role ?role }} }}
                  UNION {{ ?e shz:approvedBy <{person}> BIND(shz:approvedBy AS ?role) }}
                  ?e a shz:Event .
                  OPTIONAL {{ ?e shz:eventType ?type }} OPTIONAL {{ ?e shz:date ?date }}
                  OPTIONAL {{ ?e shz:earliestDate ?early }} OPTIONAL {{ ?e shz:place ?place }}
                }}"""
        )
        events: dict[str, Row] = {}
        for r in rows:
            event = _iri(r.get("e"))
            if not event:
                continue
            row = events.get(event)
            if row is None:
                row = Row(self.link(event))
                row.evidence = self._evidence(event)
                events[event] = row
            for cell, name in (("role", "role"), ("type", "type"), ("place", "place")):
                value = _iri(r.get(name))
                if value and all(x.iri != value for x in row.cells.get(cell, [])):
                    row.cells.setdefault(cell, []).append(self.link(value))
            date = _text(r.get("date"))
            if date and all(x.text != date for x in row.cells.get("date", [])):
                row.cells.setdefault("date", []).append(Link(date))
            early = _text(r.get("early"))
            if early and (not row.sort_key or early < row.sort_key):
                row.sort_key = early
        return sorted(events.values(), key=lambda r: (r.sort_key or "9999", r.main.text))

    def _positions(self, person: str) -> list[Row]:
        rows = self.ds.select(
            f"""SELECT ?pos ?org ?title ?date ?early WHERE {{
                  ?pos shz:member <{person}> .
                  OPTIONAL {{ ?pos shz:organization ?org }}
                  OPTIONAL {{ ?pos shz:positionTitle ?title }}
                  OPTIONAL {{ ?pos shz:date ?date }} OPTIONAL {{ ?pos shz:earliestDate ?early }}
                }}"""
        )
        positions: dict[str, Row] = {}
        for r in rows:
            pos = _iri(r.get("pos"))
            if not pos:
                continue
            row = positions.setdefault(pos, Row(self.link(pos)))
            org = _iri(r.get("org"))
            if org and all(x.iri != org for x in row.cells.get("organization", [])):
                row.cells.setdefault("organization", []).append(self.link(org))
            for cell, name in (("title", "title"), ("date", "date")):
                text = _text(r.get(name))
                if text and all(x.text != text for x in row.cells.get(cell, [])):
                    row.cells.setdefault(cell, []).append(Link(text))
            row.sort_key = _text(r.get("early")) or row.sort_key
        return sorted(positions.values(), key=lambda r: (r.sort_key or "9999", r.main.text))

    def _referrers(self, node: ox.NamedNode, skip: set[str]) -> list[tuple[str, list[Link], int]]:
        """Resources that point to ``node``, grouped by the property (asserted triples only)."""
        groups: dict[str, dict[str, Link]] = {}
        for quad in self.ds.store.quads_for_pattern(None, None, node, None):
            subject = quad.subject
            predicate = quad.predicate.value
            if not isinstance(subject, ox.NamedNode) or predicate in skip:
                continue
            if quad.graph_name == ox.NamedNode(INFERRED_GRAPH):
                continue
            group = groups.setdefault(predicate, {})
            if subject.value not in group:
                group[subject.value] = self.link(subject.value)
        out: list[tuple[str, list[Link], int]] = []
        for predicate, links in sorted(groups.items(), key=lambda i: self.predicate_label(i[0])):
            ordered = sorted(links.values(), key=lambda link: link.text.casefold())
            out.append((self.predicate_label(predicate), ordered[:MAX_REFERRERS], len(ordered)))
        return out


def _numeric(text: str) -> tuple[int, str]:
    head = text.split(",", maxsplit=1)[0].strip()
    return (int(head), text) if head.isdigit() else (10**9, text)


def _iri(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else ""


def _text(term: object) -> str:
    return term.value if isinstance(term, ox.Literal) else ""


def _ordered(props: Iterable[Prop]) -> list[Prop]:
    rank = {iri: i for i, iri in enumerate(PROPERTY_ORDER)}

    def key(prop: Prop) -> tuple[int, str]:
        return (rank.get(prop.iri, len(rank)), prop.label.casefold())

    for prop in props:
        prop.values.sort(key=lambda v: (v.kind == "node", v.text.casefold()))
    return sorted(props, key=key)


# -- home, browse, ontology, graphs, queries ---------------------------------------------------

HOME_COUNTS: list[tuple[str, str, str | None]] = [
    ("persons", "SELECT (COUNT(DISTINCT ?x) AS ?n) { ?x a shz:Person }", "persons"),
    (
        "kin and social ties",
        "SELECT (COUNT(DISTINCT ?x) AS ?n) { { ?x a shz:KinTie } UNION { ?x a shz:SocialTie } }",
        None,
    ),
    ("events", "SELECT (COUNT(DISTINCT ?x) AS ?n) { ?x a shz:Event }", "events"),
    ("legal acts", "SELECT (COUNT(DISTINCT ?x) AS ?n) { ?x a shz:LegalAct }", "acts"),
    ("archival items", "SELECT (COUNT(DISTINCT ?x) AS ?n) { ?x a shz:ArchivalItem }", "items"),
    ("observations", "SELECT (COUNT(DISTINCT ?x) AS ?n) { ?x a qb:Observation }", None),
    ("quotes", "SELECT (COUNT(?q) AS ?n) { ?c oa:exact ?q }", None),
]


@dataclass
class Source:
    link: Link
    citation: str
    creators: list[Link]
    graphs: list[Link]


@dataclass
class Home:
    counts: list[tuple[str, int, str | None]]
    sources: list[Source]
    browse: list[tuple[str, str, int]]
    triples: int
    graphs: int


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    predicate: str


@dataclass(frozen=True)
class BrowseKind:
    title: str
    cls: str
    columns: tuple[Column, ...]
    intro: str


BROWSE: dict[str, BrowseKind] = {
    "persons": BrowseKind(
        "Persons",
        SHZ + "Person",
        (Column("written", "names as written", SHZ + "nameAsWritten"),),
        "Every person the sources document. Editorial pseudonyms are fictional names the "
        "authors chose for ethical reasons; they are never linked to a real-world identity.",
    ),
    "institutions": BrowseKind(
        "Institutions",
        SHZ + "Institution",
        (
            Column("type", "type", SHZ + "institutionType"),
            Column("partof", "part of", SHZ + "partOf"),
            Column("location", "location", SHZ + "location"),
        ),
        "Institutions, archives and their branches.",
    ),
    "places": BrowseKind(
        "Places",
        SHZ + "Place",
        (
            Column("type", "type", SHZ + "placeType"),
            Column("partof", "part of", SHZ + "partOf"),
        ),
        "Places as the sources name them.",
    ),
    "acts": BrowseKind(
        "Legal acts",
        SHZ + "LegalAct",
        (
            Column("date", "date", SHZ + "date"),
            Column("number", "number", SHZ + "actNumber"),
            Column("type", "type", SHZ + "legalActType"),
            Column("issuer", "issued by", SHZ + "issuedBy"),
        ),
        "Decrees, orders, resolutions and other documents with a date or a number.",
    ),
    "items": BrowseKind(
        "Archival items",
        SHZ + "ArchivalItem",
        (
            Column("heldby", "held by", SHZ + "heldBy"),
            Column("fond", "fond", SHZ + "fond"),
            Column("opis", "opis", SHZ + "opis"),
            Column("file", "file", SHZ + "file"),
        ),
        "Archival files (dela) that the sources cite, resolved from their printed references.",
    ),
    "events": BrowseKind(
        "Events",
        SHZ + "Event",
        (
            Column("date", "date", SHZ + "date"),
            Column("type", "type", SHZ + "eventType"),
            Column("place", "place", SHZ + "place"),
        ),
        "Events in the lives of the persons: deportations, releases, arrests, appeals.",
    ),
    "works": BrowseKind(
        "Publications",
        SHZ + "Publication",
        (Column("date", "date", DCTERMS + "date"),),
        "The five source texts and the works they cite.",
    ),
}


@dataclass
class BrowseRow:
    main: Link
    badges: list[str]
    cells: dict[str, list[Link]]


def _sort_text(row: BrowseRow, key: str) -> str:
    if key == "name":
        return row.main.text.casefold()
    return " ".join(link.text for link in row.cells.get(key, [])).casefold() or "\uffff"


class Pages(Views):
    """The site-wide pages."""

    def home(self) -> Home:
        counts = [(name, self.ds.count(query), browse) for name, query, browse in HOME_COUNTS]
        sources: list[Source] = []
        for r in self.ds.select("SELECT DISTINCT ?w WHERE { ?w a shz:SourceText } ORDER BY ?w"):
            work = _iri(r.get("w"))
            node = ox.NamedNode(work)
            citation = self._literal(node, DCTERMS + "bibliographicCitation")
            creators = [self.link(c) for c in self._objects(node, DCTERMS + "creator")]
            graph_rows = self.ds.select(
                f"""SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?c shz:publication <{work}> }} }}
                    ORDER BY ?g"""
            )
            graphs = [
                Link(g.removeprefix(GRAPH_BASE), self.site.href(g), g)
                for g in (_iri(x.get("g")) for x in graph_rows)
                if g and g != GRAPH_BASE + "sources"
            ]
            sources.append(
                Source(self.link(work), citation[0] if citation else "", creators, graphs)
            )
        browse = [
            (
                kind.title,
                name,
                self.ds.count(f"SELECT (COUNT(DISTINCT ?x) AS ?n) {{ ?x a <{kind.cls}> }}"),
            )
            for name, kind in BROWSE.items()
        ]
        sizes = self.ds.graphs()
        return Home(counts, sources, browse, sum(sizes.values()), len(sizes))

    def browse(self, kind: BrowseKind, sort: str, descending: bool) -> list[BrowseRow]:
        rows: list[BrowseRow] = []
        members = sorted(
            {
                q.subject.value
                for q in self.ds.store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(kind.cls))
                if isinstance(q.subject, ox.NamedNode)
            }
        )
        for iri in members:
            node = ox.NamedNode(iri)
            badges: list[str] = []
            types = set(self._objects(node, RDF + "type"))
            if SHZ + "EditorialPseudonym" in types:
                badges.append("pseudonym")
            if SHZ + "SourceText" in types:
                badges.append("source text")
            if "true" in self._literal(node, SHZ + "unnamed"):
                badges.append("unnamed")
            cells: dict[str, list[Link]] = {}
            for column in kind.columns:
                values: list[Link] = []
                for quad in self.ds.store.quads_for_pattern(
                    node, ox.NamedNode(column.predicate), None
                ):
                    obj = quad.object
                    if isinstance(obj, ox.NamedNode):
                        values.append(self.link(obj.value))
                    elif isinstance(obj, ox.Literal):
                        values.append(Link(obj.value))
                cells[column.key] = sorted(values, key=lambda link: link.text.casefold())
            rows.append(BrowseRow(self.link(iri), badges, cells))
        rows.sort(
            key=lambda row: (_sort_text(row, sort), row.main.text.casefold()), reverse=descending
        )
        return rows

    def ontology_terms(self) -> list[tuple[str, list[dict[str, object]]]]:
        """Classes and properties of the ontology, for the anchors of /ontology."""
        groups = [
            ("Classes", [OWL + "Class", RDFS + "Class"]),
            ("Object properties", [OWL + "ObjectProperty"]),
            ("Datatype properties", [OWL + "DatatypeProperty"]),
            (
                "Other terms",
                [
                    OWL + "AnnotationProperty",
                    RDFS + "Datatype",
                    QB + "DimensionProperty",
                    QB + "MeasureProperty",
                    QB + "AttributeProperty",
                    QB + "DataStructureDefinition",
                ],
            ),
        ]
        seen: set[str] = set()
        out: list[tuple[str, list[dict[str, object]]]] = []
        for title, classes in groups:
            terms: list[dict[str, object]] = []
            for cls in classes:
                for quad in self.ds.store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(cls)):
                    term = quad.subject
                    if not isinstance(term, ox.NamedNode) or not term.value.startswith(SHZ):
                        continue
                    if term.value in seen:
                        continue
                    seen.add(term.value)
                    props, _inferred = self.properties(
                        term, skip={RDF + "type", RDFS + "label", RDFS + "isDefinedBy"}
                    )
                    terms.append(
                        {
                            "anchor": term.value[len(SHZ) :],
                            "iri": term.value,
                            "label": self.ds.label(term.value),
                            "props": props,
                        }
                    )
            terms.sort(key=lambda t: str(t["anchor"]).casefold())
            if terms:
                out.append((title, terms))
        return out

    def graph_subjects(self, graph_iri: str) -> list[tuple[str, list[Link]]]:
        """The typed resources of a named graph, by class."""
        by_class: dict[str, dict[str, Link]] = {}
        for quad in self.ds.store.quads_for_pattern(None, RDF_TYPE, None, ox.NamedNode(graph_iri)):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                group = by_class.setdefault(quad.object.value, {})
                group.setdefault(quad.subject.value, self.link(quad.subject.value))
        return [
            (self.ds.label(cls), sorted(links.values(), key=lambda link: link.text.casefold()))
            for cls, links in sorted(by_class.items(), key=lambda i: self.ds.label(i[0]))
        ]


__all__ = ["BROWSE", "ID_BASE", "EntityPage", "Pages", "Site"]
