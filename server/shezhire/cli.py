"""The ``shezhire`` command: validate | build | publish | serve | query | export."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from shezhire.config import Settings
from shezhire.errors import ShezhireError


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for name in (
        "root",
        "store_path",
        "texts_dir",
        "gate",
        "host",
        "port",
        "backend",
        "remote_query_url",
        "remote_update_url",
        "remote_graph_store_url",
    ):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if getattr(args, "full", False):
        overrides["gate_incremental"] = False
    return Settings(**overrides)  # type: ignore[arg-type]


def _cmd_validate(args: argparse.Namespace) -> int:
    from shezhire.pipeline.build import validate_inputs

    summary = validate_inputs(_settings(args))
    print(summary.describe())
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from shezhire.pipeline.build import build

    summary = build(_settings(args))
    print(summary.describe())
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from shezhire.backend.publish import publish
    from shezhire.pipeline.build import ensure_built

    settings = _settings(args)
    if not settings.remote_query_url or not settings.remote_update_url:
        raise ShezhireError(
            "publish needs --query-url and --update-url (or $SHEZHIRE_REMOTE_QUERY_URL and "
            "$SHEZHIRE_REMOTE_UPDATE_URL)"
        )
    built = ensure_built(settings)  # only a build that passed the gate is published
    if built is not None:
        print(built.describe(), flush=True)
    summary = publish(
        settings.store,
        settings.remote_query_url,
        settings.remote_update_url,
        settings.remote_graph_store_url,
        union_graph=args.union_graph,
    )
    verb = "published" if summary.changed else "already published"
    print(
        f"{verb}: build {summary.build_id}, {summary.graphs} graphs, {summary.triples} triples "
        f"to {settings.remote_query_url} in {summary.seconds:.1f} s"
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from shezhire.http.server import run

    run(_settings(args))
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from shezhire.pipeline.store import open_read_only, query_to_bytes, require_triples

    settings = _settings(args)
    text = Path(args.file).read_text(encoding="utf-8") if args.file else args.query
    if not text:
        raise ShezhireError("give a query or --file")
    require_triples(settings.store)
    with open_read_only(settings.store) as store:
        sys.stdout.buffer.write(query_to_bytes(store, text, args.format))
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    from shezhire.pipeline import stats
    from shezhire.pipeline.store import open_read_only, require_triples

    settings = _settings(args)
    require_triples(settings.store)
    with open_read_only(settings.store) as store:
        rows = {"(all graphs)": stats.counts(store), **stats.per_graph(store)}
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(stats.table(rows))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from shezhire.network.cli import export

    return export(_settings(args), args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shezhire", description=__doc__)
    parser.add_argument(
        "--root",
        type=Path,
        help="the tree (ontology/, shapes/, data/ttl/, queries/); default: $SHEZHIRE_ROOT, else "
        "the current folder if it holds one, else the graph installed with the package",
    )
    parser.add_argument(
        "--store",
        dest="store_path",
        type=Path,
        help="store directory; default: $SHEZHIRE_STORE_PATH, else a per-user data folder "
        "for the tree",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser(
        "validate", help="parse strictly and validate with SHACL; publish nothing"
    )
    build = sub.add_parser("build", help="validate, materialize and publish the store")
    for command in (validate, build):
        command.add_argument(
            "--texts",
            dest="texts_dir",
            type=Path,
            help="check every oa:exact quote against the source text its publication registers "
            "(shz:sourceFile) in this folder; default: $SHEZHIRE_TEXTS_DIR, else no check",
        )
        command.add_argument(
            "--gate",
            choices=["fast", "pyshacl"],
            help="SHACL engine: fast (default) or pyshacl (the reference); $SHEZHIRE_GATE",
        )
        command.add_argument(
            "--full",
            action="store_true",
            help="validate everything, not only what changed since the last clean validation",
        )

    publish = sub.add_parser(
        "publish", help="build if stale, then load the build into a remote SPARQL store"
    )
    serve = sub.add_parser("serve", help="build if stale, then serve SPARQL over HTTP")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--backend",
        choices=["embedded", "remote"],
        help="read the graph from the built store (embedded, the default) or from the remote "
        "store --query-url (filled by `shezhire publish`); $SHEZHIRE_BACKEND",
    )
    for command in (publish, serve):
        command.add_argument(
            "--query-url",
            dest="remote_query_url",
            help="the remote store's SPARQL query endpoint; $SHEZHIRE_REMOTE_QUERY_URL",
        )
    publish.add_argument(
        "--update-url",
        dest="remote_update_url",
        help="the remote store's SPARQL update endpoint; $SHEZHIRE_REMOTE_UPDATE_URL",
    )
    publish.add_argument(
        "--graph-store-url",
        dest="remote_graph_store_url",
        help="the remote store's Graph Store Protocol endpoint (faster writes); "
        "$SHEZHIRE_REMOTE_GRAPH_STORE_URL",
    )
    publish.add_argument(
        "--union-graph",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the build's union graph, the default graph of every read (default: yes, "
        "unless the engine is Virtuoso, which reads the listed graphs as fast)",
    )
    # SUPPRESS: without it the subparser's default (None) would undo a --store given before
    # the command (`shezhire --store X serve`).
    serve.add_argument("--store", dest="store_path", type=Path, default=argparse.SUPPRESS)

    query = sub.add_parser("query", help="run a SPARQL query against the built store")
    query.add_argument("query", nargs="?")
    query.add_argument("--file", help="read the query from a .rq file")
    query.add_argument("--format", default="tsv", help="json | xml | csv | tsv | ttl | nt")

    stats = sub.add_parser("stats", help="entity counts per named graph of the built store")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")

    export = sub.add_parser("export", help="write the person network (see shezhire.network)")
    export.add_argument("--format", default="graphml", choices=["graphml", "gexf", "csv", "json"])
    export.add_argument("--output", "-o", type=Path, help="file to write; default stdout")
    export.add_argument("--source", action="append", help="keep ties cited to this publication IRI")
    export.add_argument("--min-certainty", choices=["certain", "probable", "possible", "uncertain"])
    export.add_argument("--kind", choices=["kin", "social"], help="keep only kin or social ties")
    export.add_argument("--since", help="keep ties dated on or after (YYYY[-MM[-DD]])")
    export.add_argument("--until", help="keep ties dated on or before (YYYY[-MM[-DD]])")
    export.add_argument("--institutions", action="store_true", help="add institutions and places")
    export.add_argument("--endpoint", help="read from this SPARQL endpoint URL, not the store")
    return parser


COMMANDS = {
    "validate": _cmd_validate,
    "build": _cmd_build,
    "publish": _cmd_publish,
    "serve": _cmd_serve,
    "query": _cmd_query,
    "stats": _cmd_stats,
    "export": _cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ShezhireError as error:
        print(f"shezhire {args.command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        # A file that cannot be read or written (permissions, a full disk) is the user's to
        # fix, and one line says what and where; a traceback would bury it.
        print(f"shezhire {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
