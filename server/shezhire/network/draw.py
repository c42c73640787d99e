"""Drawing an ego network with matplotlib (an optional dependency: ``pip install matplotlib``).

Edges are styled by certainty (solid certain, dashed probable, dash-dot possible, dotted
uncertain) and coloured by kind (kin, social); nodes sit on rings by their distance from
the centre, each second-ring node near the first-ring person it is reached through.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, Literal

import networkx as nx

CERTAINTY_STYLES: dict[str, Literal["solid", "dashed", "dashdot", "dotted"]] = {
    "certain": "solid",
    "probable": "dashed",
    "possible": "dashdot",
    "uncertain": "dotted",
}
KIND_COLOURS = {
    "kin": "#b2182b",
    "social": "#2166ac",
    "membership": "#4d9221",
    "event-place": "#8c510a",
    "location": "#762a83",
}
RING_COLOURS = ["#fdae61", "#fee090", "#e0f3f8", "#f7f7f7", "#f7f7f7"]
RING_RADII = [0.0, 1.6, 3.0, 4.2, 5.3]


def ring_layout(ego: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """A radial tree: centre at the origin, ring *d* holds the nodes at distance *d*; each
    node gets an angular sector proportional to the number of leaves it leads to, and its
    descendants (by breadth-first tree, ties broken by label) sit inside that sector."""
    center = ego.graph["center"]
    undirected = ego.to_undirected(as_view=True)
    label = {n: str(ego.nodes[n].get("label", n)) for n in ego}
    distance = {n: int(ego.nodes[n].get("distance") or 0) for n in ego}
    children: dict[str, list[str]] = {n: [] for n in ego}
    for node in sorted(ego, key=lambda n: (distance[n], label[n])):
        if node == center:
            continue
        parents = sorted(
            (p for p in undirected.neighbors(node) if distance.get(p) == distance[node] - 1),
            key=label.__getitem__,
        )
        if parents:
            children[parents[0]].append(node)

    weight: dict[str, float] = {}
    outer = max(distance.values(), default=0)

    def measure(node: str) -> float:
        # an inner leaf gets more room than an outer one: its label sits on a shorter ring
        least = 1.0 if distance[node] == outer else 1.6
        weight[node] = max(least, sum(measure(c) for c in children[node]))
        return weight[node]

    measure(center)
    pos: dict[str, tuple[float, float]] = {center: (0.0, 0.0)}

    def place(node: str, start: float, end: float) -> None:
        angle = start
        for child in children[node]:
            span = (end - start) * weight[child] / weight[node]
            middle = angle + span / 2
            radius = RING_RADII[min(distance[child], len(RING_RADII) - 1)]
            pos[child] = (radius * math.cos(middle), radius * math.sin(middle))
            place(child, angle, angle + span)
            angle += span

    place(center, 0.0, 2 * math.pi)
    for node in ego:  # unreachable nodes (cannot happen in an ego network): on the rim
        pos.setdefault(node, (0.0, -RING_RADII[-1] - 1.0))
    return pos


def _short(text: str, width: int = 22) -> str:
    text = text.replace(" (unnamed)", "*").replace(" (pseudonym)", "†")
    return "\n".join(textwrap.wrap(text, width)[:4])


def draw_ego(
    ego: nx.MultiDiGraph, path: Path | str, *, title: str | None = None, dpi: int = 150
) -> Path:
    """Draw the ego network to a PNG; returns its path."""
    import matplotlib  # noqa: PLC0415 - optional dependency

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.lines import Line2D  # noqa: PLC0415

    pos = ring_layout(ego)
    figure, axes = plt.subplots(figsize=(16, 14))
    seen: dict[tuple[str, str], int] = {}
    for u, v, data in ego.edges(data=True):
        pair = (min(u, v), max(u, v))
        index = seen.get(pair, 0)
        seen[pair] = index + 1
        rad = 0.0 if index == 0 else (0.18 * ((index + 1) // 2) * (1 if index % 2 else -1))
        if (u, v) != pair:  # arc3 bends relative to the edge's direction: keep arcs apart
            rad = -rad
        nx.draw_networkx_edges(
            ego,
            pos,
            edgelist=[(u, v)],
            ax=axes,
            arrows=True,
            arrowstyle="-|>",
            arrowsize=12,
            width=1.8,
            style=CERTAINTY_STYLES.get(str(data.get("certainty")), "dotted"),
            edge_color=KIND_COLOURS.get(str(data.get("kind")), "#555555"),
            connectionstyle=f"arc3,rad={rad}",
            node_size=1400,
            alpha=0.9,
        )
    colours = [RING_COLOURS[min(int(ego.nodes[n].get("distance") or 0), 4)] for n in ego]
    nx.draw_networkx_nodes(
        ego, pos, ax=axes, node_size=1400, node_color=colours, edgecolors="#333333", linewidths=0.8
    )
    labels = {n: _short(str(ego.nodes[n].get("label", n))) for n in ego}
    nx.draw_networkx_labels(
        ego,
        pos,
        labels=labels,
        ax=axes,
        font_size=8,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.75},
    )
    handles: list[Any] = [
        Line2D([0], [0], color="#333333", linestyle=style, lw=2, label=cert)
        for cert, style in CERTAINTY_STYLES.items()
    ]
    handles += [
        Line2D([0], [0], color=KIND_COLOURS[k], lw=3, label=f"{k} tie") for k in ("kin", "social")
    ]
    axes.legend(handles=handles, loc="lower left", fontsize=10, title="edges", frameon=True)
    center = ego.graph.get("center", "")
    axes.set_title(
        title
        or f"{ego.nodes[center].get('label', center)}: "
        f"{ego.graph.get('hops', '?')}-hop ego network "
        f"({ego.number_of_nodes()} persons, {ego.number_of_edges()} ties)",
        fontsize=14,
    )
    axes.text(
        0.99,
        0.01,
        "† editorial pseudonym   * unnamed in the source\n"
        'arrows: subject → object ("A is father of B")',
        transform=axes.transAxes,
        ha="right",
        va="bottom",
        fontsize=9,
    )
    axes.set_axis_off()
    axes.set_aspect("equal")
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=dpi)
    plt.close(figure)
    return target
