"""Linked-data routes: dereferenceable IRIs, pages, the dataset description and dumps.

Include it with ``app.include_router(router)``. What it needs from the app:

* ``request.app.state.settings``: a :class:`shezhire.config.Settings` (``Settings()`` when the
  app has none), for ``settings.queries_dir`` (the example queries).
* The request's snapshot (``request.scope[SNAPSHOT_KEY]``, put there by
  :class:`shezhire.http.snapshot.SnapshotScope`): the build every route of the request reads,
  its store and its dump files; without one the routes answer 503. Handlers are
  plain ``def`` and run in the threadpool.
* The query page posts to ``{root_path}/sparql`` (the SPARQL endpoint, served by the app).

Routes: ``/`` (home), ``/browse/{kind}``, ``/id/{path}``, ``/vocab/{path}``, ``/ontology``,
``/graph/{stem}``, ``/void`` (RDF) and ``/.well-known/void``, ``/data`` (the same as a page),
``/dump.nq``, ``/dump.trig``, ``/dump.ttl``, ``/query-ui``, ``/ld/static/{name}``. Resources
are negotiated (Accept with q-values, or ``?format=html|ttl|jsonld|nt|rdf``); answers carry
``Vary: Accept``, an ``ETag`` and ``Last-Modified`` from the store build, and honour
``If-None-Match``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import cast
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from shezhire.backend.neighbourhood import Neighbourhood
from shezhire.backend.remote import RemoteStore
from shezhire.config import GRAPH_BASE, Settings
from shezhire.example_queries import read_examples
from shezhire.http.snapshot import request_snapshot
from shezhire.http.urls import public_url
from shezhire.linked_data import rdf
from shezhire.linked_data.assets import asset_url
from shezhire.linked_data.graph import (
    ID_BASE,
    ONTOLOGY_IRI,
    VOCAB_BASE,
    Dataset,
    describe,
    graph_document,
)
from shezhire.linked_data.negotiation import (
    HTML,
    NQUADS,
    RESOURCE_OFFERS,
    TRIG,
    TURTLE,
    VOID_OFFERS,
    Format,
    UnknownFormat,
    describe_offers,
    negotiate,
)
from shezhire.linked_data.views import BROWSE, EntityPage, Pages, Site
from shezhire.linked_data.void import void_triples

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"

router = APIRouter(tags=["linked data"])

_templates = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# {{ root }}{{ asset("cytoscape", "cytoscape.min.js") }}: a library file's versioned URL.
_templates.globals["asset"] = asset_url


# -- plumbing -----------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else Settings()


def _dataset(request: Request) -> Dataset:
    return request_snapshot(request).dataset


def _page_dataset(request: Request) -> Dataset:
    """The dataset a resource page reads: on a remote store, through a cache of this request
    alone (:class:`Neighbourhood`: a page in a few round trips, never from an older build);
    what the build's dataset memoises (labels, graph sizes) stays shared."""
    dataset = _dataset(request)
    if not isinstance(dataset.store, RemoteStore):
        return dataset
    _ = dataset.labels  # computed once per build, through the shared store
    return replace(dataset, store=Neighbourhood(dataset.store))


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _site_url(request: Request) -> str:
    """This server's public base URL, ending with ``/``: from the settings, never from the Host
    header (the VoID answer is cached publicly and does not vary by Host)."""
    return public_url(_settings(request))


def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _cache_headers(dataset: Dataset, variant: str) -> dict[str, str]:
    tag = hashlib.sha256(f"{dataset.build_id}/{variant}".encode()).hexdigest()[:24]
    return {
        "ETag": f'"{tag}"',
        "Last-Modified": dataset.last_modified,
        "Vary": "Accept",
        "Cache-Control": "public, max-age=300",
    }


def _render(template: str, request: Request, status: int = 200, **context: object) -> HTMLResponse:
    html = _templates.get_template(template).render(root=_root(request), **context)
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept"})


def _alternates(path: str, offers: tuple[Format, ...]) -> list[dict[str, str]]:
    return [
        {"media": f.media_type, "href": f"{path}?format={f.name}", "label": f.label}
        for f in offers
        if f.rdf is not None
    ]


def _link_header(alternates: list[dict[str, str]]) -> str:
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["media"]}"' for a in alternates)


