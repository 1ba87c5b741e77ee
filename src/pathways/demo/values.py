"""Demo field values: plausible identifiers and the value each pathway field gets in a decision.

Deterministic for a given random generator; texts follow the organisation's language.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pathways.demo.data import Demo
from pathways.demo.programme_values import PROGRAMME_VALUES
from pathways.domain import identifiers
from pathways.domain.spec import FieldSpec, FieldType

INTAKE_FORMS = {"asbl": "asbl", "vzw": "asbl", "cv": "sc_cv", "sc": "sc_cv", "esus": "esus_company"}


def siret(rng: random.Random) -> str:
    """A SIRET whose SIREN and establishment both pass the Luhn check."""
    while True:
        digits = "".join(str(rng.randint(0, 9)) for _ in range(13))
        for last in "0123456789":
            candidate = digits + last
            if identifiers.luhn_valid(candidate) and identifiers.luhn_valid(candidate[:9]):
                return candidate


def bce(rng: random.Random) -> str:
    """A Belgian enterprise number: 8 digits (first 0 or 1) and their mod-97 complement."""
    base = rng.randint(2_000_000, 19_999_999)
    return f"{base:08d}{97 - base % 97:02d}"


def rna(territory: str, rng: random.Random) -> str:
    """A French association's RNA number: W, the département, then digits (10 characters)."""
    department = territory.removeprefix("FR-")[:3]
    return f"W{department}{rng.randint(0, 10 ** (9 - len(department)) - 1):0{9 - len(department)}d}"


# Texts an officer records, in the organisation's language.
TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "request": "Consolider le modèle économique et structurer la gouvernance associative.",
        "priority_issues": "Modèle économique fragile (dépendance aux subventions) ; "
        "gouvernance à renouveler ; fonction RH à structurer.",
        "internal_actions": "Tableau de bord financier mensuel ; renouvellement du bureau.",
        "referrals": "France Active pour un prêt d'honneur ; "
        "fédération régionale pour la formation des bénévoles.",
        "missions": "Modèle économique;Gouvernance",
        "text": "Échange avec le bureau de la structure.",
        "reports": "Rapport de mission – modèle économique",
        "agenda": "J1 matin : diagnostic RH ; J1 après-midi : outils ; J2 : plan d'action.",
        "review": "Transfert utile, questions traitées, outils repris.",
        "kit": "Guide méthodologique;Modèle économique type;Statuts types;Charte",
    },
    "nl": {
        "request": "Het economisch model versterken en het bestuur professionaliseren.",
        "priority_issues": "Kwetsbaar verdienmodel (afhankelijk van subsidies); bestuur vernieuwen; "
        "personeelsbeleid uitbouwen.",
        "internal_actions": "Maandelijks financieel dashboard; vernieuwing van de raad van bestuur.",
        "referrals": "Trividend voor financiering; koepelorganisatie voor vrijwilligersvorming.",
        "missions": "Verdienmodel;Governance",
        "text": "Gesprek met de raad van bestuur.",
        "reports": "Opdrachtverslag – verdienmodel",
        "agenda": "Dag 1 voormiddag: HR-diagnose; namiddag: tools; dag 2: actieplan.",
        "review": "Nuttige overdracht, vragen behandeld, tools overgenomen.",
        "kit": "Methodologische handleiding;Modelbegroting;Modelstatuten;Charter",
    },
}


@dataclass(frozen=True, slots=True)
class Context:
    """What the values of one decision depend on."""

    demo: Demo
    lang: str
    on: date
    next_on: date
    officer: int
    consultant: int
    resource: int
    topics: tuple[str, ...]
    employer: str
    rng: random.Random
    lead: int | None = None  # the person a Fabrique à initiatives finds to carry the project
    today: date | None = None  # the demo's today (cohort dates are counted from it)


def _text(ctx: Context, key: str) -> str:
    return TEXTS.get(ctx.lang, TEXTS["fr"]).get(key, TEXTS["fr"]["text"])


def _belgian(ctx: Context) -> bool:
    return ctx.demo.territory.startswith("BE")


