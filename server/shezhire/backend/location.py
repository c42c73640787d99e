"""Where the served graph is: a published version folder or a remote endpoint's build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shezhire.backend.engines import traits
from shezhire.backend.interface import GraphStore
from shezhire.backend.manifest import read_manifest
from shezhire.backend.remote import RemoteError, RemoteStore
from shezhire.errors import StoreError
from shezhire.pipeline.store import open_for_serving


@dataclass(frozen=True)
class RemoteTarget:
    """One published build in a remote store; equal when the endpoint and build are."""

    query_url: str
    build_id: str
    built: float = field(compare=False)
    graphs: dict[str, int] = field(compare=False, hash=False)
    #: published graph IRI -> the stored graph that holds it
    stored: dict[str, str] = field(compare=False, hash=False)
    #: the build's union graph (every triple once), the default graph of every read; None:
    #: the stored graphs, listed, are the default graph
    union: str | None = field(compare=False, default=None)
    #: the engine's Server header at publish (backend.engines: how to read it)
    engine: str = field(compare=False, default="")

    def __str__(self) -> str:
        return self.query_url


def is_remote(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def remote_target(query_url: str) -> RemoteTarget:
    """The build the remote's manifest names; StoreError when it names none or is unreachable."""
    try:
        manifest = read_manifest(query_url)
    except RemoteError as error:
        raise StoreError(f"cannot read the remote store: {error}") from error
    if manifest is None:
        raise StoreError(
            f"the remote store {query_url} holds no Shezhire build: run `shezhire publish` first"
        )
    return RemoteTarget(
        query_url,
        manifest.build_id,
        manifest.built,
        manifest.graphs,
        manifest.stored,
        manifest.union,
        manifest.engine,
    )


def open_target(target: Path | RemoteTarget, mode: str = "read-only") -> GraphStore:
    """The store of a build: a published version folder opened for serving (``mode``), or a
    remote build read through :class:`RemoteStore`, limited to the graphs its manifest names."""
    if isinstance(target, RemoteTarget):
        return RemoteStore(
            target.query_url,
            stored=target.stored,
            union=target.union,
            traits=traits(target.engine),
        )
    return open_for_serving(target, mode)


def open_store(location: str, mode: str = "read-only") -> GraphStore:
    """The store at ``location`` (what a worker or the dump process is given): a remote
    endpoint's URL, whose manifest names the build, else a published version folder."""
    return open_target(remote_target(location) if is_remote(location) else Path(location), mode)
