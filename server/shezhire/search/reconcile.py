"""A W3C Reconciliation API service (version 0.2, what OpenRefine speaks) over the name index
(an ``APIRouter``: ``router``; include it with ``app.include_router(router)``).

Entity ids are the graph's IRIs (``https://w3id.org/shezhire/id/person/...``, the
``identifierSpace`` plus a path); types are the ontology's classes by local name (``Person``,
``Institution``, ``Place``, ``LegalAct``, ``ArchivalItem``, ``Publication``, in the
``schemaSpace``; ``shz:Person``, the full IRI and the search types ``person``... work too).

* ``GET /reconcile``: the service manifest.
* ``GET``/``POST /reconcile`` with ``queries=`` (JSON, a batch ``{"q0": {"query", "type",
  "limit", "properties": [{"pid", "v"}], "type_strict"}}``): candidates per query, each with
  ``id``, ``name``, ``description``, ``type``, ``score`` (0-100), ``features`` and ``match``.
  Property constraints (``pid``): ``birth_date`` (a year; also ``birth_year``),
  ``death_date``, ``date``, ``places`` (``place``: a place's name or id, matched with the
  places it is part of), ``sources`` (``source``: a publication), ``kin`` and ``names``. A
  matching value keeps the name's score, a contradicting one cuts it (x0.6), one the graph
  cannot tell nudges it (x0.95). ``match`` is true only for a clear best candidate: score at
  least 85 and 10 ahead of the next; never for an editorial pseudonym.
* ``GET``/``POST /reconcile`` with ``extend=`` (``{"ids": [...], "properties": [{"id",
  "settings": {"limit"}}]}``): data extension with the properties above (dates as the sources
  give them, places, kin and sources as entities, names as strings).
* ``GET /reconcile/properties?type=``: the properties to propose for a type.
* ``GET /reconcile/suggest/entity|type|property?prefix=``: auto-completion.
* ``GET /reconcile/preview?id=``: an HTML card (name, type, dates, places, sources).
* ``GET /reconcile/view?id=``: redirects to the entity's page on this site.
* ``POST /reconcile/match``: the 1.0 draft's batch (``{"queries": [{"conditions": [...]}]}``
  -> ``{"results": [{"candidates": [...]}]}``).

JSONP (``callback``) is not offered: the service sends CORS headers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from shezhire import __version__
from shezhire.config import BASE_IRI, Settings
from shezhire.http.errors import HttpProblem
from shezhire.http.snapshot import request_snapshot
from shezhire.http.urls import public_url
from shezhire.linked_data.graph import ID_BASE, PREFIXES, SHZ, Dataset
from shezhire.search.facts import DateFact, Facts, entity_facts
from shezhire.search.index import Entity, NameIndex, citation_form, name_index
from shezhire.search.router import page_path, root_of, templates

router = APIRouter(prefix="/reconcile", tags=["reconciliation"])

IDENTIFIER_SPACE = ID_BASE
SCHEMA_SPACE = SHZ
DEFAULT_LIMIT = 5
MAX_LIMIT = 100
MAX_QUERIES = 500  # in one batch (OpenRefine sends 10 at a time)
MAX_EXTEND_IDS = 1000
MAX_BODY_BYTES = 1_000_000
SUGGEST_LIMIT = 10
# match: true only for a clear winner
MATCH_SCORE = 85.0
MATCH_LEAD = 10.0
# what a property constraint does to a candidate's name score
AGREES, CONTRADICTS, UNKNOWN = 1.0, 0.6, 0.95
# another type than the one asked for, with type_strict "should"
OTHER_TYPE = 0.8
# a value names an entity when it matches one of its names this well
RESOLVE_SCORE = 85.0
PREVIEW_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *"


@dataclass(frozen=True)
class ReconType:
    id: str  # local name in the ontology
    name: str
    kind: str  # the name index's type
    description: str

    def json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


RECON_TYPES: tuple[ReconType, ...] = (
    ReconType("Person", "Person", "person", "Persons, editorial pseudonyms included"),
    ReconType("Institution", "Institution", "institution", "Institutions and archives"),
    ReconType("Place", "Place", "place", "Places, under historical and current names"),
    ReconType("LegalAct", "Legal act", "act", "Decrees, orders, reports with a date or number"),
    ReconType("ArchivalItem", "Archival item", "item", "Archival files (dela)"),
    ReconType("Publication", "Publication", "work", "The source texts and the works they cite"),
)
_TYPE_BY_KIND = {t.kind: t for t in RECON_TYPES}


def resolve_type(value: str) -> ReconType | None:
    """``Person``, ``shz:Person``, the class IRI or ``person``."""
    text = value.strip()
    for prefix in (SHZ, "shz:"):
        text = text.removeprefix(prefix)
    for recon_type in RECON_TYPES:
        if text in (recon_type.id, recon_type.kind) or text.lower() == recon_type.id.lower():
            return recon_type
    return None


@dataclass(frozen=True)
class Property:
    id: str
    name: str
    description: str
    kinds: tuple[str, ...]  # the index types it applies to
    entity_type: ReconType | None = None  # values are entities of this type
    aliases: tuple[str, ...] = ()


PROPERTIES: tuple[Property, ...] = (
    Property(
        "birth_date",
        "birth date",
        "The date of birth as the source gives it (EDTF); as a constraint, a year",
        ("person",),
        aliases=("birth_year", "born", "birthDate"),
    ),
    Property(
        "death_date",
        "death date",
        "The date of death as the source gives it (EDTF); as a constraint, a year",
        ("person",),
        aliases=("death_year", "died", "deathDate"),
    ),
    Property(
        "date",
        "date",
        "The date of a legal act, an archival item or a publication (EDTF)",
        ("act", "item", "work"),
        aliases=("year",),
    ),
    Property(
        "places",
        "places",
        "Places of a person's events, an institution's location, the place a place is part of",
        ("person", "institution", "place"),
        _TYPE_BY_KIND["place"],
        ("place",),
    ),
    Property(
        "kin",
        "kin",
        "Relatives, with the kin type as the source states it",
        ("person",),
        _TYPE_BY_KIND["person"],
        ("relative", "relatives"),
    ),
    Property(
        "sources",
        "sources",
        "The publications that document it",
        ("person", "institution", "place", "act", "item", "work"),
        _TYPE_BY_KIND["work"],
        ("source", "publication"),
    ),
    Property(
        "names",
        "names",
        "Every name and spelling the sources give",
        ("person", "institution", "place", "act", "item", "work"),
        aliases=("name", "alternateName"),
    ),
)
_PROPERTY_BY_ID = {
    name: prop for prop in PROPERTIES for name in (prop.id, *prop.aliases, f"shz:{prop.id}")
}


def resolve_property(pid: str) -> Property | None:
    return _PROPERTY_BY_ID.get(pid.strip())


def resolve_id(value: str) -> str:
    """An entity id as a client may write it: the IRI, ``person:slug``, ``person/slug``,
    ``/id/person/slug``."""
    text = value.strip()
    if text.startswith(("http://", "https://")):
        return text
    prefix, colon, rest = text.partition(":")
    if colon and prefix in PREFIXES and not rest.startswith("/"):
        return PREFIXES[prefix] + rest
    return ID_BASE + text.lstrip("/").removeprefix("id/")


# -- queries -----------------------------------------------------------------------------------


@dataclass
class Constraint:
    prop: Property
    values: list[Any]
    required: bool = False


@dataclass
class ReconQuery:
    text: str = ""
    types: list[ReconType] = field(default_factory=list)
    strict: bool = True  # False: other types rank lower instead of being left out
    limit: int = DEFAULT_LIMIT
    constraints: list[Constraint] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


@dataclass
class Candidate:
    entity: Entity
    score: float
    features: list[tuple[str, str, float | bool]]
    match: bool = False


def _values(raw: Any) -> list[Any]:
    items = raw if isinstance(raw, list) else [raw]
    return [v for v in items if v is not None and v != ""]


def _limit(raw: Any, default: int = DEFAULT_LIMIT) -> int:
    if raw is None:
        return default
    try:
        return max(1, min(MAX_LIMIT, int(raw)))
    except (TypeError, ValueError) as error:
        raise HttpProblem(400, f"limit must be a number, not {raw!r}.") from error


def _types(raw: Any) -> list[ReconType]:
    found: list[ReconType] = []
    for value in _values(raw):
        recon_type = resolve_type(str(value))
        if recon_type is None:
            known = ", ".join(t.id for t in RECON_TYPES)
            raise HttpProblem(400, f"Unknown type {value!r}; this service has {known}.")
        found.append(recon_type)
    return found


def _property(pid: Any) -> Property:
    prop = resolve_property(str(pid)) if pid is not None else None
    if prop is None:
        known = ", ".join(p.id for p in PROPERTIES)
        raise HttpProblem(400, f"Unknown property {pid!r}; this service has {known}.")
    return prop


def parse_query_v02(key: str, raw: Any) -> ReconQuery:
    if not isinstance(raw, dict):
        raise HttpProblem(400, f"Query {key!r} must be a JSON object.")
    text = raw.get("query", "")
    if not isinstance(text, str):
        raise HttpProblem(400, f"Query {key!r}: 'query' must be a string.")
    constraints = []
    for item in raw.get("properties") or []:
        if not isinstance(item, dict) or "v" not in item:
            raise HttpProblem(400, f"Query {key!r}: each property needs 'pid' and 'v'.")
        constraints.append(Constraint(_property(item.get("pid")), _values(item["v"])))
    if not text.strip() and not constraints:
        raise HttpProblem(400, f"Query {key!r} has neither a query nor properties.")
    return ReconQuery(
        text=text,
        types=_types(raw.get("type")),
        strict=raw.get("type_strict") != "should",
        limit=_limit(raw.get("limit")),
        constraints=constraints,
    )


def parse_query_v1(position: int, raw: Any) -> ReconQuery:
    """One query of the 1.0 draft: name, id and property conditions."""
    if not isinstance(raw, dict) or not isinstance(raw.get("conditions"), list):
        raise HttpProblem(400, f"Query {position} must be an object with 'conditions'.")
    query = ReconQuery(types=_types(raw.get("type")), limit=_limit(raw.get("limit")))
    names: list[str] = []
    for condition in raw["conditions"]:
        if not isinstance(condition, dict):
            raise HttpProblem(400, f"Query {position}: each condition must be an object.")
        match_type = condition.get("matchType")
        values = _values(condition.get("propertyValue"))
        if match_type == "name":
            names += [str(v.get("name", "") if isinstance(v, dict) else v) for v in values]
        elif match_type == "id":
            query.ids += [
                resolve_id(str(v.get("id", "") if isinstance(v, dict) else v)) for v in values
            ]
        elif match_type == "property":
            query.constraints.append(
                Constraint(
                    _property(condition.get("propertyId")),
                    values,
                    bool(condition.get("required", False)),
                )
            )
        else:
            raise HttpProblem(400, f"Query {position}: unknown matchType {match_type!r}.")
    query.text = " ".join(n for n in names if n)
    if not query.text.strip() and not query.ids and not query.constraints:
        raise HttpProblem(400, f"Query {position} has no condition to match.")
    return query


# -- the service -------------------------------------------------------------------------------


def short_label(label: str) -> str:
    """A publication as cited ("Atantayeva et al. 2025"), else its label up to its first comma
    ("Mendikulova and Gabdullina")."""
    cited = citation_form(label)
    if cited:
        return cited
    head = re.split(r"[,:;]\s|\.\s", label, maxsplit=1)[0]
    return head if len(head) <= 60 else head[:60].rsplit(" ", 1)[0] + "…"


class Reconciler:
    """Reconciliation over one build: its name index, facts and labels."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.index: NameIndex = name_index(dataset)
        self.facts: Facts = entity_facts(dataset)
        self._resolved: dict[tuple[str, str], set[str]] = {}

    # -- what an entity is -------------------------------------------------------------------------

    def recon_type(self, entity: Entity) -> ReconType:
        return _TYPE_BY_KIND[entity.type]

    def description(self, entity: Entity) -> str:
        parts = [self.recon_type(entity).name]
        if entity.pseudonym:
            parts[0] += " (editorial pseudonym)"
        if entity.unnamed:
            parts[0] += " (unnamed)"
        born = self.facts.born.get(entity.iri)
        died = self.facts.died.get(entity.iri)
        dated = self.facts.dated.get(entity.iri)
        if born:
            parts.append("born " + ", ".join(d.edtf for d in born))
        if died:
            parts.append("died " + ", ".join(d.edtf for d in died))
        if dated:
            parts.append(", ".join(d.edtf for d in dated))
        works = sorted(short_label(self.dataset.label(w)) for w in self.sources(entity.iri))
        if works:
            parts.append("in " + "; ".join(works[:3]) + ("…" if len(works) > 3 else ""))
        return " · ".join(parts)

    def sources(self, iri: str) -> set[str]:
        return self.facts.sources.get(iri, set())

    # -- constraints -------------------------------------------------------------------------------

    def resolve(self, value: Any, recon_type: ReconType) -> set[str]:
        """The entities a property value names: an id, or a name matched in the index."""
        if isinstance(value, dict):
            if value.get("id"):
                return {resolve_id(str(value["id"]))}
            value = value.get("name", "")
        text = str(value).strip()
        if not text:
            return set()
        if text.startswith(BASE_IRI) or (
            ":" in text and text.partition(":")[0] in PREFIXES and " " not in text
        ):
            return {resolve_id(text)}
        key = (recon_type.kind, text)
        if key not in self._resolved:
            hits = self.index.search(text, [recon_type.kind], 10)
            top = hits[0].score if hits else 0.0
            self._resolved[key] = {
                h.entity.iri for h in hits if h.score >= RESOLVE_SCORE and h.score >= top - 5
            }
        return self._resolved[key]

    def _dates(self, prop_id: str) -> dict[str, list[DateFact]]:
        """The dated facts behind the date properties, by entity IRI."""
        return {
            "birth_date": self.facts.born,
            "death_date": self.facts.died,
            "date": self.facts.dated,
        }[prop_id]

    def check(self, entity: Entity, constraint: Constraint) -> bool | None:
        """True if the entity agrees with the constraint, False if it contradicts it, None if
        the graph cannot tell."""
        prop = constraint.prop
        if prop.id in ("birth_date", "death_date", "date"):
            table = self._dates(prop.id)
            return _check_years(table.get(entity.iri, []), constraint.values)
        if prop.id == "names":
            wanted = [str(v) for v in constraint.values]
            if not wanted:
                return None
            return any(
                h.entity.iri == entity.iri and h.score >= RESOLVE_SCORE
                for text in wanted
                for h in self.index.search(text, [entity.type], 50)
            )
        assert prop.entity_type is not None
        if prop.id == "places":
            have = self.facts.within(entity.iri)
        elif prop.id == "kin":
            have = {k.other for k in self.facts.kin.get(entity.iri, [])}
        else:
            have = self.sources(entity.iri)
        targets: set[str] = set()
        for value in constraint.values:
            targets |= self.resolve(value, prop.entity_type)
        if not targets or not have:
            return None
        return bool(targets & have)

    # -- reconciliation ----------------------------------------------------------------------------

    def candidates(self, query: ReconQuery) -> list[Candidate]:
        kinds = [t.kind for t in query.types]
        pool: list[tuple[Entity, float]] = []
        if query.ids:
            pool = [
                (entity, 100.0)
                for entity in (self.index.entity(iri) for iri in query.ids)
                if entity is not None
            ]
        elif query.text.strip():
            wanted = kinds if query.strict and kinds else None
            hits = self.index.search(query.text, wanted, max(query.limit, 10) * 3)
            pool = [(h.entity, h.score) for h in hits]
        else:
            # properties only: every entity of the types that agrees with all of them
            pool = [
                (entity, 100.0)
                for entity in self.index.entities
                if not kinds or entity.type in kinds
            ]
        found: list[Candidate] = []
        for entity, name_score in pool:
            score = name_score
            features: list[tuple[str, str, float | bool]] = [("name", "name score", name_score)]
            if kinds and entity.type not in kinds:
                score *= OTHER_TYPE
            keep = True
            for constraint in query.constraints:
                agrees = self.check(entity, constraint)
                if agrees is None:
                    score *= UNKNOWN
                else:
                    score *= AGREES if agrees else CONTRADICTS
                    features.append((constraint.prop.id, constraint.prop.name, agrees))
                if constraint.required and agrees is not True:
                    keep = False
                if not query.text.strip() and not query.ids and agrees is not True:
                    keep = False
            if keep:
                found.append(Candidate(entity, round(score, 1), features))
        found.sort(key=lambda c: (-c.score, c.entity.pseudonym, c.entity.label))
        found = found[: query.limit]
        if found:
            best = found[0]
            lead = best.score - found[1].score if len(found) > 1 else 100.0
            # an editorial pseudonym is a fictional name: never an identity to link to
            best.match = (
                not best.entity.pseudonym and best.score >= MATCH_SCORE and (lead >= MATCH_LEAD)
            )
        return found

    def candidate_json(self, candidate: Candidate, v1: bool = False) -> dict[str, Any]:
        entity = candidate.entity
        answer: dict[str, Any] = {
            "id": entity.iri,
            "name": entity.label,
            "description": self.description(entity),
            "score": candidate.score,
            "match": candidate.match,
            "type": [self.recon_type(entity).json()],
            "features": [
                {"id": fid, "name": name, "value": value} for fid, name, value in candidate.features
            ],
        }
        if not v1:
            answer["pseudonym"] = entity.pseudonym
        return answer

    # -- data extension ----------------------------------------------------------------------------

    def property_values(self, iri: str, prop: Property) -> list[dict[str, Any]]:
        label = self.dataset.label
        if prop.id in ("birth_date", "death_date", "date"):
            table = self._dates(prop.id)
            return [{"str": d.edtf} for d in table.get(iri, [])]
        if prop.id == "names":
            return [{"str": n} for n in self.index.names_of(iri)]
        if prop.id == "places":
            return _entities(self.facts.places.get(iri, set()), label)
        if prop.id == "sources":
            return _entities(self.sources(iri), label)
        values = []
        for kin in sorted(self.facts.kin.get(iri, []), key=lambda k: (label(k.other), k.kin_type)):
            kin_label = label(kin.kin_type)
            values.append(
                {
                    "id": kin.other,
                    "name": label(kin.other),
                    "description": (
                        kin_label if kin.other_is_subject else f"this person is their {kin_label}"
                    ),
                }
            )
        return values

    def extend(
        self, ids: Sequence[str], requested: Sequence[tuple[Property, int]]
    ) -> dict[str, Any]:
        meta = []
        for prop, _most in requested:
            item: dict[str, Any] = {"id": prop.id, "name": prop.name}
            if prop.entity_type is not None:
                item["type"] = prop.entity_type.json()
            meta.append(item)
        rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for given in ids:
            iri = resolve_id(given)
            known = self.index.entity(iri) is not None
            row: dict[str, list[dict[str, Any]]] = {}
            for prop, most in requested:
                values = self.property_values(iri, prop) if known else []
                row[prop.id] = values[:most] if most > 0 else values
            rows[given] = row
        return {"meta": meta, "rows": rows}


