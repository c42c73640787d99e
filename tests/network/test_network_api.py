"""The Python API against the real data: the Kalmyk case of Bolatkhan 2023."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
from network_support import ROOT, P

from shezhire.network import (
    NetworkError,
    NetworkFilter,
    TooLargeError,
    UnknownPersonError,
    build_network,
    centrality,
    components,
    ego_network,
    filter_network,
    find_paths,
    resolve_person,
)

PETR = P + "petr-vasilievich-khomutnikov"
ADUCHI = P + "aduchi"
MERGEN = P + "mergen"
VASILII = P + "vasilii-alekseevich-khomutnikov"
TSEDEN = P + "tseden"
KALYAEV = P + "sanji-kalyaev"
KANUKOV = P + "harti-kanukov"
NOMINKHANOV = P + "tseren-dorzhi-nominkhanov"
GORODOVIKOV = P + "oka-ivanovich-gorodovikov"
OCHKI = P + "ochki-kolpakovna-khomutnikova"
ALEXANDER = P + "alexander"
ALEXANDER_SON = P + "alexander-youngest-son"
BOLATKHAN = "https://w3id.org/shezhire/id/work/bolatkhan-2023"


def slugs(nodes: object) -> list[str]:
    return sorted(str(n).removeprefix(P) for n in nodes)  # type: ignore[attr-defined]


def ties(graph: nx.MultiDiGraph, a: str, b: str) -> dict[tuple[str, str, str], dict]:
    """(subject slug, type, object slug) -> edge attributes, both directions."""
    found = {}
    for u, v in ((a, b), (b, a)):
        for data in (graph.get_edge_data(u, v) or {}).values():
            found[(u.removeprefix(P), data["type"], v.removeprefix(P))] = data
    return found


def test_aduchi_and_petr_are_tied_by_inferred_relative_or_fictive_kin(network):
    found = ties(network, ADUCHI, PETR)
    assert set(found) == {("aduchi", "relative-or-fictive-kin", "petr-vasilievich-khomutnikov")}
    tie = found[("aduchi", "relative-or-fictive-kin", "petr-vasilievich-khomutnikov")]
    assert tie["kind"] == "kin"
    assert tie["mode"] == "inferred"
    assert tie["certainty"] == "probable"
    assert tie["type_iri"] == "https://w3id.org/shezhire/vocab/kin/relative-or-fictive-kin"
    assert tie["sources"] == [BOLATKHAN]
    # grounded in Mergen's report (fn 30) and the author's conclusion (fn 31), each citation
    # with the personal files its own footnote cites
    report, conclusion = tie["citations"]
    assert report["footnote"] == "30"
    assert report["quote"] == "to visit his relatives, mentioning only the surname Khomutnikov."
    assert [r["printed_citation"] for r in report["archival_references"]] == [
        "QR BP QSAEAKA (Almaty), h. 9, f. 140, fol. 11",
        "Ibid., h. 9, f. 84, fol. 86",
    ]
    assert conclusion["footnote"] == "31"
    assert conclusion["quote"] == (
        "Hence, it becomes apparent that Aduchi and Petr were connected through relative or"
        " fictive kin ties."
    )
    assert [r["printed_citation"] for r in conclusion["archival_references"]] == [
        "QR BP QSAEAKA (Astana), h. 9, f. 21, fol. 17–19"
    ]
    assert "Mergen" in tie["comment"]


def test_mergen_is_aduchis_son_and_vasilii_is_petrs_father(network):
    son = ties(network, MERGEN, ADUCHI)
    assert set(son) == {("mergen", "son", "aduchi")}
    assert son[("mergen", "son", "aduchi")]["certainty"] == "certain"
    assert son[("mergen", "son", "aduchi")]["citations"][0]["footnote"] == "30"
    father = ties(network, VASILII, PETR)
    assert set(father) == {
        ("vasilii-alekseevich-khomutnikov", "father", "petr-vasilievich-khomutnikov")
    }
    tie = next(iter(father.values()))
    assert (tie["mode"], tie["certainty"]) == ("stated", "certain")
    assert [c["footnote"] for c in tie["citations"]] == ["23", ""]
    assert tie["citations"][0]["archival_references"][0]["printed_citation"] == (
        "QR BP QSАEАKА (Astana), h. 9, f. 21, fol. 31–36"
    )


def test_tseden_and_petr_guarantee_acquaintance_wives_are_relatives(network):
    found = ties(network, TSEDEN, PETR)
    assert {key: (d["kind"], d["mode"], d["certainty"]) for key, d in found.items()} == {
        ("petr-vasilievich-khomutnikov", "guarantor-for", "tseden"): (
            "social",
            "stated",
            "certain",
        ),
        ("petr-vasilievich-khomutnikov", "employer-of", "tseden"): ("social", "stated", "certain"),
        ("tseden", "acquaintance", "petr-vasilievich-khomutnikov"): (
            "social",
            "reported",
            "probable",
        ),
        ("tseden", "wives-are-relatives", "petr-vasilievich-khomutnikov"): (
            "kin",
            "reported",
            "probable",
        ),
    }
    assert all(d["citations"][0]["footnote"] == "33" for d in found.values())


def test_petr_one_hop_ego_network(network):
    ego = ego_network(network, "person:petr-vasilievich-khomutnikov", hops=1)
    assert slugs(ego) == [
        "aduchi",
        "alexander",
        "mergen",
        "ochki-kolpakovna-khomutnikova",
        "petr-khomutnikov-child-1",
        "petr-khomutnikov-child-2",
        "petr-khomutnikov-child-3",
        "petr-khomutnikov-child-4",
        "petr-khomutnikov-mother",
        "petr-khomutnikov-wife",
        "petr-vasilievich-khomutnikov",
        "sanji-kalyaev",
        "tseden",
        "vasilii-alekseevich-khomutnikov",
        "viktor-vasilyevich-khomutnikov",
    ]
    assert ego.nodes[PETR]["distance"] == 0
    assert ego.graph["center"] == PETR
    # every edge carries its evidence
    for _u, _v, data in ego.edges(data=True):
        assert data["citations"], data["tie"]
        assert all(c["quote"] and c["publication"] for c in data["citations"])


def test_petr_two_hop_ego_network(network):
    ego = ego_network(network, PETR, hops=2)
    distance_two = slugs(n for n, d in ego.nodes(data="distance") if d == 2)
    assert distance_two == [
        "aduchi-child",
        "aduchi-mother",
        "aduchi-wife",
        "alexander-daughter",
        "alexander-family-agent-informants",
        "alexander-other-son",
        "alexander-son-in-law",
        "alexander-wife",
        "alexander-youngest-son",
        "harti-kanukov",
        "i-v-stalin",
        "kalyaev-coauthor-professor-1",
        "kalyaev-coauthor-professor-2",
        "kermen",
        "lenin",
        "oka-ivanovich-gorodovikov",
        "tseden-child-1",
        "tseden-child-2",
        "tseden-child-3",
        "tseden-child-4",
        "tseden-son-in-law",
        "tseden-wife",
    ]
    assert ego.nodes[MERGEN]["pseudonym"] is True
    assert ego.nodes[P + "petr-khomutnikov-wife"]["unnamed"] is True
    # the ego network is induced: the Mergen-Petr tie (both at distance <= 1) is in it
    assert ("mergen", "relative", "petr-vasilievich-khomutnikov") in ties(ego, MERGEN, PETR)


def test_mergen_aduchi_neighbours(network):
    assert slugs(ego_network(network, MERGEN, 1)) == [
        "aduchi",
        "mergen",
        "petr-vasilievich-khomutnikov",
    ]
    assert slugs(ego_network(network, ADUCHI, 1)) == [
        "aduchi",
        "aduchi-child",
        "aduchi-mother",
        "aduchi-wife",
        "i-v-stalin",
        "mergen",
        "petr-vasilievich-khomutnikov",
    ]


def test_paths_aduchi_to_vasilii_each_step_explained(network):
    paths = find_paths(network, "person:aduchi", "person:vasilii-alekseevich-khomutnikov", 4)
    assert [[n.removeprefix(P) for n in p.nodes] for p in paths] == [
        ["aduchi", "petr-vasilievich-khomutnikov", "vasilii-alekseevich-khomutnikov"],
        ["aduchi", "mergen", "petr-vasilievich-khomutnikov", "vasilii-alekseevich-khomutnikov"],
        [
            "aduchi",
            "petr-vasilievich-khomutnikov",
            "ochki-kolpakovna-khomutnikova",
            "vasilii-alekseevich-khomutnikov",
        ],
        [
            "aduchi",
            "mergen",
            "petr-vasilievich-khomutnikov",
            "ochki-kolpakovna-khomutnikova",
            "vasilii-alekseevich-khomutnikov",
        ],
        [  # Alexander shares a connection with Petr through Vasilii, whom his son visited
            "aduchi",
            "petr-vasilievich-khomutnikov",
            "alexander",
            "alexander-youngest-son",
            "vasilii-alekseevich-khomutnikov",
        ],
    ]
    assert [[t["type"] for t in s.ties] for s in paths[4].steps] == [
        ["relative-or-fictive-kin"],
        ["connected-through"],
        ["son"],
        ["visited"],
    ]
    shortest = paths[0]
    assert shortest.labels == [
        "Aduchi (pseudonym)",
        "Petr Vasilievich Khomutnikov",
        "Vasilii Alekseevich Khomutnikov",
    ]
    first, second = shortest.steps
    assert [t["type"] for t in first.ties] == ["relative-or-fictive-kin"]
    assert [t["type"] for t in second.ties] == ["father"]
    assert (second.ties[0]["source"], second.ties[0]["target"]) == (VASILII, PETR)
    text = shortest.explain()
    assert "Aduchi (pseudonym) → Petr Vasilievich Khomutnikov → Vasilii Alekseevich" in text
    assert "inferred, probable" in text and "fn. 23" in text
    assert (
        "fn. 30 [QR BP QSAEAKA (Almaty), h. 9, f. 140, fol. 11] [Ibid., h. 9, f. 84, fol. 86]"
        in text
    )
    assert "fn. 31 [QR BP QSAEAKA (Astana), h. 9, f. 21, fol. 17–19]" in text
    citations = shortest.as_json()["steps"][0]["ties"][0]["citations"]
    assert [c["footnote"] for c in citations] == ["30", "31"]
    # k shortest
    assert [p.nodes for p in find_paths(network, ADUCHI, VASILII, 4, k=1)] == [shortest.nodes]


def test_kalyaev_and_nominkhanov_are_linked_through_kanukov(network):
    (path,) = find_paths(network, KALYAEV, NOMINKHANOV, 2)
    assert path.nodes == [KALYAEV, KANUKOV, NOMINKHANOV]
    assert [[t["type"] for t in s.ties] for s in path.steps] == [
        ["associated-with"],
        ["served-under"],
    ]
    assert path.steps[1].ties[0]["source"] == NOMINKHANOV  # Nominkhanov served under Kanukov


def test_tseden_reaches_gorodovikov_through_the_khomutnikovs(network):
    (path,) = find_paths(network, TSEDEN, GORODOVIKOV, 6, k=1)
    # Vasilii and Gorodovikov were comrades-in-arms in the Civil War: one step, not through
    # Alexander's youngest son, who visited both
    assert path.nodes == [TSEDEN, PETR, VASILII, GORODOVIKOV]
    assert [[t["type"] for t in s.ties] for s in path.steps][1:] == [["father"], ["comrade"]]
    assert path.steps[2].ties[0]["tie"].endswith("/tie/b2023-gorodovikov-comrade-of-vasilii")
    longer = find_paths(network, TSEDEN, GORODOVIKOV, 4)
    assert [TSEDEN, PETR, VASILII, ALEXANDER_SON, GORODOVIKOV] in [p.nodes for p in longer]


def test_one_component_holds_the_case(network):
    biggest = components(network)[0]
    assert {
        PETR,
        ADUCHI,
        MERGEN,
        VASILII,
        TSEDEN,
        KALYAEV,
        KANUKOV,
        NOMINKHANOV,
        GORODOVIKOV,
        OCHKI,
    } <= biggest


def test_centrality_petr_is_the_broker(network):
    rows = centrality(network)
    assert rows[0]["node"] == PETR
    assert rows[0]["neighbours"] == 14  # the 13 of issue 9 and Alexander (connected-through)
    assert rows[0]["betweenness"] > rows[1]["betweenness"] > 0
    # issue 10: Aduchi and Alexander (connected to Petr) now broker more than Vasilii
    assert [r["node"] for r in rows[:5]] == [PETR, KALYAEV, NOMINKHANOV, ADUCHI, ALEXANDER]
    assert VASILII in [r["node"] for r in rows[:10]]


def test_filters(network):
    certain = NetworkFilter(min_certainty="certain")
    # the Aduchi-Khomutnikov link rests on probable evidence only
    assert find_paths(network, ADUCHI, VASILII, 4, filters=certain) == []
    kin = find_paths(network, ADUCHI, VASILII, 4, filters=NetworkFilter(kinds=("kin",)))
    assert kin[0].nodes == [ADUCHI, PETR, VASILII]
    social_only = ego_network(network, TSEDEN, 1, NetworkFilter(kinds=("social",)))
    assert slugs(social_only) == ["petr-vasilievich-khomutnikov", "tseden"]
    assert {d["type"] for *_, d in social_only.edges(data=True)} == {
        "guarantor-for",
        "employer-of",
        "acquaintance",
    }
    in_1950 = filter_network(network, NetworkFilter(since="1950", until="1950-12"))
    assert (MERGEN, PETR) in in_1950.edges()
    for *_, d in in_1950.edges(data=True):  # dated, and the interval overlaps 1950
        assert d["earliest"] or d["latest"]
        assert not d["earliest"] or d["earliest"] <= "1950-12-31"
        assert not d["latest"] or d["latest"] >= "1950-01-01"
    other = filter_network(network, NetworkFilter(sources=("work:atantayeva-2025",)))
    assert PETR not in other and other.number_of_edges() > 0
    assert all(
        "https://w3id.org/shezhire/id/work/atantayeva-2025" in d["sources"]
        for *_, d in other.edges(data=True)
    )
    layer = filter_network(network, NetworkFilter(institutions=True))
    memberships = {
        layer.nodes[v]["label"]
        for _u, v, d in layer.out_edges(PETR, data=True)
        if d["kind"] == "membership"
    }
    assert "Seven-year school of the state farm named after Stalin" in memberships
    assert layer.nodes["https://w3id.org/shezhire/id/place/alma-ata-oblast"]["bipartite"] == 1


def test_errors(network):
    with pytest.raises(UnknownPersonError):
        ego_network(network, "person:nobody-at-all")
    with pytest.raises(UnknownPersonError):
        find_paths(network, ADUCHI, "https://example.org/x")
    with pytest.raises(NetworkError):
        NetworkFilter(min_certainty="sure")
    with pytest.raises(NetworkError):
        NetworkFilter(since="1950-13")
    with pytest.raises(NetworkError):
        NetworkFilter(since="1955", until="1950")
    with pytest.raises(TooLargeError):
        find_paths(network, ADUCHI, VASILII, 4, limit=2)
    assert resolve_person(network, "aduchi") == ADUCHI


def _sparql(store_path: Path, name: str) -> list[dict[str, str]]:
    """Run one of the shipped queries/5N-*.rq files on the store."""
    store = ox.Store.read_only(str(store_path))
    text = next((ROOT / "queries").glob(name)).read_text(encoding="utf-8")
    solutions = store.query(text, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [
        {n: str(t.value) for n, t in zip(names, row, strict=True) if t is not None}
        for row in solutions
    ]


def test_sparql_queries_agree_with_the_api(network, store_path):
    ego = ego_network(network, PETR, 2)
    assert {r["tie"] for r in _sparql(store_path, "51-*.rq")} == {
        d["tie"] for *_, d in ego.edges(data=True)
    }
    rows = _sparql(store_path, "52-*.rq")
    by_sparql = [
        [ADUCHI, *[r[s] for s in ("step1", "step2", "step3") if s in r], VASILII] for r in rows
    ]
    assert sorted(by_sparql) == sorted(p.nodes for p in find_paths(network, ADUCHI, VASILII, 4))
    between = _sparql(store_path, "53-*.rq")
    assert {r["tie"] for r in between} == {d["tie"] for d in ties(network, PETR, TSEDEN).values()}
    degree = {r["person"]: int(r["degree"]) for r in _sparql(store_path, "54-*.rq")}
    assert degree[PETR] == 14
    group = {r["tie"] for r in _sparql(store_path, "55-*.rq")}
    assert "https://w3id.org/shezhire/id/tie/b2023-kalyaev-associated-with-kanukov" in group


def test_endpoint_and_store_give_the_same_network(network, server):
    remote = build_network(server.sparql)
    assert set(remote.nodes) == set(network.nodes)
    assert dict(remote.nodes(data=True)) == dict(network.nodes(data=True))
    local = {(u, v, k): d for u, v, k, d in network.edges(keys=True, data=True)}
    far = {(u, v, k): d for u, v, k, d in remote.edges(keys=True, data=True)}
    assert far == local
