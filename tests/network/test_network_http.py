"""/network/ego and /network/path on a live uvicorn server on 127.0.0.1, with real httpx."""

from __future__ import annotations

import csv
import io
import json
import shutil

import httpx
import networkx as nx
import pyoxigraph as ox
import pytest
from network_support import P, start_server

from shezhire.network import ego_network, find_paths
from shezhire.network.http import NetworkCache

PETR = P + "petr-vasilievich-khomutnikov"
TSEDEN = P + "tseden"


def get(server, route: str, **params) -> httpx.Response:
    headers = params.pop("headers", None)
    return httpx.get(server.url + route, params=params, headers=headers, timeout=60)


def test_ego_json_is_node_link_with_evidence(server, network):
    response = get(server, "/network/ego", person=PETR, hops=2)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["directed"] is True and data["multigraph"] is True
    graph = nx.node_link_graph(data, edges="links")
    expected = ego_network(network, PETR, 2)
    assert set(graph.nodes) == set(expected.nodes)
    assert graph.number_of_edges() == expected.number_of_edges()
    assert data["graph"]["center"] == PETR and data["graph"]["hops"] == 2
    link = next(
        li
        for li in data["links"]
        if li["tie"].endswith("/tie/b2023-aduchi-petr-relative-or-fictive-kin")
    )
    assert (link["source"], link["target"]) == (P + "aduchi", PETR)
    assert (link["mode"], link["certainty"], link["type"]) == (
        "inferred",
        "probable",
        "relative-or-fictive-kin",
    )
    assert [c["footnote"] for c in link["citations"]] == ["30", "31"]  # report, conclusion
    assert [
        [r["printed_citation"] for r in c["archival_references"]] for c in link["citations"]
    ] == [
        ["QR BP QSAEAKA (Almaty), h. 9, f. 140, fol. 11", "Ibid., h. 9, f. 84, fol. 86"],
        ["QR BP QSAEAKA (Astana), h. 9, f. 21, fol. 17–19"],
    ]
    node = next(n for n in data["nodes"] if n["id"] == P + "mergen")
    assert node["label"] == "Mergen (pseudonym)" and node["pseudonym"] is True


def test_ego_accepts_curie_and_filters(server):
    data = get(server, "/network/ego", person="person:tseden", hops=1, kind="social").json()
    assert sorted(n["id"] for n in data["nodes"]) == [PETR, TSEDEN]
    assert sorted(li["type"] for li in data["links"]) == [
        "acquaintance",
        "employer-of",
        "guarantor-for",
    ]
    assert data["graph"]["filters"]["kind"] == ["social"]
    certain = get(
        server, "/network/ego", person=TSEDEN, hops=1, min_certainty="certain", kind="kin"
    ).json()
    assert {li["certainty"] for li in certain["links"]} == {"certain"}
    assert PETR not in {n["id"] for n in certain["nodes"]}  # wives-are-relatives is probable
    layered = get(server, "/network/ego", person=PETR, hops=1, institutions="true").json()
    assert any(n["kind"] == "institution" for n in layered["nodes"])


def test_path_json_lists_explained_paths(server, network):
    response = get(
        server,
        "/network/path",
        **{"from": "person:aduchi", "to": "person:vasilii-alekseevich-khomutnikov", "max": 4},
    )
    assert response.status_code == 200, response.text
    data = response.json()
    expected = find_paths(network, P + "aduchi", P + "vasilii-alekseevich-khomutnikov", 4)
    assert [p["nodes"] for p in data["paths"]] == [p.nodes for p in expected]
    first = data["paths"][0]
    assert first["labels"] == [
        "Aduchi (pseudonym)",
        "Petr Vasilievich Khomutnikov",
        "Vasilii Alekseevich Khomutnikov",
    ]
    assert first["steps"][1]["ties"][0]["type"] == "father"
    assert first["steps"][1]["ties"][0]["citations"][0]["footnote"] == "23"
    graph = nx.node_link_graph(data, edges="links")
    assert set(graph.nodes) == {n for p in expected for n in p.nodes}
    k1 = get(
        server,
        "/network/path",
        **{"from": "person:sanji-kalyaev", "to": "person:tseren-dorzhi-nominkhanov", "k": 1},
    ).json()
    assert k1["paths"][0]["labels"] == [
        "Sanji Kalyaev",
        "Harti Kanukov",
        "Tseren-Dorzhi Nominkhanov",
    ]
    none = get(
        server,
        "/network/path",
        **{
            "from": "person:aduchi",
            "to": "person:vasilii-alekseevich-khomutnikov",
            "min_certainty": "certain",
        },
    )
    assert none.status_code == 200 and none.json()["paths"] == []


@pytest.mark.parametrize(
    ("fmt", "accept", "media"),
    [
        ("graphml", "application/graphml+xml", "application/graphml+xml"),
        ("gexf", "application/gexf+xml", "application/gexf+xml"),
        ("csv", "text/csv", "text/csv"),
        ("cytoscape", "application/vnd.cytoscape+json", "application/vnd.cytoscape+json"),
    ],
)
def test_other_formats_by_parameter_and_by_accept(server, network, fmt, accept, media):
    by_param = get(server, "/network/ego", person=TSEDEN, hops=1, format=fmt)
    by_accept = get(server, "/network/ego", person=TSEDEN, hops=1, headers={"Accept": accept})
    for response in (by_param, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
    assert by_param.content == by_accept.content
    expected = ego_network(network, TSEDEN, 1)
    body = by_param.text
    if fmt == "graphml":
        graph = nx.parse_graphml(body, force_multigraph=True)
        assert set(graph.nodes) == set(expected.nodes)
        assert graph.number_of_edges() == expected.number_of_edges()
        for *_, d in graph.edges(data=True):
            assert isinstance(json.loads(d["citations"]), list)
    elif fmt == "gexf":
        assert "<gexf" in body and PETR in body
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body)))
        assert len(rows) == expected.number_of_edges()
        assert {r["type"] for r in rows if r["target"] == TSEDEN} >= {"guarantor-for"}
    else:
        data = json.loads(body)
        assert len(data["elements"]["nodes"]) == expected.number_of_nodes()
        assert {"id", "source", "target", "citations"} <= set(data["elements"]["edges"][0]["data"])


