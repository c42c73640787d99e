"""The table of search_cases.py against the live server: each query finds its entities among
the first results, whatever the script, scheme, typo or name order."""

from __future__ import annotations

import httpx
import pytest
from search_cases import CASES, Case

from shezhire.config import BASE_IRI

ID_BASE = BASE_IRI + "id/"


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_search_finds(case: Case, client: httpx.Client) -> None:
    params = {"q": case.query, "limit": "20"}
    if case.type:
        params["type"] = case.type
    response = client.get("/search", params=params, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    found = [r["id"].removeprefix(ID_BASE) for r in results]
    shown = [(f, r["score"], r["matched"]) for f, r in zip(found[:8], results[:8], strict=True)]
    for expected in case.expected:
        assert expected in found[: case.top], f"{expected} not in the first {case.top}: {shown}"
    assert results[0]["pseudonym"] is case.pseudonym, shown
    if case.type:
        assert {r["type"] for r in results} == {case.type}
