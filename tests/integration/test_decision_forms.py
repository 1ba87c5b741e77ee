"""Decision forms that help (issue 21, item 5), on SQLite and PostgreSQL.

Every refused field at once, beside its field and summed up above the form, in the page's
language; what was typed kept when the outcome changes or the decision is refused; the case's
version carried by the form, so a decision recorded meanwhile is refused naming who recorded
what, and when. The same refusals, typed, from the service and the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from builders import INTAKE_RELEVANT, decide, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.errors import FieldError, FieldErrors
from pathways.services.casework import queries
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    org: int
    officer: int
    ref: str
    case_id: int
    token: str


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    """Camille Martin, an officer reading French, logged in, with a diagnosis case at intake."""
    org = make_org(app, name="DLA Formulaires")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    case = open_diagnosis(app, make_project(app, org, name="Recyclerie du Port"), officer)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app), follow_redirects=False) as client:
        form = {
            "login": "camille@example.org",
            "password": PASSWORD,
            "csrf_token": _csrf(client.get("/login").text),
        }
        assert client.post("/login", data=form).status_code == 303
        yield Desk(app, client, org, officer, str(case.ref), int(case.id), token)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _form(desk: Desk) -> dict[str, str]:
    """The hidden fields of the case page's decision form, as the page gave them."""
    page = desk.client.get(f"/cases/{desk.ref}").text
    hidden = dict(re.findall(r'<input type="hidden" name="(version|stage)" value="([^"]*)"', page))
    return {"csrf_token": _csrf(page), **hidden}


def _version(desk: Desk) -> int:
    with desk.app.store.read() as conn:
        return queries.show_case(conn, desk.app.catalog, desk.case_id).version


def _field(html: str, name: str) -> str:
    """The block of one field of the form (from its data-field to the next one)."""
    found = re.search(
        rf'<div class="field[^"]*" data-field="{name}">(.*?)(?=<div class="field|</div>\s*$)', html, re.DOTALL
    )
    assert found, f"no field {name}"
    return found.group(1)


def test_three_missing_fields_are_three_french_errors_beside_their_fields_and_in_a_summary(
    desk: Desk,
) -> None:
    form = _form(desk)
    assert form["version"] == "1"  # every decision form says what it showed
    assert form["stage"] == "intake"

    refused = desk.client.post(
        f"/cases/{desk.ref}/decide", data={**form, "outcome": "relevant", "met_on": "2026-07-08"}
    )

    assert refused.status_code == 422
    html = refused.text
    errors = re.findall(r'<p class="field-error" id="f-(\w+)-error">(.*?)</p>', html, re.DOTALL)
    assert [name for name, _ in errors] == ["legal_form", "salaried_jobs", "request"]
    assert all("Ce champ est obligatoire." in text for _, text in errors)
    for name in ("legal_form", "salaried_jobs", "request"):
        control = re.search(rf'<(?:input|select|textarea) id="f-{name}"[^>]*>', html)
        assert control is not None
        assert 'aria-invalid="true"' in control.group(0)
        assert f"f-{name}-error" in re.search(r'aria-describedby="([^"]+)"', control.group(0)).group(1)  # type: ignore[union-attr]
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.DOTALL)
    assert summary is not None
    assert "3 champs à corriger : la décision n'est pas encore enregistrée." in summary.group(0)
    links = re.findall(r'<a href="#f-(\w+)">(.*?)</a>', summary.group(0))
    assert [name for name, _ in links] == ["legal_form", "salaried_jobs", "request"]
    assert links[0][1] == "Forme juridique : Ce champ est obligatoire."
    assert 'value="2026-07-08"' in _field(html, "met_on")  # the date typed is still there
    assert "is required" not in html  # nothing said in English on a French page
    assert _version(desk) == 1  # nothing recorded


