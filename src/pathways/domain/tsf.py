"""The peer transfer's rules (Transfert de savoir-faire), as checks a pathway file names.

Three editions are published (docs/PROGRAMMES.md, section 4): Avise's TSF (S6, and its older
rules S7), the Geiq federation's (S8) and the PTCE edition (S9). Avise's rules run wherever a
file lists them; the Geiq and PTCE editions' rules only where the file switches their option on.
"""

from __future__ import annotations

from typing import Final

from pathways.domain.calendar import add_calendar
from pathways.domain.recorded import as_date
from pathways.domain.rules import DecisionContext
from pathways.errors import RuleViolation

__all__ = [
    "EXCLUDED_TOPICS",
    "MAX_TRANSFERS_PER_YEAR",
    "PTCE_STATUSES",
    "ptce_eligibility",
    "resource_person_yearly_cap",
    "topic_outside_usual_business",
    "transfer_topics_allowed",
    "transfer_within_three_months",
]

MAX_TRANSFERS_PER_YEAR = 2
# Topics Avise's rules leave out of a TSF (S7), and why.
EXCLUDED_TOPICS: Final = {
    "legal": "legal questions are not a TSF topic: they go to a lawyer or a legal support scheme",
    "network_animation": "network animation is training, not a transfer of know-how",
}
# The PTCE edition is open to the PTCE on the 2021 "PTCE émergents" laureates list and to the
# signatories of the updated PTCE charter (S9).
PTCE_STATUSES: Final = frozenset({"laureate_2021", "charter_signatory"})


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
    validated = as_date(ctx.recorded("validated_on"), rule=rule, name="validated_on") or ctx.now.date()
    done = ctx.facts.transfers_this_year(int(person), validated.year, exclude_case=ctx.case_id)
    if done >= MAX_TRANSFERS_PER_YEAR:
        raise RuleViolation(
            rule,
            f"resource person #{person} already has {done} transfers validated in {validated.year}; "
            f"the programme allows at most {MAX_TRANSFERS_PER_YEAR} a year",
            hint="choose outcome rematch to match another resource person, or refused",
        )


def transfer_within_three_months(ctx: DecisionContext) -> None:
    """Geiq edition (option geiq_transfer_days): 1 to 3 days, held within 3 months of the validation."""
    if not ctx.option("geiq_transfer_days"):
        return
    rule = "transfer_within_three_months"
    raw_days = ctx.recorded("transfer_days") or ()
    if not isinstance(raw_days, list | tuple):
        raise RuleViolation(rule, "transfer_days is not a list of dates", hint="record each transfer day")
    days = sorted(d for d in (as_date(v, rule=rule, name="transfer_days") for v in raw_days) if d)
    if not 1 <= len(days) <= 3:
        raise RuleViolation(
            rule,
            f"{len(days)} transfer days recorded; a transfer lasts 1 to 3 days",
            hint="record the 1 to 3 dates the transfer took place in transfer_days",
        )
    validated = as_date(ctx.recorded("validated_on"), rule=rule, name="validated_on")
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


def transfer_topics_allowed(ctx: DecisionContext) -> None:
    """Avise's TSF: legal questions and network animation are not transfer topics (refused with why)."""
    topics = ctx.recorded("topics") or ()
    chosen = [topics] if isinstance(topics, str) else list(topics)
    excluded = [str(t) for t in chosen if str(t) in EXCLUDED_TOPICS]
    if excluded:
        why = "; ".join(EXCLUDED_TOPICS[t] for t in excluded)
        raise RuleViolation(
            "transfer_topics_allowed",
            f"topic {', '.join(excluded)} is outside the TSF: {why}",
            hint="remove the topic, or choose outcome not_eligible and record the reason",
        )


def topic_outside_usual_business(ctx: DecisionContext) -> None:
    """Avise's TSF: the topic is not the usual business of the resource person's structure.

    Recorded at validation once checked; a validation saying it is the usual business is refused.
    """
    if ctx.recorded("outside_usual_business") is False:
        raise RuleViolation(
            "topic_outside_usual_business",
            "the topic must not be the usual business of the resource person's structure: "
            "a TSF passes on a director's know-how, it does not buy a service",
            hint="choose outcome rematch to match another resource person, or refused",
        )


def ptce_eligibility(ctx: DecisionContext) -> None:
    """PTCE edition (option ptce_edition): a 2021 "PTCE émergents" laureate or a charter signatory."""
    if not ctx.option("ptce_edition"):
        return
    status = ctx.recorded("ptce_status")
    if status not in PTCE_STATUSES:
        raise RuleViolation(
            "ptce_eligibility",
            "the PTCE edition of the TSF is open to the PTCE on the 2021 'PTCE émergents' laureates "
            "list and to the signatories of the updated PTCE charter",
            hint="record ptce_status (laureate_2021 or charter_signatory), or choose outcome not_eligible",
        )
