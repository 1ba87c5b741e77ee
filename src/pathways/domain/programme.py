"""The programmes' rules as named checks, the local rules a file may switch on, the automatic steps.

Three tables at the end of this module (:data:`CHECKS`, :data:`OPTIONS`, :data:`STEPS`);
:func:`pathways.domain.registry.programme_registry` builds the registry from them. Nothing
registers itself when this module is imported. The checks live with their programme:
:mod:`pathways.domain.dla` (diagnosis, ongoing support), :mod:`pathways.domain.tsf` (peer
transfer), :mod:`pathways.domain.replication`, :mod:`pathways.domain.incubation`.

A pathway file puts each check on the outcome it guards (``checks:`` of an outcome),
or at the pathway level to run when a case opens (then ``ctx.stage`` is None). A
check reads the decision's values first, then what earlier stages recorded
(:meth:`DecisionContext.recorded`), then the project; it refuses with a
:class:`RuleViolation` naming the rule, saying what is wrong and what to do.

A rule that is one organisation's (a DLA's charter) or one edition's (the Geiq federation's
TSF) is an *option*: its check does nothing unless the pathway file switches it on
(``options: {consultant_bid_within_week: true}``). docs/PROGRAMMES.md gives each rule's source.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from pathways.domain.dla import (
    BELGIAN_ONLY_LEGAL_FORMS,
    ELIGIBLE_LEGAL_FORMS,
    board_approval_recorded,
    consultant_answer_within_week,
    diagnosis_eligibility,
    normalise_legal_form,
    plan_without_mission,
)
from pathways.domain.incubation import cohort_dates
from pathways.domain.replication import proven_model, replication_readiness
from pathways.domain.rules import Check, OptionInfo, StepInfo
from pathways.domain.tsf import (
    MAX_TRANSFERS_PER_YEAR,
    ptce_eligibility,
    resource_person_yearly_cap,
    topic_outside_usual_business,
    transfer_topics_allowed,
    transfer_within_three_months,
)

__all__ = [
    "BELGIAN_ONLY_LEGAL_FORMS",
    "CHECKS",
    "ELIGIBLE_LEGAL_FORMS",
    "MAX_TRANSFERS_PER_YEAR",
    "OPTIONS",
    "STEPS",
    "normalise_legal_form",
]

# The checks a pathway file may name, by the name it uses.
CHECKS: Final[Mapping[str, Check]] = MappingProxyType(
    {
        "diagnosis_eligibility": diagnosis_eligibility,
        "plan_without_mission": plan_without_mission,
        "board_approval_recorded": board_approval_recorded,
        "consultant_answer_within_week": consultant_answer_within_week,
        "resource_person_yearly_cap": resource_person_yearly_cap,
        "transfer_within_three_months": transfer_within_three_months,
        "transfer_topics_allowed": transfer_topics_allowed,
        "topic_outside_usual_business": topic_outside_usual_business,
        "ptce_eligibility": ptce_eligibility,
        "proven_model": proven_model,
        "replication_readiness": replication_readiness,
        "cohort_dates": cohort_dates,
    }
)

# The local rules a pathway file may switch on (all off unless its `options` say true).
OPTIONS: Final[tuple[OptionInfo, ...]] = (
    OptionInfo(
        "consultant_bid_within_week",
        "consultants say within 7 days of the brief's sending whether they will bid, and the chosen "
        "proposal arrived by the deadline the brief set",
        'a DLA\'s charter: CLAIE, DLA of the Alpes-Maritimes, "Charte DLA" (docs/PROGRAMMES.md, S27)',
        ("consultant_answer_within_week",),
    ),
    OptionInfo(
        "board_approval_before_action",
        "the structure's governing body (conseil d'administration, gérance, présidence, organe "
        "d'administration) approves before the action starts",
        'a DLA\'s charter: CLAIE, DLA of the Alpes-Maritimes, "Charte DLA" (docs/PROGRAMMES.md, S27)',
        ("board_approval_recorded",),
    ),
    OptionInfo(
        "geiq_transfer_days",
        "a transfer lasts 1 to 3 days, held within 3 months of its validation",
        "the Geiq federation's edition of the TSF (docs/PROGRAMMES.md, S8)",
        ("transfer_within_three_months",),
    ),
    OptionInfo(
        "ptce_edition",
        'the request comes from a 2021 "PTCE émergents" laureate or a signatory of the PTCE charter',
        "the PTCE edition of the TSF (Avise; docs/PROGRAMMES.md, S9)",
        ("ptce_eligibility",),
    ),
)

# The automatic steps a pathway file may name; the services implement each one
# (pathways.services.casework.work.STEP_RUNNERS), and a test holds the two lists equal.
STEPS: Final[tuple[StepInfo, ...]] = (
    StepInfo("render_document", "render the stage's document from its template, attach it to the case"),
    StepInfo(
        "add_to_committee_agenda", "put the case on the support committee's agenda for its committee_date"
    ),
    StepInfo(
        "lead_becomes_owner",
        "make the person recorded in the case's project_lead field the project's owner "
        "(Fabrique à initiatives)",
    ),
    StepInfo(
        "open_impact_evaluation",
        "start the case's impact evaluation with its evaluative_question and tool, for its indicators "
        "(`pathways impact`)",
    ),
)
