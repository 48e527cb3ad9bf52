"""A layered drawing of systems → datasets → recipients for an inline SVG: three columns of
boxes, each column ordered by where its boxes' sources sit so that edges cross less."""

from __future__ import annotations

from dataclasses import dataclass

from ombud.datamap.flows import Flows, Node

BOX_W = 220
BOX_H = 40
GAP_Y = 12
GAP_X = 110
PAD = 16
HEAD = 28  # the column titles
MAX_LABEL = 26  # characters that fit a box at 13 px; longer names end in … (full in <title>)
COLUMNS = ("Systems", "Datasets", "Recipients")


@dataclass(frozen=True)
class Box:
    """One node placed: top-left corner, its shortened label and its full description."""

    node: Node
    x: int
    y: int
    label: str
    detail: str
    full: str


@dataclass(frozen=True)
class Line:
    """An edge as an SVG path from the right of one box to the left of another."""

    path: str
    title: str


@dataclass(frozen=True)
class Drawing:
    """Everything the template draws, and the picture's size."""

    width: int
    height: int
    heads: list[tuple[int, str]]
    boxes: list[Box]
    lines: list[Line]


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _order(nodes: list[Node], sources: dict[str, list[str]], rank: dict[str, int]) -> list[Node]:
    """Nodes sorted by the mean position of their sources (barycentre); sourceless ones last."""

    def key(item: tuple[int, Node]) -> tuple[float, int]:
        index, node = item
        ranks = [rank[s] for s in sources.get(node.id, []) if s in rank]
        return (sum(ranks) / len(ranks) if ranks else float("inf"), index)

    return [n for _, n in sorted(enumerate(nodes), key=key)]


def layout(flows: Flows) -> Drawing:
    """Place every node in its column and route every edge."""
    sources: dict[str, list[str]] = {}
    for a, b in flows.edges:
        sources.setdefault(b, []).append(a)
    columns: list[list[Node]] = [list(flows.systems)]
    rank = {n.id: i for i, n in enumerate(columns[0])}
    for nodes in (flows.datasets, flows.recipients):
        ordered = _order(nodes, sources, rank)
        rank.update({n.id: i for i, n in enumerate(ordered)})
        columns.append(ordered)
    boxes: dict[str, Box] = {}
    for col, nodes in enumerate(columns):
        x = PAD + col * (BOX_W + GAP_X)
        for row, node in enumerate(nodes):
            y = PAD + HEAD + row * (BOX_H + GAP_Y)
            full = f"{node.kind.title()} {node.label} ({node.key})"
            if node.detail:
                full += f", {node.detail}"
            boxes[node.id] = Box(node, x, y, _short(node.label), _short(node.detail, 32), full)
    lines = []
    for a, b in flows.edges:
        src, dst = boxes[a], boxes[b]
        x1, y1 = src.x + BOX_W, src.y + BOX_H // 2
        x2, y2 = dst.x, dst.y + BOX_H // 2
        mid = (x1 + x2) // 2
        path = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
        lines.append(Line(path, f"{src.node.label} → {dst.node.label}"))
    tallest = max((len(c) for c in columns), default=0)
    height = PAD * 2 + HEAD + max(tallest, 1) * (BOX_H + GAP_Y) - GAP_Y
    width = PAD * 2 + 3 * BOX_W + 2 * GAP_X
    heads = [(PAD + i * (BOX_W + GAP_X), title) for i, title in enumerate(COLUMNS)]
    return Drawing(width, height, heads, list(boxes.values()), lines)
