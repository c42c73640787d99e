"""The reconciliation service as OpenRefine uses it, every answer validated against the W3C
specification's JSON Schemas (../shared/reconciliation): the manifest, batches of queries
with types and property constraints, previews, suggest services, data extension, and the 1.0
draft's /reconcile/match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from search_support import INJECTED, Schemas

from shezhire.config import BASE_IRI
from shezhire.http.testing import LiveServer
from shezhire.search.index import NameIndex

ID = BASE_IRI + "id/"


def _get(client: httpx.Client, path: str, **params: str) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _batch(client: httpx.Client, queries: dict[str, Any], post: bool = True) -> Any:
    encoded = json.dumps(queries)
    if post:
        response = client.post("/reconcile", data={"queries": encoded})
    else:
        response = client.get("/reconcile", params={"queries": encoded})
    assert response.status_code == 200, response.text
    return response.json()


def _service_url(client: httpx.Client, url: str) -> str:
    """A URL of the manifest, on the test server (the manifest names the public URL)."""
    return url.replace(str(client.base_url).rstrip("/"), "")


# -- the schemas themselves --------------------------------------------------------------------


def test_schema_harness_accepts_valid_and_rejects_invalid_examples(
    schemas: Schemas, examples: Path
) -> None:
    """The validators resolve the schemas' references: the specification's own examples."""
    for kind in ("manifest", "reconciliation-result-batch", "data-extension-response"):
        for path in sorted((examples / kind / "valid").glob("*.json")):
            schemas.check(kind, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted((examples / kind / "invalid").glob("*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            assert list(schemas.validator(kind).iter_errors(document)), path


# -- manifest ----------------------------------------------------------------------------------


def test_manifest(client: httpx.Client, schemas: Schemas) -> None:
    manifest = _get(client, "/reconcile")
    schemas.check("manifest", manifest)
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == ID
    assert manifest["schemaSpace"] == BASE_IRI + "ontology#"
    assert {t["id"] for t in manifest["defaultTypes"]} == {
        "Person",
        "Institution",
        "Place",
        "LegalAct",
        "ArchivalItem",
        "Publication",
    }
    assert set(manifest["suggest"]) == {"entity", "type", "property"}
    assert manifest["extend"]["propose_properties"]["service_path"] == "/properties"
    assert manifest["view"]["url"].startswith(str(client.base_url).rstrip("/"))
    # a POST without parameters is a manifest request too
    assert client.post("/reconcile").json() == manifest


# -- an OpenRefine session ---------------------------------------------------------------------


def test_openrefine_sequence(client: httpx.Client, schemas: Schemas) -> None:
    """What OpenRefine does: manifest, batches of queries with a type, a preview of a candidate,
    suggest while the user types, then data extension with the proposed properties."""
    manifest = _get(client, "/reconcile")
    person = manifest["defaultTypes"][0]
    assert person["id"] == "Person"

    # batches of queries with the chosen type (OpenRefine POSTs a form)
    batch = {
        "q0": {"query": "Petr Khomutnikov", "type": person["id"], "type_strict": "should"},
        "q1": {"query": "Goloshchekin F.I.", "type": person["id"], "type_strict": "should"},
        "q2": {"query": "Aduchi", "type": person["id"], "type_strict": "should"},
    }
    result = _batch(client, batch)
    schemas.check("reconciliation-result-batch", result)
    assert set(result) == set(batch)
    top = result["q0"]["result"][0]
    assert top["id"] == ID + "person/petr-vasilievich-khomutnikov"
    assert top["match"] is True
    assert top["type"] == [{"id": "Person", "name": "Person"}]
    assert result["q2"]["result"][0]["match"] is False  # a pseudonym

    # the same batch as GET
    assert _batch(client, batch, post=False) == result

    # the preview of a candidate, from the manifest's template
    preview_url = manifest["preview"]["url"].replace("{{id}}", top["id"])
    preview = client.get(_service_url(client, preview_url))
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("text/html")
    assert "Petr Vasilievich Khomutnikov" in preview.text
    assert "Martynovsky raion" in preview.text  # a place of his events
    assert "Bolatkhan 2023" in preview.text  # his source

    # the view link leads to the entity's page on this site
    view_url = manifest["view"]["url"].replace("{{id}}", top["id"])
    view = client.get(_service_url(client, view_url))
    assert view.status_code == 303
    assert view.headers["location"] == "/id/person/petr-vasilievich-khomutnikov"

    # suggest while typing: entities, types, properties
    entity = manifest["suggest"]["entity"]
    suggested = _get(
        client,
        _service_url(client, entity["service_url"]) + entity["service_path"],
        prefix="Khomut",
        type="Person",
    )
    schemas.check("suggest-entities-response", suggested)
    assert suggested["result"][0]["id"].endswith("khomutnikov")
    assert suggested["result"][0]["notable"] == [{"id": "Person", "name": "Person"}]
    types = manifest["suggest"]["type"]
    suggested_types = _get(
        client, _service_url(client, types["service_url"]) + types["service_path"], prefix="pla"
    )
    schemas.check("suggest-types-response", suggested_types)
    assert [t["id"] for t in suggested_types["result"]] == ["Place"]
    props = manifest["suggest"]["property"]
    suggested_props = _get(
        client, _service_url(client, props["service_url"]) + props["service_path"], prefix="bir"
    )
    schemas.check("suggest-properties-response", suggested_props)
    assert [p["id"] for p in suggested_props["result"]] == ["birth_date"]

    # data extension: propose properties for the type, then fetch them
    proposal_service = manifest["extend"]["propose_properties"]
    proposal = _get(
        client,
        _service_url(client, proposal_service["service_url"]) + proposal_service["service_path"],
        type="Person",
    )
    schemas.check("data-extension-property-proposal", proposal)
    proposed = [p["id"] for p in proposal["properties"]]
    assert {"birth_date", "death_date", "places", "kin", "sources"} <= set(proposed)
    ids = [result["q0"]["result"][0]["id"], result["q1"]["result"][0]["id"]]
    query = {"ids": ids, "properties": [{"id": p} for p in proposed]}
    schemas.check("data-extension-query", query)
    extension = client.post("/reconcile", data={"extend": json.dumps(query)})
    assert extension.status_code == 200, extension.text
    answer = extension.json()
    schemas.check("data-extension-response", answer)
    assert [m["id"] for m in answer["meta"]] == proposed
    petr = answer["rows"][ids[0]]
    assert {"id": ID + "place/martynovsky-raion", "name": "Martynovsky raion"} in petr["places"]
    father = next(k for k in petr["kin"] if k["id"].endswith("vasilii-alekseevich-khomutnikov"))
    assert father["description"] == "father"


# -- a list of names as another article prints them --------------------------------------------

# (name as printed, the person it is, whether a service may say so without a human)
ARTICLE_NAMES = [
    ("Goloshchekin, F. I.", "person/f-i-goloshchekin", True),
    ("Filipp Goloshchyokin", "person/f-i-goloshchekin", True),
    ("L. Mirzoyan", "person/l-i-mirzoyan", True),
    ("Kozybayev, M. K.", "person/m-k-kozybaev", True),
    ("N. Khrushchev", "person/nikita-khrushchev", True),
    ("I. V. Stalin", "person/i-v-stalin", True),
    ("Petr Khomutnikov", "person/petr-vasilievich-khomutnikov", True),
    ("V. A. Khomutnikov", "person/vasilii-alekseevich-khomutnikov", True),
    ("Gorodovikov O. I.", "person/oka-ivanovich-gorodovikov", True),
    ("Bektanov Mazhit", "person/mazhit-bektanov", True),
    ("Ts.-D. Nominkhanov", "person/tseren-dorzhi-nominkhanov", True),
    ("Sanji Kaliaev", "person/sanji-kalyaev", True),
    ("Mustafa Chokay", "person/mustafa-shokay", True),
    ("Zhumaitov Abukhair", "person/abukhair-zhumaitov", True),
    ("Ораз Жандосов", None, False),  # not in the graph
    ("Dinmukhamed Kunaev", None, False),  # not in the graph; Kunaevs that are are others
    # two persons of the same name in the POW list: a human must choose
    ("Magdau Zhumogaliev", "person/magdau-zhumogaliev-1917", False),
    # three Khomutnikovs by the surname alone
    ("Khomutnikov", "person/petr-vasilievich-khomutnikov", False),
    # editorial pseudonyms are never an automatic match
    ("Aduchi", "person/aduchi", False),
    ("Tseden", "person/tseden", False),
]


def test_article_names_reconcile(client: httpx.Client, schemas: Schemas) -> None:
    batch = {
        f"q{i}": {"query": name, "type": "Person", "limit": 5}
        for i, (name, _expected, _match) in enumerate(ARTICLE_NAMES)
    }
    result = _batch(client, batch)
    schemas.check("reconciliation-result-batch", result)
    for i, (name, expected, match) in enumerate(ARTICLE_NAMES):
        candidates = result[f"q{i}"]["result"]
        shown = [(c["id"].removeprefix(ID), c["score"], c["match"]) for c in candidates[:3]]
        assert sum(c["match"] for c in candidates) <= 1, shown
        if expected is None:
            assert not any(c["match"] for c in candidates), (name, shown)
            assert not candidates or candidates[0]["score"] < 85, (name, shown)
            continue
        assert expected in [c["id"].removeprefix(ID) for c in candidates[:3]], (name, shown)
        assert candidates[0]["match"] is match, (name, shown)
        if match:
            assert candidates[0]["id"] == ID + expected, (name, shown)
            assert candidates[0]["score"] >= 85


def test_pseudonyms_are_never_a_match(client: httpx.Client, index: NameIndex) -> None:
    """Every editorial pseudonym, asked for by each of its names, exact and alone."""
    pseudonyms = [e for e in index.entities if e.pseudonym]
    assert pseudonyms
    batch: dict[str, Any] = {}
    for i, person in enumerate(pseudonyms):
        for j, name in enumerate(index.names_of(person.iri)):
            batch[f"p{i}-{j}"] = {"query": name, "type": "Person"}
            batch[f"p{i}-{j}-any"] = {"query": name}
    result = _batch(client, batch)
    for key, answer in result.items():
        top = answer["result"][0]
        assert top["pseudonym"] is True, (key, top)
        assert all(c["match"] is False for c in answer["result"]), (key, answer)


# -- constraints -------------------------------------------------------------------------------


def test_birth_year_tells_namesakes_apart(client: httpx.Client, schemas: Schemas) -> None:
    batch = {
        f"y{year}": {
            "query": "Жумогалиев Магдау",
            "type": "Person",
            "properties": [{"pid": "birth_date", "v": year}],
        }
        for year in (1917, 1919)
    }
    batch["word"] = {
        "query": "Magdau Zhumogaliev",
        "properties": [{"pid": "birth_year", "v": ["1919"]}],
    }
    result = _batch(client, batch)
    schemas.check("reconciliation-result-batch", result)
    for key, expected in (("y1917", "1917"), ("y1919", "1919"), ("word", "1919")):
        top, second = result[key]["result"][:2]
        assert top["id"] == ID + f"person/magdau-zhumogaliev-{expected}"
        assert top["match"] is True
        assert {"id": "birth_date", "name": "birth date", "value": True} in top["features"]
        assert {"id": "birth_date", "name": "birth date", "value": False} in second["features"]
        assert second["score"] < top["score"]


def test_place_source_and_kin_constraints(client: httpx.Client) -> None:
    batch = {
        # born in Martynovsky raion, which is part of Rostov Oblast
        "place": {
            "query": "Khomutnikov",
            "type": "Person",
            "properties": [{"pid": "place", "v": "Rostov Oblast"}],
        },
        "place-id": {
            "query": "Khomutnikov P.",
            "properties": [{"pid": "places", "v": {"id": ID + "place/rostov-oblast"}}],
        },
        "source": {
            "query": "Goloshchekin",
            "properties": [{"pid": "source", "v": "Atantayeva et al. 2025"}],
        },
        # his half-brother
        "kin": {
            "query": "Viktor Khomutnikov",
            "properties": [{"pid": "kin", "v": "Petr Vasilievich Khomutnikov"}],
        },
        "no-kin": {
            "query": "Kermen",
            "properties": [{"pid": "kin", "v": "Petr Khomutnikov"}],
        },
    }
    result = _batch(client, batch)

    def feature(key: str, pid: str) -> object:
        top = result[key]["result"][0]
        return next((f["value"] for f in top["features"] if f["id"] == pid), None)

    assert result["place"]["result"][0]["id"] == ID + "person/petr-vasilievich-khomutnikov"
    assert feature("place", "places") is True
    assert feature("place-id", "places") is True
    assert feature("source", "sources") is True
    assert result["kin"]["result"][0]["id"] == ID + "person/viktor-vasilyevich-khomutnikov"
    assert feature("kin", "kin") is True
    assert feature("no-kin", "kin") is False


def test_properties_only_query(client: httpx.Client) -> None:
    result = _batch(
        client,
        {"q": {"type": "Person", "properties": [{"pid": "birth_date", "v": "1910"}]}},
    )
    ids = [c["id"] for c in result["q"]["result"]]
    assert ID + "person/aduchi" in ids


# -- the 1.0 draft -----------------------------------------------------------------------------


def test_match_endpoint_of_the_draft(client: httpx.Client, schemas_v1: Schemas) -> None:
    body = {
        "queries": [
            {
                "type": "Person",
                "limit": 3,
                "conditions": [
                    {"matchType": "name", "propertyValue": "Magdau Zhumogaliev"},
                    {
                        "matchType": "property",
                        "propertyId": "birth_date",
                        "propertyValue": "1917",
                        "required": True,
                    },
                ],
            },
            {"conditions": [{"matchType": "id", "propertyValue": "person:aduchi"}]},
        ]
    }
    schemas_v1.check("reconciliation-query-batch", body)
    response = client.post("/reconcile/match", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    schemas_v1.check("reconciliation-result-batch", answer)
    first, second = answer["results"]
    assert [c["id"] for c in first["candidates"]] == [ID + "person/magdau-zhumogaliev-1917"]
    assert first["candidates"][0]["match"] is True
    assert second["candidates"][0]["id"] == ID + "person/aduchi"
    assert second["candidates"][0]["match"] is False


# -- data extension details and errors ---------------------------------------------------------


def test_extension_values(client: httpx.Client, schemas: Schemas) -> None:
    query = {
        "ids": ["person:magdau-zhumogaliev-1917", "person/aduchi", "person:nobody"],
        "properties": [
            {"id": "birth_date"},
            {"id": "names"},
            {"id": "kin", "settings": {"limit": "1"}},
            {"id": "sources"},
        ],
    }
    answer = _get(client, "/reconcile", extend=json.dumps(query))
    schemas.check("data-extension-response", answer)
    rows = answer["rows"]
    assert rows["person:magdau-zhumogaliev-1917"]["birth_date"] == [{"str": "1917"}]
    assert {"str": "Жумогалиев Магдау"} in rows["person:magdau-zhumogaliev-1917"]["names"]
    assert len(rows["person/aduchi"]["kin"]) == 1
    assert rows["person/aduchi"]["sources"] == [
        {"id": ID + "work/bolatkhan-2023", "name": rows["person/aduchi"]["sources"][0]["name"]}
    ]
    assert rows["person:nobody"] == {"birth_date": [], "names": [], "kin": [], "sources": []}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"queries": "{not json"}, 400),
        ({"queries": "[1, 2]"}, 400),
        ({"queries": json.dumps({"q0": {"query": "x", "type": "Planet"}})}, 400),
        (
            {"queries": json.dumps({"q0": {"query": "x", "properties": [{"pid": "hat", "v": 1}]}})},
            400,
        ),
        ({"queries": json.dumps({"q0": {"type": "Person"}})}, 400),
        ({"extend": json.dumps({"ids": ["person:aduchi"], "properties": [{"id": "hat"}]})}, 400),
        ({"extend": json.dumps({"properties": []})}, 400),
    ],
)
def test_bad_requests(client: httpx.Client, params: dict[str, str], status: int) -> None:
    assert client.get("/reconcile", params=params).status_code == status
    assert client.post("/reconcile", data=params).status_code == status


def test_preview_errors_and_escaping(client: httpx.Client, injected_site: LiveServer) -> None:
    assert client.get("/reconcile/preview", params={"id": "person:nobody"}).status_code == 404
    assert client.get("/reconcile/preview").status_code == 400
    assert client.get("/reconcile/view", params={"id": "https://example.org/x"}).status_code == 404
    with httpx.Client(base_url=injected_site.url, timeout=60) as http:
        preview = http.get("/reconcile/preview", params={"id": INJECTED})
        assert preview.status_code == 200
        assert "<script>alert" not in preview.text
        assert "<img src=x" not in preview.text
        assert "&lt;script&gt;" in preview.text
        assert "editorial pseudonym" in preview.text
        candidates = http.post(
            "/reconcile", data={"queries": json.dumps({"q": {"query": "Injektov"}})}
        ).json()["q"]["result"]
        assert candidates[0]["id"] == INJECTED
        assert candidates[0]["match"] is False
