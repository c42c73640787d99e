"""Stable IRIs for the evidence: citations, their quotes, relayed citations, participations.

Curators write a fact's evidence as blank nodes (``shz:citation [ a shz:Citation ; ... ]``,
``shz:participation [ shz:agent X ; shz:role role:Y ]``). Right after the strict parse, before
the SHACL gate, the build gives each of them an IRI derived from what owns it and what it says,
so the gate, the store, the pages and the dumps see IRIs that stay the same from build to build
(ontology/README.md, "IRI policy", says what changes one and what does not):

* a participation of event ``E``: ``E/participation/{agent slug}-{role}``;
* a citation of fact ``https://w3id.org/shezhire/id/{path}``:
  ``https://w3id.org/shezhire/id/citation/{path}/{source code}-{locator}``, the locator being
  ``fn{N}`` (footnote), else ``p{page}``, else ``s-{section slug}``;
* the quote of citation ``C``: ``C/quote``, an ``oa:TextQuoteSelector`` with the ``oa:exact``
  text, linked by ``C oa:hasSelector C/quote``; ``C oa:hasSource`` its publication;
* a secondary citation relayed by citation ``C`` (``shz:relays``):
  ``C/relays/{work slug}-{locator}``.

Where one owner has several such nodes with the same name, each gets ``-1``, ``-2``, ... in the
order of a key made from its own content (a hash of its quote first), never from the order of
the file, so adding or removing a citation elsewhere renames none.

Nodes that a curator already gave an IRI keep it. Whatever blank nodes are left after the gate
(the ontology's and the shapes' lists and restrictions, and anything else) are skolemized by
:func:`skolemize` into ``https://w3id.org/shezhire/.well-known/genid/{hash of its content}``:
the published store holds no blank node at all.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable

import iuliia  # type: ignore[import-untyped]
import pyoxigraph as ox

from shezhire.config import BASE_IRI
from shezhire.errors import ValidationProblem

SHZ = "https://w3id.org/shezhire/ontology#"
OA = "http://www.w3.org/ns/oa#"
ID_BASE = BASE_IRI + "id/"
CITATION_BASE = ID_BASE + "citation/"
GENID_BASE = BASE_IRI + ".well-known/genid/"

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
CITATION = ox.NamedNode(SHZ + "citation")
PSEUDONYM_DECLARED_IN = ox.NamedNode(SHZ + "pseudonymDeclaredIn")
CITING = (CITATION, PSEUDONYM_DECLARED_IN)
CITATION_CLASS = ox.NamedNode(SHZ + "Citation")
PARTICIPATION = ox.NamedNode(SHZ + "participation")
PARTICIPATION_CLASS = ox.NamedNode(SHZ + "Participation")
AGENT = ox.NamedNode(SHZ + "agent")
ROLE = ox.NamedNode(SHZ + "role")
RELAYS = ox.NamedNode(SHZ + "relays")
PUBLICATION = ox.NamedNode(SHZ + "publication")
SOURCE_CODE = ox.NamedNode(SHZ + "sourceCode")
FOOTNOTE = ox.NamedNode(SHZ + "footnote")
PAGE = ox.NamedNode(SHZ + "page")
SECTION = ox.NamedNode(SHZ + "section")
OA_EXACT = ox.NamedNode(OA + "exact")
OA_HAS_SELECTOR = ox.NamedNode(OA + "hasSelector")
OA_HAS_SOURCE = ox.NamedNode(OA + "hasSource")
OA_TEXT_QUOTE_SELECTOR = ox.NamedNode(OA + "TextQuoteSelector")

Node = ox.NamedNode | ox.BlankNode
# Where :meth:`_Namer.rewrite` puts its blank node -> IRI mapping for the length of a rewrite.
_MAPPING = ox.NamedNode("urn:x-shezhire:evidence-renaming")
_MAPS_TO = ox.NamedNode("urn:x-shezhire:renamed-to")
# Section headings can be long; a slug keeps whole words up to this many characters.
MAX_SLUG = 48


def slug(text: str, max_length: int = MAX_SLUG) -> str:
    """Lowercase ASCII words joined by ``-`` (Cyrillic transliterated), whole words only."""
    # Punctuation, symbols and spaces of any script separate words ("315–316": two words).
    spaced = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    latin = iuliia.WIKIPEDIA.translate(spaced)
    ascii_text = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode().lower()
    out = ""
    for word in re.findall(r"[a-z0-9]+", ascii_text):
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > max_length:
            out = out or word[:max_length]
            break
        out = candidate
    return out or "x"


def local_slug(iri: str) -> str:
    """The last path segment (or fragment) of an IRI, as a slug."""
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    return slug(tail, 80)


def _numeric(text: str) -> tuple[int, str]:
    digits = re.match(r"\d+", text)
    return (int(digits.group()) if digits else 1 << 30, text)


class _Namer:
    """Computes the IRIs of one staging store's evidence nodes, then rewrites the store."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.mapping: dict[ox.BlankNode, ox.NamedNode] = {}
        self.taken: dict[str, str] = {}  # a new IRI -> what it names (to report clashes)
        self.problems: list[str] = []
        self._digests: dict[ox.BlankNode, str] = {}

    # -- reading --------------------------------------------------------------------------

    def values(self, node: Node, predicate: ox.NamedNode) -> list[ox.NamedNode | ox.Literal]:
        found = {
            q.object
            for q in self.store.quads_for_pattern(node, predicate, None, None)
            if isinstance(q.object, ox.NamedNode | ox.Literal)
        }
        return sorted(found, key=str)

    def texts(self, node: Node, predicate: ox.NamedNode) -> list[str]:
        return [v.value for v in self.values(node, predicate)]

    def iri_of(self, node: object) -> ox.NamedNode | None:
        """A node's IRI: its own, or the one given to it here."""
        if isinstance(node, ox.NamedNode):
            return node
        if isinstance(node, ox.BlankNode):
            return self.mapping.get(node)
        return None

    def content(self, node: ox.BlankNode) -> str:
        """What a blank node says, nested blank nodes (by their digest) included, in a
        canonical order."""
        lines = []
        for quad in self.store.quads_for_pattern(node, None, None, None):
            obj = quad.object
            text = f"[{self.digest(obj)}]" if isinstance(obj, ox.BlankNode) else str(obj)
            lines.append(f"{quad.predicate} {text}")
        return "\n".join(sorted(set(lines)))

    def digest(self, node: ox.BlankNode) -> str:
        """A hash of :meth:`content`, memoized; a cycle of blank nodes hashes as "cycle"."""
        known = self._digests.get(node)
        if known is None:
            self._digests[node] = "cycle"
            known = hashlib.sha256(self.content(node).encode()).hexdigest()
            self._digests[node] = known
        return known

    def order_key(self, node: ox.BlankNode) -> tuple[str, str]:
        """Numbers siblings of one name: a hash of the quote, then of the whole content."""
        quote = "\n".join(self.texts(node, OA_EXACT))
        return (
            hashlib.sha256(quote.encode()).hexdigest()[:12],
            self.digest(node),
        )

    def locator(self, node: Node) -> str:
        footnotes = sorted(self.texts(node, FOOTNOTE), key=_numeric)
        if footnotes:
            return "fn" + "+".join(slug(f, 16) for f in footnotes)
        pages = self.texts(node, PAGE)
        if pages:
            return "p" + "+".join(slug(p, 24) for p in pages)
        sections = self.texts(node, SECTION)
        if sections:
            return "s-" + "+".join(slug(s) for s in sections)
        return "nolocator"

    def source_code(self, node: Node) -> str:
        publications = [p for p in self.values(node, PUBLICATION) if isinstance(p, ox.NamedNode)]
        if not publications:
            return "nopublication"
        codes = self.texts(publications[0], SOURCE_CODE)
        return slug(codes[0], 24) if codes else local_slug(publications[0].value)

    def work_slug(self, node: Node) -> str:
        publications = [p for p in self.values(node, PUBLICATION) if isinstance(p, ox.NamedNode)]
        return local_slug(publications[0].value) if publications else "nopublication"

    # -- naming ---------------------------------------------------------------------------

    def owned(self, predicates: Iterable[ox.NamedNode]) -> list[tuple[ox.NamedNode, ox.BlankNode]]:
        """(owner IRI, blank node) for each not-yet-named blank object of ``predicates`` whose
        subject has an IRI; the first owner (in IRI order) owns a node given to two."""
        pairs: dict[ox.BlankNode, ox.NamedNode] = {}
        for predicate in predicates:
            for quad in self.store.quads_for_pattern(None, predicate, None, None):
                obj, owner = quad.object, self.iri_of(quad.subject)
                if not isinstance(obj, ox.BlankNode) or obj in self.mapping or owner is None:
                    continue
                if obj not in pairs or owner.value < pairs[obj].value:
                    pairs[obj] = owner
        return sorted(((o, b) for b, o in pairs.items()), key=lambda pair: pair[0].value)

    def assign(
        self,
        pairs: list[tuple[ox.NamedNode, ox.BlankNode]],
        name: Callable[[ox.NamedNode, ox.BlankNode], str],
    ) -> list[ox.BlankNode]:
        groups: dict[str, list[ox.BlankNode]] = defaultdict(list)
        for owner, node in pairs:
            groups[name(owner, node)].append(node)
        named = []
        for base, nodes in sorted(groups.items()):
            if len(nodes) == 1:
                self.claim(base, nodes[0])
            else:
                for n, node in enumerate(sorted(nodes, key=self.order_key), start=1):
                    self.claim(f"{base}-{n}", node)
            named.extend(nodes)
        return named

    def claim(self, iri: str, node: ox.BlankNode) -> None:
        try:
            named = ox.NamedNode(iri)
        except ValueError:
            self.problems.append(f"focus _:{node.value} | derived IRI <{iri}> is not an IRI")
            return
        if iri in self.taken or self.used(named):
            self.problems.append(
                f"focus <{iri}> | shape evidence.name | Violation: the IRI the build derives "
                "for this blank node is already used in the data; give the node an IRI "
                "in the data file"
            )
            return
        self.taken[iri] = node.value
        self.mapping[node] = named

    def used(self, node: ox.NamedNode) -> bool:
        for _ in self.store.quads_for_pattern(node, None, None, None):
            return True
        for _ in self.store.quads_for_pattern(None, None, node, None):
            return True
        return False

    def participation_name(self, owner: ox.NamedNode, node: ox.BlankNode) -> str:
        agents = [a for a in self.values(node, AGENT) if isinstance(a, ox.NamedNode)]
        roles = [r for r in self.values(node, ROLE) if isinstance(r, ox.NamedNode)]
        agent = local_slug(agents[0].value) if agents else "noagent"
        role = local_slug(roles[0].value) if roles else "norole"
        return f"{owner.value}/participation/{agent}-{role}"

    def citation_name(self, owner: ox.NamedNode, node: ox.BlankNode) -> str:
        if owner.value.startswith(ID_BASE):
            path = owner.value[len(ID_BASE) :].rstrip("/")
        else:
            # A fact outside /id/ (none in the curated data; the shape tests use example.org).
            path = "x-" + hashlib.sha256(owner.value.encode()).hexdigest()[:12]
        return f"{CITATION_BASE}{path}/{self.source_code(node)}-{self.locator(node)}"

    def relay_name(self, owner: ox.NamedNode, node: ox.BlankNode) -> str:
        return f"{owner.value}/relays/{self.work_slug(node)}-{self.locator(node)}"

    # -- rewriting ------------------------------------------------------------------------

    def quotes(self) -> list[ox.Quad]:
        """The quote selector and the source of every citation that has an IRI now."""
        added: list[ox.Quad] = []
        citations: set[ox.NamedNode] = set()
        for predicate in CITING:
            for quad in self.store.quads_for_pattern(None, predicate, None, None):
                iri = self.iri_of(quad.object)
                if iri is not None and iri.value.startswith(BASE_IRI):
                    citations.add(iri)
        reverse = {iri: blank for blank, iri in self.mapping.items()}
        for citation in sorted(citations, key=lambda c: c.value):
            node: Node = reverse.get(citation, citation)
            if any(True for _ in self.store.quads_for_pattern(node, OA_HAS_SELECTOR, None, None)):
                continue  # the curator wrote it
            for quad in self.store.quads_for_pattern(node, OA_EXACT, None, None):
                quote = ox.NamedNode(citation.value + "/quote")
                if self.used(quote):
                    continue
                added += [
                    ox.Quad(citation, OA_HAS_SELECTOR, quote, quad.graph_name),
                    ox.Quad(quote, RDF_TYPE, OA_TEXT_QUOTE_SELECTOR, quad.graph_name),
                    ox.Quad(quote, OA_EXACT, quad.object, quad.graph_name),
                ]
            for quad in self.store.quads_for_pattern(node, PUBLICATION, None, None):
                added.append(ox.Quad(citation, OA_HAS_SOURCE, quad.object, quad.graph_name))
        return added

    def participation_types(self) -> list[ox.Quad]:
        """``a shz:Participation`` for each participation named here that has no type (the
        range of shz:participation): every IRI of the graph is described by a type."""
        added = []
        for blank, iri in self.mapping.items():
            if not iri.value.startswith(ID_BASE) or "/participation/" not in iri.value:
                continue
            if any(True for _ in self.store.quads_for_pattern(blank, RDF_TYPE, None, None)):
                continue
            for quad in self.store.quads_for_pattern(blank, AGENT, None, None):
                added.append(ox.Quad(iri, RDF_TYPE, PARTICIPATION_CLASS, quad.graph_name))
                break
        return sorted(added, key=str)

    def rewrite(self, extra: list[ox.Quad]) -> None:
        """Replace every mapped blank node by its IRI, then add ``extra``.

        The mapping goes into a scratch graph and two SPARQL updates (subjects, then objects;
        each over the named graphs and the default graph) rename the quads in Rust: a Python
        loop over every quad and a Python object per renamed quad took twice as long, and the
        removed quads' copies stayed in the staging store's memory.
        """
        self.store.extend(ox.Quad(b, _MAPS_TO, iri, _MAPPING) for b, iri in self.mapping.items())
        mapped = f"GRAPH {_MAPPING} {{ ?b {_MAPS_TO} ?iri }}"
        for old, new in (("?b ?p ?o", "?iri ?p ?o"), ("?s ?p ?b", "?s ?p ?iri")):
            self.store.update(
                f"DELETE {{ GRAPH ?g {{ {old} }} }} INSERT {{ GRAPH ?g {{ {new} }} }} "
                f"WHERE {{ {mapped} GRAPH ?g {{ {old} }} FILTER(?g != {_MAPPING}) }} ; "
                f"DELETE {{ {old} }} INSERT {{ {new} }} WHERE {{ {mapped} {old} }}"
            )
        self.store.remove_graph(_MAPPING)
        self.store.extend(extra)


