"""The name index and the names it is made of: readings across scripts, scores, order, and
one index per build."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from search_support import RDF_TYPE, SHZ

from shezhire.config import Settings
from shezhire.linked_data.graph import Dataset
from shezhire.pipeline.store import load_in_memory
from shezhire.search.index import TYPES, NameIndex, name_index
from shezhire.search.names import readings


@pytest.mark.parametrize(
    ("spelling", "other"),
    [
        ("Голощёкин", "Goloshchekin"),
        ("Goloshchyokin", "Goloschekin"),
        ("Хомутников", "Homutnikov"),
        ("Qozybaev", "Kozybayev"),
        ("Жаңбосынова", "Zhanbossinova"),
        ("Yesekeyev", "Есекеев"),
        ("Tatʹyana", "Татьяна"),
        ("Pyotr", "Пётр"),
        ("Vasiliy", "Vasilij"),
    ],
)
def test_spellings_share_a_key(spelling: str, other: str) -> None:
    keys = {t.keys for r in readings(spelling) for t in r}
    other_keys = {t.keys for r in readings(other) for t in r}
    assert {k for ks in keys for k in ks} & {k for ks in other_keys for k in ks}


def test_exact_name_scores_100_and_extra_words_less(index: NameIndex) -> None:
    hits = index.search("Petr Vasilievich Khomutnikov")
    assert hits[0].entity.iri.endswith("/person/petr-vasilievich-khomutnikov")
    assert hits[0].score == 100
    assert all(h.score < 90 for h in hits[1:])
    # a person the source does not name ranks below the named ones the same words describe
    wife = next(h for h in index.search("Khomutnikov", limit=20) if h.entity.unnamed)
    assert wife.score < 80


def test_index_covers_every_kind_and_every_pseudonym(
    index: NameIndex, built_settings: Settings
) -> None:
    assert {e.type for e in index.entities} == set(TYPES)
    store = ox.Store.read_only(str(built_settings.store.resolve()))
    pseudonyms = {
        q.subject.value
        for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(SHZ + "EditorialPseudonym"))
    }
    assert pseudonyms
    assert {e.iri for e in index.entities if e.pseudonym} == pseudonyms
    assert index.build_seconds < 5


def test_one_index_per_build_even_when_requests_race(built_settings: Settings) -> None:
    """name_index(dataset) builds once per dataset (Dataset.memo), whatever thread asks."""
    target = Path(os.path.realpath(built_settings.store))
    dataset = Dataset(load_in_memory(target), target, 0.0, "test")
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda _i: name_index(dataset), range(16)))
    assert all(m is made[0] for m in made)
    assert made[0].search("Хомутников")[0].entity.iri.endswith("khomutnikov")
