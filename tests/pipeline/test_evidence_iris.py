"""Evidence IRIs: the build names citations, quotes, relayed citations and participations
(server/shezhire/pipeline/evidence.py) after the strict parse, before the gate; the published
store and the dumps carry no blank node; two builds give the same IRIs; and the stability rule
of ontology/README.md holds (adding a citation elsewhere renames none)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from shezhire.config import Settings
from shezhire.http.testing import LiveServer
from shezhire.pipeline.build import BuildSummary, build
from shezhire.pipeline.evidence import GENID_BASE, name_evidence, skolemize

ID = "https://w3id.org/shezhire/id/"
SHZ = "https://w3id.org/shezhire/ontology#"
OA = "http://www.w3.org/ns/oa#"
TIE = ID + "tie/b2023-aduchi-petr-relative-or-fictive-kin"
FN30 = ID + "citation/tie/b2023-aduchi-petr-relative-or-fictive-kin/b2023-fn30"

HEAD = """\
@prefix shz: <https://w3id.org/shezhire/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix role: <https://w3id.org/shezhire/vocab/role/> .
@prefix work: <https://w3id.org/shezhire/id/work/> .
@prefix tie: <https://w3id.org/shezhire/id/tie/> .
@prefix event: <https://w3id.org/shezhire/id/event/> .
@prefix person: <https://w3id.org/shezhire/id/person/> .
@prefix ref: <https://w3id.org/shezhire/id/ref/> .
work:bolatkhan-2023 shz:sourceCode "b2023" .
"""


def _cite(locator: str, quote: str, more: str = "") -> str:
    return (
        f"shz:citation [ a shz:Citation ; shz:publication work:bolatkhan-2023 ; {locator} ; "
        f'oa:exact "{quote}" {more}]'
    )


def _named(turtle: str) -> tuple[ox.Store, dict[str, int]]:
    store = ox.Store()
    graph = ox.NamedNode("https://w3id.org/shezhire/graph/test")
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object, graph)
        for q in ox.parse(HEAD + turtle, ox.RdfFormat.TURTLE)
    )
    return store, name_evidence(store)


def _objects(store: ox.Store, subject: str, predicate: str) -> list[str]:
    return sorted(
        str(getattr(q.object, "value", q.object))
        for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
    )


def _blank_quads(store: ox.Store) -> list[ox.Quad]:
    return [
        q
        for q in store.quads_for_pattern(None, None, None, None)
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
    ]


# -- the scheme, on small graphs ----------------------------------------------------------------


def test_citation_quote_relay_and_participation_iris() -> None:
    store, counts = _named(
        "tie:b2023-x "
        + _cite("shz:footnote 30", "his relatives", "; shz:archivalReference ref:a")
        + " ; "
        + _cite(
            'shz:section "Selective favoritism: Список групп"',
            "a heading",
            "; shz:relays [ a shz:SecondaryCitation ; shz:publication work:zemskov-2005 ; "
            'shz:page "319" ]',
        )
        + " .\n"
        "event:b2023-release shz:participation [ shz:agent person:petr ; shz:role role:subject ]"
        + " ; "
        + _cite("shz:footnote 7", "released")
        + " .\n"
        "person:aduchi shz:pseudonymDeclaredIn [ a shz:Citation ; "
        'shz:publication work:bolatkhan-2023 ; shz:page "315–316" ; oa:exact "fictional" ] .\n'
    )
    assert counts == {"participations": 1, "citations": 4, "relayed citations": 1, "quotes": 4}
    assert not _blank_quads(store)
    base = ID + "citation/tie/b2023-x/"
    assert _objects(store, ID + "tie/b2023-x", SHZ + "citation") == [
        base + "b2023-fn30",
        base + "b2023-s-selective-favoritism-spisok-grupp",
    ]
    fn30 = base + "b2023-fn30"
    # the quote: an oa:TextQuoteSelector of its own; the citation keeps oa:exact too
    assert _objects(store, fn30, OA + "hasSelector") == [fn30 + "/quote"]
    assert _objects(store, fn30 + "/quote", OA + "exact") == ["his relatives"]
    assert _objects(store, fn30 + "/quote", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == [
        OA + "TextQuoteSelector"
    ]
    assert _objects(store, fn30, OA + "exact") == ["his relatives"]
    assert _objects(store, fn30, OA + "hasSource") == [ID + "work/bolatkhan-2023"]
    assert _objects(store, fn30, SHZ + "archivalReference") == [ID + "ref/a"]
    section = base + "b2023-s-selective-favoritism-spisok-grupp"
    assert _objects(store, section, SHZ + "relays") == [section + "/relays/zemskov-2005-p319"]
    participation = ID + "event/b2023-release/participation/petr-subject"
    assert _objects(store, ID + "event/b2023-release", SHZ + "participation") == [participation]
    assert _objects(store, ID + "event/b2023-release", SHZ + "citation") == [
        ID + "citation/event/b2023-release/b2023-fn7"
    ]
    assert _objects(store, ID + "person/aduchi", SHZ + "pseudonymDeclaredIn") == [
        ID + "citation/person/aduchi/b2023-p315-316"
    ]


def test_siblings_are_numbered_by_their_quote_not_their_order() -> None:
    one = (
        "tie:b2023-x " + _cite("shz:footnote 5", "alpha") + " ; " + _cite("shz:footnote 5", "beta")
    )
    swapped = (
        "tie:b2023-x " + _cite("shz:footnote 5", "beta") + " ; " + _cite("shz:footnote 5", "alpha")
    )
    first, _ = _named(one + " .\n")
    second, _ = _named(swapped + " .\n")
    base = ID + "citation/tie/b2023-x/b2023-fn5-"
    names = {
        (n, _objects(store, base + n, OA + "exact")[0])
        for store in (first, second)
        for n in ("1", "2")
    }
    assert len(names) == 2, names  # each quote has the same number in both files
    # adding a citation elsewhere (another fact, another footnote) renames nothing
    third, _ = _named(
        one + " ; " + _cite("shz:footnote 6", "gamma") + " .\n"
        "tie:b2023-y " + _cite("shz:footnote 5", "alpha") + " .\n"
    )
    for n, quote in names:
        assert _objects(third, base + n, OA + "exact") == [quote]
    assert _objects(third, ID + "citation/tie/b2023-y/b2023-fn5", OA + "exact") == ["alpha"]


def test_curator_iris_are_kept_and_clashes_refused() -> None:
    kept = ID + "citation/tie/b2023-x/pinned"
    store, _ = _named(
        f"tie:b2023-x shz:citation <{kept}> .\n"
        f"<{kept}> a shz:Citation ; shz:publication work:bolatkhan-2023 ; shz:footnote 2 ; "
        'oa:exact "pinned quote" .\n'
    )
    assert _objects(store, ID + "tie/b2023-x", SHZ + "citation") == [kept]
    assert _objects(store, kept + "/quote", OA + "exact") == ["pinned quote"]
    clash = ID + "citation/tie/b2023-x/b2023-fn2"
    with pytest.raises(Exception, match="already used in the data"):
        _named(
            f"tie:b2023-x shz:citation <{clash}> , [ a shz:Citation ; "
            'shz:publication work:bolatkhan-2023 ; shz:footnote 2 ; oa:exact "other" ] .\n'
            f'<{clash}> a shz:Citation ; shz:publication work:bolatkhan-2023 ; shz:page "1" ; '
            'oa:exact "x" .\n'
        )


def test_orphan_blank_nodes_get_content_genids() -> None:
    text = "[] a shz:Citation ; shz:footnote 1 .\n( 1 2 3 ) shz:x ( 1 2 4 ) .\n"
    stores = []
    for _ in range(2):
        store, _ = _named(text)
        skolemize(store)
        assert not _blank_quads(store)
        stores.append(sorted(str(q) for q in store.quads_for_pattern(None, None, None, None)))
    assert stores[0] == stores[1]
    assert any(GENID_BASE in quad for quad in stores[0])
    # two lists that differ only in their last item do not collapse into one
    firsts = [q for q in stores[0] if "rdf-syntax-ns#first" in q]
    assert len(firsts) >= 5


# -- the repository's build ---------------------------------------------------------------------


def _nquads(store_link: Path) -> list[str]:
    store = ox.Store.read_only(str(store_link.resolve()))
    return sorted(str(q) for q in store.quads_for_pattern(None, None, None, None))


def test_built_store_has_no_blank_nodes_and_named_evidence(
    built: tuple[Settings, BuildSummary],
) -> None:
    settings, summary = built
    assert summary.named["citations"] == summary.named["quotes"] > 2000
    assert summary.named["participations"] > 200
    store = ox.Store.read_only(str(settings.store.resolve()))
    assert not _blank_quads(store)
    citations = {
        q.object.value
        for q in store.quads_for_pattern(None, ox.NamedNode(SHZ + "citation"), None, None)
        if isinstance(q.object, ox.NamedNode)
    }
    assert FN30 in citations
    assert all(c.startswith(ID + "citation/") for c in citations)
    assert _objects(store, TIE, SHZ + "citation") == [
        FN30,
        ID + "citation/tie/b2023-aduchi-petr-relative-or-fictive-kin/b2023-fn31",
    ]
    assert _objects(store, FN30 + "/quote", OA + "exact") == _objects(store, FN30, OA + "exact")


@pytest.mark.slow
def test_two_builds_give_identical_stores(
    built: tuple[Settings, BuildSummary], tmp_path: Path
) -> None:
    settings, _summary = built
    again = Settings(root=settings.root, store_path=tmp_path / "store")
    build(again)
    assert _nquads(again.store) == _nquads(settings.store)


@pytest.mark.parametrize("dump", ["dump.nq", "dump.trig", "dump.ttl"])
def test_dumps_carry_no_blank_nodes(site: LiveServer, dump: str) -> None:
    with httpx.Client(base_url=site.url, timeout=120) as client:
        response = client.get("/" + dump)
    assert response.status_code == 200
    text = response.text
    assert FN30 in text or "b2023-fn30" in text
    fmt = {
        "dump.nq": ox.RdfFormat.N_QUADS,
        "dump.trig": ox.RdfFormat.TRIG,
        "dump.ttl": ox.RdfFormat.TURTLE,
    }[dump]
    blank = [
        q
        for q in ox.parse(response.content, fmt)
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
    ]
    assert not blank, blank[:3]
