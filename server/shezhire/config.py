"""The one Settings class: paths, bind address, limits, tokens and allow-lists.

Every setting can be given as an environment variable with the prefix ``SHEZHIRE_``
(``SHEZHIRE_QUERY_TIMEOUT_S=5``). Limits are named here, with their defaults, so that the
README, the server and the tests read the same numbers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
# A wheel carries the curated graph inside the package; a source checkout (and an editable
# install, which imports from the checkout) has it two folders above server/shezhire.
SHIPPED_TREE = PACKAGE_DIR / "tree"
TREE_FOLDERS = ("ontology", "shapes", "data/ttl")


def is_tree(folder: Path) -> bool:
    """True when `folder` holds a Shezhire tree: ontology/, shapes/ and data/ttl/."""
    return all((folder / part).is_dir() for part in TREE_FOLDERS)


def packaged_root() -> Path:
    """The graph that came with the package: shezhire/tree in a wheel, else the checkout."""
    checkout = PACKAGE_DIR.parents[1]
    if is_tree(SHIPPED_TREE) or not is_tree(checkout):
        return SHIPPED_TREE
    return checkout


# The tree used when neither --root, SHEZHIRE_ROOT nor the current folder names one.
DEFAULT_ROOT = packaged_root()


def find_root() -> Path:
    """The current folder when it holds a tree (a copy being edited), else the packaged one."""
    try:
        here = Path.cwd()
    except OSError:  # the current folder was deleted under us
        return DEFAULT_ROOT
    return here if is_tree(here) else DEFAULT_ROOT


def tree_state_dir(root: Path) -> Path:
    """Where the store and the SHACL report of the tree at `root` go by default.

    A per-user data folder keyed by the tree's resolved path: never site-packages (an
    installed package is not ours to write into) and never the tree itself (it may be a
    read-only checkout or a copy shared by several users).
    """
    resolved = root.resolve()
    key = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    base = Path(platformdirs.user_data_dir("shezhire", appauthor=False))
    return base / "trees" / f"{resolved.name or 'root'}-{key}"


BASE_IRI = "https://w3id.org/shezhire/"
GRAPH_BASE = BASE_IRI + "graph/"
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
INFERRED_GRAPH = GRAPH_BASE + "inferred"

DEFAULT_QUERY_TIMEOUT_S = 30.0
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_MAX_QUERY_LENGTH = 100_000
# The largest answer a query may give, as serialized: the worker holds it whole before the
# status is sent (so a larger one is a clean 400, not a cut 200); about 100,000 JSON rows.
DEFAULT_MAX_RESULT_BYTES = 32_000_000
DEFAULT_QUERY_WORKERS = 2
# The pool grows on demand up to this many workers, so short queries are answered while long
# ones hold workers; each worker reads the published store folder (read-only, shared through
# the page cache).
DEFAULT_MAX_QUERY_WORKERS = 6
# Queries one client (IP address) may have in the engine at once; more get 429.
DEFAULT_MAX_CLIENT_QUERIES = 4
DEFAULT_WORKER_MEMORY_MB = 4096
DEFAULT_RESULT_CACHE_ENTRIES = 512
DEFAULT_RESULT_CACHE_MAX_BYTES = 256 * 1024
DEFAULT_RESULT_CACHE_TOTAL_BYTES = 64 * 1024 * 1024

# The public URL begins every IRI the service writes about itself (service description, VoID,
# the base IRI of queries): none of these may be in it (RFC 3987), nor controls or spaces.
NOT_IN_IRI = frozenset(' <>"{}|\\^`')


def check_public_url(value: str) -> str:
    """``value`` without its trailing ``/``; ValueError unless it is an absolute http(s) URL
    with a host and no query, fragment or user info."""
    if any(c in NOT_IN_IRI or ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        raise ValueError(f"public_url {value!r} has characters a URL may not have")
    parts = urlsplit(value)  # ValueError on a malformed IPv6 host
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public_url {value!r} is not an absolute http(s) URL")
    if parts.port == 0:  # .port raises ValueError when it is not a number up to 65535
        raise ValueError(f"public_url {value!r} has port 0")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"public_url {value!r} may not have a query, fragment or user info")
    return value.rstrip("/")


class Settings(BaseSettings):
    """Configuration of the build and of the HTTP service."""

    model_config = SettingsConfigDict(env_prefix="SHEZHIRE_", extra="ignore")

    root: Path = Field(
        default_factory=find_root,
        description="The tree (ontology/, shapes/, data/ttl/, queries/); default: the current "
        "folder if it holds one, else the graph shipped with the package",
    )
    store_path: Path | None = Field(
        default=None, description="Built store; default: a per-user data folder for the tree"
    )
    report_path: Path | None = Field(
        default=None, description="SHACL report on failure; default: beside the store"
    )
    texts_dir: Path | None = Field(
        default=None,
        description="Folder of the source texts (the shz:sourceFile of each publication); when "
        "set, validate and build check every oa:exact quote against its text. Default: no check",
    )

    gate: Literal["fast", "pyshacl"] = Field(
        default="fast",
        description="SHACL engine of the gate: fast (the Rust `shacl` package) or pyshacl (the "
        "reference); both give the same verdicts",
    )
    gate_incremental: bool = Field(
        default=True,
        description="Validate only what a change can affect (see pipeline/incremental.py); "
        "false: validate everything on every build",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="Where clients reach the service (its public URL behind a proxy, e.g. "
        "https://example.org/shezhire); self-descriptions use it, never the Host header. "
        "Default: http://{host}:{port}",
    )

    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_query_length: int = DEFAULT_MAX_QUERY_LENGTH
    max_result_bytes: int = Field(default=DEFAULT_MAX_RESULT_BYTES, ge=1)
    query_workers: int = Field(
        default=DEFAULT_QUERY_WORKERS, ge=1, description="Worker processes that run queries"
    )
    max_query_workers: int = Field(
        default=DEFAULT_MAX_QUERY_WORKERS,
        ge=1,
        description="Most worker processes the pool grows to under load (at least query_workers)",
    )
    max_client_queries: int = Field(
        default=DEFAULT_MAX_CLIENT_QUERIES,
        ge=0,
        description="Queries one client IP may run at once (more get 429); 0 = no limit",
    )
    worker_memory_mb: int = Field(
        default=DEFAULT_WORKER_MEMORY_MB,
        ge=0,
        description="Address space a query worker may add to the opened store (a query past it "
        "gets 503); 0 = none",
    )
    server_store: Literal["read-only", "memory"] = Field(
        default="read-only",
        description="How the server process (pages, network, search) holds the store: "
        "'read-only' reads the published folder (opens at once; the page cache holds it once "
        "for this process and the workers), 'memory' copies it in (from the build's N-Quads "
        "dump: about 10 s and 500 MB more at x30; pages about twice as fast at x30)",
    )
    worker_store: Literal["read-only", "memory"] = Field(
        default="read-only",
        description="How each query worker holds the store: 'read-only' reads the published "
        "folder (shared through the page cache), 'memory' copies it in (one copy per worker; "
        "faster for queries that sort or return many strings)",
    )
    sparql_fast_path: bool = Field(
        default=True, description="Answer /sparql in a thin ASGI front (same core, less overhead)"
    )
    result_cache_entries: int = Field(
        default=DEFAULT_RESULT_CACHE_ENTRIES,
        ge=0,
        description="Answers kept in memory (the store is read-only); 0 turns the cache off",
    )
    result_cache_max_bytes: int = Field(
        default=DEFAULT_RESULT_CACHE_MAX_BYTES, ge=0, description="Largest answer the cache keeps"
    )
    result_cache_total_bytes: int = Field(
        default=DEFAULT_RESULT_CACHE_TOTAL_BYTES,
        ge=0,
        description="Bytes the cache may hold in all (queries and answers)",
    )
    access_log: bool = Field(default=False, description="Log every request (costs throughput)")

    backend: Literal["embedded", "remote"] = Field(
        default="embedded",
        description="Where every route reads the graph: 'embedded' (the published pyoxigraph "
        "store) or 'remote' (the SPARQL 1.1 endpoint remote_query_url, filled by "
        "`shezhire publish`)",
    )
    remote_query_url: str | None = Field(
        default=None, description="The remote store's SPARQL 1.1 query endpoint"
    )
    remote_update_url: str | None = Field(
        default=None,
        description="The remote store's SPARQL 1.1 update endpoint (`shezhire publish` only)",
    )
    remote_graph_store_url: str | None = Field(
        default=None,
        description="The remote store's Graph Store Protocol endpoint, if any: `shezhire "
        "publish` stages each graph in one PUT there (faster than INSERT DATA)",
    )

    write_token: str | None = Field(default=None, description="Writes are refused unless set")
    service_allowlist: list[str] = Field(
        default_factory=list, description="Endpoints a SERVICE clause may call; empty = none"
    )

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def data_dir(self) -> Path:
        return self.root / "data" / "ttl"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @field_validator("remote_query_url", "remote_update_url", "remote_graph_store_url")
    @classmethod
    def _remote_is_a_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_url(cls, value: str | None) -> str | None:
        return check_public_url(value) if value else None

    @property
    def public_base_url(self) -> str:
        """``public_url``, or the bind address as a URL; never ends with ``/``."""
        if self.public_url:
            return self.public_url
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def store(self) -> Path:
        return self.store_path or tree_state_dir(self.root) / "store"

    @property
    def report(self) -> Path:
        return self.report_path or self.store.parent / "shacl-report.ttl"

    @property
    def gate_state(self) -> Path:
        """What last passed the gate (pipeline/incremental.py), beside the store."""
        return self.store.with_name(self.store.name + ".gate.json")
