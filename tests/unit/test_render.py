"""Every message template renders in fr, nl and en, for every message kind of every shipped pathway."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from apprise import NotifyFormat
from apprise.conversion import convert_between

from pathways.domain.loader import load_pathway_dir
from pathways.domain.spec import LANGS, EscalationRule, ReminderRule
from pathways.errors import RenderError
from pathways.notify.deliver import channel_id, failure_reason
from pathways.notify.render import Renderer, babel_locale, choose_language, split_subject
from pathways.services.casework import documents

CONFIG = Path(__file__).resolve().parents[2] / "config"
TEMPLATES = CONFIG / "templates"
CATALOG = load_pathway_dir(CONFIG / "pathways", templates=TEMPLATES)
DUE = datetime(2026, 7, 30, 21, 59, 59, tzinfo=UTC)  # 23:59:59 in Paris


def message_rules() -> Iterator[ReminderRule | EscalationRule]:
    """Every reminder and escalation of the shipped pathways."""
    for pathway in CATALOG.specs.values():
        for stage in pathway.stages:
            yield from stage.remind
            yield from stage.escalate


def template_names() -> list[str]:
    """Every template a reminder or escalation of a shipped pathway names."""
    names = {rule.template for rule in message_rules()}
    return sorted(names)


def item(lang: str, kind: str, days: int) -> dict[str, Any]:
    spec = CATALOG.get("diagnosis")
    return {
        "kind": kind,
        "days": days,
        "case": {
            "ref": "DIAG-2026-0042",
            "pathway_title": spec.title.get(lang),
            "stage_title": spec.first_stage.title.get(lang),
            "due_at": DUE,
            "url": "https://pathways.example.org/cases/DIAG-2026-0042",
        },
        "project": {"name": "Recyclerie <du> Canal"},
    }


def message(lang: str, kind: str, days: int, owner_url: str | None = None) -> dict[str, Any]:
    return {
        "person": "Fien Peeters",
        "organisation": {"name": "DLA de Paris"},
        "owner_url": owner_url,
        **item(lang, kind, days),
    }


def owner_template_names() -> list[str]:
    """Every template a shipped pathway sends to a project's owner."""
    names = {rule.template for rule in message_rules() if rule.to == "owner"}
    return sorted(names)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def test_the_shipped_pathways_name_templates() -> None:
    assert {"reminder", "escalation"} <= set(template_names())


KINDS_AND_DAYS = [
    ("reminder", 10),
    ("reminder", 1),
    ("reminder", 0),
    ("reminder", -2),
    ("escalation", -1),
    ("escalation", -12),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", template_names())
@pytest.mark.parametrize(("kind", "days"), KINDS_AND_DAYS)
def test_every_template_renders_in_every_language(
    renderer: Renderer, name: str, lang: str, kind: str, days: int
) -> None:
    rendered = renderer.render(name, lang, message(lang, kind, days), zone="Europe/Paris")

    assert rendered.lang == lang
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert "DIAG-2026-0042" in rendered.subject + rendered.body
    assert "https://pathways.example.org/cases/DIAG-2026-0042" in rendered.body
    assert "Recyclerie <du> Canal" in rendered.body  # plain text: nothing escaped
    assert "DLA de Paris" in rendered.body
    for leftover in ("{{", "}}", "{%", "None", "Undefined"):
        assert leftover not in rendered.subject + rendered.body
    assert not rendered.body.startswith("\n")
    assert "\n\n\n" not in rendered.body


OWNER_URL = "https://pathways.example.org/o/eyJjIjo0MiwicCI6N30.sig-n_a"
OPEN_YOUR_CASE = {
    "fr": "Ouvrez votre dossier avec votre lien personnel :",
    "nl": "Open uw dossier met uw persoonlijke link:",
    "en": "Open your case with your personal link:",
}


def test_the_shipped_pathways_write_to_owners() -> None:
    assert {"intake_documents", "diagnosis_validation", "board_approval"} <= set(owner_template_names())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", owner_template_names())
def test_messages_to_an_owner_carry_their_own_link_alone_on_a_line(
    renderer: Renderer, name: str, lang: str
) -> None:
    rendered = renderer.render(name, lang, message(lang, "reminder", 5, OWNER_URL), zone="Europe/Paris")

    lines = rendered.body.splitlines()
    assert lines.count(OWNER_URL) == 1
    assert lines[lines.index(OWNER_URL) - 1] == OPEN_YOUR_CASE[lang]
    assert "/cases/DIAG-2026-0042" not in rendered.body  # the staff page is not for them
    if rendered.html is not None:  # the e-mail's HTML part, and the plain text Apprise derives from it
        assert f'<a href="{OWNER_URL}">{OWNER_URL}</a>' in rendered.html
        assert OPEN_YOUR_CASE[lang] in rendered.html
        assert "Recyclerie &lt;du&gt; Canal" in rendered.html
        derived = convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, rendered.html)
        assert OWNER_URL in [line.strip() for line in derived.splitlines()]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ["intake_documents", "diagnosis_validation", "board_approval"])
