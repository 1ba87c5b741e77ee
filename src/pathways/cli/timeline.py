"""`pathways case timeline CASE`: time in each stage, decisions, documents and messages of a case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table, when
from pathways.errors import InvalidInput

if TYPE_CHECKING:
    from pathways.services.casework import timeline as timelines
    from pathways.web.i18n import Texts
    from pathways.web.i18n_format import Formatter


def timeline(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")],
    lang: Annotated[str, typer.Option(help="Language of the titles and sentences: fr, nl or en.")] = "en",
    json: Json = False,
) -> None:
    """A case's timeline: time spent in each stage (loops summed), decisions, documents, messages."""
    from pathways.domain.spec import LANGS
    from pathways.services.casework import timeline as timelines

    if lang not in LANGS:
        raise InvalidInput(
            f"--lang {lang}: not a language of pathways",
            hint=f"one of {', '.join(LANGS)}",
            code="lang_unsupported",
            params={"lang": lang, "langs": ", ".join(LANGS)},
        )
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        found = timelines.timeline(conn, case, now=app_.clock.now(), catalog=app_.catalog, lang=lang)
    if json:
        emit_json(as_json(found))
        return
    state = f"closed {when(found.closed_at)}: {found.result}" if found.status == "closed" else "open"
    console.print(
        f"[bold]{found.ref}[/] — {escape(found.project)} ({found.pathway} v{found.pathway_version}), "
        f"opened {when(found.opened_at)}, {state}"
    )
    table(
        [
            {
                "stage": s.stage,
                "title": s.title,
                "stays": s.stays,
                "days": f"{s.days:.1f}",
                "now": "◀ here" if s.current else "",
            }
            for s in found.stages
        ],
        ["stage", "title", "stays", "days", "now"],
        title="Time in stage",
    )
    said = sentences(found, lang)
    table(
        [{**asdict(i), "who": i.actor, "summary": text} for i, text in zip(found.items, said, strict=True)],
        ["at", "kind", "stage", "summary", "who", "link"],
        title="Timeline",
    )


def sentences(found: timelines.Timeline, lang: str) -> list[str]:
    """Each item of the timeline as a sentence in `lang`, in the pages' words (their catalogues)."""
    from pathways.web.i18n import texts
    from pathways.web.i18n_format import Formatter

    t, fmt = texts(lang), Formatter(lang, "UTC")  # durations only: no instant is formatted here
    return [_sentence(t, fmt, item) for item in found.items]


def _decided(t: Texts, fmt: Formatter, item: timelines.TimelineItem, stage: str) -> str:
    w = item.words
    outcome = w.outcome_label or "—"
    said = (
        t("%(name)s recorded “%(outcome)s”", name=item.actor, outcome=outcome)
        if item.actor
        else t("“%(outcome)s” recorded", outcome=outcome)
    )
    said += f" ({t('stage “%(stage)s”', stage=stage)}"
    if w.spent_seconds is not None:
        said += f", {t('after %(time)s', time=fmt.duration(w.spent_seconds))}"
    said += ")"
    if item.kind == "closed" and w.result_label:
        said += f"; {t('Case closed: %(result)s', result=w.result_label)}"
    return said


def _sentence(t: Texts, fmt: Formatter, item: timelines.TimelineItem) -> str:
    w = item.words
    stage = w.stage_title or item.stage or "—"
    details = item.details
    said: dict[str, Callable[[], str]] = {
        "opened": lambda: t("Case opened in “%(pathway)s”", pathway=w.pathway_title or "—"),
        "entered": lambda: t("Stage “%(stage)s” entered", stage=stage),
        "decision": lambda: _decided(t, fmt, item, stage),
        "closed": lambda: _decided(t, fmt, item, stage),
        "document": lambda: w.stage_title or str(details.get("name", item.summary)),
        "message": lambda: (
            f"{t.label('notice', details.get('notice_kind') or 'message') or item.summary} → "
            f"{w.person or '—'}"
        ),
    }
    if item.kind == "event" and details.get("kind") == "phase_changed":
        before = t.label("phase", details.get("from")) or str(details.get("from"))
        after = t.label("phase", details.get("to")) or str(details.get("to"))
        return t("Project phase: %(before)s → %(after)s", before=before, after=after)
    return said[item.kind]() if item.kind in said else item.summary


def as_json(found: timelines.Timeline) -> dict[str, Any]:
    """The timeline as JSON-ready data (each stage with its days)."""
    data = asdict(found)
    data["stages"] = [{**asdict(s), "days": s.days} for s in found.stages]
    return data
