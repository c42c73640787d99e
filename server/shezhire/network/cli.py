"""``shezhire export``: write the whole person network (filtered) in one format."""

from __future__ import annotations

import argparse
import sys

from shezhire.config import Settings
from shezhire.errors import ShezhireError
from shezhire.network.build import build_network, filter_network
from shezhire.network.export import to_bytes
from shezhire.network.model import NetworkFilter


def export(settings: Settings, args: argparse.Namespace) -> int:
    """Build the network from the store (or ``--endpoint URL``), filter it, write it to
    ``--output`` or stdout; report nodes and edges on stderr."""
    filters = NetworkFilter(
        sources=tuple(getattr(args, "source", None) or ()),
        min_certainty=getattr(args, "min_certainty", None),
        kinds=(args.kind,) if getattr(args, "kind", None) else (),
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
        institutions=bool(getattr(args, "institutions", False)),
    )
    endpoint = getattr(args, "endpoint", None)
    graph = filter_network(build_network(endpoint or settings.store), filters)
    body = to_bytes(graph, args.format)
    output = getattr(args, "output", None)
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        try:
            output.write_bytes(body)
        except OSError as error:
            raise ShezhireError(f"cannot write {output}: {error}") from error
    print(
        f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
        f"({args.format}) from {graph.graph.get('source')}"
        + (f" to {output}" if output is not None and str(output) != "-" else ""),
        file=sys.stderr,
    )
    return 0
