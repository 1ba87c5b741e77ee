"""Charts of the managers' reports, in the reader's language: report rows in, :class:`BarChart` out.

The words come from the caller's translator (the web pages' gettext catalogue: written here
in English as ``words("...")`` calls, which ``make messages`` extracts; phases and statuses
are its labels), pathway, stage and result names from the pathway files, numbers
are formatted in the reader's locale; :func:`pathways.drawing.svg.render` draws the SVG.
No plotting library: the charts are a few rectangles and words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from babel.numbers import format_percent

from pathways.domain.spec import PathwaySpec
from pathways.drawing.svg import BarChart, Category, Series, number, render
from pathways.errors import InvalidInput
from pathways.services.reporting.reports import as_dicts

__all__ = ["CHARTS", "Labels", "Words", "build", "svg"]

MAX_BARS: Final = 15  # more rows than this stop being readable on a phone; the table has them all
BLUE: Final = "#2457c5"
RED: Final = "#b42318"
ORANGE: Final = "#b25e09"
GREY: Final = "#8a93a3"
PALETTE: Final = (BLUE, "#157f3b", ORANGE, "#7a3e9d", RED, "#0f6f80", "#8a6d00", "#5d6575")


class Words(Protocol):
    """A translator (``pathways.web.i18n.Texts``): ``words("projects")``, ``words("%(n)s d", n=3)``."""

    def __call__(self, message: str, /, **values: object) -> str: ...

    def label(self, group: str, value: object, /, **values: object) -> str | None:
        """A value's label in a group ("phase", "status"), None when it has none."""


@dataclass(frozen=True, slots=True)
class Labels:
    """What a chart needs to speak the reader's language."""

    words: Words
    lang: str
    locale: str  # Babel locale of the numbers
    specs: Mapping[str, PathwaySpec]  # the latest version of each pathway, by id
    territories: Mapping[str, str] = field(default_factory=dict)  # names by code (config/territories.csv)

    def territory(self, code: str) -> str:
        """A territory's name ("Vlaanderen"), its code when it has none."""
        return self.territories.get(code) or code

    def pathway(self, pathway: str) -> str:
        """A pathway's title (its id when the pathway is unknown)."""
        spec = self.specs.get(pathway)
        return spec.title.get(self.lang) if spec is not None else pathway

    def stage(self, pathway: str, stage: str | None) -> str:
        """A stage's title."""
        spec = self.specs.get(pathway)
        if stage is None:
            return "—"
        if spec is None or stage not in spec.stage_ids():
            return stage
        return spec.stage(stage).title.get(self.lang)

    def result(self, pathway: str, result: str) -> str:
        """A case's result: "open", or one of the pathway's ends."""
        if result == "open":
            return self.words.label("status", "open") or result
        spec = self.specs.get(pathway)
        end = spec.ends.get(result) if spec is not None else None
        return end.get(self.lang) if end is not None else result

    def phase(self, phase: str | None) -> str:
        """A lifecycle phase."""
        return (self.words.label("phase", phase) or phase) if phase else "—"


def _days(labels: Labels, value: float) -> str:
    return labels.words("%(n)s d", n=number(value, labels.locale))


def _chart(labels: Labels, series: Sequence[Series], rows: Sequence[Category], **kwargs: Any) -> BarChart:
    return BarChart(
        title=kwargs.pop("title", ""),
        unit=kwargs.pop("unit", ""),
        series=tuple(series),
        categories=tuple(rows[:MAX_BARS]),
        locale=labels.locale,
        empty=labels.words("No data yet."),
        more=labels.words("And %(n)s more: see the table.", n=len(rows) - MAX_BARS)
        if len(rows) > MAX_BARS
        else "",
        **kwargs,
    )


def _funnel(rows: list[dict[str, Any]], labels: Labels) -> BarChart:
    categories = []
    for r in rows:
        note = ""
        if r["conversion"] is not None and r["next_phase"]:
            share = str(format_percent(r["conversion"], locale=labels.locale))
            note = labels.words("→ %(phase)s: %(share)s", phase=labels.phase(r["next_phase"]), share=share)
            if r["median_days_to_next"] is not None:
                note += " · " + labels.words("median %(days)s", days=_days(labels, r["median_days_to_next"]))
        categories.append(Category(labels.phase(r["phase"]), (float(r["reached"]),), note))
    series = (Series(labels.words("projects"), BLUE),)
    return _chart(
        labels,
        series,
        categories,
        title=labels.words("Funnel: projects per phase reached"),
        rows_are=labels.words("Phase"),
        unit=series[0].name,
    )


