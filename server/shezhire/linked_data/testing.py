"""Serving the linked-data router for tests and by hand, standalone or inside the SPARQL app.

``python -m shezhire.linked_data.testing`` serves, on ``SHEZHIRE_HOST:SHEZHIRE_PORT`` (settings
from ``SHEZHIRE_*`` variables), the app of :func:`make_app`: ``shezhire.http.app.create_app``
with this router included when that works, else (or with ``SHEZHIRE_LD_STANDALONE=1``) a bare
FastAPI app with the router and a minimal SPARQL query endpoint over the same in-memory store,
so that the query page works without the SPARQL service.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import FastAPI, Request
from starlette.responses import PlainTextResponse, Response

from shezhire.config import Settings
from shezhire.errors import ShezhireError
from shezhire.linked_data.graph import dataset_for
from shezhire.linked_data.router import router

log = logging.getLogger("shezhire.linked_data")


def standalone_app(settings: Settings) -> FastAPI:
    """The router alone, plus ``POST/GET /sparql`` answering SELECT/ASK as SPARQL JSON."""
    app = FastAPI(title="Shezhire linked data (standalone)")
    app.state.settings = settings
    app.state.linked_data_mode = "standalone"
    app.include_router(router)

    async def _query_text(request: Request) -> str:
        if request.method == "GET":
            return request.query_params.get("query", "")
        body = (await request.body()).decode("utf-8")
        if request.headers.get("content-type", "").startswith("application/sparql-query"):
            return body
        return parse_qs(body).get("query", [""])[0]

    @app.api_route("/sparql", methods=["GET", "POST"])
    async def sparql(request: Request) -> Response:
        text = await _query_text(request)
        if not text:
            return PlainTextResponse("Give a query.\n", status_code=400)
        store = dataset_for(settings).store
        try:
            results = store.query(text, use_default_graph_as_union=True)
        except SyntaxError as error:
            return PlainTextResponse(f"Bad query: {error}\n", status_code=400)
        if isinstance(results, ox.QueryBoolean):
            body = b'{"head":{},"boolean":' + (b"true" if bool(results) else b"false") + b"}"
            return Response(body, media_type="application/sparql-results+json")
        if isinstance(results, ox.QuerySolutions):
            out = results.serialize(format=ox.QueryResultsFormat.JSON) or b""
            return Response(out, media_type="application/sparql-results+json")
        out = results.serialize(format=ox.RdfFormat.TURTLE) or b""
        return Response(out, media_type="text/turtle")

    return app


def make_app(settings: Settings | None = None) -> Any:
    """The SPARQL app with this router included, or the standalone app."""
    settings = settings or Settings()
    if os.environ.get("SHEZHIRE_LD_STANDALONE") != "1":
        try:
            from shezhire.http.app import create_app  # noqa: PLC0415

            app = create_app(settings)
            app.include_router(router)
            app.state.linked_data_mode = "http-app"
            return app
        except Exception:  # the SPARQL app is someone else's work in progress
            log.exception("create_app failed; serving the linked-data router standalone")
    return standalone_app(settings)


def build_unvalidated_store(root: Path, destination: Path) -> list[str]:
    """Parse and materialize ``root``'s inputs like the build, without the SHACL gate.

    Tests use it so that a collaborator's invalid in-progress data file cannot stop them: files
    that do not parse are skipped (and returned with their errors).
    """
    from shezhire.pipeline import load, materialize  # noqa: PLC0415
    from shezhire.pipeline.sources import InputKind, discover  # noqa: PLC0415

    settings = Settings(root=root, store_path=destination)
    staging = ox.Store()
    skipped: list[str] = []
    graph_files: dict[str, Path] = {}
    for item in discover(settings):
        if item.kind is InputKind.SHAPES:
            continue
        try:
            load.parse_into(staging, item)
        except (ShezhireError, SyntaxError, ValueError, OSError) as error:
            skipped.append(f"{item.path}: {error}")
            staging.remove_graph(ox.NamedNode(item.graph_iri))
            continue
        graph_files[item.graph_iri] = item.path
    # The pipeline's API moves; call it the way the installed version wants.
    run: Any = materialize.materialize
    bounds_of: Any = getattr(materialize, "date_bounds", None)
    if bounds_of is None:
        run(staging, graph_files)
    else:
        try:
            bounds = bounds_of(staging, graph_files)
        except ShezhireError as error:
            skipped.append(f"date bounds: {error}")
            bounds = []
        run(staging, bounds)
    write_store(destination, staging.quads_for_pattern(None, None, None, None))
    return skipped


def write_store(destination: Path, quads: Iterable[ox.Quad]) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    disk = ox.Store(str(destination))
    disk.bulk_extend(quads)
    disk.flush()
    del disk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LinkedDataServer:
    """``python -m shezhire.linked_data.testing`` on 127.0.0.1 and a free port, in a subprocess.

    ``standalone`` forces the bare app; otherwise the SPARQL app is used when it starts, and
    the standalone app when it does not (``mode`` says which one answered).
    """

    def __init__(
        self,
        store: Path,
        root: Path | None = None,
        standalone: bool = False,
        extra_env: Mapping[str, str] | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.store = store
        self.root = root
        self.standalone = standalone
        self.extra_env = dict(extra_env or {})
        self.timeout_s = timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.mode = ""
        self._log = tempfile.NamedTemporaryFile(prefix="shezhire-ld-", suffix=".log", delete=False)  # noqa: SIM115
        self._log.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def _spawn(self, standalone: bool) -> bool:
        import httpx  # noqa: PLC0415

        self.port = free_port()
        env = {
            **os.environ,
            "SHEZHIRE_HOST": "127.0.0.1",
            "SHEZHIRE_PORT": str(self.port),
            "SHEZHIRE_STORE_PATH": str(self.store),
            "SHEZHIRE_QUERY_WORKERS": "1",
            **({"SHEZHIRE_ROOT": str(self.root)} if self.root else {}),
            **({"SHEZHIRE_LD_STANDALONE": "1"} if standalone else {}),
            **self.extra_env,
        }
        with open(self._log.name, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shezhire.linked_data.testing"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                answer = httpx.get(self.url + "/ld/static/style.css", timeout=2)
                if answer.status_code == 200:
                    self.mode = "standalone"
                    if "linked-data mode: http-app" in self.log():
                        self.mode = "http-app"
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        return False

    def start(self) -> LinkedDataServer:
        if not self.standalone and self._spawn(standalone=False):
            return self
        self.stop()
        if self._spawn(standalone=True):
            return self
        self.stop()
        raise RuntimeError(f"the linked-data server did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def __enter__(self) -> LinkedDataServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        Path(self._log.name).unlink(missing_ok=True)


def main() -> None:
    import uvicorn  # noqa: PLC0415

    settings = Settings()
    app = make_app(settings)
    print(f"linked-data mode: {app.state.linked_data_mode}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
