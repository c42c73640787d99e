"""What the HTML pages show, read from the in-memory store into plain view models.

Templates only lay these out; every string in them is data and is escaped by Jinja's autoescape.
IRIs under ``https://w3id.org/shezhire/`` are linked to this site (``Site.href``) so that the
pages work on any host; other http(s) IRIs link out; anything else is not a link.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from shezhire.config import BASE_IRI, GRAPH_BASE, INFERRED_GRAPH
from shezhire.linked_data.facets import (
    ACT_FACETS,
    EVENT_FACETS,
    INSTITUTION_FACETS,
    ITEM_FACETS,
    PERSON_FACETS,
    PLACE_FACETS,
    WORK_FACETS,
    FacetIndex,
    FacetSpec,
    build_index,
    counts,
    matching,
    short_label,
)
from shezhire.linked_data.graph import (
    DCTERMS,
    ID_BASE,
    OA,
    PREFIXES,
    RDF,
    RDF_TYPE,
    RDFS,
    SCHEMA,
    SHZ,
    SKOS,
    Dataset,
    curie,
    local_name,
    owned,
)
from shezhire.linked_data.human_dates import MONTHS, date_sort_key, edtf_sort_key, human_date
from shezhire.linked_data.void import DATASET_IRI, DESCRIPTION, DUMPS, LICENSE, void_summary

XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
QB = "http://purl.org/linked-data/cube#"
CITO = "http://purl.org/spar/cito/"
EDTF = "http://id.loc.gov/datatypes/edtf/EDTF"
SHACL = "http://www.w3.org/ns/shacl#"
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
# How a page names what points to it: "<this page> is <phrase> <the resources listed>".
# Every property that links two resources of the graph has a phrase here; another falls back
# to the ontology's label ("concerns (inverse)").
INVERSE: dict[str, str] = {
    SHZ + "documents": "documented by",
    SHZ + "concerns": "subject of",
    SHZ + "place": "place of",
    SHZ + "refPlace": "statistics about",
    SHZ + "partOf": "has parts",
    SHZ + "member": "member in",
    SHZ + "organization": "positions and memberships in",
    SHZ + "tieSubject": "tie subject of",
    SHZ + "tieObject": "tie object of",
    SHZ + "participant": "took part in",
    SHZ + "publication": "publication of",
    SHZ + "refersTo": "cited by the printed references",
    SHZ + "location": "location of",
    SHZ + "heldBy": "holds",
    SHZ + "issuedBy": "issued",
    SHZ + "conflictingClaim": "disputed in",
    SHZ + "carriedOutBy": "carried out",
    SHZ + "basedOn": "legal basis of",
    SHZ + "identifies": "identified by the decision",
    SHZ + "candidate": "candidate in",
    SHZ + "implementsPolicy": "carried out by",
    SHZ + "approvedBy": "approved",
    SHZ + "certainty": "certainty of",
    SHZ + "epistemicMode": "epistemic mode of",
    SHZ + "eventType": "type of the events",
    SHZ + "kinType": "type of the kin ties",
    SHZ + "socialTieType": "type of the social ties",
    SHZ + "institutionType": "type of the institutions",
    SHZ + "legalActType": "type of the legal acts",
    SHZ + "placeType": "type of the places",
    SHZ + "unit": "unit of",
    SHZ + "role": "role in",
    SHZ + "agent": "agent in",
    SHZ + "contradicts": "contradicted by",
    SHZ + "pseudonymDeclaredIn": "pseudonym declared in",
    QB + "dataSet": "observations",
    CITO + "cites": "cited by",
    DCTERMS + "creator": "author of",
    DCTERMS + "contributor": "contributor to",
    DCTERMS + "publisher": "publisher of",
    DCTERMS + "subject": "subject of",
    DCTERMS + "isPartOf": "has parts",
    RDFS + "seeAlso": "mentioned in",
    RDFS + "subClassOf": "superclass of",
    RDFS + "subPropertyOf": "superproperty of",
    RDFS + "domain": "domain of",
    RDFS + "range": "range of",
    RDFS + "isDefinedBy": "defines",
    OWL + "versionIRI": "version IRI of",
    OWL + "sameAs": "same as",
    SCHEMA + "sameAs": "same as",
    SKOS + "broader": "broader than",
    SKOS + "narrower": "narrower than",
    SKOS + "inScheme": "scheme of",
    SKOS + "topConceptOf": "top concepts",
    SKOS + "hasTopConcept": "top concept of",
    SHACL + "class": "class of the shape values",
    SHACL + "targetClass": "target of the shapes",
    SHACL + "path": "path of the shapes",
}
# Letters of scripts other than Latin: a name written in them is in the original script.
ORIGINAL_SCRIPT = re.compile(r"[\u0400-\u04FF\u0500-\u052F\u0600-\u06FF]")
ORIGINAL_NAME_PROPERTIES = (
    RDFS + "label",
    SHZ + "nameAsWritten",
    SCHEMA + "alternateName",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    SHZ + "historicalName",
    SHZ + "currentName",
)


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
    title: str = ""  # shown on hover (an EDTF date as written, say)


@dataclass
class ArchRef:
    """A printed archival reference, and the archival item (file) it resolves to."""

    printed: Link
    item: Link | None = None
    folios: str = ""


@dataclass
class Citation:
    publication: Link | None = None
    footnote: str = ""
    page: str = ""
    section: str = ""
    references: list[ArchRef] = field(default_factory=list)
    quote: str = ""
    extra: list[Prop] = field(default_factory=list)
    inferred: bool = False
    # "Cite this": the anchor of the citation on its claim's page, the permalink (the
    # citation's own IRI, or for a blank-node citation the claim's IRI with that anchor), its
    # local href, a suggested citation.
    anchor: str = ""
    permalink: str = ""
    href: str = ""
    suggested: str = ""
    # The citation's own IRI and page (none for a blank node), and the secondary citations it
    # relays (shz:relays: the work the source quotes the fact from).
    iri: str = ""
    page_href: str = ""
    relays: list[Citation] = field(default_factory=list)


@dataclass
class Evidence:
    """The page of one citation, quote or relayed citation: what it says, the fact it
    supports, and how to cite it."""

    kind: str  # "citation" | "quote" | "relayed citation"
    citation: Citation
    citation_link: Link | None = None  # the citation a quote belongs to, or that relays this
    facts: list[tuple[str, Link]] = field(default_factory=list)  # ("evidence for", fact)
    footnote: str = ""  # "Bolatkhan 2023, fn. 30, quoted in Shezhire, <IRI>, accessed ..."


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
    edtf: str = ""  # an EDTF date as written (``text`` is the date in words)


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
    kind: str = ""  # on the timeline: "event" or "position"


@dataclass
class OriginalName:
    text: str
    lang: str = ""


@dataclass
class EntityPage:
    iri: str
    title: str
    types: list[Link]
    href: str = ""
    cite: str = ""  # the suggested citation of the page
    accessed: str = ""
    original_names: list[OriginalName] = field(default_factory=list)
    is_person: bool = False
    is_pseudonym: bool = False
    pseudonym_notes: list[Citation] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    properties: list[Prop] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    inferred: list[Prop] = field(default_factory=list)
    kin_ties: list[Row] = field(default_factory=list)
    social_ties: list[Row] = field(default_factory=list)
    timeline: list[Row] = field(default_factory=list)  # events and positions, in date order
    referenced_by: list[tuple[str, list[Link], int]] = field(default_factory=list)
    graphs: list[Link] = field(default_factory=list)
    evidence: Evidence | None = None


class Views:
    """Builds view models from one dataset for one site."""

    def __init__(self, dataset: Dataset, site: Site) -> None:
        self.ds = dataset
        self.site = site
        self.accessed = long_date(dataset.built)

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

    def inverse_label(self, iri: str) -> str:
        """How the object of ``iri`` names its subjects: "subject of", "cited by"."""
        if iri in INVERSE:
            return INVERSE[iri]
        return f"{self.predicate_label(iri)} (inverse)"

    def _graphs(self, s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: object) -> set[str]:
        assert isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
        return {
            q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
            for q in self.ds.store.quads_for_pattern(s, p, o)
        }

    def _value(self, term: object, depth: int) -> Value:
        if isinstance(term, ox.NamedNode) and owned(term):
            if self._is_citation(term):
                return Value("citation", citation=self.citation(term))
            if depth <= 4:
                href = self.site.href(term.value)
                return Value(
                    "node", href=href, iri=term.value, props=self.properties(term, depth + 1)[0]
                )
        if isinstance(term, ox.NamedNode):
            link = self.link(term.value)
            return Value("iri", link.text, link.href, term.value, external=link.external)
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            edtf = term.value if datatype == EDTF else ""
            return Value(
                "literal",
                human_date(edtf) if edtf else term.value,
                lang=term.language or "",
                datatype="" if datatype in PLAIN_DATATYPES else curie(datatype),
                edtf=edtf,
            )
        if isinstance(term, ox.BlankNode):
            if self._is_citation(term):
                return Value("citation", citation=self.citation(term))
            if depth > 4:
                return Value("literal", "…")
            return Value("node", props=self.properties(term, depth + 1)[0])
        return Value("literal", str(term))

    def _is_citation(self, node: ox.BlankNode | ox.NamedNode) -> bool:
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

    def citation(
        self, node: ox.BlankNode | ox.NamedNode, owner: str = "", subject: str = ""
    ) -> Citation:
        """The evidence block: publication, locator, archival references, the quote.

        With ``owner`` (the claim the citation supports) it also gets its anchor, permalink
        and suggested citation; ``subject`` is the label of the page that shows it.
        """
        cit = Citation()
        known = {
            SHZ + "publication",
            SHZ + "footnote",
            SHZ + "page",
            SHZ + "section",
            SHZ + "archivalReference",
            SHZ + "relays",
            OA + "exact",
            OA + "hasSelector",
            OA + "hasSource",
            RDF + "type",
        }
        publications = self._objects(node, SHZ + "publication")
        if publications:
            cit.publication = self.link(publications[0])
        cit.footnote = ", ".join(sorted(self._literal(node, SHZ + "footnote"), key=_numeric))
        cit.page = ", ".join(self._literal(node, SHZ + "page"))
        cit.section = "; ".join(self._literal(node, SHZ + "section"))
        for ref in self._objects(node, SHZ + "archivalReference"):
            ref_node = ox.NamedNode(ref)
            printed = self._literal(ref_node, SHZ + "printedCitation")
            items = self._objects(ref_node, SHZ + "refersTo")
            cit.references.append(
                ArchRef(
                    self.link(ref, printed[0] if printed else None),
                    self.link(items[0]) if items else None,
                    ", ".join(self._literal(ref_node, SHZ + "folios")),
                )
            )
        cit.quote = " … ".join(self._literal(node, OA + "exact"))
        cit.extra = [p for p in self.properties(node, 5)[0] if p.iri not in known]
        if isinstance(node, ox.NamedNode):
            cit.iri = node.value
            cit.page_href = self.site.href(node.value) or node.value
        for relayed in self._blank_or_iri(node, SHZ + "relays"):
            if relayed != node:
                cit.relays.append(self.citation(relayed))
        if owner:
            self._cite(cit, node, owner, subject)
        return cit

    def _cite(
        self, cit: Citation, node: ox.BlankNode | ox.NamedNode, owner: str, subject: str
    ) -> None:
        """Anchor, permalink and suggested citation of ``cit``, a citation of claim ``owner``.

        The anchor is made from what the citation says (publication, locator, quote), so it
        stays the same from build to build while the citation does.
        """
        content = "\x1f".join(
            (
                cit.publication.iri if cit.publication else "",
                cit.footnote,
                cit.page,
                cit.section,
                cit.quote,
            )
        )
        cit.anchor = "cite-" + hashlib.sha256(content.encode()).hexdigest()[:10]
        if isinstance(node, ox.NamedNode):
            cit.permalink = node.value
            cit.href = self.site.href(node.value) or node.value
        else:
            cit.permalink = f"{owner}#{cit.anchor}"
            cit.href = f"{self.site.href(owner) or owner}#{cit.anchor}"
        claim = self.ds.label(owner)
        parts = ["Shezhire", subject or claim]
        if subject and claim != subject:
            parts.append(f"\u201c{claim}\u201d")
        if cit.publication:
            parts.append(f"after {cit.publication.text}")
        parts.extend(locators(cit))
        cit.suggested = f"{', '.join(parts)}. {cit.permalink}, accessed {self.accessed}."

    def citations_of(self, owner: str, subject: str = "") -> list[Citation]:
        """The citations of claim ``owner``, each with a distinct anchor, in reading order."""
        found = [
            self.citation(c, owner, subject)
            for c in self._blank_or_iri(ox.NamedNode(owner), SHZ + "citation")
        ]
        found.sort(
            key=lambda c: (
                c.publication.text if c.publication else "",
                _numeric(c.footnote),
                c.page,
                c.section,
                c.quote,
            )
        )
        seen: dict[str, int] = {}
        for cit in found:
            n = seen.get(cit.anchor, 0) + 1
            seen[cit.anchor] = n
            if n > 1:
                old, cit.anchor = cit.anchor, f"{cit.anchor}-{n}"
                cit.permalink = cit.permalink.replace(f"#{old}", f"#{cit.anchor}")
                cit.href = cit.href.replace(f"#{old}", f"#{cit.anchor}")
                cit.suggested = cit.suggested.replace(f"#{old}", f"#{cit.anchor}")
        return found

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
        page.citations = self.citations_of(iri, page.title)
        page.href = self.site.href(iri) or iri
        page.accessed = self.accessed
        page.cite = f"Shezhire, {page.title}. {iri}, accessed {self.accessed}."
        page.original_names = self._original_names(node)
        if is_person:
            page.kin_ties, page.social_ties = self._ties(iri, page.title)
            page.timeline = sorted(
                [*self._events(iri, page.title), *self._positions(iri, page.title)],
                key=lambda r: (r.sort_key, r.kind, r.main.text.casefold()),
            )
        skip_referrers = PERSON_SECTIONS if is_person else set()
        if owned(node):  # an evidence page names its fact in the evidence box
            skip_referrers = CITATION_PROPERTIES | {OA + "hasSelector", SHZ + "relays"}
        page.referenced_by = self._referrers(node, skip_referrers)
        if owned(node):
            page.evidence = self._evidence(node, type_iris)
            if page.evidence is not None:
                page.title = self._evidence_title(page.evidence)
                page.cite = page.evidence.footnote
        page.graphs = [
            Link(g.removeprefix(GRAPH_BASE), self.site.href(g), g) for g in ds.graphs_of(iri)
        ]
        return page

    # -- evidence pages -----------------------------------------------------------------------

    def _holders(self, node: ox.NamedNode, predicates: Iterable[str]) -> list[tuple[str, str]]:
        """(predicate, subject IRI) of the triples that point to ``node`` with ``predicates``."""
        found: set[tuple[str, str]] = set()
        for predicate in predicates:
            for quad in self.ds.store.quads_for_pattern(None, ox.NamedNode(predicate), node):
                if isinstance(quad.subject, ox.NamedNode):
                    found.add((predicate, quad.subject.value))
        return sorted(found)

    def _evidence(self, node: ox.NamedNode, types: list[str]) -> Evidence | None:
        """The evidence view of a citation, a quote or a relayed citation; None otherwise."""
        selector_of = self._holders(node, [OA + "hasSelector"])
        relayed_by = self._holders(node, [SHZ + "relays"])
        if selector_of:
            citation_node = ox.NamedNode(selector_of[0][1])
            evidence = Evidence("quote", self.citation(citation_node))
            evidence.citation_link = self.link(citation_node.value, "the citation")
        elif relayed_by:
            citation_node = node
            evidence = Evidence("relayed citation", self.citation(node))
            evidence.citation_link = self.link(relayed_by[0][1], "the citation that relays it")
        elif SHZ + "Citation" in types or self._is_citation(node):
            citation_node = node
            evidence = Evidence("citation", self.citation(node))
        else:
            return None
        for predicate, fact in self._holders(citation_node, CITATION_PROPERTIES):
            phrase = "evidence for" if predicate == SHZ + "citation" else "pseudonym declared for"
            evidence.facts.append((phrase, self.link(fact)))
        if relayed_by:
            relaying = ox.NamedNode(relayed_by[0][1])
            for _predicate, fact in self._holders(relaying, CITATION_PROPERTIES):
                evidence.facts.append(("relayed as evidence for", self.link(fact)))
        cit = evidence.citation
        where = ", ".join([short_publication(cit), *short_locators(cit)])
        evidence.footnote = (
            f"{where}, quoted in Shezhire, <{node.value}>, accessed {self.accessed}."
        )
        return evidence

    def _evidence_title(self, evidence: Evidence) -> str:
        cit = evidence.citation
        where = ", ".join([short_publication(cit), *short_locators(cit)])
        return f"{evidence.kind.capitalize()}: {where}"

    def _original_names(self, node: ox.NamedNode) -> list[OriginalName]:
        """Names in the script the sources print them in: labels and spellings tagged ``ru``
        or ``kk``, and untagged spellings in Cyrillic (or Arabic) letters."""
        found: dict[str, OriginalName] = {}
        for predicate in ORIGINAL_NAME_PROPERTIES:
            for quad in self.ds.store.quads_for_pattern(node, ox.NamedNode(predicate), None):
                value = quad.object
                if not isinstance(value, ox.Literal):
                    continue
                lang = (value.language or "").lower()
                tagged = lang.split("-")[0] in ("ru", "kk")
                if not tagged and not ORIGINAL_SCRIPT.search(value.value):
                    continue
                current = found.get(value.value)
                if current is None or (tagged and not current.lang):
                    found[value.value] = OriginalName(value.value, lang if tagged else "")
        return sorted(found.values(), key=lambda n: (n.lang or "~", n.text))

    def _blank_or_iri(
        self, node: ox.NamedNode | ox.BlankNode, predicate: str
    ) -> list[ox.BlankNode | ox.NamedNode]:
        found: list[ox.BlankNode | ox.NamedNode] = []
        for quad in self.ds.store.quads_for_pattern(node, ox.NamedNode(predicate), None):
            if isinstance(quad.object, ox.BlankNode | ox.NamedNode) and quad.object not in found:
                found.append(quad.object)
        return found

    def _date_cell(self, row: Row, value: str) -> None:
        if value and all(x.title != value for x in row.cells.get("date", [])):
            row.cells.setdefault("date", []).append(Link(human_date(value), title=value))

    def _ties(self, person: str, subject: str) -> tuple[list[Row], list[Row]]:
        # Each branch starts from the bound person and tests the type after it: pyoxigraph
        # joins in the order written, and a type test after the UNION scans every tie.
        branches = " UNION ".join(
            f"""{{ ?t shz:{end} <{person}> . ?t a ?kind .
                  FILTER(?kind IN (shz:KinTie, shz:SocialTie))
                  ?t shz:tieSubject ?s ; shz:tieObject ?o .
                  OPTIONAL {{ ?t shz:kinType|shz:socialTieType ?type }}
                  OPTIONAL {{ ?t shz:certainty ?cert }} OPTIONAL {{ ?t shz:epistemicMode ?mode }}
                  OPTIONAL {{ ?t shz:date ?date }} OPTIONAL {{ ?t shz:earliestDate ?early }}
                  OPTIONAL {{ ?t shz:latestDate ?late }} }}"""
            for end in ("tieSubject", "tieObject")
        )
        rows = self.ds.select(
            f"SELECT ?t ?kind ?s ?o ?type ?cert ?mode ?date ?early ?late WHERE {{ {branches} }}"
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
                subject_iri, obj = _iri(r.get("s")), _iri(r.get("o"))
                other = obj if subject_iri == person else subject_iri
                row = Row(self.link(tie))
                row.cells["other"] = [self.link(other)] if other else []
                row.cells["direction"] = [Link("subject" if subject_iri == person else "object")]
                row.evidence = self.citations_of(tie, subject)
                table[tie] = row
            for cell, name in (("type", "type"), ("certainty", "cert"), ("mode", "mode")):
                value = _iri(r.get(name))
                if value and all(x.iri != value for x in row.cells.get(cell, [])):
                    row.cells.setdefault(cell, []).append(self.link(value))
            self._date_cell(row, _text(r.get("date")))
            row.sort_key = date_sort_key(_text(r.get("early")), _text(r.get("late")))

        def order(row: Row) -> tuple[str, str]:
            types = row.cells.get("type", [])
            return (types[0].text if types else "~", row.main.text)

        return sorted(kin.values(), key=order), sorted(social.values(), key=order)

    def _events(self, person: str, subject: str) -> list[Row]:
        rows = self.ds.select(
            # From the bound person, the type test inside each branch (see _ties).
            f"""SELECT ?e ?role ?type ?date ?early ?late ?place ?cert WHERE {{
                  {{ ?p shz:agent <{person}> . ?e shz:participation ?p . ?e a shz:Event .
                     OPTIONAL {{ ?p shz:role ?role }} {EVENT_OPTIONALS} }}
                  UNION
                  {{ ?e shz:approvedBy <{person}> . ?e a shz:Event .
                     BIND(shz:approvedBy AS ?role) {EVENT_OPTIONALS} }}
                }}"""
        )
        events: dict[str, Row] = {}
        bounds: dict[str, tuple[str, str]] = {}
        for r in rows:
            event = _iri(r.get("e"))
            if not event:
                continue
            row = events.get(event)
            if row is None:
                row = Row(self.link(event), kind="event")
                row.evidence = self.citations_of(event, subject)
                events[event] = row
            for cell, name in (
                ("role", "role"),
                ("type", "type"),
                ("place", "place"),
                ("certainty", "cert"),
            ):
                value = _iri(r.get(name))
                if value and all(x.iri != value for x in row.cells.get(cell, [])):
                    row.cells.setdefault(cell, []).append(self.link(value))
            self._date_cell(row, _text(r.get("date")))
            bounds[event] = _widen(bounds.get(event), _text(r.get("early")), _text(r.get("late")))
        for event, row in events.items():
            row.sort_key = date_sort_key(*bounds[event])
        return list(events.values())

    def _positions(self, person: str, subject: str) -> list[Row]:
        rows = self.ds.select(
            f"""SELECT ?pos ?org ?title ?date ?early ?late ?cert WHERE {{
                  ?pos shz:member <{person}> .
                  OPTIONAL {{ ?pos shz:organization ?org }}
                  OPTIONAL {{ ?pos shz:positionTitle ?title }}
                  OPTIONAL {{ ?pos shz:date ?date }} OPTIONAL {{ ?pos shz:earliestDate ?early }}
                  OPTIONAL {{ ?pos shz:latestDate ?late }} OPTIONAL {{ ?pos shz:certainty ?cert }}
                }}"""
        )
        positions: dict[str, Row] = {}
        bounds: dict[str, tuple[str, str]] = {}
        for r in rows:
            pos = _iri(r.get("pos"))
            if not pos:
                continue
            row = positions.get(pos)
            if row is None:
                row = Row(self.link(pos), kind="position")
                row.evidence = self.citations_of(pos, subject)
                positions[pos] = row
            for cell, name in (("organization", "org"), ("certainty", "cert")):
                value = _iri(r.get(name))
                if value and all(x.iri != value for x in row.cells.get(cell, [])):
                    row.cells.setdefault(cell, []).append(self.link(value))
            title = _text(r.get("title"))
            if title and all(x.text != title for x in row.cells.get("title", [])):
                row.cells.setdefault("title", []).append(Link(title))
            self._date_cell(row, _text(r.get("date")))
            bounds[pos] = _widen(bounds.get(pos), _text(r.get("early")), _text(r.get("late")))
        for pos, row in positions.items():
            row.sort_key = date_sort_key(*bounds[pos])
        return list(positions.values())

    def _referrers(self, node: ox.NamedNode, skip: set[str]) -> list[tuple[str, list[Link], int]]:
        """Resources that point to ``node``, grouped by the property (asserted triples only),
        each group named by the property's inverse phrase ("subject of", "cited by")."""
        groups: dict[str, dict[str, Link]] = {}
        for quad in self.ds.store.quads_for_pattern(None, None, node, None):
            subject = quad.subject
            predicate = quad.predicate.value
            if not isinstance(subject, ox.NamedNode) or owned(subject) or predicate in skip:
                continue
            if quad.graph_name == ox.NamedNode(INFERRED_GRAPH):
                continue
            group = groups.setdefault(predicate, {})
            if subject.value not in group:
                group[subject.value] = self.link(subject.value)
        out: list[tuple[str, list[Link], int]] = []
        for predicate, links in sorted(groups.items(), key=lambda i: self.inverse_label(i[0])):
            ordered = sorted(links.values(), key=lambda link: link.text.casefold())
            out.append((self.inverse_label(predicate), ordered[:MAX_REFERRERS], len(ordered)))
        return out


