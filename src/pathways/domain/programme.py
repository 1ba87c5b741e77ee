"""The programmes' published rules, as named checks, and the automatic step names.

Both are listed in one table each at the end of this module (:data:`CHECKS`,
:data:`STEPS`); :func:`pathways.domain.registry.programme_registry` builds the
registry from them. Nothing registers itself when this module is imported.

A pathway file puts each check on the outcome it guards (``checks:`` of an outcome),
or at the pathway level to run when a case opens (then ``ctx.stage`` is None). A
check reads the decision's values first, then what earlier stages recorded
(:meth:`DecisionContext.recorded`), then the project; it refuses with a
:class:`RuleViolation` naming the rule, saying what is wrong and what to do.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final

from pathways.domain.calendar import add_calendar
from pathways.domain.rules import Check, DecisionContext, StepInfo
from pathways.errors import RuleViolation

__all__ = [
    "BELGIAN_ONLY_LEGAL_FORMS",
    "CHECKS",
    "ELIGIBLE_LEGAL_FORMS",
    "MAX_TRANSFERS_PER_YEAR",
    "STEPS",
    "normalise_legal_form",
]

# DLA eligibility: associations, cooperatives, SIAE, entreprises adaptées, ESUS companies
# (France); ASBL/VZW, cooperatives and approved social enterprises (Belgium). Codes are the
# `legal_form` choices of the diagnosis intake, plus the usual spellings a project record holds.
# fmt: off
ELIGIBLE_LEGAL_FORMS: frozenset[str] = frozenset({
    # associations
    "association", "association_loi_1901", "association_loi_1908", "asbl", "vzw", "aisbl", "ivzw",
    # cooperatives, French and Belgian (SCRL/CVBA and SFS/VSO: forms before the 2019 code)
    "cooperative", "societe_cooperative", "scop", "scic", "cae",
    "sc_cv", "cv", "scrl", "cvba", "sfs", "vso",
    # insertion par l'activité économique ("EI" alone usually means an entreprise individuelle)
    "siae", "etti", "aci", "eiti", "entreprise_d_insertion", "association_intermediaire",
    # disability employment (France; Wallonia and Brussels ETA; Flemish maatwerkbedrijf)
    "entreprise_adaptee", "ea", "eta", "entreprise_de_travail_adapte", "maatwerkbedrijf",
    # ESUS-approved commercial companies; Belgian approved social enterprises
    "esus_company", "esus", "entreprise_esus", "be_social_enterprise",
})
# fmt: on
# "SC" is the Belgian cooperative company but, in France, a société civile (not eligible).
BELGIAN_ONLY_LEGAL_FORMS: frozenset[str] = frozenset({"sc"})

MAX_TRANSFERS_PER_YEAR = 2


@functools.lru_cache(maxsize=1024)  # a handful of forms, asked at every intake decision
def normalise_legal_form(value: str) -> str:
    """Lower case, no accents, words joined by '_': 'SCOP SA' -> 'scop_sa', 'SC/CV' -> 'sc_cv'."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return "_".join(words)


def _legal_form_eligible(code: str, territory: str) -> bool:
    if code in ELIGIBLE_LEGAL_FORMS:
        return True
    if code in BELGIAN_ONLY_LEGAL_FORMS:
        return territory.upper().startswith("BE")
    # 'scop_sa', 'societe_cooperative_scic', 'sas_agreee_esus': an eligible form or approval
    # named among other words. Two-letter codes ('ea', 'cv') are too ambiguous for that.
    padded = f"_{code}_"
    return any(len(form) > 2 and f"_{form}_" in padded for form in ELIGIBLE_LEGAL_FORMS)


def _as_date(value: Any, *, rule: str, name: str) -> date | None:
    """A recorded date value as a date (None when absent); refuses anything else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleViolation(
        rule, f"field '{name}' holds {value!r}, not a date", hint=f"record '{name}' as a date"
    )


def _required_date(ctx: DecisionContext, name: str, *, rule: str, why: str) -> date:
    found = _as_date(ctx.recorded(name), rule=rule, name=name)
    if found is None:
        raise RuleViolation(rule, f"no '{name}' recorded: {why}", hint=f"record '{name}' (a date)")
    return found


def diagnosis_eligibility(ctx: DecisionContext) -> None:
    """DLA diagnosis: an eligible legal form and at least one salaried job."""
    rule = "diagnosis_eligibility"
    redirect = "choose outcome not_relevant and record redirected_to (who the project is referred to)"
    raw_form = ctx.recorded("legal_form") or ctx.project.legal_form
    if not raw_form:
        raise RuleViolation(
            rule,
            "the legal form is unknown, so eligibility cannot be checked",
            hint="record legal_form at intake (or on the project), or " + redirect,
        )
    code = normalise_legal_form(str(raw_form))
    if not _legal_form_eligible(code, ctx.project.territory):
        raise RuleViolation(
            rule,
            f"legal form '{raw_form}' is not eligible for a diagnosis: it is open to associations "
            "(ASBL/VZW), cooperatives (SCOP, SCIC, CAE, SC/CV), SIAE, entreprises adaptées "
            "and ESUS-approved companies",
            hint=redirect,
        )
    jobs = ctx.recorded("salaried_jobs")
    if jobs is None:
        jobs = ctx.recorded("headcount")
    if jobs is None:
        jobs = ctx.project.salaried_jobs
    if int(jobs) < 1:
        raise RuleViolation(
            rule,
            f"the structure has {jobs} salaried jobs; a diagnosis needs at least one",
            hint=redirect,
        )


def board_approval_recorded(ctx: DecisionContext) -> None:
    """The structure's board approves the support plan before any work starts."""
    if ctx.recorded("board_approval") is not True:
        raise RuleViolation(
            "board_approval_recorded",
            "the support plan cannot be validated before the structure's board has approved it",
            hint="record board_approval: true with board_approval_on once the board has approved, "
            "or choose outcome revise",
        )


