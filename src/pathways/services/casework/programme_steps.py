"""Automatic steps of the newer programmes: the lead a Fabrique found, the evaluation VISES starts.

Each runs when its stage is entered, in the outbox job's own transaction
(:func:`pathways.services.casework.work.run_job`), and reads what the decisions before that
stage recorded: the values of the case's earlier stage entries, latest first.

- ``lead_becomes_owner`` (Fabrique à initiatives): the idea had no one to carry it; the person
  recorded in ``project_lead`` becomes the project's owner, through the same use case (and the
  same audited ``project_updated`` event) as a manual change of owner.
- ``open_impact_evaluation`` (VISES): the case's impact evaluation, with the evaluative question
  and the tool chosen, so that its indicators (baseline, target) and dated values can be
  recorded with ``pathways impact``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from pathways.errors import PathwaysError
from pathways.services.casework import lookup
from pathways.services.people import editing
from pathways.services.reporting import impact
from pathways.services.tx import Tx
from pathways.store.core import ENTRY, EVALUATION

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["LEAD_FIELD", "lead_becomes_owner", "open_impact_evaluation"]

LEAD_FIELD: Final = "project_lead"
QUESTION_FIELD: Final = "evaluative_question"
TOOL_FIELD: Final = "tool"


def recorded_before(tx: Tx, job: Mapping[str, Any], name: str) -> Any:
    """The latest value of field `name` recorded by the entries before the job's stage entry; None if none."""
    entry = job["payload"]["entry"]
    seq = tx.conn.execute(select(ENTRY.c.seq).where(ENTRY.c.id == entry)).scalar_one()
    rows = tx.conn.execute(
        select(ENTRY.c["values"])
        .where(ENTRY.c.case_id == job["case_id"], ENTRY.c.seq < seq)
        .order_by(ENTRY.c.seq.desc())
    ).scalars()
    for values in rows:
        if values and values.get(name) is not None:
            return values[name]
    return None


def lead_becomes_owner(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    """Make the person recorded in ``project_lead`` the owner of the case's project."""
    del app  # the step needs only the transaction
    case = lookup.find_case(tx.conn, job["case_id"])
    lead = recorded_before(tx, job, LEAD_FIELD)
    if lead is None:
        # A pathway file that names this step records the lead on the way in: a file mistake.
        raise PathwaysError(
            f"case {case.ref}: no {LEAD_FIELD} recorded before stage {job['payload']['stage']}",
            hint=f"record the lead in a person field named {LEAD_FIELD} before this stage",
        )
    updated = editing.apply(tx, editing.ProjectUpdate(project=int(case.project_id), owner=int(lead)), by=None)
    if not updated.changed:
        return f"person {lead} already carries project {case.project_id}"
    return f"person {lead} now carries project {case.project_id}"


# The tools the impact evaluation knows (impact.TOOLS); "own" (an approach of one's own) is none.
_TOOLS: Final = {"vises": "VISES", "mesis": "MESIS", "valoress": "ValorESS", "sroi": "SROI", "sdg": "SDG"}


def open_impact_evaluation(app: App, tx: Tx, job: Mapping[str, Any]) -> str:
    """Start the case's impact evaluation with the evaluative question recorded (once per question)."""
    del app
    case = lookup.find_case(tx.conn, job["case_id"])
    question = recorded_before(tx, job, QUESTION_FIELD)
    if question is None or not str(question).strip():
        raise PathwaysError(
            f"case {case.ref}: no {QUESTION_FIELD} recorded before stage {job['payload']['stage']}",
            hint=f"record the question in a text field named {QUESTION_FIELD} before this stage",
        )
    existing = tx.conn.execute(
        select(EVALUATION.c.id).where(
            EVALUATION.c.case_id == case.id, EVALUATION.c.question == str(question).strip()
        )
    ).scalar()
    if existing is not None:
        return f"impact evaluation {existing} already started"
    tool = _TOOLS.get(str(recorded_before(tx, job, TOOL_FIELD)))
    evaluation = impact.add_evaluation(tx, target=case.ref, question=str(question), tool=tool)
    return f"impact evaluation {evaluation} started"