EVENT_OPTIONALS = """
  OPTIONAL { ?e shz:eventType ?type } OPTIONAL { ?e shz:date ?date }
  OPTIONAL { ?e shz:earliestDate ?early } OPTIONAL { ?e shz:latestDate ?late }
  OPTIONAL { ?e shz:place ?place } OPTIONAL { ?e shz:certainty ?cert }"""


def long_date(timestamp: float) -> str:
    """ "1 December 2025" (UTC)."""
    day = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def locators(cit: Citation) -> list[str]:
    """Where in the publication: "footnote 24", "p. 12", "section “Results”"."""
    out: list[str] = []
    if cit.footnote:
        out.append(f"footnote {cit.footnote}")
    if cit.page:
        out.append(f"p. {cit.page}")
    if cit.section:
        out.append(f"section \u201c{cit.section}\u201d")
    return out


def short_publication(cit: Citation) -> str:
    """ "Bolatkhan 2023" from "Bolatkhan 2023, Selective Favoritism ...": the label up to its
    first comma, the author-and-year part of the project's publication labels."""
    if cit.publication is None:
        return "unknown publication"
    return cit.publication.text.split(",", 1)[0].strip() or cit.publication.text


def short_locators(cit: Citation) -> list[str]:
    """Where, as a footnote writes it: "fn. 30", "p. 319", "§ “Results”"."""
    out = []
    if cit.footnote:
        out.append(f"fn. {cit.footnote}")
    if cit.page:
        out.append(f"p. {cit.page}")
    if cit.section and not cit.footnote and not cit.page:
        out.append(f"§ “{cit.section}”")
    return out