def test_owner_messages_have_an_html_part_in_every_language(renderer: Renderer, name: str, lang: str) -> None:
    staff = renderer.render(name, lang, message(lang, "reminder", 5), zone="Europe/Paris")
    assert staff.html is not None
    assert OPEN_YOUR_CASE[lang] not in staff.body + staff.html  # no owner link: the case page instead
    assert '<a href="https://pathways.example.org/cases/DIAG-2026-0042">' in staff.html
    for leftover in ("{{", "{%", "None", "Undefined"):
        assert leftover not in staff.html


@pytest.mark.parametrize("lang", LANGS)
def test_the_digest_renders_due_and_overdue_items(renderer: Renderer, lang: str) -> None:
    items = [item(lang, "escalation", -3), item(lang, "reminder", 0), item(lang, "reminder", 4)]
    context = {"person": "Camille Martin", "organisation": {"name": "DLA"}, "date": date(2026, 7, 27)}

    rendered = renderer.render("digest", lang, context | {"items": items}, zone="Europe/Paris")
    only_due = renderer.render("digest", lang, context | {"items": items[1:]}, zone="Europe/Paris")

    assert rendered.body.count("https://pathways.example.org/cases/DIAG-2026-0042") == 3
    assert "1" in rendered.subject
    assert "2" in rendered.subject
    assert only_due.body.count("https://pathways.example.org/cases/DIAG-2026-0042") == 2
    assert "0" in only_due.subject
    for leftover in ("{{", "{%", "None"):
        assert leftover not in rendered.body


@pytest.mark.parametrize(
    ("lang", "subject_part", "body_part"),
    [
        ("fr", "Rappel", "jeudi 30 juillet 2026"),
        ("nl", "Herinnering", "donderdag 30 juli 2026"),
        ("en", "Reminder", "Thursday, 30 July 2026"),
    ],
)
def test_dates_are_written_in_the_language(
    renderer: Renderer, lang: str, subject_part: str, body_part: str
) -> None:
    rendered = renderer.render("reminder", lang, message(lang, "reminder", 5), zone="Europe/Paris")
    assert subject_part in rendered.subject
    assert body_part in rendered.body


def test_dates_are_shown_in_the_organisations_zone(renderer: Renderer) -> None:
    context = message("fr", "reminder", 5)
    context["case"]["due_at"] = datetime(2026, 7, 30, 22, 30, tzinfo=UTC)  # already 31 July in Paris
    assert "vendredi 31 juillet" in renderer.render("reminder", "fr", context, zone="Europe/Paris").body
    assert "jeudi 30 juillet" in renderer.render("reminder", "fr", context, zone="UTC").body


def test_a_missing_variable_is_an_error_not_a_blank(renderer: Renderer) -> None:
    context = message("nl", "reminder", 3)
    del context["project"]
    with pytest.raises(RenderError, match=r"nl/reminder\.txt\.j2.*project"):
        renderer.render("reminder", "nl", context, zone="Europe/Paris")


def test_an_unknown_template_is_named(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match=r"no template .*en/nonexistent\.txt\.j2"):
        renderer.render("nonexistent", "en", message("en", "reminder", 1), zone="Europe/Paris")


def test_templates_run_in_a_sandbox(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "evil.txt.j2").write_text("Subject: x\n\n{{ person.__class__.__mro__ }}\n")
    with pytest.raises(RenderError):
        Renderer(tmp_path).render("evil", "en", {"person": "x"}, zone="UTC")


def test_an_html_part_is_rendered_escaped_when_present(tmp_path: Path) -> None:
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "hello.txt.j2").write_text("Subject: Bonjour {{ person }}\n\nBonjour {{ person }}\n")
    (tmp_path / "fr" / "hello.html.j2").write_text("<p>Bonjour {{ person }}, {{ 1234.5|number }}</p>")
    rendered = Renderer(tmp_path).render("hello", "fr", {"person": "<Léa>"}, zone="Europe/Paris")
    assert rendered.subject == "Bonjour <Léa>"
    assert rendered.body == "Bonjour <Léa>\n"
    assert rendered.html == "<p>Bonjour &lt;Léa&gt;, 1\u202f234,5</p>"