def _entities(iris: Iterable[str], label: Any) -> list[dict[str, Any]]:
    return sorted(({"id": i, "name": label(i)} for i in iris), key=lambda v: (v["name"], v["id"]))


def _check_years(dates: list[DateFact], values: Sequence[Any]) -> bool | None:
    years = []
    for value in values:
        text = str(value.get("name", value.get("id", "")) if isinstance(value, dict) else value)
        found = re.search(r"(?<!\d)(\d{4})(?!\d)", text)
        if found:
            years.append(int(found.group(1)))
    if not years or not dates:
        return None
    return any(d.allows(y) for d in dates for y in years)


def reconciler_of(request: Request) -> Reconciler:
    return Reconciler(request_snapshot(request).dataset)


# -- the manifest ------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


def manifest(settings: Settings) -> dict[str, Any]:
    service = public_url(settings, "/reconcile")
    return {
        "versions": ["0.2"],
        "name": "Shezhire: persons, places, institutions and documents of Soviet Kazakhstan",
        "identifierSpace": IDENTIFIER_SPACE,
        "schemaSpace": SCHEMA_SPACE,
        "documentation": public_url(settings, "/docs"),
        "serviceVersion": __version__,
        "defaultTypes": [t.json() for t in RECON_TYPES],
        "view": {"url": service + "/view?id={{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": 420, "height": 220},
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/properties"},
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": "Most values per cell (0: all)",
                }
            ],
        },
    }


