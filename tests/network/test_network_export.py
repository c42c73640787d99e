"""Exports round-trip: written by ``shezhire export``, loaded back in networkx AND igraph
with every edge attribute intact (lists are JSON strings in GraphML, GEXF and CSV)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import igraph
import networkx as nx
import pytest

from shezhire.network import NetworkFilter, filter_network
from shezhire.network.export import (
    CSV_COLUMNS,
    GEXF_EDGE_RENAMES,
    read_csv,
    read_gexf,
    read_graphml,
    read_node_link,
)
from shezhire.network.model import EDGE_LIST_ATTRS, EDGE_STRING_ATTRS

EDGE_ATTRS = (*EDGE_STRING_ATTRS, *EDGE_LIST_ATTRS)
Key = tuple[str, str, str]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shezhire.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def export(store: Path, out: Path, fmt: str, *extra: str) -> Path:
    result = cli("--store", str(store), "export", "--format", fmt, "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    assert "nodes" in result.stderr and "edges" in result.stderr
    return out


def edge_map(graph: nx.MultiDiGraph) -> dict[Key, dict[str, Any]]:
    """(subject, object, tie) -> the edge attributes we promise, lists decoded."""
    found: dict[Key, dict[str, Any]] = {}
    for u, v, data in graph.edges(data=True):
        attrs = {name: data[name] for name in EDGE_ATTRS}
        for name in EDGE_LIST_ATTRS:
            if isinstance(attrs[name], str):
                attrs[name] = json.loads(attrs[name])
        found[(u, v, data["tie"])] = attrs
    assert len(found) == graph.number_of_edges()
    return found


def igraph_edge_map(graph: igraph.Graph, node_ids: list[str]) -> dict[Key, dict[str, Any]]:
    found: dict[Key, dict[str, Any]] = {}
    for edge in graph.es:
        attrs = {name: edge[name] for name in EDGE_ATTRS}
        for name in EDGE_LIST_ATTRS:
            attrs[name] = json.loads(attrs[name]) if isinstance(attrs[name], str) else attrs[name]
        found[(node_ids[edge.source], node_ids[edge.target], edge["tie"])] = attrs
    assert len(found) == graph.ecount()
    return found


@pytest.fixture(scope="module")
def whole(network: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """What ``shezhire export --institutions`` writes: every layer."""
    return filter_network(network, NetworkFilter(institutions=True))


@pytest.fixture(scope="module")
def exported(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exports")
    return {
        fmt: export(store_path, folder / f"network.{fmt}", fmt, "--institutions")
        for fmt in ("graphml", "gexf", "csv", "json")
    }


def test_the_export_is_the_whole_network(whole, network):
    persons_only = filter_network(network, NetworkFilter())
    assert whole.number_of_edges() > persons_only.number_of_edges() > 0
    kinds = {d["kind"] for *_, d in whole.edges(data=True)}
    assert {"kin", "social", "membership", "event-place"} <= kinds


def test_graphml_round_trip_networkx_and_igraph(exported, whole):
    expected = edge_map(whole)
    back = read_graphml(exported["graphml"])
    assert edge_map(back) == expected
    assert dict(back.nodes(data=True)) == dict(whole.nodes(data=True))
    raw = nx.read_graphml(exported["graphml"], force_multigraph=True)  # without our helper
    assert edge_map(raw) == expected
    graph = igraph.Graph.Read_GraphML(str(exported["graphml"]))
    assert graph.is_directed()
    ids = graph.vs["id"]
    assert igraph_edge_map(graph, ids) == expected
    labels = dict(zip(ids, graph.vs["label"], strict=True))
    assert labels == {n: d["label"] for n, d in whole.nodes(data=True)}
    assert dict(zip(ids, graph.vs["pseudonym"], strict=True)) == {
        n: d["pseudonym"] for n, d in whole.nodes(data=True)
    }


def test_gexf_round_trip_networkx_and_igraph(exported, whole):
    expected = edge_map(whole)
    back = read_gexf(exported["gexf"])
    assert edge_map(back) == expected
    assert {n: d["label"] for n, d in back.nodes(data=True)} == {
        n: d["label"] for n, d in whole.nodes(data=True)
    }
    # igraph has no GEXF reader: through networkx, as igraph documents; "type" is reserved
    # in GEXF and travels as "tie_type"
    graph = igraph.Graph.from_networkx(nx.read_gexf(exported["gexf"]))
    graph.es["type"] = graph.es[GEXF_EDGE_RENAMES["type"]]
    assert igraph_edge_map(graph, graph.vs["_nx_name"]) == expected


def test_csv_round_trip_networkx_and_igraph(exported, whole):
    expected = edge_map(whole)
    assert edge_map(read_csv(exported["csv"])) == expected
    with exported["csv"].open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == CSV_COLUMNS
        rows = list(reader)
    graph = igraph.Graph.DictList(
        vertices=None,
        edges=[{**r, "source": r["source"], "target": r["target"]} for r in rows],
        directed=True,
        vertex_name_attr="name",
        edge_foreign_keys=("source", "target"),
    )
    assert igraph_edge_map(graph, graph.vs["name"]) == expected


def test_node_link_json_round_trip_networkx_and_igraph(exported, whole):
    expected = edge_map(whole)
    back = read_node_link(exported["json"])
    assert edge_map(back) == expected  # lists stay lists in JSON
    assert dict(back.nodes(data=True)) == dict(whole.nodes(data=True))
    data = json.loads(exported["json"].read_text(encoding="utf-8"))
    graph = igraph.Graph.DictList(
        vertices=data["nodes"],
        edges=data["links"],
        directed=True,
        vertex_name_attr="id",
        edge_foreign_keys=("source", "target"),
    )
    assert igraph_edge_map(graph, graph.vs["id"]) == expected


def test_cli_filters_and_stdout(store_path, network):
    result = cli(
        "--store",
        str(store_path),
        "export",
        "--format",
        "json",
        "--kind",
        "kin",
        "--min-certainty",
        "certain",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["links"] and {(li["kind"], li["certainty"]) for li in data["links"]} == {
        ("kin", "certain")
    }
    assert data["graph"]["filters"]["min_certainty"] == "certain"
    assert {n["kind"] for n in data["nodes"]} == {"person"}
    dated = json.loads(
        cli(
            "--store",
            str(store_path),
            "export",
            "--format",
            "json",
            "--since",
            "1950",
            "--until",
            "1950",
        ).stdout
    )
    assert {li["date"] for li in dated["links"]} >= {"1950-08-08"}
    sourced = json.loads(
        cli(
            "--store",
            str(store_path),
            "export",
            "--format",
            "json",
            "--source",
            "work:bolatkhan-2023",
        ).stdout
    )
    assert all(
        "https://w3id.org/shezhire/id/work/bolatkhan-2023" in li["sources"]
        for li in sourced["links"]
    )
    assert len(sourced["links"]) < network.number_of_edges()


def test_cli_from_the_endpoint_equals_from_the_store(store_path, server, tmp_path):
    local = export(store_path, tmp_path / "local.json", "json")
    remote = cli(
        "export",
        "--endpoint",
        server.sparql,
        "--format",
        "json",
        "-o",
        str(tmp_path / "remote.json"),
    )
    assert remote.returncode == 0, remote.stderr
    a = json.loads(local.read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "remote.json").read_text(encoding="utf-8"))
    assert a["nodes"] == b["nodes"] and a["links"] == b["links"]


def test_cli_errors(store_path, tmp_path):
    bad = cli("--store", str(store_path), "export", "--since", "1950-13")
    assert bad.returncode == 1 and "not a date" in bad.stderr
    missing = cli("--store", str(tmp_path / "nothing"), "export")
    assert missing.returncode == 1 and "no store" in missing.stderr
    unreachable = cli("export", "--endpoint", "http://127.0.0.1:9/sparql")
    assert unreachable.returncode == 1 and "127.0.0.1:9" in unreachable.stderr
