"""The SPARQL SELECT queries the network is built from (the same text for store and endpoint).

Each query returns flat rows; :mod:`shezhire.network.build` groups them. Multi-valued
properties (several citations, several archival references in one citation) come back as
several rows and are gathered in Python, never with GROUP_CONCAT, so that no separator
can collide with a quote.
"""

from __future__ import annotations

SHZ = "https://w3id.org/shezhire/ontology#"
PERSON_BASE = "https://w3id.org/shezhire/id/person/"

PREFIXES = """PREFIX shz: <https://w3id.org/shezhire/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""

# One row per tie (kin or social) with its tie-level attributes.
TIES = (
    PREFIXES
    + """
SELECT ?fact ?kind ?subject ?object ?type ?typeLabel ?label ?mode ?certainty
       ?date ?earliest ?latest ?comment
WHERE {
  { ?fact a shz:KinTie ; shz:kinType ?type . BIND("kin" AS ?kind) }
  UNION
  { ?fact a shz:SocialTie ; shz:socialTieType ?type . BIND("social" AS ?kind) }
  ?fact shz:tieSubject ?subject ; shz:tieObject ?object .
  OPTIONAL { ?type skos:prefLabel ?typeLabel FILTER(LANGMATCHES(LANG(?typeLabel), "en")) }
  OPTIONAL { ?fact rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }
  OPTIONAL { ?fact shz:epistemicMode ?mode }
  OPTIONAL { ?fact shz:certainty ?certainty }
  OPTIONAL { ?fact shz:date ?date }
  OPTIONAL { ?fact shz:earliestDate ?earliest }
  OPTIONAL { ?fact shz:latestDate ?latest }
  OPTIONAL { ?fact rdfs:comment ?comment }
}
"""
)

# Memberships (shz:Position) and event participations with a place: the bipartite layer.
AFFILIATIONS = (
    PREFIXES
    + """
SELECT ?fact ?kind ?subject ?object ?type ?typeLabel ?label ?mode ?certainty
       ?date ?earliest ?latest ?comment
WHERE {
  {
    ?fact a shz:Position ; shz:member ?subject ; shz:organization ?object .
    BIND("membership" AS ?kind)
    OPTIONAL { ?fact shz:positionTitle ?typeLabel }
  }
  UNION
  {
    ?fact a shz:Event ; shz:participation ?part ; shz:place ?object .
    ?part shz:agent ?subject .
    ?subject a shz:Person .
    BIND("event-place" AS ?kind)
    OPTIONAL { ?fact shz:eventType ?type .
               OPTIONAL { ?type skos:prefLabel ?typeLabel
                          FILTER(LANGMATCHES(LANG(?typeLabel), "en")) } }
  }
  UNION
  {
    ?fact a shz:Institution ; shz:location ?object .
    BIND(?fact AS ?subject)
    BIND("location" AS ?kind)
  }
  OPTIONAL { ?fact rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }
  OPTIONAL { ?fact shz:epistemicMode ?mode }
  OPTIONAL { ?fact shz:certainty ?certainty }
  OPTIONAL { ?fact shz:date ?date }
  OPTIONAL { ?fact shz:earliestDate ?earliest }
  OPTIONAL { ?fact shz:latestDate ?latest }
  OPTIONAL { ?fact rdfs:comment ?comment }
}
"""
)

# The evidence: one row per (fact, citation, archival reference) of every tie-like fact.
CITATIONS = (
    PREFIXES
    + """
SELECT ?fact ?citation ?publication ?publicationLabel ?footnote ?page ?section
       ?reference ?printed ?item ?itemLabel ?folios ?quote
WHERE {
  VALUES ?class { shz:KinTie shz:SocialTie shz:Position shz:Event shz:Institution }
  ?fact a ?class ; shz:citation ?citation .
  OPTIONAL { ?citation shz:publication ?publication .
             OPTIONAL { ?publication rdfs:label ?publicationLabel
                        FILTER(LANGMATCHES(LANG(?publicationLabel), "en")) } }
  OPTIONAL { ?citation shz:footnote ?footnote }
  OPTIONAL { ?citation shz:page ?page }
  OPTIONAL { ?citation shz:section ?section }
  OPTIONAL { ?citation shz:archivalReference ?reference .
             OPTIONAL { ?reference shz:printedCitation ?printed }
             OPTIONAL { ?reference shz:folios ?folios }
             OPTIONAL { ?reference shz:refersTo ?item .
                        OPTIONAL { ?item rdfs:label ?itemLabel
                                   FILTER(LANGMATCHES(LANG(?itemLabel), "en")) } } }
  OPTIONAL { ?citation oa:exact ?quote }
}
"""
)

# Persons, institutions and places with their English labels and flags.
NODES = (
    PREFIXES
    + """
SELECT ?node ?nodeKind ?label ?pseudonym ?unnamed
WHERE {
  { ?node a shz:Person . BIND("person" AS ?nodeKind)
    OPTIONAL { ?node a shz:EditorialPseudonym . BIND(true AS ?pseudonym) }
    OPTIONAL { ?node shz:unnamed ?unnamed } }
  UNION
  { ?node a shz:Institution . BIND("institution" AS ?nodeKind) }
  UNION
  { ?node a shz:Place . BIND("place" AS ?nodeKind) }
  OPTIONAL { ?node rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }
}
"""
)