def _not_acceptable(offers: tuple[Format, ...]) -> Response:
    return PlainTextResponse(
        f"Not acceptable: this resource is available as {describe_offers(offers)} "
        "(or ask with ?format=html|ttl|jsonld|nt|rdf).\n",
        status_code=406,
        headers={"Vary": "Accept"},
    )


def _choose(request: Request, offers: tuple[Format, ...]) -> Format | Response:
    try:
        chosen = negotiate(
            request.headers.get("accept"), request.query_params.get("format"), offers
        )
    except UnknownFormat as error:
        return PlainTextResponse(
            f"Unknown format {str(error)!r}; use one of {', '.join(f.name for f in offers)}.\n",
            status_code=400,
            headers={"Vary": "Accept"},
        )
    return chosen if chosen is not None else _not_acceptable(offers)


def _not_found(request: Request, iri: str, fmt: Format, dataset: Dataset) -> Response:
    if fmt is not HTML:
        return PlainTextResponse(
            f"Not found: Shezhire has no resource <{iri}>.\n",
            status_code=404,
            headers={"Vary": "Accept"},
        )
    pages = Pages(dataset, Site(_root(request)))
    slug = iri.rstrip("/").rsplit("/", 1)[-1]
    words = [w for w in slug.split("-") if len(w) > 3][:3]
    suggestions = []
    if words:
        folder = iri.rsplit("/", 1)[0] + "/"
        # The IRIs sharing the most words of the slug first (a full name before a namesake).
        scored = (
            (sum(w in candidate for w in words), candidate)
            for candidate in dataset.labels
            if candidate.startswith(folder)
        )
        best = sorted((item for item in scored if item[0]), key=lambda item: (-item[0], item[1]))
        suggestions = [pages.link(candidate) for _score, candidate in best[:10]]
    return _render(
        "not_found.html",
        request,
        status=404,
        title="Not found",
        iri=iri,
        suggestions=suggestions,
        alternates=[],
    )


def _resource(
    request: Request,
    iri: str,
    html: Callable[[Dataset, list[dict[str, str]]], Response],
    triples: Callable[[Dataset], list[object]],
    exists: Callable[[Dataset], bool] | None = None,
) -> Response:
    """Negotiate, 404, 304, then the HTML page or the RDF description of ``iri``."""
    chosen = _choose(request, RESOURCE_OFFERS)
    if isinstance(chosen, Response):
        return chosen
    dataset = _page_dataset(request)
    if not (exists(dataset) if exists else dataset.exists(iri)):
        return _not_found(request, iri, chosen, dataset)
    headers = _cache_headers(dataset, f"{iri}|{chosen.name}")
    if _etag_matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    alternates = _alternates(str(request.url.path), RESOURCE_OFFERS)
    headers["Link"] = _link_header(alternates)
    if chosen is HTML:
        response = html(dataset, alternates)
        response.headers.update(headers)
        return response
    body = rdf.serialize(cast("list[ox.Triple]", triples(dataset)), chosen, _context_url(request))
    return Response(body, media_type=chosen.content_type, headers=headers)


def _context_url(request: Request) -> str:
    """Where JSON-LD answers say their @context is: this site's /context.jsonld."""
    return _site_url(request) + rdf.CONTEXT_PATH.lstrip("/")


# -- entities, concepts, the ontology -----------------------------------------------------------


def _entity_response(request: Request, iri: str) -> Response:
    def html(dataset: Dataset, alternates: list[dict[str, str]]) -> Response:
        page: EntityPage = Pages(dataset, Site(_root(request))).entity(iri)
        return _render("entity.html", request, title=page.title, page=page, alternates=alternates)

    return _resource(request, iri, html, lambda ds: list(describe(ds, iri)))


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"], summary="An entity (negotiated)")
def entity(path: str, request: Request) -> Response:
    return _entity_response(request, ID_BASE + path)


@router.api_route("/vocab/{path:path}", methods=["GET", "HEAD"], summary="A SKOS concept or scheme")
def vocab(path: str, request: Request) -> Response:
    return _entity_response(request, VOCAB_BASE + path)


@router.api_route("/ontology", methods=["GET", "HEAD"], summary="The ontology (negotiated)")
def ontology(request: Request) -> Response:
    def html(dataset: Dataset, alternates: list[dict[str, str]]) -> Response:
        pages = Pages(dataset, Site(_root(request)))
        page = pages.entity(ONTOLOGY_IRI)
        return _render(
            "ontology.html",
            request,
            title=page.title,
            page=page,
            groups=pages.ontology_terms(),
            alternates=alternates,
        )

    return _resource(
        request,
        ONTOLOGY_IRI,
        html,
        lambda ds: list(graph_document(ds, ONTOLOGY_GRAPH)),
        exists=lambda ds: ONTOLOGY_GRAPH in ds.graphs(),
    )