def _sort_key(row: BrowseRow, key: str, columns: list[Column]) -> tuple[str, str]:
    """Names by their sort name, dates by their earliest day, other columns by their text;
    an empty cell sorts last."""
    if key == "name":
        return (row.sort_name, row.main.text.casefold())
    if any(c.key == key and c.date for c in columns):
        return (row.date_key or date_sort_key(None, None), row.sort_name)
    text = " ".join(link.text for link in row.cells.get(key, [])).casefold()
    return (text or "\uffff", row.sort_name)


def namespace_of(iri: str) -> tuple[str, str]:
    """(prefix, namespace) of a known vocabulary, else ("", the IRI up to its last / or #)."""
    found = curie(iri)
    if found != iri and ":" in found:
        prefix = found.split(":", 1)[0]
        return prefix, PREFIXES[prefix]
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return "", iri[: cut + 1]


def _widen(current: tuple[str, str] | None, early: str, late: str) -> tuple[str, str]:
    """The earliest of the earliest days and the latest of the latest days seen."""
    first, last = current or ("", "")
    if early and (not first or early < first):
        first = early
    if late and (not last or late > last):
        last = late
    return first, last


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
    (
        "quotes",
        "SELECT (COUNT(?q) AS ?n) { ?c oa:exact ?q FILTER NOT EXISTS { ?x oa:hasSelector ?c } }",
        None,
    ),
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
    inverse: bool = False  # lists what points to the member with the predicate
    date: bool = False  # EDTF dates: written out, sorted by their earliest day
    groups: tuple[str, ...] = ()  # shown on these tabs only (on all when empty)


