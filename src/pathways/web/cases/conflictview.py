"""A stale form's conflict as the case page says it: each change since the form was shown, in words.

Every form of the case page (decision, close, reassign, note) carries the case's version it
showed; when the case moved on meanwhile the form is refused (409) and the page lists who did
what, and when (:func:`pathways.services.casework.conflict.changes_since`), in the page's
language: "Camille Martin recorded “Relevant request” at the Intake stage on 14 Dec 2026, 10:30."
"""

from __future__ import annotations

from pathways.domain.loader import PathwayCatalog
from pathways.errors import DecidedMeanwhile, Meanwhile, NotFound, PathwaysError
from pathways.web.i18n import texts
from pathways.web.i18n_format import Formatter

__all__ = ["meanwhile_lines"]


def meanwhile_lines(
    catalog: PathwayCatalog | None,
    pathway: tuple[str, int] | None,
    problem: PathwaysError | None,
    lang: str,
    zone: str,
) -> tuple[str, ...] | None:
    """Each change a stale form did not see, as a sentence; None when `problem` is no such conflict.

    `pathway`: the case's pathway and version, to name its stages and outcomes by their titles in
    `catalog` (without them: by their ids, as the API's ``conflict`` does), `zone`: the time zone
    of the case's organisation.
    """
    if not isinstance(problem, DecidedMeanwhile):
        return None
    return tuple(_line(catalog, pathway, m, lang, zone) for m in problem.meanwhile)


def _line(
    catalog: PathwayCatalog | None, pathway: tuple[str, int] | None, m: Meanwhile, lang: str, zone: str
) -> str:
    t = texts(lang)
    by = m.by or t("someone")
    at = Formatter(lang, zone).datetime(m.at)
    if m.kind == "case_assigned":
        return t(
            "%(by)s gave the case to %(officer)s on %(at)s.", by=by, officer=m.officer or t("someone"), at=at
        )
    if m.kind == "case_migrated":
        return t("%(by)s moved the case to a new version of its pathway on %(at)s.", by=by, at=at)
    stage_title, outcome_label = m.stage or "—", m.outcome or "—"
    try:
        spec = catalog.get(*pathway) if catalog is not None and pathway is not None else None
    except NotFound:
        spec = None
    stage = next((s for s in spec.stages if s.id == m.stage), None) if spec is not None else None
    if stage is not None:
        stage_title = stage.title.get(lang)
        outcome = stage.outcomes.get(m.outcome)
        exited = spec.all_exits.get(m.outcome) if spec is not None and outcome is None else None
        outcome_label = (
            outcome.label.get(lang) if outcome else exited.get(lang) if exited is not None else m.outcome
        )
    return t(
        "%(by)s recorded “%(outcome)s” at the %(stage)s stage on %(at)s.",
        by=by,
        outcome=outcome_label,
        stage=stage_title,
        at=at,
    )