@router.api_route(
    "/ontology/{term}", methods=["GET", "HEAD"], include_in_schema=False, summary="shz:Term"
)
def ontology_term(term: str, request: Request) -> Response:
    """``/ontology/Person`` (a client that cannot send fragments) goes to ``/ontology#Person``."""
    return RedirectResponse(f"{_root(request)}/ontology#{quote(term)}", status_code=303)


# -- named graphs --------------------------------------------------------------------------------


@router.api_route("/graph/{stem}", methods=["GET", "HEAD"], summary="One named graph (negotiated)")
def named_graph(stem: str, request: Request) -> Response:
    iri = GRAPH_BASE + stem

    def html(dataset: Dataset, alternates: list[dict[str, str]]) -> Response:
        pages = Pages(dataset, Site(_root(request)))
        sources = dataset.select(
            f"""SELECT ?w (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?c shz:publication ?w }}
                ?w a shz:SourceText }} GROUP BY ?w ORDER BY DESC(?n) LIMIT 1"""
        )
        work = sources[0].get("w") if sources else None
        source = pages.link(work.value) if isinstance(work, ox.NamedNode) else None
        return _render(
            "graph.html",
            request,
            title=f"Graph {stem}",
            stem=stem,
            iri=iri,
            triples=dataset.graphs().get(iri, 0),
            source=source,
            groups=pages.graph_subjects(iri),
            alternates=alternates,
        )

    return _resource(
        request,
        iri,
        html,
        lambda ds: list(graph_document(ds, iri)),
        exists=lambda ds: iri in ds.graphs(),
    )


# -- the JSON-LD context -------------------------------------------------------------------------


@router.api_route(
    "/context.jsonld", methods=["GET", "HEAD"], summary="The JSON-LD context of the vocabulary"
)
def context(request: Request) -> Response:
    """The compact ``@context`` JSON-LD answers reference: the project's prefixes and short
    terms for its main properties, with their @id/@type coercions (ontology/context.jsonld)."""
    body = rdf.context_document()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=86400",
        "Access-Control-Allow-Origin": "*",
    }
    if _etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/ld+json", headers=headers)


# -- the dataset description --------------------------------------------------------------------


@router.api_route(
    "/void", methods=["GET", "HEAD"], summary="VoID/DCAT description (Turtle, JSON-LD)"
)
def void(request: Request) -> Response:
    chosen = _choose(request, VOID_OFFERS)
    if isinstance(chosen, Response):
        if chosen.status_code == 406:  # a browser: the page for people is /data
            data = f"{_root(request)}/data"
            return PlainTextResponse(
                f"Not acceptable: /void is RDF only ({describe_offers(VOID_OFFERS)}); "
                f"the dataset description for people is at {data}.\n",
                status_code=406,
                headers={"Vary": "Accept", "Link": f'<{data}>; rel="alternate"; type="text/html"'},
            )
        return chosen
    dataset = _dataset(request)
    site = _site_url(request)
    headers = _cache_headers(dataset, f"void|{site}|{chosen.name}")
    if _etag_matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    body = rdf.serialize(void_triples(dataset, site), chosen)
    return Response(body, media_type=chosen.content_type, headers=headers)


@router.api_route("/data", methods=["GET", "HEAD"], summary="The dataset description (HTML)")
def data_page(request: Request) -> Response:
    """What /void says (VoID/DCAT) as a page: counts, named graphs, vocabularies, the SPARQL
    endpoint, the dumps with their sizes. /void stays RDF only."""
    snapshot = request_snapshot(request)
    dataset = snapshot.dataset
    headers = _cache_headers(dataset, "data")
    if _etag_matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    root = _root(request)
    site = _site_url(request)
    sizes = {f"dump.{ext}": snapshot.dump_file(ext).stat().st_size for ext in _DUMPS}
    info = dataset.memo(
        f"data|{root}|{site}", lambda: Pages(dataset, Site(root)).data_page(site, sizes)
    )
    response = _render(
        "data.html",
        request,
        title="The dataset",
        data=info,
        alternates=[
            {"media": f.media_type, "href": f"{root}/void?format={f.name}", "label": f.label}
            for f in VOID_OFFERS
        ],
    )
    response.headers.update(headers)
    return response