# -- routes ------------------------------------------------------------------------------------


async def _parameters(request: Request) -> dict[str, str]:
    """The query string, and for a POST its form body (``application/x-www-form-urlencoded``)."""
    params = dict(request.query_params)
    if request.method == "POST":
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise HttpProblem(413, f"The request body is larger than {MAX_BODY_BYTES} bytes.")
        if body:
            try:
                text = bytes(body).decode("utf-8")
            except UnicodeDecodeError as error:
                raise HttpProblem(400, "The request body is not UTF-8.") from error
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "application/json":
                data = _json(text, "the body")
                if not isinstance(data, dict):
                    raise HttpProblem(400, "The JSON body must be an object.")
                params.update(
                    {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
                )
            else:
                params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise HttpProblem(400, f"{what} is not JSON: {error}.") from error


def _batch(reconciler: Reconciler, text: str) -> dict[str, Any]:
    raw = _json(text, "queries")
    if not isinstance(raw, dict):
        raise HttpProblem(400, "queries must be a JSON object of queries by key.")
    if len(raw) > MAX_QUERIES:
        raise HttpProblem(413, f"At most {MAX_QUERIES} queries in one batch.")
    parsed = {key: parse_query_v02(key, value) for key, value in raw.items()}
    return {
        key: {"result": [reconciler.candidate_json(c) for c in reconciler.candidates(query)]}
        for key, query in parsed.items()
    }


def _extend(reconciler: Reconciler, text: str) -> dict[str, Any]:
    raw = _json(text, "extend")
    if not isinstance(raw, dict) or not isinstance(raw.get("ids"), list):
        raise HttpProblem(400, "extend must be a JSON object with 'ids' and 'properties'.")
    ids = [str(i) for i in raw["ids"]]
    if len(ids) > MAX_EXTEND_IDS:
        raise HttpProblem(413, f"At most {MAX_EXTEND_IDS} ids in one extension.")
    requested: list[tuple[Property, int]] = []
    for item in raw.get("properties") or []:
        if not isinstance(item, dict):
            raise HttpProblem(400, "Each property of extend must be an object with an 'id'.")
        settings = item.get("settings")
        if not isinstance(settings, dict):
            settings = {}
        try:
            most = int(settings.get("limit", 0) or 0)
        except (TypeError, ValueError) as error:
            raise HttpProblem(400, "A property's limit setting must be a number.") from error
        requested.append((_property(item.get("id")), max(0, most)))
    return reconciler.extend(ids, requested)


@router.api_route("", methods=["GET", "POST", "HEAD"], summary="Manifest, queries, extension")
async def reconcile(request: Request) -> Response:
    params = await _parameters(request)
    if "queries" in params:
        reconciler = await run_in_threadpool(reconciler_of, request)
        return JSONResponse(await run_in_threadpool(_batch, reconciler, params["queries"]))
    if "extend" in params:
        reconciler = await run_in_threadpool(reconciler_of, request)
        return JSONResponse(await run_in_threadpool(_extend, reconciler, params["extend"]))
    return JSONResponse(manifest(_settings(request)))


@router.post("/match", summary="Reconciliation queries of the 1.0 draft")
async def match(request: Request) -> Response:
    params = await _parameters(request)
    raw = _json(params.get("queries", "null"), "queries")
    if not isinstance(raw, list):
        raise HttpProblem(400, 'The body must be {"queries": [...]} (a JSON list of queries).')
    if len(raw) > MAX_QUERIES:
        raise HttpProblem(413, f"At most {MAX_QUERIES} queries in one batch.")
    queries = [parse_query_v1(i, q) for i, q in enumerate(raw)]
    reconciler = await run_in_threadpool(reconciler_of, request)

    def run() -> dict[str, Any]:
        return {
            "results": [
                {
                    "candidates": [
                        reconciler.candidate_json(c, v1=True) for c in reconciler.candidates(q)
                    ]
                }
                for q in queries
            ]
        }

    return JSONResponse(await run_in_threadpool(run))


@router.api_route("/suggest/entity", methods=["GET", "HEAD"], summary="Entity auto-complete")
def suggest_entity(
    request: Request,
    prefix: str = "",
    type: str | None = None,
    cursor: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = SUGGEST_LIMIT,
) -> Response:
    reconciler = reconciler_of(request)
    kinds = [t.kind for t in _types(type)]
    hits = reconciler.index.search(prefix, kinds, cursor + limit) if prefix.strip() else []
    return JSONResponse(
        {
            "result": [
                {
                    "id": h.entity.iri,
                    "name": h.entity.label,
                    "description": reconciler.description(h.entity),
                    "notable": [reconciler.recon_type(h.entity).json()],
                }
                for h in hits[cursor:]
            ]
        }
    )


def _prefix_matches(prefix: str, *texts: str) -> bool:
    wanted = prefix.strip().casefold()
    return not wanted or any(
        word.startswith(wanted) or t.casefold().startswith(wanted)
        for t in texts
        for word in re.split(r"[\s_]+", t.casefold())
    )


@router.api_route("/suggest/type", methods=["GET", "HEAD"], summary="Type auto-complete")
def suggest_type(prefix: str = "") -> Response:
    return JSONResponse(
        {
            "result": [
                {**t.json(), "description": t.description}
                for t in RECON_TYPES
                if _prefix_matches(prefix, t.id, t.name)
            ]
        }
    )


def _property_json(prop: Property) -> dict[str, str]:
    return {"id": prop.id, "name": prop.name, "description": prop.description}


@router.api_route("/suggest/property", methods=["GET", "HEAD"], summary="Property auto-complete")
def suggest_property(prefix: str = "", type: str | None = None) -> Response:
    kinds = {t.kind for t in _types(type)}
    return JSONResponse(
        {
            "result": [
                _property_json(p)
                for p in PROPERTIES
                if (not kinds or kinds & set(p.kinds)) and _prefix_matches(prefix, p.id, p.name)
            ]
        }
    )


@router.api_route("/properties", methods=["GET", "HEAD"], summary="Properties to propose")
def propose_properties(
    type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> Response:
    types = _types(type)
    kinds = {t.kind for t in types}
    found = [_property_json(p) for p in PROPERTIES if not kinds or kinds & set(p.kinds)]
    answer: dict[str, Any] = {"properties": found[:limit], "limit": limit}
    if types:
        answer["type"] = types[0].id
    return JSONResponse(answer)


@router.api_route("/preview", methods=["GET", "HEAD"], summary="An HTML card of one entity")
def preview(request: Request, id: str) -> Response:
    reconciler = reconciler_of(request)
    iri = resolve_id(id)
    entity = reconciler.index.entity(iri)
    if entity is None:
        raise HttpProblem(404, f"Not found: this service has no entity {id!r}.")
    label = reconciler.dataset.label
    facts = reconciler.facts
    root = root_of(request)
    html = templates.get_template("preview.html").render(
        entity=entity,
        type_name=reconciler.recon_type(entity).name,
        href=page_path(iri, root),
        names=[n for n in reconciler.index.names_of(iri) if n != entity.label][:6],
        born=[d.edtf for d in facts.born.get(iri, [])],
        died=[d.edtf for d in facts.died.get(iri, [])],
        dated=[d.edtf for d in facts.dated.get(iri, [])],
        places=sorted(label(p) for p in facts.places.get(iri, set()))[:6],
        sources=sorted(label(w) for w in reconciler.sources(iri))[:5],
    )
    # OpenRefine shows the card in an iframe of its own page: it must be framable (no script,
    # no style, nothing loaded). The site-wide security headers still forbid framing until
    # they leave a response's own policy alone.
    return HTMLResponse(html, headers={"Content-Security-Policy": PREVIEW_POLICY})


@router.api_route("/view", methods=["GET", "HEAD"], summary="Redirects to the entity's page")
def view(request: Request, id: str) -> Response:
    iri = resolve_id(id)
    if not iri.startswith(BASE_IRI):
        raise HttpProblem(404, f"Not found: {id!r} is not an entity of this service.")
    return RedirectResponse(page_path(iri, root_of(request)), status_code=303)