@dataclass(frozen=True)
class Group:
    """A tab of a list: persons split into historical actors, scholars, unnamed persons."""

    key: str
    title: str
    intro: str


@dataclass(frozen=True)
class BrowseKind:
    title: str
    cls: str
    columns: tuple[Column, ...]
    intro: str
    facets: tuple[FacetSpec, ...] = ()
    groups: tuple[Group, ...] = ()
    default_sort: str = "name"


PERSON_GROUPS = (
    Group(
        "actors",
        "Historical actors",
        "The people whose lives the sources document: special settlers, officials, emigrants, "
        "prisoners of war. Editorial pseudonyms are fictional names the authors chose for "
        "ethical reasons; they are never linked to a real-world identity.",
    ),
    Group(
        "scholars",
        "Scholars",
        "Modern authors: the authors of the five sources and the scholars they cite.",
    ),
    Group(
        "unnamed",
        "Unnamed persons",
        "Persons the sources mention without a name, listed by whose what they are.",
    ),
)

BROWSE: dict[str, BrowseKind] = {
    "persons": BrowseKind(
        "Persons",
        SHZ + "Person",
        (
            Column("written", "names as written", SHZ + "nameAsWritten"),
            Column("works", "works", DCTERMS + "creator", inverse=True, groups=("scholars",)),
        ),
        "Every person the sources document, by surname where the sources give one.",
        facets=PERSON_FACETS,
        groups=PERSON_GROUPS,
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
        facets=INSTITUTION_FACETS,
    ),
    "places": BrowseKind(
        "Places",
        SHZ + "Place",
        (
            Column("type", "type", SHZ + "placeType"),
            Column("partof", "part of", SHZ + "partOf"),
        ),
        "Places as the sources name them.",
        facets=PLACE_FACETS,
    ),
    "acts": BrowseKind(
        "Legal acts",
        SHZ + "LegalAct",
        (
            Column("date", "date", SHZ + "date", date=True),
            Column("number", "number", SHZ + "actNumber"),
            Column("type", "type", SHZ + "legalActType"),
            Column("issuer", "issued by", SHZ + "issuedBy"),
        ),
        "Decrees, orders, resolutions and other documents with a date or a number, in date order.",
        facets=ACT_FACETS,
        default_sort="date",
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
        facets=ITEM_FACETS,
    ),
    "events": BrowseKind(
        "Events",
        SHZ + "Event",
        (
            Column("date", "date", SHZ + "date", date=True),
            Column("type", "type", SHZ + "eventType"),
            Column("place", "place", SHZ + "place"),
            Column("certainty", "certainty", SHZ + "certainty"),
        ),
        "Events in the lives of the persons: deportations, releases, arrests, appeals, "
        "in date order.",
        facets=EVENT_FACETS,
        default_sort="date",
    ),
    "works": BrowseKind(
        "Publications",
        SHZ + "Publication",
        (
            Column("date", "date", DCTERMS + "date", date=True),
            Column("creator", "authors", DCTERMS + "creator"),
        ),
        "The five source texts and the works they cite.",
        facets=WORK_FACETS,
    ),
}
FAMILY_NAMES = (SCHEMA + "familyName", "http://xmlns.com/foaf/0.1/familyName")


