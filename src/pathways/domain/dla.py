"""The DLA's rules (diagnosis and ongoing support), as checks a pathway file names.

Sources are the S-numbers of docs/PROGRAMMES.md. National rules run wherever a file lists
them; a charter's rule (one DLA's) runs only where the file switches its option on
(:data:`pathways.domain.programme.OPTIONS`).
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

from pathways.domain.recorded import as_date, required_date
from pathways.domain.rules import DecisionContext
from pathways.errors import RuleViolation

__all__ = [
    "BELGIAN_ONLY_LEGAL_FORMS",
    "ELIGIBLE_LEGAL_FORMS",
    "GOVERNING_BODIES",
    "LOCAL_LAW_LEGAL_FORMS",
    "board_approval_recorded",
    "consultant_answer_within_week",
    "diagnosis_eligibility",
    "normalise_legal_form",
    "plan_without_mission",
]

# DLA eligibility: associations, cooperatives, SIAE, entreprises adaptées, ESUS companies
# (France, S1); and, as this project's extension (no DLA in Belgium), ASBL/VZW, cooperatives and
# approved social enterprises. Codes are the `legal_form` choices of the diagnosis intake, plus the
# usual spellings a project record holds.
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
# Alsace-Moselle's associations of local law (1908) have their seat in Moselle, Bas-Rhin or Haut-Rhin.
LOCAL_LAW_LEGAL_FORMS: frozenset[str] = frozenset({"association_loi_1908", "association_de_droit_local"})
_LOCAL_LAW_TERRITORIES: Final = ("FR-57", "FR-67", "FR-68")
_BELGIAN_FORMS: Final = frozenset({"asbl", "vzw", "aisbl", "ivzw", "sc", "sc_cv", "cv", "scrl", "cvba"})

# Who approves a plan, by legal form: a choice key of the `governing_body` fields. Belgian
# associations and cooperatives have an "organe d'administration" / "bestuursorgaan" since the
# 2019 code (CSA/WVV, S17, S18); French associations a board or a collegial body, as their statutes
# say. Companies (SCOP, SCIC, ESUS) decide through the body of their form (conseil
# d'administration for an SA, gérance for a SARL, présidence for a SAS): any of them is accepted.
_ASSOCIATION_BODIES: Final = frozenset({"board", "collegial_body", "general_meeting", "other"})
_CSA_BODIES: Final = frozenset({"administrative_body", "general_meeting", "other"})
GOVERNING_BODIES: Final[dict[str, frozenset[str]]] = {
    **dict.fromkeys(("association", "association_loi_1901", *LOCAL_LAW_LEGAL_FORMS), _ASSOCIATION_BODIES),
    **dict.fromkeys(_BELGIAN_FORMS, _CSA_BODIES),
}
_BODY_NAMES: Final = {
    "board": "conseil d'administration",
    "collegial_body": "bureau or collegial body",
    "general_meeting": "general meeting",
    "administrative_body": "organe d'administration / bestuursorgaan",
    "management": "gérance",
    "presidency": "présidence",
    "other": "the body the articles of association name",
}


@functools.lru_cache(maxsize=1024)  # a handful of forms, asked at every intake decision
def normalise_legal_form(value: str) -> str:
    """Lower case, no accents, words joined by '_': 'SCOP SA' -> 'scop_sa', 'SC/CV' -> 'sc_cv'."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return "_".join(words)


def _may_be_alsace_moselle(territory: str) -> bool:
    """A territory that contains or may contain Moselle, Bas-Rhin or Haut-Rhin (France, Grand Est)."""
    code = territory.upper()
    return code in ("FR", "FR-GES") or code.startswith(_LOCAL_LAW_TERRITORIES)


