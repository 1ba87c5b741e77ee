"""A small horizontal bar chart renderer: a :class:`BarChart` in, SVG text out.

Every word in the chart comes from the caller, already in the reader's language; numbers
are formatted here with Babel in the reader's locale. Text is escaped for XML (and
characters XML cannot hold are dropped), so a project or person named
``</text><script>…`` stays a name. The SVG is accessible on its own: ``role="img"``,
``aria-labelledby`` pointing at its ``<title>`` and at a ``<desc>`` that reads every
value out; pages also show the same data as a table (:func:`BarChart.rows`).

Layout: one row per category, its label above its bars, so the labels need no column of
their own and the chart stays readable when a phone shrinks it. The output is
deterministic (same chart, same bytes): pages and caches can compare it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from html import escape
from typing import Final

from babel.numbers import format_decimal

WIDTH: Final = 320  # about a phone card's width: text stays at its size there, and grows a little on a desk
PAD: Final = 8
FONT: Final = 13
LINE: Final = 16  # height of a text line
BAR: Final = 13  # height of one bar
GAP: Final = 9  # between categories
LABEL_MAX: Final = 44  # characters of a category label before it is cut (the full text stays in <title>)
INK: Final = "#1d2330"
MUTED: Final = "#5d6575"
GRID: Final = "#d9dde5"
FONT_FAMILY: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
# Characters XML 1.0 cannot hold at all: dropped rather than making the document invalid.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text(value: object) -> str:
    """`value` as XML text or attribute content: escaped, without characters XML forbids."""
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def number(value: float, locale: str, decimals: int = 0) -> str:
    """A number in the locale's usage, with at most `decimals` digits after the decimal mark."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return str(format_decimal(round(value, decimals), format=pattern, locale=locale))


@dataclass(frozen=True, slots=True)
class Series:
    """One kind of bar (a colour in the legend): "overdue", "p90"..."""

    name: str
    colour: str


@dataclass(frozen=True, slots=True)
class Category:
    """One row of the chart: its label, one value per series, an optional note after the bars."""

    label: str
    values: tuple[float, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class BarChart:
    """A horizontal bar chart, every word already in the reader's language."""

    title: str
    unit: str  # what the values count ("projects", "days")
    series: tuple[Series, ...]
    categories: tuple[Category, ...]
    locale: str  # Babel locale of the numbers (fr_FR, nl_BE...)
    stacked: bool = False  # series add up along one bar; else one bar per series
    decimals: int = 0  # digits after the decimal point in the values shown
    empty: str = "—"  # said instead of a chart without data
    more: str = ""  # said under the chart when rows were left out ("and 12 more")
    notes: tuple[str, ...] = field(default=())  # lines under the chart (what the colours mean...)
    rows_are: str = ""  # what each row is ("Phase", "Officer"): the head of the table's first column

    def number(self, value: float) -> str:
        """A value as the reader writes it (1 234,5 in French, 1.234,5 in Dutch)."""
        return number(value, self.locale, self.decimals)

    def rows(self) -> list[tuple[str, list[str], str]]:
        """The data as a table: each category's label, its values as shown, its note."""
        return [(c.label, [self.number(v) for v in c.values], c.note) for c in self.categories]

    def description(self) -> str:
        """Every value in one text, for screen readers (the SVG's ``<desc>``)."""
        if not self.categories:
            return self.empty
        named = len(self.series) > 1
        parts = []
        for category in self.categories:
            values = ", ".join(
                f"{self.number(v)} {s.name}" if named else self.number(v)
                for s, v in zip(self.series, category.values, strict=True)
            )
            parts.append(f"{category.label}: {values}" + (f" ({category.note})" if category.note else ""))
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.title}{unit}. " + "; ".join(parts) + "."


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) dividing 0..top into about `ticks` parts."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "…"