@router.api_route("/.well-known/void", methods=["GET", "HEAD"], summary="Redirects to /void")
def well_known_void(request: Request) -> Response:
    target = f"{_root(request)}/void"
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})


# -- dumps ----------------------------------------------------------------------------------------

_DUMPS: dict[str, Format] = {"nq": NQUADS, "trig": TRIG, "ttl": TURTLE}


def _dump(request: Request, ext: str) -> Response:
    fmt = _DUMPS[ext]
    snapshot = request_snapshot(request)
    headers = _cache_headers(snapshot.dataset, f"dump.{ext}")
    headers.pop("Vary")
    headers["Content-Disposition"] = f'attachment; filename="shezhire.{ext}"'
    if _etag_matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    # A file written once per snapshot: no store iterator outlives this call or changes thread.
    path = snapshot.dump_file(ext)
    return FileResponse(path, media_type=fmt.content_type, headers=headers)


@router.api_route("/dump.nq", methods=["GET", "HEAD"], summary="Every named graph, N-Quads")
def dump_nquads(request: Request) -> Response:
    return _dump(request, "nq")


@router.api_route("/dump.trig", methods=["GET", "HEAD"], summary="Every named graph, TriG")
def dump_trig(request: Request) -> Response:
    return _dump(request, "trig")


@router.api_route("/dump.ttl", methods=["GET", "HEAD"], summary="The union of the graphs, Turtle")
def dump_turtle(request: Request) -> Response:
    return _dump(request, "ttl")


# -- home, browse, query --------------------------------------------------------------------------


@router.api_route("/", methods=["GET", "HEAD"], summary="Home page")
def home(request: Request) -> Response:
    dataset = _dataset(request)
    headers = _cache_headers(dataset, "home")
    if _etag_matches(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    root = _root(request)
    info = dataset.memo(f"home|{root}", lambda: Pages(dataset, Site(root)).home())
    response = _render(
        "home.html",
        request,
        title="Home",
        home=info,
        alternates=[{"media": "text/turtle", "href": f"{_root(request)}/void", "label": "VoID"}],
    )
    response.headers.update(headers)
    return response


@router.api_route("/browse/{kind}", methods=["GET", "HEAD"], summary="A table of one kind")
def browse(kind: str, request: Request) -> Response:
    spec = BROWSE.get(kind)
    if spec is None:
        return PlainTextResponse(
            f"No list {kind!r}; try one of: {', '.join(BROWSE)}.\n", status_code=404
        )
    dataset = _dataset(request)
    params = list(request.query_params.multi_items())
    page = Pages(dataset, Site(_root(request))).browse(kind, spec, params)
    title = f"{page.group.title} · {spec.title}" if page.group else spec.title
    return _render(
        "browse.html",
        request,
        title=title,
        kind=spec,
        kinds=BROWSE,
        page=page,
        alternates=[],
    )


@router.api_route("/browse", methods=["GET", "HEAD"], include_in_schema=False)
def browse_index(request: Request) -> Response:
    return RedirectResponse(f"{_root(request)}/browse/persons", status_code=303)


@router.api_route("/query-ui", methods=["GET", "HEAD"], summary="SPARQL query page")
def query_ui(request: Request) -> Response:
    settings = _settings(request)
    examples = read_examples(settings.queries_dir)
    wanted = request.query_params.get("example", "")
    initial = request.query_params.get("query", "")
    if not initial and examples:
        chosen = next((e for e in examples if e.name == wanted), examples[0])
        initial = chosen.query
    config = {
        "root": _root(request),
        "endpoint": f"{_root(request)}/sparql",
        "example": wanted if any(e.name == wanted for e in examples) else "",
        "autorun": request.query_params.get("run") in ("1", "true", "yes"),
    }
    return _render(
        "query.html",
        request,
        title="Query",
        examples=examples,
        examples_json=[asdict(e) for e in examples],
        config=config,
        initial=initial,
        alternates=[],
    )


@router.get("/ld/static/{name}", include_in_schema=False)
def static(name: str, request: Request) -> Response:
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in STATIC_TYPES or not path.is_file():
        return PlainTextResponse("Not found.\n", status_code=404)
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if _etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=STATIC_TYPES[path.suffix], headers=headers)