@dataclass
class BrowseRow:
    main: Link
    badges: list[str]
    cells: dict[str, list[Link]]
    sort_name: str = ""  # "khomutnikov petr vasilievich": the surname first, where known
    letter: str = ""  # the index letter of sort_name
    date_key: str = ""


@dataclass
class FacetValue:
    id: str
    label: str
    count: int
    selected: bool
    href: str
    iri: str = ""
    title: str = ""  # the full label, when the label is shortened


@dataclass
class FacetView:
    key: str
    title: str
    hint: str
    values: list[FacetValue]
    more: list[FacetValue]


@dataclass
class Tab:
    key: str
    title: str
    count: int
    href: str
    selected: bool


@dataclass
class ActiveFilter:
    facet: str
    label: str
    remove: str  # the URL without it


@dataclass
class BrowsePage:
    name: str
    kind: BrowseKind
    rows: list[BrowseRow]
    columns: list[Column]
    sort: str
    descending: bool
    sort_links: dict[str, str]
    tabs: list[Tab] = field(default_factory=list)
    group: Group | None = None
    facets: list[FacetView] = field(default_factory=list)
    active: list[ActiveFilter] = field(default_factory=list)
    clear: str = ""
    letters: list[str] = field(default_factory=list)


@dataclass
class _State:
    group: str
    sort: str
    descending: bool
    selected: dict[str, set[str]]


