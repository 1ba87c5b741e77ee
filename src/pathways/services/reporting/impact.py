"""Impact evaluation on any case, in the VISES manner.

VISES (Interreg France–Wallonia–Flanders) works in three steps: a state of play and
an evaluative question, data collection, then analysis and valorisation. Here an
*evaluation* holds the question (and the tool it follows: MESIS, Valor'ESS, the UN
SDGs), its *indicators* hold a name, a unit, a baseline and a target, and each
*value* is a dated measurement. A project with at least one measured value has a
recorded impact evaluation, and so has a project whose impact evaluation case (VISES,
config/pathways/impact_evaluation.yaml) ended showing its impact: the swarming pathway's
replication rules ask exactly that (:meth:`~pathways.services.casework.facts.DbFacts.has_impact_evaluation`).

Every addition is audited on the case's organisation chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, select

from pathways.errors import FieldError, NotFound
from pathways.services.casework.facts import DbFacts
from pathways.services.casework.lookup import find_case
from pathways.services.casework.views import CaseView
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import require
from pathways.services.reporting.views import (
    ImpactEvaluation,
    ImpactIndicator,
    ImpactProject,
    ImpactSheet,
    ImpactValue,
)
from pathways.services.tx import Tx, write
from pathways.store.core import CASE, EVALUATION, INDICATOR, PROJECT, VALUE

if TYPE_CHECKING:
    from pathways.bootstrap import App

# The tools VISES names, by the ways people write them.
TOOLS = {
    "mesis": "MESIS",
    "valoress": "Valor'ESS",
    "sdg": "SDG",
    "odd": "SDG",
    "sdgs": "SDG",
    "odds": "SDG",
    "vises": "VISES",
    "sroi": "SROI",
}
_CASE_REF = re.compile(r"^[A-Za-z]{2,6}-\d{4}-\d+$")
_LIMIT = Decimal("1e14")  # 18 digits, 4 after the point
_QUANTUM = Decimal("0.0001")


def tool_name(raw: str | None) -> str | None:
    """The canonical name of an evaluation tool (MESIS, Valor'ESS, SDG); FieldError for others."""
    if raw is None or not raw.strip():
        return None
    key = re.sub(r"[^a-z]", "", raw.lower())
    if key not in TOOLS:
        raise FieldError(
            "tool", f"{raw!r} is not a known tool", hint="use VISES, MESIS, ValorESS, SROI or SDG"
        )
    return TOOLS[key]


def parse_number(name: str, raw: str | int | Decimal | None) -> Decimal | None:
    """A measured or target quantity: 12, 12.5 or 12,5 (four decimals kept)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        number = Decimal(str(raw).replace(",", ".").replace(" ", ""))
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise FieldError(name, f"expected a number such as 12.5, got {raw!r}") from None
    if abs(number) >= _LIMIT:
        raise FieldError(name, f"{raw} is too large", hint="use a larger unit (thousands, millions)")
    return number.quantize(_QUANTUM)


def plain(number: Decimal | None) -> Decimal | None:
    """A stored quantity without its trailing zeros: 12.5000 -> 12.5, 1200.0000 -> 1200."""
    if number is None:
        return None
    reduced = number.normalize()
    return reduced.quantize(Decimal(1)) if reduced == reduced.to_integral() else reduced


def _text(name: str, raw: str, limit: int) -> str:
    text = raw.strip()
    if not text:
        raise FieldError(name, "is required")
    if len(text) > limit:
        raise FieldError(name, f"{len(text)} characters, at most {limit} allowed")
    return text


def _target(conn: Connection, ref: str | int) -> tuple[CaseView | None, dict[str, Any]]:
    """(case, project) for a case reference (DIAG-2026-0001); (None, project) for a project id or name."""
    text = str(ref).strip()
    case = find_case(conn, text) if _CASE_REF.match(text) else None
    project_id = case.project_id if case else directory.find_project(conn, text).id
    project = dict(conn.execute(select(PROJECT).where(PROJECT.c.id == project_id)).mappings().one())
    return case, project


def add_evaluation(tx: Tx, *, target: str | int, question: str, tool: str | None = None) -> int:
    """Start an impact evaluation on a case (a case reference) or on a project (its id or name)."""
    case, project = _target(tx.conn, target)
    canonical = tool_name(tool)
    evaluation_id = tx.insert(
        EVALUATION,
        project_id=project["id"],
        case_id=case.id if case else None,
        question=_text("question", question, 2000),
        tool=canonical,
        created_at=tx.at,
    )
    tx.audit(
        organisation_id=project["organisation_id"],
        case_id=case.id if case else None,
        kind="impact_evaluation_added",
        payload={
            "evaluation": evaluation_id,
            "ref": case.ref if case else None,
            "project": project["id"],
            "tool": canonical,
        },
    )
    return evaluation_id


def _evaluation(conn: Connection, evaluation: int) -> dict[str, Any]:
    found = (
        conn.execute(
            select(EVALUATION, PROJECT.c.organisation_id)
            .join(PROJECT, PROJECT.c.id == EVALUATION.c.project_id)
            .where(EVALUATION.c.id == evaluation)
        )
        .mappings()
        .first()
    )
    if found is None:
        raise NotFound(
            f"no impact evaluation {evaluation}",
            hint="see `pathways impact show CASE`",
            code="evaluation_not_found",
            params={"evaluation": evaluation},
        )
    return dict(found)


def add_indicator(
    tx: Tx,
    *,
    evaluation: int,
    name: str,
    unit: str,
    baseline: str | Decimal | None = None,
    target: str | Decimal | None = None,
) -> int:
    """Add an indicator to an evaluation: what is measured, in what unit, from where to where."""
    found = _evaluation(tx.conn, evaluation)
    values = {
        "name": _text("name", name, 200),
        "unit": _text("unit", unit, 40),
        "baseline": parse_number("baseline", baseline),
        "target": parse_number("target", target),
    }
    indicator_id = tx.insert(INDICATOR, evaluation_id=evaluation, **values)
    tx.audit(
        organisation_id=found["organisation_id"],
        case_id=found["case_id"],
        kind="impact_indicator_added",
        payload={
            "indicator": indicator_id,
            "evaluation": evaluation,
            "name": values["name"],
            "unit": values["unit"],
            "baseline": None if values["baseline"] is None else str(values["baseline"]),
            "target": None if values["target"] is None else str(values["target"]),
        },
    )
    return indicator_id


def add_value(tx: Tx, *, indicator: int, value: str | Decimal, on: date) -> int:
    """Record a dated measurement of an indicator (not dated after the day it is recorded)."""
    row = tx.conn.execute(select(INDICATOR).where(INDICATOR.c.id == indicator)).mappings().first()
    if row is None:
        raise NotFound(
            f"no impact indicator {indicator}",
            hint="see `pathways impact show CASE`",
            code="indicator_not_found",
            params={"indicator": indicator},
        )
    found = _evaluation(tx.conn, row["evaluation_id"])
    if on > tx.at.date():
        raise FieldError(
            "on", f"{on.isoformat()} is in the future", hint="record a value once it is measured"
        )
    number = parse_number("value", value)
    if number is None:
        raise FieldError("value", "is required")
    value_id = tx.insert(
        VALUE,
        indicator_id=indicator,
        project_id=found["project_id"],
        value=number,
        measured_on=on,
        recorded_at=tx.at,
    )
    tx.audit(
        organisation_id=found["organisation_id"],
        case_id=found["case_id"],
        kind="impact_value_recorded",
        payload={"value_id": value_id, "indicator": indicator, "value": str(number), "on": on.isoformat()},
    )
    return value_id


@dataclass(frozen=True, slots=True)
class AddEvaluation:
    """Start an evaluation of `target` (a case reference, or a project id or name) with its question."""

    target: str | int
    question: str
    tool: str | None = None


@dataclass(frozen=True, slots=True)
class AddIndicator:
    """Add to evaluation `evaluation` what is measured, in what unit, from where to where."""

    evaluation: int
    name: str
    unit: str
    baseline: str | Decimal | None = None
    target: str | Decimal | None = None


@dataclass(frozen=True, slots=True)
class RecordValue:
    """A value of indicator `indicator`, measured on `on`."""

    indicator: int
    value: str | Decimal
    on: date


def start_evaluation(app: App, command: AddEvaluation, *, by: Principal | None) -> int:
    """:func:`add_evaluation` in a transaction of its own; the new evaluation's id."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        if by is not None:
            _case, project = _target(tx.conn, command.target)
            require(by, project["organisation_id"], Permission.WRITE, f"project {project['id']}")
        return add_evaluation(tx, target=command.target, question=command.question, tool=command.tool)


def define_indicator(app: App, command: AddIndicator, *, by: Principal | None) -> int:
    """:func:`add_indicator` in a transaction of its own; the new indicator's id."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        if by is not None:
            found = _evaluation(tx.conn, command.evaluation)
            require(by, found["organisation_id"], Permission.WRITE, f"impact evaluation {command.evaluation}")
        return add_indicator(
            tx,
            evaluation=command.evaluation,
            name=command.name,
            unit=command.unit,
            baseline=command.baseline,
            target=command.target,
        )


def record_value(app: App, command: RecordValue, *, by: Principal | None) -> int:
    """:func:`add_value` in a transaction of its own; the new value's id."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        if by is not None:
            evaluation = tx.conn.scalar(
                select(INDICATOR.c.evaluation_id).where(INDICATOR.c.id == command.indicator)
            )
            if evaluation is not None:
                org_id = _evaluation(tx.conn, evaluation)["organisation_id"]
                require(by, org_id, Permission.WRITE, f"impact indicator {command.indicator}")
        return add_value(tx, indicator=command.indicator, value=command.value, on=command.on)


def show(conn: Connection, ref: str | int) -> ImpactSheet:
    """A case's evaluations (for a case reference) or all of a project's (for a project id or name).

    Each indicator comes with its dated values, the latest one, its change from the
    baseline and how far it went towards the target (percent of the way).
    """
    case, project = _target(conn, ref)
    project_id = project["id"]
    query = (
        select(EVALUATION, CASE.c.ref.label("case_ref"))
        .outerjoin(CASE, CASE.c.id == EVALUATION.c.case_id)
        .where(EVALUATION.c.project_id == project_id)
        .order_by(EVALUATION.c.id)
    )
    if case is not None:
        query = query.where(EVALUATION.c.case_id == case.id)
    evaluations = list(conn.execute(query))
    indicators = list(
        conn.execute(
            select(INDICATOR)
            .where(INDICATOR.c.evaluation_id.in_([e.id for e in evaluations]))
            .order_by(INDICATOR.c.id)
        )
    )
    values: dict[int, list[ImpactValue]] = {}
    for r in conn.execute(
        select(VALUE.c.indicator_id, VALUE.c.value, VALUE.c.measured_on)
        .where(VALUE.c.indicator_id.in_([i.id for i in indicators]))
        .order_by(VALUE.c.measured_on, VALUE.c.id)
    ):
        measured = plain(r.value)
        if measured is not None:
            values.setdefault(r.indicator_id, []).append(ImpactValue(value=measured, on=r.measured_on))
    return ImpactSheet(
        project=ImpactProject(id=project["id"], name=project["name"], phase=project["phase"]),
        case=case.ref if case else None,
        # What replication's rules accept: a measured value, or an evaluation case that showed the impact.
        proven_model_evidence=DbFacts(conn).has_impact_evaluation(project_id),
        evaluations=tuple(
            ImpactEvaluation(
                id=e.id,
                case=e.case_ref,
                question=e.question,
                tool=e.tool,
                created_at=e.created_at,
                indicators=tuple(
                    _indicator(i, tuple(values.get(i.id, ()))) for i in indicators if i.evaluation_id == e.id
                ),
            )
            for e in evaluations
        ),
    )


def _indicator(row: Row[Any], values: tuple[ImpactValue, ...]) -> ImpactIndicator:
    latest = values[-1] if values else None
    baseline, target = plain(row.baseline), plain(row.target)
    change = progress = None
    if latest is not None and baseline is not None:
        change = plain(latest.value - baseline)
        if target is not None and target != baseline:
            progress = ((latest.value - baseline) / (target - baseline) * 100).quantize(Decimal("0.1"))
    return ImpactIndicator(
        id=row.id,
        name=row.name,
        unit=row.unit,
        baseline=baseline,
        target=target,
        values=values,
        latest=latest,
        change=change,
        progress_percent=progress,
    )