def test_the_service_refuses_every_field_at_once_typed(desk: Desk) -> None:
    values = {"met_on": "le 8 juillet", "salaried_jobs": "-3", "legal_form": "sarl"}

    with pytest.raises(FieldErrors) as refused:
        decide(desk.app, desk.ref, "relevant", values, by=desk.officer)

    problems = [(p.field, p.code) for p in refused.value.problems]
    assert problems == [
        ("met_on", "date"),
        ("legal_form", "choice"),
        ("salaried_jobs", "below_min"),
        ("request", "required"),
    ]
    assert refused.value.problems[2].params == {"min": "0"}
    assert _version(desk) == 1


def test_one_refused_field_stays_one_field_error(desk: Desk) -> None:
    with pytest.raises(FieldError) as refused:
        decide(
            desk.app, desk.ref, "relevant", {**INTAKE_RELEVANT, "salaried_jobs": "quatre"}, by=desk.officer
        )

    assert refused.value.field == "salaried_jobs"
    assert refused.value.problem.code == "whole_number"


def test_an_unknown_person_is_refused_with_the_other_fields(desk: Desk) -> None:
    decide(desk.app, desk.ref, "relevant", INTAKE_RELEVANT, by=desk.officer)  # at shared_diagnosis
    values = {"interviews": "2026-07-10\nle 17", "managers_met": "nobody-here", "validated_on": ""}

    with pytest.raises(FieldErrors) as refused:
        decide(desk.app, desk.ref, "accepted", values, by=desk.officer)

    found = {p.field: (p.code, dict(p.params)) for p in refused.value.problems}
    assert found == {
        "interviews": ("date", {"item": "2"}),
        "managers_met": ("person", {"value": "nobody-here"}),
        "validated_on": ("required", {}),
        "priority_issues": ("required", {}),
    }


def test_the_page_says_a_list_item_and_an_unknown_person_in_french(desk: Desk) -> None:
    decide(desk.app, desk.ref, "relevant", INTAKE_RELEVANT, by=desk.officer)
    form = _form(desk)
    refused = desk.client.post(
        f"/cases/{desk.ref}/decide",
        data={
            **form,
            "outcome": "accepted",
            "interviews": "2026-07-10\nle 17",
            "managers_met": "nobody-here",
        },
    )
    assert refused.status_code == 422
    assert "Ligne 2 : Saisissez une date valide (AAAA-MM-JJ)." in _field(refused.text, "interviews")
    assert "Personne inconnue dans votre organisation : « nobody-here »" in _field(
        refused.text, "managers_met"
    )
    assert "2026-07-10\nle 17" in _field(refused.text, "interviews")  # kept as typed


def test_changing_the_outcome_keeps_what_was_typed_for_either(desk: Desk) -> None:
    form = _form(desk)
    typed = {
        **form,
        "met_on": "2026-07-08",
        "request": "Consolider le modèle",
        "redirected_to": "France Active",
    }
    headers = {"HX-Request": "true"}

    to_not_relevant = desk.client.post(
        f"/cases/{desk.ref}/form", data={**typed, "outcome": "not_relevant"}, headers=headers
    )
    assert to_not_relevant.status_code == 200
    fragment = to_not_relevant.text
    assert fragment.lstrip().startswith('<div id="decision-fields">')  # the fields alone, for htmx
    assert 'value="2026-07-08"' in _field(fragment, "met_on")  # the date typed survives
    assert "France Active" in _field(fragment, "redirected_to")
    assert 'id="error-summary" hx-swap-oob="true"' in fragment  # an earlier refusal's summary is cleared

    back = desk.client.post(
        f"/cases/{desk.ref}/form", data={**typed, "outcome": "relevant"}, headers=headers
    ).text
    assert 'value="2026-07-08"' in _field(back, "met_on")
    assert "Consolider le modèle" in _field(back, "request")
    # The other outcome's field is not shown, but carried along hidden: nothing typed is lost.
    assert 'data-field="redirected_to"' not in back
    assert '<input type="hidden" name="redirected_to" value="France Active">' in back