def consultant_answer_within_week(ctx: DecisionContext) -> None:
    """DLA: consultants answer a brief within one week (7 calendar days) of its sending."""
    rule = "consultant_answer_within_week"
    sent = _required_date(ctx, "brief_sent_on", rule=rule, why="the brief's sending date is needed")
    answered = _required_date(
        ctx, "consultant_answer_on", rule=rule, why="the chosen consultant's answer date is needed"
    )
    if answered < sent:
        raise RuleViolation(
            rule,
            f"the consultant's answer ({answered.isoformat()}) is dated before the brief was sent "
            f"({sent.isoformat()})",
            hint="correct brief_sent_on or consultant_answer_on",
        )
    late = (answered - sent).days
    if late > 7:
        raise RuleViolation(
            rule,
            f"the consultant answered {late} days after the brief was sent ({sent.isoformat()}); "
            "answers are accepted within 7 days",
            hint="choose an answer received within the week, or outcome reissue to send the brief again",
        )


def resource_person_yearly_cap(ctx: DecisionContext) -> None:
    """Peer transfer: a resource person takes at most two transfers a calendar year."""
    rule = "resource_person_yearly_cap"
    person = ctx.recorded("resource_person")
    if person is None:
        raise RuleViolation(rule, "no resource person recorded", hint="record resource_person at matching")
    # Person fields hold the person's id (as text once stored); the count is kept per id.
    if isinstance(person, bool) or not str(person).strip().isdigit():
        raise RuleViolation(
            rule,
            f"resource person {person!r} is not a registered person, so their transfers cannot be counted",
            hint="record resource_person at matching as the id of a registered person",
        )
    validated = _as_date(ctx.recorded("validated_on"), rule=rule, name="validated_on") or ctx.now.date()
    done = ctx.facts.transfers_this_year(int(person), validated.year, exclude_case=ctx.case_id)
    if done >= MAX_TRANSFERS_PER_YEAR:
        raise RuleViolation(
            rule,
            f"resource person #{person} already has {done} transfers validated in {validated.year}; "
            f"the programme allows at most {MAX_TRANSFERS_PER_YEAR} a year",
            hint="choose outcome rematch to match another resource person, or refused",
        )


def transfer_within_three_months(ctx: DecisionContext) -> None:
    """Peer transfer: 1 to 3 days, all held within 3 months of the validation."""
    rule = "transfer_within_three_months"
    raw_days = ctx.recorded("transfer_days") or ()
    if not isinstance(raw_days, list | tuple):
        raise RuleViolation(rule, "transfer_days is not a list of dates", hint="record each transfer day")
    days = sorted(d for d in (_as_date(v, rule=rule, name="transfer_days") for v in raw_days) if d)
    if not 1 <= len(days) <= 3:
        raise RuleViolation(
            rule,
            f"{len(days)} transfer days recorded; a transfer lasts 1 to 3 days",
            hint="record the 1 to 3 dates the transfer took place in transfer_days",
        )
    validated = _as_date(ctx.recorded("validated_on"), rule=rule, name="validated_on")
    if validated is None and ctx.stage_entered_at is not None:
        validated = ctx.stage_entered_at.date()
    if validated is None:
        raise RuleViolation(rule, "the validation date is unknown", hint="record validated_on at validation")
    latest = add_calendar(validated, months=3)
    early = [d.isoformat() for d in days if d < validated]
    late = [d.isoformat() for d in days if d > latest]
    if early or late:
        outside = ", ".join(early + late)
        raise RuleViolation(
            rule,
            f"transfer days {outside} fall outside {validated.isoformat()}..{latest.isoformat()}: "
            "transfer days are held within 3 months of the validation",
            hint="correct transfer_days; days held outside the window are not covered by the programme",
        )


def proven_model(ctx: DecisionContext) -> None:
    """Swarming: only a proven model, with a recorded impact evaluation, is duplicated."""
    if not ctx.facts.has_impact_evaluation(ctx.project.id):
        raise RuleViolation(
            "proven_model",
            f"project '{ctx.project.name}' has no recorded impact evaluation; "
            "only a proven model is replicated",
            hint="record the project's impact evaluation (indicators with values) first, then open the case",
        )


# The checks a pathway file may name, by the name it uses.
CHECKS: Final[Mapping[str, Check]] = MappingProxyType(
    {
        "diagnosis_eligibility": diagnosis_eligibility,
        "board_approval_recorded": board_approval_recorded,
        "consultant_answer_within_week": consultant_answer_within_week,
        "resource_person_yearly_cap": resource_person_yearly_cap,
        "transfer_within_three_months": transfer_within_three_months,
        "proven_model": proven_model,
    }
)

# The automatic steps a pathway file may name; the services implement each one
# (pathways.services.casework.work.STEP_RUNNERS), and a test holds the two lists equal.
STEPS: Final[tuple[StepInfo, ...]] = (
    StepInfo("render_document", "render the stage's document from its template, attach it to the case"),
    StepInfo(
        "add_to_committee_agenda", "put the case on the support committee's agenda for its committee_date"
    ),
)