def test_json_is_the_default_and_wins_ties_in_accept(server):
    response = get(
        server,
        "/network/ego",
        person=TSEDEN,
        hops=1,
        headers={"Accept": "text/html;q=0.9, application/json, */*;q=0.1"},
    )
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("route", "params", "headers", "status", "says"),
    [
        ("/network/ego", {"person": "person:nobody"}, None, 404, "nobody"),
        ("/network/path", {"from": "person:aduchi", "to": "person:nobody"}, None, 404, "nobody"),
        ("/network/ego", {}, None, (400, 422), "person"),
        ("/network/ego", {"person": "person:tseden", "hops": 9}, None, 422, "hops"),
        ("/network/ego", {"person": "person:tseden", "hops": "two"}, None, (400, 422), "hops"),
        ("/network/ego", {"person": "person:tseden", "hops": -1}, None, 400, "hops"),
        (
            "/network/path",
            {"from": "person:aduchi", "to": "person:tseden", "max": 12},
            None,
            422,
            "max",
        ),
        (
            "/network/path",
            {"from": "person:aduchi", "to": "person:tseden", "k": 1000},
            None,
            422,
            "k",
        ),
        (
            "/network/ego",
            {"person": "person:tseden", "min_certainty": "sure"},
            None,
            400,
            "min_certainty",
        ),
        ("/network/ego", {"person": "person:tseden", "kind": "enemy"}, None, 400, "kind"),
        ("/network/ego", {"person": "person:tseden", "since": "1950-13"}, None, 400, "date"),
        (
            "/network/ego",
            {"person": "person:tseden", "since": "1955", "until": "1950"},
            None,
            400,
            "after",
        ),
        ("/network/ego", {"person": "person:tseden", "format": "png"}, None, 400, "format"),
        ("/network/ego", {"person": "person:tseden"}, {"Accept": "image/png"}, 406, "acceptable"),
    ],
)
def test_errors_are_clear_4xx(server, route, params, headers, status, says):
    response = get(server, route, headers=headers, **params)
    # request validation (missing, not an integer) is the app's handler: 400 or 422
    assert response.status_code in (status if isinstance(status, tuple) else (status,)), (
        response.text
    )
    assert says in response.text


def test_the_router_needs_nothing_from_the_app(built_settings, tmp_path):
    """A bare FastAPI app with only the router: it reads the store from Settings()."""
    bare = start_server(built_settings, tmp_path, "make_bare_app")
    try:
        data = get(bare, "/network/ego", person="person:mergen", hops=1).json()
        assert sorted(n["id"] for n in data["nodes"]) == [P + "aduchi", P + "mergen", PETR]
        assert data["graph"]["source"].startswith("store ")
    finally:
        bare.stop()


def test_the_router_uses_app_state_network_provider(built_settings, server, tmp_path):
    fed = start_server(
        built_settings,
        tmp_path,
        "make_provider_app",
        {"SHEZHIRE_TEST_NETWORK_ENDPOINT": server.sparql},
    )
    try:
        data = get(
            fed,
            "/network/path",
            **{"from": "person:sanji-kalyaev", "to": "person:tseren-dorzhi-nominkhanov", "max": 2},
        ).json()
        assert data["graph"]["source"] == f"endpoint {server.sparql}"
        assert [p["labels"] for p in data["paths"]] == [
            ["Sanji Kalyaev", "Harti Kanukov", "Tseren-Dorzhi Nominkhanov"]
        ]
    finally:
        fed.stop()


def test_the_router_cache_follows_a_rebuild(store_path, tmp_path):
    """The store link swapped to a new build: the next request sees the new network."""
    first, second = tmp_path / "v1", tmp_path / "v2"
    shutil.copytree(store_path.resolve(), first)
    shutil.copytree(store_path.resolve(), second)
    added = ox.Store(str(second))
    tie = ox.NamedNode("https://w3id.org/shezhire/id/tie/test-added-tie")
    shz = "https://w3id.org/shezhire/ontology#"
    graph = ox.NamedNode("https://w3id.org/shezhire/graph/test")
    added.extend(
        [
            ox.Quad(
                tie,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(shz + "SocialTie"),
                graph,
            ),
            ox.Quad(
                tie,
                ox.NamedNode(shz + "socialTieType"),
                ox.NamedNode("https://w3id.org/shezhire/vocab/soc/acquaintance"),
                graph,
            ),
            ox.Quad(tie, ox.NamedNode(shz + "tieSubject"), ox.NamedNode(P + "mergen"), graph),
            ox.Quad(tie, ox.NamedNode(shz + "tieObject"), ox.NamedNode(TSEDEN), graph),
        ]
    )
    added.flush()
    del added
    link = tmp_path / "store"
    link.symlink_to("v1")
    cache = NetworkCache()
    before = cache.graph(link)
    assert cache.graph(link) is before  # cached
    assert not before.has_edge(P + "mergen", TSEDEN)
    link.unlink()
    link.symlink_to("v2")
    after = cache.graph(link)
    assert after is not before and after.has_edge(P + "mergen", TSEDEN)