def test_without_javascript_the_outcome_button_gives_the_whole_page_with_the_values(desk: Desk) -> None:
    form = _form(desk)
    page = desk.client.post(
        f"/cases/{desk.ref}/form",
        data={**form, "outcome": "not_relevant", "met_on": "2026-07-08", "note": "RAS"},
    )
    assert page.status_code == 200
    assert "<html" in page.text
    assert 'value="not_relevant" checked' in page.text
    assert 'value="2026-07-08"' in _field(page.text, "met_on")
    assert ">RAS</textarea>" in page.text


def test_a_value_typed_for_another_outcome_is_never_decided_on(desk: Desk) -> None:
    form = _form(desk)
    decided = desk.client.post(
        f"/cases/{desk.ref}/decide",
        data={**form, "outcome": "relevant", **INTAKE_RELEVANT, "redirected_to": "France Active"},
    )
    assert decided.status_code == 303
    with desk.app.store.read() as conn:
        data = queries.show_case(conn, desk.app.catalog, desk.case_id).data["intake"]
    assert "redirected_to" not in data


def test_a_decision_recorded_meanwhile_is_named_who_what_and_when(desk: Desk) -> None:
    mine = _form(desk)  # Camille's form, at version 1
    colleague = make_person(desk.app, desk.org, name="Hugo Petit")
    decide(desk.app, desk.ref, "relevant", INTAKE_RELEVANT, by=colleague, expected_version=1)

    stale = {**mine, "outcome": "not_relevant", "redirected_to": "France Active", "redirect_reason": "other"}
    refused = desk.client.post(f"/cases/{desk.ref}/decide", data={**stale, **INTAKE_RELEVANT})

    assert refused.status_code == 409
    conflict = re.search(r'<div class="alert conflict" role="alert">(.*?)</div>', refused.text, re.DOTALL)
    assert conflict is not None
    said = " ".join(conflict.group(1).split())
    assert "Ce dossier a changé depuis que vous avez ouvert ce formulaire" in said
    assert "Hugo Petit a enregistré « Demande pertinente : diagnostic à engager »" in said
    assert "Accueil et orientation" in said
    assert "10:00" in said  # when, in the organisation's zone (Paris: 08:00 UTC)
    # The form is now the case as it is: its next stage and version, to decide again knowingly.
    assert '<input type="hidden" name="version" value="2">' in refused.text
    assert '<input type="hidden" name="stage" value="shared_diagnosis">' in refused.text
    assert _version(desk) == 2
    with desk.app.store.read() as conn:
        decisions = [e for e in queries.history(conn, desk.case_id) if e.kind == "decision"]
    assert len(decisions) == 1


def test_the_api_names_every_refused_field_at_once(desk: Desk) -> None:
    body = {"outcome": "relevant", "values": {"met_on": "2026-07-08"}, "expected_version": 1}
    answer = desk.client.post(
        f"/api/v1/cases/{desk.ref}/decisions", json=body, headers={"Authorization": f"Bearer {desk.token}"}
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["field"] == "legal_form"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("legal_form", "required"),
        ("salaried_jobs", "required"),
        ("request", "required"),
    ]


def test_the_api_conflict_says_who_recorded_what_and_when(desk: Desk) -> None:
    decide(desk.app, desk.ref, "relevant", INTAKE_RELEVANT, by=desk.officer, expected_version=1)
    body: dict[str, Any] = {"outcome": "relevant", "values": INTAKE_RELEVANT, "expected_version": 1}
    answer = desk.client.post(
        f"/api/v1/cases/{desk.ref}/decisions", json=body, headers={"Authorization": f"Bearer {desk.token}"}
    )
    assert answer.status_code == 409
    conflict = answer.json()["conflict"]
    assert (conflict["expected_version"], conflict["version"]) == (1, 2)
    [meanwhile] = conflict["meanwhile"]
    assert meanwhile["by"] == "Camille Martin"
    assert (meanwhile["stage"], meanwhile["outcome"], meanwhile["version"]) == ("intake", "relevant", 2)
    assert meanwhile["at"].startswith("2026-07-08T08:00")