def name_evidence(store: ox.Store) -> dict[str, int]:
    """Give every evidence blank node of ``store`` its IRI (in place); return counts.

    Raises ValidationProblem when a derived IRI is already used in the data.
    """
    namer = _Namer(store)
    counts: dict[str, int] = {}
    # Owners first: a citation of a participation needs the participation's IRI.
    counts["participations"] = len(
        namer.assign(namer.owned([PARTICIPATION]), namer.participation_name)
    )
    counts["citations"] = len(namer.assign(namer.owned(CITING), namer.citation_name))
    counts["relayed citations"] = len(namer.assign(namer.owned([RELAYS]), namer.relay_name))
    if namer.problems:
        raise ValidationProblem(namer.problems, None)
    extra = namer.quotes() + namer.participation_types()
    counts["quotes"] = sum(1 for q in extra if q.predicate == OA_HAS_SELECTOR)
    namer.rewrite(extra)
    return counts


def skolemize(store: ox.Store) -> int:
    """Replace every blank node left in ``store`` by a genid IRI made from its content.

    Two blank nodes that say exactly the same (nested blank nodes included) become one node,
    which changes no meaning; anything else gets an IRI of its own, the same on every build.
    """
    namer = _Namer(store)
    blanks: set[ox.BlankNode] = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                blanks.add(term)
    for blank in blanks:
        namer.mapping[blank] = ox.NamedNode(GENID_BASE + namer.digest(blank)[:24])
    namer.rewrite([])
    return len(blanks)


def is_dependent(iri: str) -> bool:
    """True for the IRIs named here (citations, quotes, relays, participations): parts of a
    fact that pages and descriptions show with the fact, as they showed the blank nodes."""
    if iri.startswith(CITATION_BASE):
        return True
    return iri.startswith(ID_BASE) and "/participation/" in iri
