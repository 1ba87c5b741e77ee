"""Charts of the managers' reports, as SVG or PNG bytes (CLI ``--svg``/``--png``, web dashboard).

matplotlib is imported on first use (it costs a few hundred milliseconds) and only
through its object API with the Agg canvas: no pyplot, no global figure state, so
web workers can render concurrently. SVG output is deterministic (fixed ids, no
date), so a dashboard can cache a chart by its content.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from pathways.errors import InvalidInput
from pathways.services.reporting.reports import as_dicts

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Format = Literal["svg", "png"]
TITLES: Final = {
    "funnel": "Projects per lifecycle phase reached",
    "stages": "Time in stage (days): median and 90th percentile",
    "overdue": "Overdue items (days late)",
    "workload": "Open cases per officer",
    "outcomes": "Case outcomes by pathway, territory and cohort",
}
_MAX_BARS: Final = 40  # more bars than this stop being readable; the rest is summed or left out
_COLOURS: Final = ("#1f6f8b", "#99a8b2", "#e6a157", "#c0392b", "#5b8c5a", "#8e6c8a", "#d4b483", "#4a4a4a")


def render(report: str, rows: Sequence[Any], *, fmt: Format = "svg") -> bytes:
    """A chart of a report's rows (dataclasses or dicts), as SVG or PNG bytes."""
    if report not in _DRAW:
        raise InvalidInput(f"no chart for report '{report}'", hint=f"one of {', '.join(sorted(_DRAW))}")
    if fmt not in ("svg", "png"):
        raise InvalidInput(f"charts are svg or png, not {fmt!r}")
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = as_dicts(rows)
    with mpl.rc_context({"svg.hashsalt": "pathways", "svg.fonttype": "none", "font.size": 9.0}):
        bars = min(max(len(data), 5), _MAX_BARS)
        figure = Figure(figsize=(8.0, 1.5 + 0.32 * bars), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.set_title(TITLES[report], loc="left")
        if data:
            _DRAW[report](axes, data)
        else:
            axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
            axes.set_axis_off()
        buffer = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
        figure.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    return buffer.getvalue()


def _funnel(axes: Axes, rows: list[dict[str, Any]]) -> None:
    labels = [r["phase"] for r in rows]
    values = [r["reached"] for r in rows]
    bars = axes.barh(labels, values, color=_COLOURS[0])
    axes.invert_yaxis()  # idea at the top, as a funnel reads
    notes = []
    for r in rows:
        if r["conversion"] is None:
            notes.append(f"{r['reached']}")
            continue
        median = r["median_days_to_next"]
        after = f", median {median:.0f} d" if median is not None else ""
        notes.append(f"{r['reached']}  → {r['next_phase']}: {r['conversion']:.0%}{after}")
    axes.bar_label(bars, labels=notes, padding=3)
    axes.set_xlabel("projects")
    axes.set_xmargin(0.6)
    _whole_numbers(axes)


def _stages(axes: Axes, rows: list[dict[str, Any]]) -> None:
    shown = rows[:_MAX_BARS]
    labels = [f"{r['pathway']} · {r['stage']}" for r in shown]
    positions = range(len(shown))
    height = 0.4
    axes.barh([p - height / 2 for p in positions], [r["p50_days"] for r in shown], height, label="p50")
    axes.barh(
        [p + height / 2 for p in positions],
        [r["p90_days"] for r in shown],
        height,
        label="p90",
        color=_COLOURS[2],
    )
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("days")
    _legend(axes)


def _overdue(axes: Axes, rows: list[dict[str, Any]]) -> None:
    shown = sorted(rows, key=lambda r: -r["days_overdue"])[:_MAX_BARS]
    labels = [f"{r['ref']} {r['stage'] or ''}" + (f" ({r['rule']})" if r["rule"] else "") for r in shown]
    colours = [_COLOURS[3] if r["item"] == "case" else _COLOURS[2] for r in shown]
    axes.barh(labels, [r["days_overdue"] for r in shown], color=colours)
    axes.invert_yaxis()
    axes.set_xlabel("days late (red: case past its deadline; orange: reminder or escalation not sent)")


def _workload(axes: Axes, rows: list[dict[str, Any]]) -> None:
    shown = rows[:_MAX_BARS]
    labels = [r["officer"] for r in shown]
    late = [r["overdue"] for r in shown]
    soon = [r["due_within_7_days"] for r in shown]
    rest = [r["open_cases"] - r["overdue"] - r["due_within_7_days"] for r in shown]
    axes.barh(labels, late, color=_COLOURS[3], label="overdue")
    axes.barh(labels, soon, left=late, color=_COLOURS[2], label="due within 7 days")
    axes.barh(
        labels, rest, left=[a + b for a, b in zip(late, soon, strict=True)], color=_COLOURS[1], label="other"
    )
    axes.invert_yaxis()
    axes.set_xlabel("open cases")
    _whole_numbers(axes)
    _legend(axes)


def _outcomes(axes: Axes, rows: list[dict[str, Any]]) -> None:
    groups: dict[str, dict[str, int]] = {}
    for r in rows:
        groups.setdefault(f"{r['pathway']} · {r['territory']} · {r['cohort']}", {})[r["result"]] = r["cases"]
    labels = list(groups)[:_MAX_BARS]
    results = sorted(
        {result for counts in groups.values() for result in counts}, key=lambda x: (x != "open", x)
    )
    left = [0] * len(labels)
    for i, result in enumerate(results):
        values = [groups[label].get(result, 0) for label in labels]
        axes.barh(labels, values, left=left, color=_COLOURS[i % len(_COLOURS)], label=result)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("cases")
    _whole_numbers(axes)
    _legend(axes)


def _whole_numbers(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(axes: Axes) -> None:
    # Outside the plot, on the right: it never hides a bar.
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


_DRAW: Final[Mapping[str, Callable[[Axes, list[dict[str, Any]]], None]]] = {
    "funnel": _funnel,
    "stages": _stages,
    "overdue": _overdue,
    "workload": _workload,
    "outcomes": _outcomes,
}