def render(
    chart: BarChart, *, chart_id: str = "chart", heading: bool = False, standalone: bool = False
) -> str:
    """The chart as SVG text; `heading`: draw the title inside too; `standalone`: an .svg file's prolog."""
    out: list[str] = []
    y: float = PAD
    if heading:
        y += LINE
        out.append(_words(PAD, y - 3, chart.title, size=FONT + 1.5, fill=INK, extra=' font-weight="700"'))
        y += 4
    if len(chart.series) > 1 and chart.categories:
        y = _legend(out, chart.series, y)
    if not chart.categories:
        y += LINE
        out.append(
            f'<text x="{WIDTH / 2}" y="{y}" text-anchor="middle" fill="{MUTED}">{text(chart.empty)}</text>'
        )
        y += PAD
    else:
        y = _bars(out, chart, y)
    for line in (chart.more, *chart.notes):
        if line:
            y += LINE
            out.append(_words(PAD, y - 4, line))
    height = math.ceil(y + PAD)
    ident = text(chart_id)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="{ident}-title {ident}-desc" class="chart-svg" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT}" fill="{INK}">'
        f'<title id="{ident}-title">{text(chart.title)}</title>'
        f'<desc id="{ident}-desc">{text(chart.description())}</desc>'
    )
    svg = head + "".join(out) + "</svg>"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n" if standalone else svg


def _legend(out: list[str], series: tuple[Series, ...], y: float) -> float:
    x, row = float(PAD), y + LINE
    for s in series:
        width = 12 + 6 + len(s.name) * FONT * 0.55 + 14
        if x + width > WIDTH - PAD and x > PAD:
            x, row = float(PAD), row + LINE
        out.append(
            f'<rect x="{x:.1f}" y="{row - 10}" width="12" height="12" rx="2" fill="{text(s.colour)}"/>'
        )
        out.append(f'<text x="{x + 17:.1f}" y="{row}">{text(s.name)}</text>')
        x += width
    return row + 8


def _bars(out: list[str], chart: BarChart, y: float) -> float:
    totals = [sum(c.values) if chart.stacked else max(c.values, default=0) for c in chart.categories]
    step = nice_step(max(totals, default=0))
    if chart.decimals == 0:
        step = max(step, 1.0)  # whole numbers: no tick at 0.5 written "1"
    top = step * max(1, math.ceil(max(totals, default=0) / step))
    # Room on the right for the value written after the longest bar.
    span = WIDTH - 2 * PAD - 52
    scale = span / top
    first = y
    rows: list[str] = []
    for category, total in zip(chart.categories, totals, strict=True):
        y += LINE
        rows.append(f"<g><title>{text(category.label)}</title>")
        rows.append(f'<text x="{PAD}" y="{y - 4}">{text(_cut(category.label))}</text>')
        if chart.stacked:
            x = float(PAD)
            for s, value in zip(chart.series, category.values, strict=True):
                if value > 0:
                    rows.append(_rect(x, y, value * scale, s.colour))
                    x += value * scale
            rows.append(_value(x + 4, y + BAR - 2, chart.number(total)))
            y += BAR
        else:
            for s, value in zip(chart.series, category.values, strict=True):
                rows.append(_rect(PAD, y, value * scale, s.colour))
                rows.append(_value(PAD + value * scale + 4, y + BAR - 2, chart.number(value)))
                y += BAR + 1
        if category.note:
            y += LINE - 2
            rows.append(_words(PAD, y - 2, category.note))
        rows.append("</g>")
        y += GAP
    # The grid behind the bars, each line with its value; the axis names the unit.
    ticks = round(top / step)
    for i in range(ticks + 1):
        x = PAD + i * step * scale
        out.append(f'<line x1="{x:.1f}" y1="{first + 4}" x2="{x:.1f}" y2="{y}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle" fill="{MUTED}" font-size="{FONT - 2}">'
            f"{text(chart.number(i * step))}</text>"
        )
    out.extend(rows)
    y += 14
    if chart.unit:
        y += LINE - 4
        out.append(_words(PAD, y - 2, chart.unit))
    return y


def _rect(x: float, y: float, width: float, colour: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0.0):.1f}" height="{BAR}" fill="{text(colour)}"/>'
    )


def _value(x: float, y: float, shown: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{FONT - 1}">{text(shown)}</text>'


def _words(
    x: float, y: float, words: str, *, size: float = FONT - 1, fill: str = MUTED, extra: str = ""
) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="{fill}" font-size="{size}"{extra}>{text(words)}</text>'
