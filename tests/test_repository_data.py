"""The repository's own data: it builds, it is grounded, it is connected, it has no loose ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shezhire.cli import main
from shezhire.config import Settings
from shezhire.http.testing import select_rows
from shezhire.pipeline.build import BuildSummary

PREFIXES = """
PREFIX shz: <https://w3id.org/shezhire/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX person: <https://w3id.org/shezhire/id/person/>
"""


def _select(settings: Settings, query: str) -> list[dict[str, str]]:
    return select_rows(settings.store, PREFIXES + query)


def test_build_publishes_every_kind_of_entity(built: tuple[Settings, BuildSummary]) -> None:
    _settings, summary = built
    for kind in (
        "persons",
        "kin ties",
        "social ties",
        "events",
        "legal acts",
        "archival items",
        "archival references",
        "institutions",
        "places",
        "quotes",
        "observations",
        "policies",
        "assessments",
        "secondary citations",
        "open identities",
    ):
        assert summary.entities[kind] > 0, kind


def test_every_quote_is_verbatim_in_a_source(repo_root: Path, shared_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(shared_dir / "tools" / "check_quotes.py"), "data"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    found, _of, total = result.stdout.strip().splitlines()[-1].split()[:3]
    assert found == total


KALMYK_CORE = [
    "aduchi",
    "mergen",
    "petr-vasilievich-khomutnikov",
    "vasilii-alekseevich-khomutnikov",
    "ochki-kolpakovna-khomutnikova",
    "viktor-vasilyevich-khomutnikov",
    "tseden",
    "sanji-kalyaev",
    "harti-kanukov",
    "tseren-dorzhi-nominkhanov",
    "oka-ivanovich-gorodovikov",
]


def test_generic_traversal_connects_the_kalmyk_network(built_settings: Settings) -> None:
    """schema:relatedTo and schema:knows alone (no Shezhire vocabulary) make one component."""
    rows = _select(
        built_settings,
        "SELECT DISTINCT ?x WHERE { person:aduchi (schema:relatedTo|schema:knows)* ?x }",
    )
    reached = {r["x"].rsplit("/", 1)[-1] for r in rows}
    missing = [slug for slug in KALMYK_CORE if slug not in reached]
    assert not missing, f"not reachable from Aduchi: {missing}"


def test_editorial_pseudonyms_are_never_linked_to_identities(built_settings: Settings) -> None:
    rows = _select(
        built_settings,
        """SELECT ?p WHERE { ?p a shz:EditorialPseudonym .
             { ?p owl:sameAs|schema:sameAs|schema:identifier ?x } UNION { ?x owl:sameAs ?p } }""",
    )
    assert rows == []


def test_no_dangling_references(built_settings: Settings) -> None:
    """Every entity IRI used as an object is described somewhere (has a type)."""
    rows = _select(
        built_settings,
        """SELECT DISTINCT ?o WHERE { ?s ?p ?o . FILTER(isIRI(?o))
             FILTER(STRSTARTS(STR(?o), "https://w3id.org/shezhire/id/")
                 || STRSTARTS(STR(?o), "https://w3id.org/shezhire/vocab/"))
             FILTER NOT EXISTS { ?o a ?type } }""",
    )
    assert rows == [], [r["o"] for r in rows][:20]


def test_each_entity_is_described_by_one_file(built_settings: Settings) -> None:
    """Ownership: an entity's English label comes from exactly one data file."""
    rows = _select(
        built_settings,
        """SELECT ?x (COUNT(DISTINCT ?g) AS ?n) WHERE {
             GRAPH ?g { ?x rdfs:label ?l . FILTER(LANGMATCHES(LANG(?l), "en")) } }
           GROUP BY ?x HAVING (COUNT(DISTINCT ?g) > 1)""",
    )
    assert rows == [], rows[:20]


@pytest.mark.parametrize("kind", ["shz:KinTie", "shz:SocialTie"])
def test_every_tie_has_a_direct_generic_edge(built_settings: Settings, kind: str) -> None:
    edge = "schema:relatedTo" if kind == "shz:KinTie" else "schema:knows"
    rows = _select(
        built_settings,
        f"""SELECT ?t WHERE {{ ?t a {kind} ; shz:tieSubject ?a ; shz:tieObject ?b .
              FILTER NOT EXISTS {{ ?a {edge} ?b . ?b {edge} ?a }} }}""",
    )
    assert rows == []


def test_stats_command_counts_per_data_file(
    built_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "--root",
                str(built_settings.root),
                "--store",
                str(built_settings.store),
                "stats",
                "--json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    whole = rows.pop("(all graphs)")
    sources = {name: row for name, row in rows.items() if name[:3].isdigit()}
    assert {name[:3] for name in sources} == {"000", "001", "002", "003", "004"}
    # Every quote sits in one data file; the per-file counts add up to the whole.
    assert sum(row["quotes"] for row in rows.values()) == whole["quotes"]
    assert sum(row["triples"] for row in rows.values()) == whole["triples"]
    assert rows["000-bolatkhan-2023-a"]["pseudonyms"] >= 5
