"""The field's words for roles and durations, in fr, nl and en (docs/GLOSSARY.md is their source).

Used wherever a role or a deadline is written for people rather than for the pathway file:
``pathway show --lang fr`` says "chargé·e de mission, 30 jours ouvrés", not "officer, 30 business days".
"""

from __future__ import annotations

from typing import Final

from pathways.domain.spec import Duration, Role

ROLE_WORDS: Final[dict[str, dict[Role, str]]] = {
    "fr": {
        Role.OFFICER: "chargé·e de mission",
        Role.MANAGER: "responsable",
        Role.OWNER: "porteur·se de projet",
        Role.RESOURCE: "personne ressource",
        Role.COMMITTEE: "comité d'appui",
        Role.OPERATOR: "opérateur",
        Role.CONSULTANT: "prestataire",
    },
    "nl": {
        Role.OFFICER: "begeleider",
        Role.MANAGER: "manager",
        Role.OWNER: "projecttrekker",
        Role.RESOURCE: "peer-expert",
        Role.COMMITTEE: "adviescomité",
        Role.OPERATOR: "operator",
        Role.CONSULTANT: "adviseur",
    },
    "en": {
        Role.OFFICER: "support officer",
        Role.MANAGER: "manager",
        Role.OWNER: "project lead",
        Role.RESOURCE: "resource person",
        Role.COMMITTEE: "support committee",
        Role.OPERATOR: "operator",
        Role.CONSULTANT: "consultant",
    },
}

# unit -> language -> (singular, plural)
UNIT_WORDS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "business_days": {
        "fr": ("jour ouvré", "jours ouvrés"),
        "nl": ("werkdag", "werkdagen"),
        "en": ("business day", "business days"),
    },
    "days": {"fr": ("jour", "jours"), "nl": ("dag", "dagen"), "en": ("day", "days")},
    "weeks": {"fr": ("semaine", "semaines"), "nl": ("week", "weken"), "en": ("week", "weeks")},
    "months": {"fr": ("mois", "mois"), "nl": ("maand", "maanden"), "en": ("month", "months")},
}

PHRASES: Final[dict[str, dict[str, str]]] = {
    "no_deadline": {"fr": "sans échéance", "nl": "geen termijn", "en": "no deadline"},
    "until": {
        "fr": "jusqu'à la date « {field} »",
        "nl": "tot de datum ‘{field}’",
        "en": "until the date '{field}'",
    },
    "cases": {"fr": "dossiers {ref}", "nl": "dossiers {ref}", "en": "cases {ref}"},
    "to": {"fr": "À : {who}", "nl": "Aan: {who}", "en": "To: {who}"},
    "subject": {"fr": "Objet : {subject}", "nl": "Onderwerp: {subject}", "en": "Subject: {subject}"},
    "before": {"fr": "{duration} avant", "nl": "{duration} ervoor", "en": "{duration} before"},
    "after": {"fr": "{duration} après", "nl": "{duration} erna", "en": "{duration} after"},
}


def _lang(lang: str) -> str:
    return lang if lang in ROLE_WORDS else "en"


def role_word(role: Role, lang: str) -> str:
    """The field's word for a role: ``chargé·e de mission``, ``begeleider``, ``support officer``."""
    return ROLE_WORDS[_lang(lang)][role]


def duration_words(duration: Duration, lang: str) -> str:
    """A duration as people say it: ``30 jours ouvrés``, ``1 werkdag``, ``2 weeks``."""
    singular, plural = UNIT_WORDS[duration.unit][_lang(lang)]
    # French puts 0 and 1 in the singular, Dutch and English only 1.
    one = duration.amount in (0, 1) if _lang(lang) == "fr" else duration.amount == 1
    return f"{duration.amount} {singular if one else plural}"


def phrase(key: str, lang: str, **values: str) -> str:
    """One of the few fixed phrases around roles and durations, in `lang`."""
    return PHRASES[key][_lang(lang)].format(**values)