def _legal_form_eligible(code: str, territory: str) -> bool:
    if code in LOCAL_LAW_LEGAL_FORMS:
        return _may_be_alsace_moselle(territory)
    if code in ELIGIBLE_LEGAL_FORMS:
        return True
    if code in BELGIAN_ONLY_LEGAL_FORMS:
        return territory.upper().startswith("BE")
    # 'scop_sa', 'societe_cooperative_scic', 'sas_agreee_esus': an eligible form or approval
    # named among other words. Two-letter codes ('ea', 'cv') are too ambiguous for that.
    padded = f"_{code}_"
    return any(len(form) > 2 and f"_{form}_" in padded for form in ELIGIBLE_LEGAL_FORMS)


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
    if code in LOCAL_LAW_LEGAL_FORMS and not _may_be_alsace_moselle(ctx.project.territory):
        raise RuleViolation(
            rule,
            f"an association of local law (1908) has its seat in Moselle, Bas-Rhin or Haut-Rhin, "
            f"not in {ctx.project.territory}",
            hint="check the project's territory, or record the legal form 'association' (1901 act)",
        )
    if not _legal_form_eligible(code, ctx.project.territory):
        raise RuleViolation(
            rule,
            f"legal form '{raw_form}' is not eligible for a diagnosis: the DLA is open to associations, "
            "cooperatives (SCOP, SCIC, CAE), SIAE, entreprises adaptées and ESUS-approved companies; "
            "in Belgium this pathway also accepts ASBL/VZW, SC/CV cooperatives and approved social "
            "enterprises (this project's extension: Wallonia's agences-conseil serve them)",
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


def plan_without_mission(ctx: DecisionContext) -> None:
    """DLA: a support plan closed without a consulting mission holds internal actions or referrals."""
    rule = "plan_without_mission"
    if ctx.recorded("consulting_missions"):
        raise RuleViolation(
            rule,
            "the plan lists consulting missions, so it goes to the support committee",
            hint="choose outcome validated, or empty consulting_missions if the plan holds none",
        )
    if not (
        str(ctx.recorded("internal_actions") or "").strip() or str(ctx.recorded("referrals") or "").strip()
    ):
        raise RuleViolation(
            rule,
            "the plan records neither internal actions nor referrals",
            hint="record internal_actions or referrals: what the structure does with the plan",
        )


def board_approval_recorded(ctx: DecisionContext) -> None:
    """DLA charter (option board_approval_before_action): the governing body approves before the action."""
    if not ctx.option("board_approval_before_action"):
        return
    rule = "board_approval_recorded"
    if ctx.recorded("board_approval") is not True:
        raise RuleViolation(
            rule,
            "the action cannot start before the structure's governing body has approved it "
            "(the organisation's charter asks for it)",
            hint="record board_approval: true, with board_approval_on and governing_body, once the "
            "conseil d'administration, gérance, présidence or organe d'administration has approved",
        )
    body = ctx.recorded("governing_body")
    raw_form = ctx.recorded("legal_form") or ctx.project.legal_form
    fitting = GOVERNING_BODIES.get(normalise_legal_form(str(raw_form))) if raw_form else None
    if body is not None and fitting is not None and str(body) not in fitting:
        names = ", ".join(_BODY_NAMES[b] for b in sorted(fitting))
        raise RuleViolation(
            rule,
            f"a structure in legal form '{raw_form}' does not decide through its "
            f"{_BODY_NAMES.get(str(body), str(body))}",
            hint=f"record the body that approved: {names}",
        )


def consultant_answer_within_week(ctx: DecisionContext) -> None:
    """DLA charter (option consultant_bid_within_week): consultants say within 7 days whether they bid."""
    if not ctx.option("consultant_bid_within_week"):
        return
    rule = "consultant_answer_within_week"
    sent = required_date(ctx, "brief_sent_on", rule=rule, why="the brief's sending date is needed")
    answered = required_date(
        ctx,
        "consultant_answer_on",
        rule=rule,
        why="the date the chosen consultant said they would bid is needed",
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
            f"the consultant said whether they would bid {late} days after the brief was sent "
            f"({sent.isoformat()}); the charter asks for an answer within 7 days",
            hint="choose a consultant who answered within the week, or outcome reissue to send the brief "
            "again",
        )
    # The proposal's own deadline is the one the brief set ("le cahier des charges impose un délai").
    deadline = as_date(ctx.recorded("proposal_deadline"), rule=rule, name="proposal_deadline")
    received = as_date(ctx.recorded("proposal_received_on"), rule=rule, name="proposal_received_on")
    if deadline is not None and received is not None and received > deadline:
        raise RuleViolation(
            rule,
            f"the chosen proposal arrived on {received.isoformat()}, after the brief's deadline "
            f"({deadline.isoformat()})",
            hint="choose a proposal received by the deadline, or outcome reissue with a new deadline",
        )
