"""A funder's report in its reader's words: titles, column titles and cells (fr, nl, en).

The page (:mod:`pathways.web.manager.funder_reports`), its CSV, XLSX and PDF files and the command
line (``pathways report funder``) all show the same sheet. Legal forms and sectors read as the
diagnosis pathway names them, mission themes as ongoing support names them, pathways by their
titles, people by their names; a figure stays a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from markupsafe import escape

from pathways.domain.loader import PathwayCatalog
from pathways.services.reporting.funders import FunderLine, FunderReport
from pathways.services.reporting.funders_more import COHORT_LINES
from pathways.web.export import Column
from pathways.web.i18n import Texts, texts

Cell = str | int | Decimal | None
NOT_RECORDED_IN: Final = frozenset({"structures_by_legal_form", "structures_by_sector", "missions_by_theme"})


@dataclass(frozen=True, slots=True)
class FunderSheet:
    """A report as a table: its title, column titles and rows of cells."""

    title: str
    columns: tuple[str, ...]
    formats: tuple[str, ...]  # per column: text, integer, decimal, money
    rows: tuple[tuple[Cell, ...], ...]


def title(t: Texts, kind: str, year: int) -> str:
    """The report's title for `year`."""
    titles = {
        "dla": t("DLA national indicators, %(year)s", year=year),
        "tsf": t("Peer transfers (TSF): yearly summary, %(year)s", year=year),
        "incubator": t("Incubator: cohort outcomes, %(year)s", year=year),
        "aces": t("Approved agency (ACES): yearly activity report, %(year)s", year=year),
    }
    return titles[kind]


def short_title(t: Texts, kind: str) -> str:
    """The report's name in a row of tabs."""
    names = {
        "dla": t("DLA indicators"),
        "tsf": t("Peer transfers (TSF)"),
        "incubator": t("Incubator cohorts"),
        "aces": t("Approved agency (ACES)"),
    }
    return names[kind]


def indicator(t: Texts, key: str) -> str:
    """What a line counts, in words."""
    words = {
        "structures": t("Structures supported"),
        "structures_by_legal_form": t("Structures supported, by legal form"),
        "structures_by_sector": t("Structures supported, by sector"),
        "jobs_at_intake": t("Salaried jobs at intake"),
        "jobs_kept": t("Jobs consolidated"),
        "jobs_created": t("Jobs created"),
        "missions": t("Consulting missions ended"),
        "missions_by_theme": t("Consulting missions ended, by theme"),
        "mission_budgets": t("Mission budgets committed"),
        "transfers": t("Transfers closed, per resource person"),
        "transfers_total": t("Transfers closed, total"),
        "cohort_joined": t("Incubatees who joined the cohort"),
        "founded": t("Activities founded"),
        "first_revenue": t("Activities with a first revenue"),
        "stopped": t("Incubatees who stopped"),
        "aces_projects": t("Projects supported, per phase"),
        "aces_projects_total": t("Projects supported, total"),
        "aces_founded": t("Enterprises founded"),
        "jobs_at_follow_up": t("Jobs at the follow-up after creation"),
    }
    return words.get(key, key)


def columns(t: Texts, kind: str) -> tuple[tuple[str, str, str], ...]:
    """The columns of a kind of report: (field of the line, title, format)."""
    number = ("count", t("Number"), "integer")
    days = ("days", t("Days"), "decimal")
    amount = ("amount", t("Amount (€)"), "money")
    hours = ("hours", t("Hours"), "decimal")
    first = (("indicator", t("Indicator"), "text"), ("detail", t("Detail"), "text"))
    figures = {"dla": (number, days, amount), "tsf": (number, days, amount), "aces": (number, hours)}
    return (*first, *figures.get(kind, (number,)))


def sheet(report: FunderReport, catalog: PathwayCatalog, lang: str) -> FunderSheet:
    """The report in `lang`."""
    t = texts(lang)
    specs = {spec.id: spec for spec in catalog.latest()}
    choices = {
        "structures_by_legal_form": _choices(catalog, "diagnosis", "legal_form", lang),
        "structures_by_sector": _choices(catalog, "diagnosis", "activity_sector", lang),
        "missions_by_theme": _choices(catalog, "ongoing_support", "mission_theme", lang),
    }

    stages: dict[str, str] = {}
    if "aces_support" in specs:
        stages = {stage.id: stage.title.get(lang) for stage in specs["aces_support"].stages}

    def detail(line: FunderLine) -> str:
        if not line.detail:
            if report.kind == "incubator" and line.indicator in COHORT_LINES:
                return t("No cohort recorded")
            return t("Not recorded") if line.indicator in NOT_RECORDED_IN else ""
        if line.indicator in choices:  # a recorded choice, else a code of the directory
            return choices[line.indicator].get(line.detail, line.detail)
        if line.indicator == "missions" and line.detail in specs:
            return specs[line.detail].title.get(lang)
        if line.indicator == "aces_projects" and line.detail in stages:
            return stages[line.detail]
        return line.detail

    chosen = columns(t, report.kind)
    rows = tuple(
        (indicator(t, line.indicator), detail(line), *(getattr(line, c[0]) for c in chosen[2:]))
        for line in report.lines
    )
    return FunderSheet(
        title=title(t, report.kind, report.year),
        columns=tuple(c[1] for c in chosen),
        formats=tuple(c[2] for c in chosen),
        rows=rows,
    )


def _choices(catalog: PathwayCatalog, pathway: str, name: str, lang: str) -> dict[str, str]:
    """The labels of the choices of a pathway's field `name` (a stage's or an outcome's)."""
    for spec in catalog.latest():
        if spec.id != pathway:
            continue
        for stage in spec.stages:
            fields = [stage.fields, *(outcome.fields for outcome in stage.outcomes.values())]
            for found in (f[name] for f in fields if name in f):
                if found.choices:
                    return {key: words.get(lang) for key, words in found.choices.items()}
    return {}


def export_columns(found: FunderSheet) -> list[Column[tuple[Cell, ...]]]:
    """The sheet's columns for :func:`pathways.web.export.respond` (CSV, XLSX)."""

    def cell(index: int) -> Callable[[tuple[Cell, ...]], object]:
        return lambda row: row[index]

    return [Column(name, cell(i)) for i, name in enumerate(found.columns)]


def printable(found: FunderSheet, *, lang: str, organisations: str) -> str:
    """A self-contained HTML page of the sheet, for WeasyPrint (every text escaped)."""
    style = (
        "@page { size: A4; margin: 15mm } body { font-family: sans-serif; font-size: 10pt } "
        "table { border-collapse: collapse; width: 100% } "
        "th, td { border: 1px solid #999; padding: 3pt 5pt; text-align: left } td.n { text-align: right }"
    )
    head = "".join(f"<th>{escape(c)}</th>" for c in found.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(_number(cell, lang))}</td>'
            if isinstance(cell, int | Decimal)
            else f"<td>{escape(cell or '')}</td>"
            for cell in row
        )
        + "</tr>"
        for row in found.rows
    )
    return (
        f'<!doctype html><html lang="{escape(lang)}"><meta charset="utf-8">'
        f"<title>{escape(found.title)}</title>"
        f"<style>{style}</style><body><h1>{escape(found.title)}</h1><p>{escape(organisations)}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"
    )


def _number(cell: int | Decimal, lang: str) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(cell, locale=lang))
