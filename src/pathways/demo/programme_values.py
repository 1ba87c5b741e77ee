"""Demo field values of the programmes of issue 24: Fabrique à initiatives, incubation, VISES, ACES.

Merged into :data:`pathways.demo.values.FIELD_VALUES`. A cohort's dates come from the project's
``extra`` (days from the demo's today), so that every member of one cohort records the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathways.demo.values import Context

# Texts an officer records, in the organisation's language.
TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "need": "Pas de solution de mobilité pour les personnes âgées des villages isolés.",
        "solution": "Un service de transport solidaire porté par une structure de l'ESS.",
        "economic_model": "Participation des usager·es, conventions avec les communes, bénévolat encadré.",
        "stakeholders": "Salarié·es;Personnes accompagnées;Bénévoles;Financeurs",
        "question": "Dans quelle mesure l'activité renforce-t-elle le lien social dans le quartier ?",
        "evidence": "Témoignages de 12 usager·es;Portraits de 3 salarié·es;Photos des ateliers",
        "findings": "Le lien social progresse ; les effets sur l'emploi restent à mesurer.",
        "communication_plan": "Assemblée générale, rapport d'activité, rencontre avec les financeurs.",
        "milestones": "Statuts déposés;Premier client;Plan de financement bouclé",
        "shared_need": "Répondre ensemble aux marchés publics de la métropole, trop gros pour chacune.",
        "action": "Une offre commune déposée pour la restauration collective de trois communes.",
        "lessons": "Le groupement gagne des marchés qu'aucune structure n'aurait eus seule.",
    },
    "nl": {
        "need": "Geen vervoersoplossing voor ouderen in afgelegen dorpen.",
        "solution": "Een solidaire vervoersdienst, gedragen door een sociale onderneming.",
        "economic_model": "Bijdrage van de gebruikers, overeenkomsten met de gemeenten, vrijwilligers.",
        "stakeholders": "Werknemers;Begeleide personen;Vrijwilligers;Financiers",
        "question": "In welke mate versterkt de activiteit de sociale samenhang in de buurt?",
        "evidence": "Getuigenissen van 12 gebruikers;Portretten van 3 werknemers;Foto's van de workshops",
        "findings": "De sociale samenhang groeit; de effecten op werk moeten nog gemeten worden.",
        "communication_plan": "Algemene vergadering, jaarverslag, ontmoeting met de financiers.",
        "milestones": "Statuten neergelegd;Eerste klant;Financieringsplan rond",
        "shared_need": "Samen inschrijven op overheidsopdrachten die voor elk apart te groot zijn.",
        "action": "Een gezamenlijke offerte ingediend voor de collectieve catering van drie gemeenten.",
        "lessons": "De groepering wint opdrachten die geen enkele onderneming alleen had gekregen.",
    },
}


def _text(ctx: Context, key: str) -> str:
    return TEXTS.get(ctx.lang, TEXTS["fr"])[key]


def _from_today(ctx: Context, key: str, default: int) -> date:
    """A date `extra[key]` days from the demo's today (the decision's day when there is none)."""
    base = ctx.today or ctx.on
    return base + timedelta(days=int(ctx.demo.extra.get(key, default)))


# The DLA's national indicators (docs/REPORTS.md): the sector of activity recorded at intake,
# from the project's NACE division, and the missions' theme, from the project's name (no random
# draw, so that every other value of the demo stays the same).
SECTORS = {
    "01": "food_agriculture",
    "10": "food_agriculture",
    "11": "food_agriculture",
    "14": "work_integration",
    "18": "culture",
    "35": "environment",
    "38": "environment",
    "45": "housing_mobility",
    "49": "housing_mobility",
    "56": "food_agriculture",
    "68": "housing_mobility",
    "77": "environment",
    "81": "personal_services",
    "88": "social_action",
    "95": "environment",
    "96": "personal_services",
}
COOPERATION_PURPOSES = ("joint_bid", "shared_tools", "shared_premises", "sector_project", "group", "cluster")
THEMES = ("economic_model", "governance", "strategy", "human_resources", "partnerships", "marketing")


def _sector(ctx: Context) -> str:
    return SECTORS.get((ctx.demo.sector or "")[:2], "other")


def _theme(ctx: Context) -> str:
    return THEMES[sum(map(ord, ctx.demo.name)) % len(THEMES)]


PROGRAMME_VALUES: dict[str, Callable[[Context], Any]] = {
    # DLA
    "activity_sector": _sector,
    "mission_theme": _theme,
    # Fabrique à initiatives
    "need": lambda c: _text(c, "need"),
    "creativity_session_on": lambda c: c.on - timedelta(days=4),
    "solution": lambda c: _text(c, "solution"),
    "economic_model": lambda c: _text(c, "economic_model"),
    "study_completed_on": lambda c: c.on - timedelta(days=2),
    "project_lead": lambda c: c.lead,
    "lead_kind": lambda _: "entrepreneur",
    "handed_over_on": lambda c: c.on,
    "business_plan_validated_on": lambda c: c.on - timedelta(days=1),
    "planned_jobs": lambda c: c.rng.randint(1, 4),
    # Incubation
    "application_due": lambda c: c.on + timedelta(days=21),
    "application_received_on": lambda c: c.on - timedelta(days=1),
    "jury_date": lambda c: c.next_on,
    "pre_incubation_end": lambda c: c.on + timedelta(days=60),
    "cohort": lambda c: c.demo.extra.get("cohort", "Promotion"),
    "cohort_start": lambda c: _from_today(c, "cohort_start", -30),
    "cohort_end": lambda c: _from_today(c, "cohort_end", 240),
    "mentor": lambda c: c.consultant,
    "milestones": lambda c: _text(c, "milestones"),
    "reached_on": lambda c: c.on,
    "first_revenue_on": lambda c: c.on - timedelta(days=2),
    # Impact evaluation (VISES)
    "stakeholders": lambda c: _text(c, "stakeholders"),
    "evaluative_question": lambda c: _text(c, "question"),
    "tool": lambda _: "vises",
    "collection_ends_on": lambda c: c.on + timedelta(days=180),
    "evidence": lambda c: _text(c, "evidence"),
    "collected_on": lambda c: c.on,
    "findings": lambda c: _text(c, "findings"),
    "communication_plan": lambda c: _text(c, "communication_plan"),
    # Cooperation between social enterprises (no random draw: the other values stay the same)
    "purpose": lambda c: COOPERATION_PURPOSES[sum(map(ord, c.demo.name)) % len(COOPERATION_PURPOSES)],
    "shared_need": lambda c: _text(c, "shared_need"),
    "agreement_due": lambda c: c.next_on,
    "agreement": lambda _: "convention",
    "signed_on": lambda c: c.on - timedelta(days=1),
    "first_action_due": lambda c: c.next_on,
    "action": lambda c: _text(c, "action"),
    "held_on": lambda c: c.on - timedelta(days=1),
    "review_date": lambda c: c.next_on,
    "lessons": lambda c: _text(c, "lessons"),
    # Agences-conseil (ACES)
    "hours_spent": lambda c: c.rng.choice(("2.5", "6", "12", "24")),
    "jobs": lambda c: c.rng.randint(1, 6),
}