def _stages(rows: list[dict[str, Any]], labels: Labels) -> BarChart:
    categories = [
        Category(
            f"{labels.pathway(r['pathway'])} · {labels.stage(r['pathway'], r['stage'])}",
            (r["p50_days"], r["p90_days"]),
        )
        for r in rows
    ]
    series = (Series(labels.words("median"), BLUE), Series(labels.words("90th percentile"), ORANGE))
    return _chart(
        labels,
        series,
        categories,
        title=labels.words("Time in stage (median, 90th percentile)"),
        rows_are=labels.words("Pathway · stage"),
        unit=labels.words("days"),
        decimals=1,
    )


def _overdue(rows: list[dict[str, Any]], labels: Labels) -> BarChart:
    ordered = sorted(rows, key=lambda r: (-r["days_overdue"], r["ref"]))
    categories = [
        Category(
            f"{r['ref']} · {labels.stage(r['pathway'], r['stage'])}",
            (r["days_overdue"], 0.0) if r["item"] == "case" else (0.0, r["days_overdue"]),
            "" if r["item"] == "case" else item_label(labels.words, r["item"]),
        )
        for r in ordered
    ]
    series = (
        Series(labels.words("case past its deadline"), RED),
        Series(labels.words("reminder or escalation not sent"), ORANGE),
    )
    return _chart(
        labels,
        series,
        categories,
        title=labels.words("Overdue items (days late)"),
        rows_are=labels.words("Case · stage"),
        unit=labels.words("days late"),
        stacked=True,
        decimals=0,
    )


def _workload(rows: list[dict[str, Any]], labels: Labels) -> BarChart:
    categories = [
        Category(
            r["officer"],
            (
                float(r["overdue"]),
                float(r["due_within_7_days"]),
                float(r["open_cases"] - r["overdue"] - r["due_within_7_days"]),
            ),
        )
        for r in rows
    ]
    series = (
        Series(labels.words("overdue"), RED),
        Series(labels.words("due within 7 days"), ORANGE),
        Series(labels.words("other open cases"), GREY),
    )
    return _chart(
        labels,
        series,
        categories,
        title=labels.words("Open cases per officer"),
        rows_are=labels.words("Officer"),
        unit=labels.words("cases"),
        stacked=True,
    )


def _outcomes(rows: list[dict[str, Any]], labels: Labels) -> BarChart:
    groups: dict[tuple[str, str, int], dict[str, float]] = {}
    names: dict[str, str] = {}
    for r in rows:
        result = labels.result(r["pathway"], r["result"])
        names.setdefault(result, r["result"])
        groups.setdefault((r["pathway"], r["territory"], r["cohort"]), {})[result] = float(r["cases"])
    results = sorted(names, key=lambda name: (names[name] != "open", name))
    series = tuple(Series(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(results))
    categories = [
        Category(
            f"{labels.pathway(pathway)} · {labels.territory(territory)} · {cohort}",
            tuple(counts.get(name, 0.0) for name in results),
        )
        for (pathway, territory, cohort), counts in groups.items()
    ]
    return _chart(
        labels,
        series,
        categories,
        title=labels.words("Case outcomes by pathway, territory and year opened"),
        rows_are=labels.words("Pathway · territory · year opened"),
        unit=labels.words("cases"),
        stacked=True,
    )


def item_label(words: Words, item: str) -> str:
    """What is overdue: the case itself, or a reminder or an escalation not yet sent."""
    return {
        "case": words("case past its deadline"),
        "reminder": words("reminder not sent"),
        "escalation": words("escalation not sent"),
    }.get(item, item)


CHARTS: Final[Mapping[str, Callable[[list[dict[str, Any]], Labels], BarChart]]] = {
    "funnel": _funnel,
    "stages": _stages,
    "overdue": _overdue,
    "workload": _workload,
    "outcomes": _outcomes,
}


def build(report: str, rows: Sequence[Any], labels: Labels) -> BarChart:
    """The chart of a report's rows (dataclasses or dicts), in the labels' language."""
    if report not in CHARTS:
        raise InvalidInput(f"no chart for report '{report}'", hint=f"one of {', '.join(sorted(CHARTS))}")
    return CHARTS[report](as_dicts(rows), labels)


def svg(report: str, rows: Sequence[Any], labels: Labels, *, standalone: bool = True) -> str:
    """A report's chart as an SVG file's text (its title drawn in), for the CLI and downloads."""
    return render(
        build(report, rows, labels), chart_id=f"chart-{report}", heading=True, standalone=standalone
    )