FACET_VALUES_SHOWN = 10


@dataclass
class GraphRow:
    link: Link
    triples: int
    source: Link | None
    download: str


@dataclass
class Download:
    title: str
    href: str
    media: str
    size: int


@dataclass
class DataPage:
    """The dataset description (/data): what /void says, for a person to read."""

    title: str
    description: str
    license: Link
    modified: str
    dataset_iri: str
    sparql: str
    numbers: list[tuple[str, int]]
    classes: list[tuple[Link, int]]
    graphs: list[GraphRow]
    schemes: list[tuple[Link, int]]
    vocabularies: list[tuple[str, str, int]]  # prefix, namespace, triples
    downloads: list[Download]
    sources: list[Link]
    void_formats: list[tuple[str, str]]  # label, href


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

    # -- browse -------------------------------------------------------------------------------

    def browse(self, name: str, kind: BrowseKind, params: list[tuple[str, str]]) -> BrowsePage:
        """One list: its tab (``group``), facet filters (repeatable parameters named after the
        facets), ``sort`` (``name`` or a column) and ``order`` (``asc``, ``desc``)."""
        members = sorted(
            {
                q.subject.value
                for q in self.ds.store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(kind.cls))
                if isinstance(q.subject, ox.NamedNode)
            }
        )
        index = build_index(self.ds, kind.cls, kind.facets)
        state = self._browse_state(kind, index.values, params)
        by_group: dict[str, list[str]] = {}
        if kind.groups:
            for iri in members:
                by_group.setdefault(self._person_group(iri), []).append(iri)
        candidates = by_group.get(state.group, []) if kind.groups else members
        shown = matching(index, candidates, state.selected)

        def url(**change: object) -> str:
            return self._browse_url(name, kind, state, change)

        columns = [c for c in kind.columns if not c.groups or state.group in c.groups]
        rows = [self._browse_row(iri, kind, columns) for iri in shown]
        rows.sort(key=lambda row: _sort_key(row, state.sort, columns), reverse=state.descending)
        page = BrowsePage(
            name,
            kind,
            rows,
            columns,
            state.sort,
            state.descending,
            {
                key: url(sort=key, descending=state.sort == key and not state.descending, page=None)
                for key in ["name", *(c.key for c in columns)]
            },
        )
        for group in kind.groups:
            count = len(matching(index, by_group.get(group.key, []), state.selected))
            page.tabs.append(
                Tab(group.key, group.title, count, url(group=group.key), group.key == state.group)
            )
            if group.key == state.group:
                page.group = group
        for spec in kind.facets:
            page.facets.extend(self._facet_view(spec, index, candidates, state, url))
        for spec in kind.facets:
            for value_id in sorted(state.selected.get(spec.key, ())):
                label = index.values[spec.key][value_id][0]
                remove = {**state.selected, spec.key: state.selected[spec.key] - {value_id}}
                page.active.append(ActiveFilter(spec.title, label, url(selected=remove)))
        page.clear = url(selected={})
        if state.sort == "name" and kind.groups:
            page.letters = list(dict.fromkeys(row.letter for row in rows))
        return page

    def _browse_state(
        self,
        kind: BrowseKind,
        values: dict[str, dict[str, tuple[str, str]]],
        params: list[tuple[str, str]],
    ) -> _State:
        first = dict(params[::-1])  # the first value of each parameter wins
        groups = [g.key for g in kind.groups]
        group = first.get("group", groups[0] if groups else "")
        if groups and group not in groups:
            group = groups[0]
        sort = first.get("sort", kind.default_sort)
        if sort != "name" and sort not in {c.key for c in kind.columns}:
            sort = kind.default_sort
        descending = first.get("order", "asc").lower() == "desc"
        selected: dict[str, set[str]] = {}
        for key, value in params:
            if value in values.get(key, {}):  # unknown facets and values are left out
                selected.setdefault(key, set()).add(value)
        return _State(group, sort, descending, selected)

    def _browse_url(
        self, name: str, kind: BrowseKind, state: _State, change: dict[str, object]
    ) -> str:
        group = str(change.get("group", state.group))
        sort = str(change.get("sort", state.sort))
        descending = bool(change.get("descending", state.descending))
        chosen = change.get("selected", state.selected)
        assert isinstance(chosen, dict)
        pairs: list[tuple[str, str]] = []
        if kind.groups and group != kind.groups[0].key:
            pairs.append(("group", group))
        for spec in kind.facets:
            pairs.extend((spec.key, v) for v in sorted(chosen.get(spec.key, ())))
        if sort != kind.default_sort or descending:
            pairs.append(("sort", sort))
        if descending:
            pairs.append(("order", "desc"))
        query = urlencode(pairs)
        return f"{self.site.root}/browse/{name}" + (f"?{query}" if query else "")

    def _facet_view(
        self,
        spec: FacetSpec,
        index: FacetIndex,
        candidates: list[str],
        state: _State,
        url: Callable[..., str],
    ) -> list[FacetView]:
        labels = index.values.get(spec.key, {})
        if not labels:
            return []
        chosen = state.selected.get(spec.key, set())
        found = counts(index, spec.key, matching(index, candidates, state.selected, spec.key))
        ids = [v for v in labels if found.get(v) or v in chosen]
        if not ids:
            return []
        rank = {iri: i for i, iri in enumerate(spec.order)}
        if spec.period:
            ids.sort()
        else:
            ids.sort(
                key=lambda v: (
                    rank.get(labels[v][1], len(rank)),
                    -found.get(v, 0),
                    labels[v][0].casefold(),
                )
            )
        values = [
            FacetValue(
                v,
                labels[v][0],
                found.get(v, 0),
                v in chosen,
                url(selected={**state.selected, spec.key: chosen ^ {v}}),
                labels[v][1],
                self.ds.label(labels[v][1]) if labels[v][1] else "",
            )
            for v in ids
        ]
        limit = len(values) if spec.period or spec.order else FACET_VALUES_SHOWN
        head = [v for i, v in enumerate(values) if i < limit or v.selected]
        rest = [v for i, v in enumerate(values) if i >= limit and not v.selected]
        return [FacetView(spec.key, spec.title, spec.hint, head, rest)]

    def _person_group(self, iri: str) -> str:
        node = ox.NamedNode(iri)
        for _ in self.ds.store.quads_for_pattern(node, RDF_TYPE, ox.NamedNode(SHZ + "Scholar")):
            return "scholars"
        if "true" in self._literal(node, SHZ + "unnamed"):
            return "unnamed"
        return "actors"

    def _browse_row(self, iri: str, kind: BrowseKind, columns: list[Column]) -> BrowseRow:
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
        dates: list[str] = []
        for column in columns:
            values: list[Link] = []
            predicate = ox.NamedNode(column.predicate)
            quads = (
                self.ds.store.quads_for_pattern(None, predicate, node)
                if column.inverse
                else self.ds.store.quads_for_pattern(node, predicate, None)
            )
            for quad in quads:
                term = quad.subject if column.inverse else quad.object
                if isinstance(term, ox.NamedNode):
                    link = self.link(term.value)
                elif isinstance(term, ox.Literal) and column.date:
                    link = Link(human_date(term.value), title=term.value)
                    dates.append(term.value)
                elif isinstance(term, ox.Literal):
                    link = Link(term.value)
                else:
                    continue
                if all(v.text != link.text or v.iri != link.iri for v in values):
                    values.append(link)
            cells[column.key] = sorted(values, key=lambda link: link.text.casefold())
        label = self.ds.label(iri)
        sort_name = self._sort_name(node, label) if kind.groups else label.casefold()
        initial = sort_name[:1].upper()
        row = BrowseRow(
            self.link(iri), badges, cells, sort_name, initial if initial.isalpha() else "#"
        )
        early = self._literal(node, SHZ + "earliestDate")
        late = self._literal(node, SHZ + "latestDate")
        if early or late:  # the bounds the build wrote for shz:date
            row.date_key = date_sort_key(min(early, default=""), max(late, default=""))
        elif dates:
            row.date_key = min(edtf_sort_key(d) for d in dates)
        return row

    def _sort_name(self, node: ox.NamedNode, label: str) -> str:
        """The label with the family name first ("khomutnikov petr vasilievich"), where the data
        gives a family name that the label contains; the label otherwise."""
        names = [
            q.object
            for p in FAMILY_NAMES
            for q in self.ds.store.quads_for_pattern(node, ox.NamedNode(p), None)
            if isinstance(q.object, ox.Literal)
        ]
        names.sort(key=lambda n: (n.language or "") != "en")
        words = label.split()
        for name in names:
            family = name.value.split()
            for i in range(len(words) - len(family) + 1):
                if [w.casefold() for w in words[i : i + len(family)]] == [
                    f.casefold() for f in family
                ]:
                    rest = words[:i] + words[i + len(family) :]
                    return " ".join([*family, *rest]).casefold()
        return label.casefold()

    # -- the dataset description -------------------------------------------------------------

    def data_page(self, site_url: str, dump_sizes: dict[str, int]) -> DataPage:
        """``site_url``: this server's public base URL (ending with ``/``); ``dump_sizes``: the
        size in bytes of each dump file (``dump.nq``...)."""
        info = void_summary(self.ds)
        root = self.site.root
        graphs = [
            GraphRow(
                Link(g.removeprefix(GRAPH_BASE), self.site.href(g), g),
                n,
                self.link(info.sources[g], short_label(self.ds.label(info.sources[g])))
                if g in info.sources
                else None,
                f"{root}/graph/{g.removeprefix(GRAPH_BASE)}?format=ttl",
            )
            for g, n in self.ds.graphs().items()
            if g
        ]
        shz_first = sorted(
            info.classes.items(), key=lambda i: (not i[0].startswith(SHZ), -i[1], i[0])
        )
        schemes = [
            (self.link(_iri(r.get("s"))), int(_text(r.get("n")) or 0))
            for r in self.ds.select(
                """SELECT ?s (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a skos:ConceptScheme .
                   OPTIONAL { ?c skos:inScheme ?s } } GROUP BY ?s ORDER BY ?s"""
            )
            if _iri(r.get("s"))
        ]
        vocabularies: dict[str, tuple[str, str, int]] = {}
        for prop, n in info.properties.items():
            prefix, namespace = namespace_of(prop)
            old = vocabularies.get(namespace, (prefix, namespace, 0))
            vocabularies[namespace] = (prefix, namespace, old[2] + n)
        triples = sum(self.ds.graphs().values())
        return DataPage(
            title="Shezhire",
            description=DESCRIPTION,
            license=Link("CC BY 4.0", LICENSE, LICENSE, external=True),
            modified=self.accessed,
            dataset_iri=DATASET_IRI,
            sparql=site_url + "sparql",
            numbers=[
                ("triples", triples),
                ("named graphs", len(graphs)),
                ("entities (IRIs under /id/)", info.entities),
                ("classes", len(info.classes)),
                ("properties", len(info.properties)),
                ("distinct subjects", info.distinct_subjects),
                ("distinct objects", info.distinct_objects),
            ],
            classes=[(self.link(c), n) for c, n in shz_first],
            graphs=graphs,
            schemes=schemes,
            vocabularies=sorted(vocabularies.values(), key=lambda v: -v[2]),
            downloads=[
                Download(title, f"{root}/{name}", media, dump_sizes.get(name, 0))
                for name, media, title in DUMPS
            ],
            sources=[self.link(w) for w in sorted(set(info.sources.values()))],
            void_formats=[
                (label, f"{root}/void?format={fmt}")
                for label, fmt in (
                    ("Turtle", "ttl"),
                    ("JSON-LD", "jsonld"),
                    ("N-Triples", "nt"),
                    ("RDF/XML", "rdf"),
                )
            ],
        )

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