def test_the_subject_line_is_required() -> None:
    with pytest.raises(RenderError, match=r"first line must be 'Subject: \.\.\.'"):
        split_subject("Hello\n\nbody", where="x.txt.j2")
    assert split_subject("\nSubject:  Hi \n\n\nBody\n\n", where="x") == ("Hi", "Body\n")


def test_language_is_the_persons_then_the_organisations_then_english(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert choose_language("nl", "fr") == "nl"
    assert choose_language(None, "fr") == "fr"
    with caplog.at_level(logging.WARNING):
        assert choose_language("de", None, who="person 7") == "en"
    assert "person 7" in caplog.text


def test_babel_locales_follow_the_country() -> None:
    assert babel_locale("fr", "Europe/Paris") == "fr_FR"
    assert babel_locale("fr", "Europe/Brussels") == "fr_BE"
    assert babel_locale("nl", "Europe/Brussels") == "nl_BE"
    assert babel_locale("en", "Europe/Paris") == "en_GB"


def test_failure_reasons_keep_the_cause_and_drop_the_payload() -> None:
    log = (
        "DEBUG JSON POST URL: http://127.0.0.1:1/ (cert_verify=True)\n"
        "DEBUG JSON Payload: {'title': 'Rappel', 'message': 'Bonjour Léa'}\n"
        "WARNING A Connection error occurred sending JSON notification to 127.0.0.1.\n"
        "DEBUG Socket Exception: [Errno 111] Connection refused\n"
    )
    reason = failure_reason(log)
    assert "Connection error" in reason
    assert "Connection refused" in reason
    assert "Léa" not in reason
    assert failure_reason("") == "Apprise reported a failure without a reason"


def test_channel_ids_name_the_scheme_but_not_the_address() -> None:
    cid = channel_id("mailto://user:secret@example.org?to=lea@example.org")
    assert cid.startswith("mailto:")
    assert "lea" not in cid
    assert "secret" not in cid
    assert cid == channel_id("mailto://user:secret@example.org?to=lea@example.org")


# --- the printable case document --------------------------------------------------------------------


def sample(field: Any) -> Any:
    kind = field.items if field.type == "list" else field.type
    value: Any = {
        "date": date(2026, 7, 9), "integer": 4, "decimal": Decimal("2.5"), "money": Decimal("12000.00"),
        "boolean": True, "person": 7, "text": "Texte <libre> & co",
        "choice": next(iter(field.choices)) if field.choices else "x",
    }.get(str(kind), "value")  # fmt: skip
    if field.type == "choice" and field.multiple:
        return [value]
    return [value, value] if field.type == "list" else value


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("pathway", sorted(CATALOG.ids()))
def test_the_case_document_renders_every_stage(lang: str, pathway: str) -> None:
    spec = CATALOG.get(pathway)
    env = documents._environment(SimpleNamespace(settings=SimpleNamespace(templates_dir=TEMPLATES)), lang)  # type: ignore[arg-type]
    data = {
        stage.id: {
            name: sample(field)
            for name, field in {
                **stage.fields,
                **{k: v for o in stage.outcomes.values() for k, v in o.fields.items()},
            }.items()
        }
        for stage in spec.stages
    }
    for stage in spec.stages:
        html = env.get_template("case.html.j2").render(
            lang=lang, case={"ref": "DIAG-2026-0001", "opened_at": DUE, "due_at": DUE},
            project={"name": "Recyclerie"}, pathway=spec, stage=stage, data=data, generated_at=DUE,
        )  # fmt: skip
        assert f'<html lang="{lang}">' in html
        assert spec.title.get(lang).replace("'", "&#39;") in html
        assert stage.title.get(lang).replace("'", "&#39;") in html
        assert "Texte &lt;libre&gt; &amp; co" in html or not any(
            f.type == "text" for s in spec.stages for f in s.fields.values()
        )
        assert "30/07/2026" in html


@pytest.mark.parametrize("lang", LANGS)
def test_a_line_break_in_a_value_neither_ends_the_subject_nor_leaves_the_body(
    renderer: Renderer, lang: str
) -> None:
    """A project named with a line break (typed, imported, fuzzed) keeps one subject line."""
    context = message(lang, "reminder", 3)
    context["project"] = {"name": "\nRecyclerie\r\ndu\u2028Canal"}
    rendered = renderer.render("reminder", lang, context, zone="Europe/Paris")
    assert "Recyclerie  du Canal" in rendered.subject
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject
    assert not rendered.body.startswith("Recyclerie")  # the body starts where the template's does
    plain = renderer.render("reminder", lang, message(lang, "reminder", 3), zone="Europe/Paris")
    assert rendered.body.splitlines()[-3:] == plain.body.splitlines()[-3:]