FIELD_VALUES: dict[str, Callable[[Context], Any]] = {
    "met_on": lambda c: c.on - timedelta(days=3),
    "legal_form": lambda c: INTAKE_FORMS.get(c.demo.legal_form or "", c.demo.legal_form or "other"),
    "salaried_jobs": lambda c: c.demo.jobs,
    "request": lambda c: _text(c, "request"),
    "documents_received": lambda _: True,
    "redirected_to": lambda c: "France Active Paris" if not _belgian(c) else "Crédal",
    "redirect_reason": lambda _: "legal_form",
    "interviews": lambda c: [c.on - timedelta(days=9), c.on - timedelta(days=2)],
    "validated_on": lambda c: c.on,
    "priority_issues": lambda c: _text(c, "priority_issues"),
    "internal_actions": lambda c: _text(c, "internal_actions"),
    "referrals": lambda c: _text(c, "referrals"),
    "consulting_missions": lambda c: _text(c, "missions"),
    "board_approval": lambda _: True,
    "board_approval_on": lambda c: c.on - timedelta(days=1),
    "committee_date": lambda c: c.next_on,
    "opinion_on": lambda c: c.on,
    "brief_sent_on": lambda c: c.on - timedelta(days=6),
    "consultant": lambda c: c.consultant,
    "consultant_answer_on": lambda c: c.on - timedelta(days=2),
    "mission_budget": lambda c: c.rng.choice((2400, 3200, 4000)),
    "parallel_missions": lambda c: c.demo.extra.get("parallel_missions"),
    "consultant_days": lambda c: c.rng.choice(("3.5", "4", "4.5")),
    "missions": lambda c: _text(c, "missions"),
    "reports": lambda c: _text(c, "reports"),
    "country": lambda c: "be" if _belgian(c) else "fr",
    "siret": lambda c: None if _belgian(c) else siret(c.rng),
    "bce": lambda c: bce(c.rng) if _belgian(c) else None,
    "founded_on": lambda c: c.on - timedelta(days=5),
    "jobs_created": lambda c: c.rng.randint(0, 3),
    "jobs_kept": lambda c: max(c.demo.jobs, 1),
    "financial_health": lambda c: c.rng.choice(("fragile", "stable", "sound")),
    "beneficiary_role": lambda c: "founder" if c.demo.phase == "emergence" else "salaried_director",
    "network": lambda c: (
        "Pôle territorial de coopération Lyon Sud" if not _belgian(c) else "Netwerk sociale economie"
    ),
    "requested_resource_person": lambda c: c.resource,
    "topics": lambda c: list(c.topics),
    "resource_person": lambda c: c.resource,
    "resource_employer": lambda c: c.employer,
    "framed_questions": lambda _: "Comment organiser la gouvernance ?;Quels outils RH ?;Comment recruter ?",
    "accepted_on": lambda c: c.on - timedelta(days=1),
    "declined_by": lambda c: c.resource,
    "transfer_days": lambda c: [c.on - timedelta(days=6), c.on - timedelta(days=1)],
    "outside_usual_business": lambda _: True,
    "half_days": lambda _: 4,
    "agenda": lambda c: _text(c, "agenda"),
    "beneficiary_review": lambda c: _text(c, "review"),
    "resource_review": lambda c: _text(c, "review"),
    "days_spent": lambda _: "2",
    "payment_claim": lambda _: "900",
    "pilot_since": lambda c: c.on - timedelta(days=3 * 365),
    "economically_viable": lambda _: True,  # replication_readiness: with the pilot and the evaluation
    "kit": lambda c: _text(c, "kit"),
    "variant": lambda _: "centralised_duplication",
    "trigger": lambda _: "project_driven",
    "charter": lambda _: "Charte du réseau (1991), 14 critères de labellisation",
    "territories_scanned": lambda _: "Seine-Saint-Denis;Val-de-Marne;Moselle;Namur",
    "territories_go": lambda _: "Seine-Saint-Denis",
    "carriers": lambda c: c.demo.extra.get("carriers", "Structure locale"),
    "carriers_created": lambda c: c.demo.extra.get("carriers", "Structure locale"),
    "label_name": lambda _: "Label du réseau",
    "decided_on": lambda c: c.on,
    "planned_days": lambda c: c.rng.choice(("3", "4", "5")),
    "window_start": lambda c: c.on + timedelta(days=3),
    "window_end": lambda c: c.on + timedelta(days=45),
    "days_delivered": lambda _: "4",
    "report": lambda c: _text(c, "reports"),
    **PROGRAMME_VALUES,
}


def field_value(name: str, spec: FieldSpec, ctx: Context) -> Any:
    if name not in FIELD_VALUES and spec.type is FieldType.BOOLEAN:
        return True  # a yes/no field the demo has no story for: the answer that lets the case go on
    value = FIELD_VALUES[name](ctx) if name in FIELD_VALUES else _text(ctx, "text")
    if spec.type is FieldType.CHOICE and spec.choices and not spec.multiple and value not in spec.choices:
        return "other" if "other" in spec.choices else next(iter(spec.choices))
    return value
