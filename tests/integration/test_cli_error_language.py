"""The command line says what it refuses or cannot find in ``PATHWAYS_LANG``, by the error's code.

On both databases. English stays as it has always read; French and Dutch say the same thing,
naming the same value, with the field's words and the same exit code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from security.inprocess_cli import Ran, environment, run


def _in(app: App, home: Path, lang: str | None, *args: str) -> Ran:
    ran = run(environment(app, home, **({"PATHWAYS_LANG": lang} if lang else {})), *args)
    assert ran.crash is None, ran.output
    return ran


def _said(ran: Ran) -> list[str]:
    return [line for line in ran.output.splitlines() if line.startswith(("error: ", "hint: "))]


def test_an_unknown_territory_is_said_in_french_and_dutch(app: App, tmp_path: Path) -> None:
    args = ("org", "add", "DLA Nulle Part", "--territory", "ZZ-99")
    english, french, dutch = (_in(app, tmp_path, lang, *args) for lang in (None, "fr", "nl"))
    assert english.code == french.code == dutch.code == 2
    assert _said(english)[0] == "error: unknown territory 'ZZ-99'"
    assert _said(french) == [
        "error: Territoire inconnu « ZZ-99 ».",
        (
            "hint: Utilisez FR, un département comme FR-75, FR-2A ou FR-971, "
            "BE, BE-VLG, BE-WAL, BE-BRU ou BE-DG."
        ),
    ]
    assert _said(dutch)[0] == "error: Onbekend gebied ‘ZZ-99’."
    assert "FR-75" in _said(dutch)[1]


def test_a_wrong_siret_names_the_number_in_french_and_dutch(app: App, tmp_path: Path) -> None:
    make_org(app, name="DLA Test")
    args = ("project", "add", "Atelier", "--org", "dla-test", "--siret", "73282932000075")
    english, french, dutch = (_in(app, tmp_path, lang, *args) for lang in (None, "fr", "nl"))
    assert english.code == french.code == dutch.code == 2, english.output
    assert "has a wrong check digit" in english.output
    assert _said(french)[0] == "error: SIRET « 73282932000075 » : la clé de contrôle est fausse."
    assert _said(dutch)[0] == "error: SIRET-nummer ‘73282932000075’ heeft een verkeerd controlecijfer."


def test_an_unknown_collective_action_is_said_in_french_and_dutch(app: App, tmp_path: Path) -> None:
    english, french, dutch = (
        _in(app, tmp_path, lang, "collective", "show", "999") for lang in (None, "fr", "nl")
    )
    assert english.code == french.code == dutch.code == 3
    assert _said(english)[0] == "error: no collective '999'"
    assert _said(french) == [
        "error: Il n'y a pas d'action collective « 999 ».",
        "hint: `pathways collective list ORG` les liste.",
    ]
    assert _said(dutch)[0] == "error: Er is geen collectieve actie ‘999’."


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("fr", "error: --lang xx n'est pas une langue de pathways."),
        ("nl", "error: --lang xx is geen taal van pathways."),
    ],
)
def test_an_unknown_language_option_is_said_in_pathways_lang(
    app: App, tmp_path: Path, lang: str, said: str
) -> None:
    ran = _in(app, tmp_path, lang, "pathway", "show", "diagnosis", "--lang", "xx")
    assert ran.code == 2
    assert _said(ran)[0] == said
    assert "fr, nl, en" in _said(ran)[1] or "en, fr, nl" in _said(ran)[1]


def test_a_programme_rule_refusal_is_said_as_the_case_page_says_it_its_details_kept(
    app: App, tmp_path: Path
) -> None:
    org = make_org(app, name="DLA Règles")
    ref = open_diagnosis(app, make_project(app, org), make_person(app, org)).ref
    values = {
        "met_on": "2026-07-08",
        "legal_form": "association",
        "salaried_jobs": "0",
        "request": "Consolider le modèle économique",
    }
    sets = [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]
    args = ("case", "decide", ref, "relevant", *sets)
    english, french, dutch = (_in(app, tmp_path, lang, *args) for lang in (None, "fr", "nl"))
    assert english.code == french.code == dutch.code == 4, english.output
    assert _said(english)[0].startswith("error: rule 'diagnosis_eligibility': ")
    detail = _said(english)[0].removeprefix("error: rule 'diagnosis_eligibility': ")
    assert _said(french)[0] == (
        "error: Le diagnostic est ouvert aux structures d'une forme juridique éligible "
        "qui emploient au moins un·e salarié·e."
    )
    assert _said(french)[1].startswith(f"hint: Détails : {detail}")
    assert _said(dutch)[1].startswith(f"hint: Toelichting: {detail}")
