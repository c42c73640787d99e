"""The one Settings class: paths, bind address, limits, tokens and allow-lists.

Every setting can be given as an environment variable with the prefix ``SHEZHIRE_``
(``SHEZHIRE_QUERY_TIMEOUT_S=5``). Limits are named here, with their defaults, so that the
README, the server and the tests read the same numbers.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The package lives at <root>/server/shezhire; the curated inputs live under <root>.
DEFAULT_ROOT = Path(__file__).resolve().parents[2]

BASE_IRI = "https://w3id.org/shezhire/"
GRAPH_BASE = BASE_IRI + "graph/"
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
INFERRED_GRAPH = GRAPH_BASE + "inferred"

DEFAULT_QUERY_TIMEOUT_S = 30.0
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_MAX_QUERY_LENGTH = 100_000
DEFAULT_MAX_RESULT_ROWS = 100_000
DEFAULT_QUERY_WORKERS = 2
DEFAULT_WORKER_MEMORY_MB = 4096
DEFAULT_RESULT_CACHE_ENTRIES = 512
DEFAULT_RESULT_CACHE_MAX_BYTES = 256 * 1024


class Settings(BaseSettings):
    """Configuration of the build and of the HTTP service."""

    model_config = SettingsConfigDict(env_prefix="SHEZHIRE_", extra="ignore")

    root: Path = DEFAULT_ROOT
    store_path: Path | None = Field(
        default=None, description="Built store; default <root>/var/store"
    )
    report_path: Path | None = Field(
        default=None, description="SHACL report on failure; default <root>/var/shacl-report.ttl"
    )

    host: str = "127.0.0.1"
    port: int = 8000

    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_query_length: int = DEFAULT_MAX_QUERY_LENGTH
    max_result_rows: int = DEFAULT_MAX_RESULT_ROWS
    query_workers: int = Field(
        default=DEFAULT_QUERY_WORKERS, ge=1, description="Worker processes that run queries"
    )
    worker_memory_mb: int = Field(
        default=DEFAULT_WORKER_MEMORY_MB,
        ge=0,
        description="Address-space limit of each query worker (a query past it gets 503); 0 = none",
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
    access_log: bool = Field(default=False, description="Log every request (costs throughput)")

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

    @property
    def store(self) -> Path:
        return self.store_path or self.root / "var" / "store"

    @property
    def report(self) -> Path:
        return self.report_path or self.root / "var" / "shacl-report.ttl"
