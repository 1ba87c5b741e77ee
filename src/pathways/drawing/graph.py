"""A pathway's stage graph, for documents: a Mermaid flowchart, or an SVG drawn here without any tool.

Nodes are the stages (title, owner, deadline), the end results, the hand-offs (an
outcome that opens another pathway for the same project) and the spawns (one child
case per item of a list field). Edges are the outcomes, labelled with their key (and
the lifecycle phase they move the project to). The SVG is a plain layered layout:
stages go down in the order a case meets them, loops curve back on the right, jumps
over several layers curve on the left, so nothing needs Graphviz or a network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Literal

from pathways.domain.spec import PathwaySpec, StageSpec
from pathways.drawing.graph_words import Words, said_of

Titles = Mapping[str, str]  # other pathways' titles by id (hand-offs, spawns)
NodeKind = Literal["start", "stage", "end", "handoff", "spawn"]
EdgeKind = Literal["start", "next", "loop", "end", "handoff", "spawn"]


@dataclass(frozen=True, slots=True)
class Node:
    """A box of the graph."""

    id: str
    kind: NodeKind
    title: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow: an outcome leading somewhere, or a hand-off or spawn it starts."""

    source: str
    target: str
    label: str
    kind: EdgeKind


@dataclass(frozen=True, slots=True)
class Graph:
    """The nodes (stages first, in file order) and edges of a pathway."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    title: str
    ranks: dict[str, int] = field(default_factory=dict)


def _deadline(stage: StageSpec) -> str:
    if stage.deadline is None:
        return "no deadline"
    if stage.deadline.until is not None:
        return f"until {stage.deadline.until}"
    return str(stage.deadline.duration)


def build(
    spec: PathwaySpec,
    *,
    lang: str = "en",
    words: Words | None = None,
    titles: Mapping[str, str] | None = None,
) -> Graph:
    """The graph of a pathway, labels in `lang`; with `words`, no id at all (`titles`: other pathways')."""
    said = said_of(spec, words, lang, titles)
    nodes: dict[str, Node] = {"start": Node("start", "start", "")}
    for stage in spec.stages:
        detail = f"{stage.id} · {stage.owner.value} · {_deadline(stage)}"
        if said is not None:
            role = said.words.label("role", stage.owner.value) or stage.owner.value
            detail = f"{role} · {said.deadline(stage)}"
        nodes[f"s_{stage.id}"] = Node(f"s_{stage.id}", "stage", stage.title.get(lang), detail)
    edges = [Edge("start", f"s_{spec.first_stage.id}", "", "start")]
    for stage in spec.stages:
        for key, out in stage.outcomes.items():
            label = key + (f" (project → {out.phase.value})" if out.phase else "")
            if said is not None:
                label = said.outcome(out)
            source = f"s_{stage.id}"
            if out.next is not None:
                edges.append(Edge(source, f"s_{out.next}", label, "next"))
            else:
                assert out.end is not None
                target = f"e_{out.end}"
                ended = spec.result_label(out.end)  # an end result, or an exit
                shown = ended.get(lang) if ended else out.end
                nodes.setdefault(target, Node(target, "end", shown, out.end if said is None else ""))
                edges.append(Edge(source, target, label, "end"))
            if out.start is not None:
                target = f"h_{out.start}"
                if said is None:
                    nodes.setdefault(target, Node(target, "handoff", f"opens {out.start}", "same project"))
                    edges.append(Edge(source, target, f"{key}: hand-off", "handoff"))
                else:
                    opens = said.words("opens “%(pathway)s”", pathway=said.titles.get(out.start, out.start))
                    nodes.setdefault(target, Node(target, "handoff", opens, said.words("same project")))
                    edges.append(Edge(source, target, said.words("hand-off"), "handoff"))
            if out.spawn is not None:
                target = f"c_{out.spawn.pathway}_{out.spawn.per}"
                what = "new project each" if out.spawn.project == "new" else "same project"
                title = f"one {out.spawn.pathway} per {out.spawn.per}"
                spawn_label = f"{key}: spawn"
                if said is not None:
                    title, what, spawn_label = said.spawn(out.spawn)
                nodes.setdefault(target, Node(target, "spawn", title, what))
                edges.append(Edge(source, target, spawn_label, "spawn"))
    marked = _merge(_mark_loops(spec, edges))
    graph_nodes = tuple(nodes.values())
    return Graph(graph_nodes, tuple(marked), spec.title.get(lang), _ranks(graph_nodes, marked))


def _mark_loops(spec: PathwaySpec, edges: list[Edge]) -> list[Edge]:
    """Edges back to a stage on the current path (depth first from the first stage) become loops."""
    leads: dict[str, list[str]] = {}
    for edge in edges:
        if edge.kind == "next":
            leads.setdefault(edge.source, []).append(edge.target)
    back: set[tuple[str, str]] = set()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        path.append(node)
        for target in leads.get(node, []):
            if target in path:
                back.add((node, target))
            elif target not in done:
                visit(target, path)
        path.pop()
        done.add(node)

    visit(f"s_{spec.first_stage.id}", [])
    return [
        Edge(e.source, e.target, e.label, "loop") if (e.source, e.target) in back and e.kind == "next" else e
        for e in edges
    ]


def _merge(edges: list[Edge]) -> list[Edge]:
    """Outcomes that lead to the same place share one arrow: 'granted / conditional'."""
    merged: dict[tuple[str, str, str], Edge] = {}
    for edge in edges:
        key = (edge.source, edge.target, edge.kind)
        label = f"{merged[key].label} / {edge.label}" if key in merged else edge.label
        merged[key] = Edge(edge.source, edge.target, label, edge.kind)
    return list(merged.values())


def _ranks(nodes: tuple[Node, ...], edges: list[Edge]) -> dict[str, int]:
    """Layer of each node: the longest forward path from the start."""
    rank = {node.id: 0 for node in nodes}
    forward = [e for e in edges if e.kind != "loop"]
    for _ in nodes:  # longest path in a DAG: at most |nodes| relaxations
        changed = False
        for edge in forward:
            if rank[edge.target] < rank[edge.source] + 1:
                rank[edge.target] = rank[edge.source] + 1
                changed = True
        if not changed:
            break
    return rank


# Mermaid

_SHAPES = {
    "start": ('(("', '"))'),
    "stage": ('["', '"]'),
    "end": ('(["', '"])'),
    "handoff": ('[["', '"]]'),
    "spawn": ('[/"', '"/]'),
}


_MM_STYLES = {
    "stage": "fill:#e8f1fb,stroke:#2a6ab1,color:#111",
    "end": "fill:#eeeeee,stroke:#555,color:#111",
    "handoff": "fill:#fff1dc,stroke:#c77700,color:#111,stroke-dasharray:5 3",
    "spawn": "fill:#f3e8fb,stroke:#7a3fb1,color:#111",
    "start": "fill:#111,stroke:#111",
}


def _mm(text: str) -> str:
    """Text inside a quoted Mermaid label."""
    return escape(text, quote=True).replace("&quot;", "#quot;").replace("&#x27;", "'")


def mermaid(spec: PathwaySpec, *, lang: str = "en") -> str:
    """The pathway as a Mermaid flowchart (paste it into Markdown: ```mermaid ... ```)."""
    graph = build(spec, lang=lang)
    lines = [f"%% {spec.id} v{spec.version}: {graph.title}", "flowchart TD"]
    for node in graph.nodes:
        opening, closing = _SHAPES[node.kind]
        text = " " if node.kind == "start" else _mm(node.title)
        if node.detail:
            text += f"<br/><small>{_mm(node.detail)}</small>"
        lines.append(f"  {node.id}{opening}{text}{closing}")
    for edge in graph.edges:
        arrow = "-.->" if edge.kind in ("handoff", "spawn", "loop") else "-->"
        label = f'|"{_mm(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    # Class names avoid `end`, a Mermaid keyword that would close the flowchart.
    lines += [f"  classDef {kind}Node {style}" for kind, style in _MM_STYLES.items()]
    for kind in _MM_STYLES:
        ids = [n.id for n in graph.nodes if n.kind == kind]
        if ids:
            lines.append(f"  class {','.join(ids)} {kind}Node")
    return "\n".join(lines) + "\n"


# SVG

_FONT = 12
_CHAR = 6.8  # average advance of a 12 px sans-serif character
_PAD_X, _NODE_H, _GAP_X, _GAP_Y = 14, 44, 36, 74
_BEND, _BEND_STEP = 50, 34  # how far left the first loop reaches, and each next one further
_COLOURS = {
    "stage": ("#e8f1fb", "#2a6ab1"),
    "end": ("#eeeeee", "#555555"),
    "handoff": ("#fff1dc", "#c77700"),
    "spawn": ("#f3e8fb", "#7a3fb1"),
    "start": ("#111111", "#111111"),
}


@dataclass(frozen=True, slots=True)
class _Box:
    x: float  # centre
    y: float  # top
    w: float
    h: float


def _width(node: Node) -> float:
    if node.kind == "start":
        return 16
    longest = max(len(node.title), len(node.detail) * 0.85)
    return max(110.0, longest * _CHAR + 2 * _PAD_X)


def _row_top(rank: int) -> float:
    return 0.0 if rank == 0 else 40 + (rank - 1) * (_NODE_H + _GAP_Y)


def _left_edges(graph: Graph) -> dict[int, int]:
    """Loops and jumps drawn round the left-hand side, by edge index: their level, shortest span innermost."""
    spans = []
    for index, edge in enumerate(graph.edges):
        span = graph.ranks[edge.target] - graph.ranks[edge.source]
        if (edge.kind == "loop" and edge.source != edge.target) or (edge.kind == "next" and span > 1):
            spans.append((abs(span), index))
    return {index: level for level, (_, index) in enumerate(sorted(spans))}


def _layout(graph: Graph, room: float) -> tuple[dict[str, _Box], float, float]:
    """Stages down one spine (side by side when they share a layer), the rest to the right of it."""
    layers: dict[int, list[Node]] = {}
    for node in graph.nodes:
        layers.setdefault(graph.ranks[node.id], []).append(node)
    spine_w = max(_width(n) for n in graph.nodes if n.kind == "stage")
    spine_x = room + spine_w / 2
    boxes: dict[str, _Box] = {}
    right = 0.0
    for rank in sorted(layers):
        stages = [n for n in layers[rank] if n.kind in ("stage", "start")]
        others = [n for n in layers[rank] if n.kind not in ("stage", "start")]
        x = spine_x - (_width(stages[0]) / 2 if stages else spine_w / 2)
        for node in stages:
            w = _width(node)
            boxes[node.id] = _Box(x + w / 2, _row_top(rank), w, 16 if node.kind == "start" else _NODE_H)
            x += w + _GAP_X
        x = max(x, spine_x + spine_w / 2 + _GAP_X)
        for node in others:
            w = _width(node)
            boxes[node.id] = _Box(x + w / 2, _row_top(rank), w, _NODE_H)
            x += w + _GAP_X
        right = max(right, x)
    bottom = max(b.y + b.h for b in boxes.values()) + 20
    return boxes, right + 20, bottom


def _node_svg(node: Node, box: _Box) -> list[str]:
    fill, stroke = _COLOURS[node.kind]
    left, top = box.x - box.w / 2, box.y
    if node.kind == "start":
        return [f'<circle cx="{box.x:.1f}" cy="{top + 8:.1f}" r="8" fill="{fill}"/>']
    if node.kind == "spawn":
        slant = 10
        points = (
            f"{left + slant:.1f},{top:.1f} {left + box.w:.1f},{top:.1f} "
            f"{left + box.w - slant:.1f},{top + box.h:.1f} {left:.1f},{top + box.h:.1f}"
        )
        shape = f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    else:
        radius = box.h / 2 if node.kind == "end" else 6
        dash = ' stroke-dasharray="5 3"' if node.kind == "handoff" else ""
        shape = (
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="{radius:.1f}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
        )
    weight = ' font-weight="bold"' if node.kind == "stage" else ""
    detail = f'<text x="{box.x:.1f}" y="{top + 34:.1f}" text-anchor="middle" class="detail">'
    return [
        f'<g class="{node.kind}"><title>{escape(node.detail or node.title)}</title>',
        shape,
        f'<text x="{box.x:.1f}" y="{top + 18:.1f}" text-anchor="middle"{weight}>{escape(node.title)}</text>',
        f"{detail}{escape(node.detail)}</text>",
        "</g>",
    ]


def _label(x: float, y: float, text: str, *, anchor: str = "middle") -> list[str]:
    if not text:
        return []
    w = len(text) * _CHAR * 0.85 + 8
    left = {"middle": x - w / 2, "end": x - w + 4, "start": x - 4}[anchor]
    return [
        f'<rect x="{left:.1f}" y="{y - 9:.1f}" width="{w:.1f}" height="14" fill="white" opacity="0.85"/>',
        f'<text x="{x:.1f}" y="{y + 2:.1f}" text-anchor="{anchor}" class="edge">{escape(text)}</text>',
    ]


def _edge_svg(edge: Edge, source: _Box, target: _Box, level: int | None) -> list[str]:
    dash = ' stroke-dasharray="5 3"' if edge.kind in ("handoff", "spawn", "loop") else ""
    style = f'fill="none" stroke="#444" stroke-width="1.3"{dash} marker-end="url(#arrow)"'
    left1, mid1 = source.x - source.w / 2, source.y + source.h / 2
    left2, mid2 = target.x - target.w / 2, target.y + target.h / 2
    if edge.source == edge.target:  # a stage that loops on itself: a small arc on its left
        path = (
            f"M {left1:.1f} {mid1 - 8:.1f} C {left1 - 46:.1f} {mid1 - 30:.1f}, "
            f"{left1 - 46:.1f} {mid1 + 30:.1f}, {left1 - 2:.1f} {mid1 + 8:.1f}"
        )
        return [f'<path d="{path}" {style}/>', *_label(left1 - 38, mid1 + 2, edge.label, anchor="end")]
    if level is not None:  # back to an earlier stage, or over stages: round the left-hand side
        bend = min(left1, left2) - _BEND - _BEND_STEP * level
        path = (
            f"M {left1:.1f} {mid1:.1f} C {bend:.1f} {mid1:.1f}, {bend:.1f} {mid2:.1f}, "
            f"{left2 - 2:.1f} {mid2:.1f}"
        )
        far = (left1 + left2) / 8 + 0.75 * bend  # the curve's leftmost point, half-way
        return [f'<path d="{path}" {style}/>', *_label(far - 4, (mid1 + mid2) / 2, edge.label, anchor="end")]
    x1 = source.x if edge.kind in ("start", "next") else source.x + source.w / 4
    y1, x2, y2 = source.y + source.h, target.x, target.y
    path = f"M {x1:.1f} {y1:.1f} L {x2:.1f} {y2 - 2:.1f}"
    return [f'<path d="{path}" {style}/>', *_label((x1 + x2) / 2, (y1 + y2) / 2, edge.label)]


def svg(
    spec: PathwaySpec,
    *,
    lang: str = "en",
    words: Words | None = None,
    titles: Mapping[str, str] | None = None,
) -> str:
    """The pathway drawn as a standalone SVG document (see `build` for `words` and `titles`)."""
    graph = build(spec, lang=lang, words=words, titles=titles)
    version = f"{spec.id} v{spec.version}" if words is None else words("version %(num)s", num=spec.version)
    levels = _left_edges(graph)
    labels = [
        len(e.label) * _CHAR * 0.85 for i, e in enumerate(graph.edges) if i in levels or e.source == e.target
    ]
    room = 0.75 * (_BEND + _BEND_STEP * len(levels)) + max(labels, default=0) + 24
    boxes, width, height = _layout(graph, room)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height + 30:.0f}" '
            f'viewBox="0 -30 {width:.0f} {height + 30:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
            f'font-size="{_FONT}">'
        ),
        f"<title>{escape(graph.title)} ({escape(version)})</title>",
        (
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>'
        ),
        "<style>.detail{font-size:10px;fill:#555}.edge{font-size:10px;fill:#222}</style>",
        f'<text x="12" y="-10" font-size="15" font-weight="bold">{escape(graph.title)}</text>',
    ]
    for index, edge in enumerate(graph.edges):
        parts += _edge_svg(edge, boxes[edge.source], boxes[edge.target], levels.get(index))
    for node in graph.nodes:
        parts += _node_svg(node, boxes[node.id])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
