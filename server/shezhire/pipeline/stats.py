"""What the graph holds: entity counts for the whole store and per named graph (data file)."""

from __future__ import annotations

import pyoxigraph as ox

from shezhire.config import GRAPH_BASE

SHZ = "https://w3id.org/shezhire/ontology#"
QB_OBSERVATION = "http://purl.org/linked-data/cube#Observation"

# Column -> the classes whose instances (subclasses included) it counts.
ENTITY_CLASSES: dict[str, tuple[str, ...]] = {
    "persons": (SHZ + "Person",),
    "pseudonyms": (SHZ + "EditorialPseudonym",),
    "ties": (SHZ + "KinTie", SHZ + "SocialTie"),
    "kin ties": (SHZ + "KinTie",),
    "social ties": (SHZ + "SocialTie",),
    "events": (SHZ + "Event",),
    "positions": (SHZ + "Position",),
    "legal acts": (SHZ + "LegalAct",),
    "archival items": (SHZ + "ArchivalItem",),
    "archival references": (SHZ + "ArchivalReference",),
    "institutions": (SHZ + "Institution",),
    "places": (SHZ + "Place",),
    "publications": (SHZ + "Publication",),
    "observations": (QB_OBSERVATION,),
    "policies": (SHZ + "Policy",),
    "assessments": (SHZ + "Assessment",),
    "secondary citations": (SHZ + "SecondaryCitation",),
    "open identities": (SHZ + "PersonReconstruction",),
}


def _count(store: ox.Store, query: str) -> int:
    solutions = store.query(query, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    value = next(iter(solutions))["n"]
    return int(value.value) if isinstance(value, ox.Literal) else 0


def _scope(graph: str | None, pattern: str) -> str:
    return f"GRAPH <{graph}> {{ {pattern} }}" if graph else pattern


def counts(store: ox.Store, graph: str | None = None) -> dict[str, int]:
    """Entities typed in `graph` (or anywhere), quotes, and the quad count."""
    result: dict[str, int] = {}
    for column, classes in ENTITY_CLASSES.items():
        values = " ".join(f"<{c}>" for c in classes)
        result[column] = _count(
            store,
            f"""SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{
                  {_scope(graph, "?x a ?class")} .
                  ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?root .
                  VALUES ?root {{ {values} }} }}""",
        )
    result["quotes"] = _count(
        store,
        "SELECT (COUNT(*) AS ?n) WHERE { "
        + _scope(graph, "?c <http://www.w3.org/ns/oa#exact> ?q")
        # A citation's quote selector repeats its quote: counted once, on the citation.
        + " FILTER NOT EXISTS { ?x <http://www.w3.org/ns/oa#hasSelector> ?c } }",
    )
    if graph:
        result["triples"] = sum(
            1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        )
    else:
        result["triples"] = len(store)
    return result


def per_graph(store: ox.Store) -> dict[str, dict[str, int]]:
    """Counts for every named graph, keyed by the graph's local name (the data file stem)."""
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return {g.removeprefix(GRAPH_BASE): counts(store, g) for g in graphs}


def table(rows: dict[str, dict[str, int]]) -> str:
    """A plain-text table, one row per graph, one column per count."""
    columns = ["graph", *next(iter(rows.values())).keys()] if rows else ["graph"]
    cells = [[name, *(str(v) for v in row.values())] for name, row in rows.items()]
    widths = [max(len(str(x)) for x in col) for col in zip(columns, *cells, strict=False)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    return "\n".join([line(columns), *(line(c) for c in cells)])
