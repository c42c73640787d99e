"""Identities the sources leave open are traversable (PiCo person reconstructions).

Where the sources do not allow a decision, the candidates keep their own IRIs, an
shz:IdentityQuestion says so, and a shz:PersonReconstruction in data/ttl/identity.ttl links
every candidate (shz:reconstructedFrom), so that no candidate is reachable only through the
question note and a query can follow either the decided identity (one IRI) or all candidates.
"""

from __future__ import annotations

from shezhire.config import Settings
from shezhire.http.testing import select_rows

PREFIXES = """
PREFIX shz: <https://w3id.org/shezhire/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX person: <https://w3id.org/shezhire/id/person/>
PREFIX idstatus: <https://w3id.org/shezhire/vocab/idstatus/>
"""


def _select(settings: Settings, query: str) -> list[dict[str, str]]:
    return select_rows(settings.store, PREFIXES + query)


def test_every_identity_question_has_a_reconstruction_of_all_its_candidates(
    built_settings: Settings,
) -> None:
    rows = _select(
        built_settings,
        """SELECT ?question ?candidate WHERE {
             ?question a shz:IdentityQuestion ; shz:candidate ?candidate .
             FILTER NOT EXISTS { ?r a shz:PersonReconstruction ; shz:question ?question ;
                                    shz:reconstructedFrom ?candidate } }""",
    )
    assert rows == [], (
        "add a shz:PersonReconstruction (note:reconstruction-{slug}) to data/ttl/identity.ttl "
        f"for these questions and candidates: {rows}"
    )


def test_open_reconstructions_link_the_mentions_of_three_sources(built_settings: Settings) -> None:
    """From any one Aldazhumanov node, the other candidate mentions are one hop away."""
    for start in ("k-aldazhumanov", "k-s-aldazhumanov", "k-s-aldajumanov"):
        rows = _select(
            built_settings,
            f"""SELECT DISTINCT ?mention ?source WHERE {{
                  person:{start} ^shz:reconstructedFrom ?r .
                  ?r shz:identityStatus idstatus:open ; shz:reconstructedFrom ?mention .
                  ?mention shz:citation/shz:publication ?source . ?source a shz:SourceText }}""",
        )
        mentions = {r["mention"].rsplit("/", 1)[-1] for r in rows}
        sources = {r["source"].rsplit("/", 1)[-1] for r in rows}
        assert mentions == {"k-aldazhumanov", "k-s-aldazhumanov", "k-s-aldajumanov"}, start
        assert sources == {"bolatkhan-2023", "atantayeva-2025", "mendikulova-gabdullina"}


def test_reconstruction_is_a_prov_derivation(built_settings: Settings) -> None:
    """shz:reconstructedFrom is PiCo's prov:wasDerivedFrom (the ontology says so)."""
    rows = _select(
        built_settings, "SELECT ?p WHERE { shz:reconstructedFrom rdfs:subPropertyOf ?p }"
    )
    assert "http://www.w3.org/ns/prov#wasDerivedFrom" in {r["p"] for r in rows}


def test_no_reconstruction_mixes_a_pseudonym_with_a_real_person(built_settings: Settings) -> None:
    rows = _select(
        built_settings,
        """SELECT ?r WHERE { ?r a shz:PersonReconstruction ; shz:reconstructedFrom ?p , ?q .
             ?p a shz:EditorialPseudonym . FILTER NOT EXISTS { ?q a shz:EditorialPseudonym } }""",
    )
    assert rows == []


def test_decided_identities_are_persons_not_reconstruction_notes(built_settings: Settings) -> None:
    """A decided identity is followed through the merged person itself (one IRI)."""
    rows = _select(
        built_settings,
        """SELECT ?d WHERE { ?d a shz:IdentityDecision ; shz:identifies ?x .
             ?x a shz:PersonReconstruction }""",
    )
    assert rows == []
