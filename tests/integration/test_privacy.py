"""Personal-data export, erasure and the retention rule, on SQLite and on PostgreSQL.

"No trace" is checked by dumping every table of the database as text (JSON
decoded, HTML entities unescaped) and searching it for the person's strings.
"""

from __future__ import annotations

import contextlib
import html
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from sqlalchemy import insert, inspect, select, text

from builders import INTAKE_RELEVANT, VALID_SIRET, decide, make_org, make_person, open_diagnosis
from pathways.bootstrap import App
from pathways.cli import privacy as privacy_cli
from pathways.errors import Refused
from pathways.notify.deliver import channel_id
from pathways.services.casework import outbox, work
from pathways.services.casework.sweep import sweep
from pathways.services.people import directory, privacy
from pathways.services.tx import write
from pathways.store.audit_verify import verify_chain
from pathways.store.core import ACCOUNT, ATTEMPT, AUDIT, FAILURE, PERSON, PROJECT, TOKEN

NAME = "Zoé L'Hermite-Dubois"
EMAIL = "zoe.hermite@example.org"
PHONE = "+33 6 12 34 56 78"
CHANNELS = ("mailto://zoe.hermite@example.org", "ntfy://ntfy.sh/zoe-hermite-7f3a")
TRACES = (NAME, EMAIL, PHONE, *CHANNELS, "ntfy.sh/zoe-hermite-7f3a", *map(channel_id, CHANNELS))
REDIRECT = {
    **INTAKE_RELEVANT,
    "met_on": "2019-05-06",
    "redirected_to": "France Active",
    "redirect_reason": "other_programme",
}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def dump(app: App) -> str:
    """Every row of every table in the database (not only the known ones), as searchable text."""
    parts: list[str] = []
    with app.store.read() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for cell in row:
                    parts.append(json.dumps(cell, ensure_ascii=False, default=str))
                    if isinstance(cell, str) and cell[:1] in "[{":
                        with contextlib.suppress(ValueError):  # SQLite keeps JSON as text, \u-escaped
                            parts.append(json.dumps(json.loads(cell), ensure_ascii=False))
    return html.unescape("\n".join(parts)).lower()


def traces_in(app: App) -> list[str]:
    everything = dump(app)
    return [trace for trace in TRACES if trace.lower() in everything]


def add_owner(app: App, org: int) -> int:
    with write(app) as tx:
        return directory.add_person(
            tx, name=NAME, org=org, role="owner", email=EMAIL, phone=PHONE, language="fr",
            channels=list(CHANNELS), topics=["gouvernance"],
        ).id  # fmt: skip


def add_project(
    app: App, org: int, owner: int | None, *, name: str, at: datetime | None = None, **extra: Any
) -> int:
    with write(app, at=at) as tx:
        return directory.add_project(
            tx, name=name, org=org, owner=owner, siret=extra.get("siret"), bce=None, territory=None,
            phase="founded", legal_form="association", permanent_jobs=2,
        ).id  # fmt: skip


@pytest.fixture
def world(app: App) -> dict[str, Any]:
    """An owner whose data has been copied around: project name, document, message, delivery error, login."""
    org = make_org(app, name="DLA Paris")
    officer = make_person(app, org, name="Camille Martin")
    owner = add_owner(app, org)
    project = add_project(app, org, owner, name=f"Atelier de {NAME}", siret=VALID_SIRET)
    case = open_diagnosis(app, project, officer)
    assert [r.status for r in work.run_pending(app)] == ["done"]  # renders the intake sheet (project name)
    with write(app) as tx:
        payload = {"person": owner, "template": "intake_documents", "case": case.id}
        key = f"msg:{case.id}:test:{owner}"
        outbox.enqueue(tx, kind="message", key=key, case_id=case.id, pathway_id="diagnosis", payload=payload)
        job = tx.conn.execute(text("SELECT max(id) FROM outboxjob")).scalar_one()
        tx.conn.execute(
            text("UPDATE outboxjob SET last_error = :e WHERE id = :id"),
            {"e": f"mailto: 550 no mailbox {EMAIL}", "id": job},
        )
        tx.conn.execute(
            insert(ATTEMPT),
            [
                {"job_id": job, "attempt": 1, "channel": channel_id(url), "outcome": "failed",
                 "reason": f"could not deliver to {url}", "started_at": tx.at, "finished_at": tx.at}
                for url in CHANNELS
            ],
        )  # fmt: skip
        account = tx.insert(
            ACCOUNT,
            person_id=owner, password_hash="$argon2id$stub", language="fr", active=True,
            session_key="0123456789abcdef", created_at=tx.at,
        )  # fmt: skip
        tx.insert(
            TOKEN,
            account_id=account, name="tableur", prefix="pw_abc", token_hash="f" * 64, created_at=tx.at,
        )  # fmt: skip
        # A failed login names the account, never the typed e-mail: nothing there to scrub.
        tx.insert(FAILURE, subject=f"account:{account}", client="203.0.113.7", at=tx.at)
    return {"org": org, "officer": officer, "owner": owner, "project": project, "case": case, "job": job}


def test_export_holds_everything_about_the_person(app: App, world: dict[str, Any]) -> None:
    with app.store.read() as conn:
        exported = privacy.export_person(conn, EMAIL)

    json.dumps(exported)  # JSON-ready as it is
    assert exported["person"]["name"] == NAME
    assert exported["person"]["channels"] == list(CHANNELS)
    assert exported["person"]["phone"] == PHONE
    assert exported["memberships"] == [
        {"organisation_id": world["org"], "organisation": "dla-paris", "role": "owner"}
    ]
    assert [p["name"] for p in exported["projects"]] == [f"Atelier de {NAME}"]
    assert [(c["ref"], c["roles"]) for c in exported["cases"]] == [(world["case"].ref, ["owner"])]
    assert [m["id"] for m in exported["messages"]] == [world["job"]]
    assert {d["channel"] for d in exported["messages"][0]["deliveries"]} == set(map(channel_id, CHANNELS))
    assert exported["account"]["api_tokens"][0]["name"] == "tableur"
    assert "password_hash" not in exported["account"]
    assert len(exported["documents_about_their_projects"]) == 1


def test_export_lists_the_decisions_and_events_of_an_officer(app: App, world: dict[str, Any]) -> None:
    decided = decide(app, world["case"].id, "not_relevant", REDIRECT, by=world["officer"])
    with app.store.read() as conn:
        exported = privacy.export_person(conn, world["officer"])
    assert [(d["case"], d["stage"], d["outcome"]) for d in exported["decisions"]] == [
        (decided.ref, "intake", "not_relevant")
    ]
    assert "decision" in {e["kind"] for e in exported["audit_events_as_actor"]}
    assert [(c["ref"], c["roles"]) for c in exported["cases"]] == [(decided.ref, ["officer"])]


def test_after_erasure_no_table_holds_the_name_email_phone_or_channels(
    app: App, world: dict[str, Any]
) -> None:
    assert traces_in(app) == list(TRACES)  # every trace is there to begin with

    erased = privacy.erase_person(app, EMAIL, reason="request")

    assert traces_in(app) == []
    assert erased.audit_events_left == ()
    assert {"project", "document", "outboxjob", "deliveryattempt"} <= set(erased.rows_scrubbed)
    owner = world["owner"]
    with app.store.read() as conn:
        person = conn.execute(select(PERSON).where(PERSON.c.id == owner)).mappings().one()
        project = conn.execute(select(PROJECT.c.name).where(PROJECT.c.id == world["project"])).scalar_one()
        event = conn.execute(select(AUDIT).where(AUDIT.c.kind == "person_erased")).mappings().one()
        account = conn.execute(select(ACCOUNT)).mappings().one()
        token = conn.execute(select(TOKEN)).mappings().one()
        reports = verify_chain(conn, key=app.audit_key)
    assert (person["name"], person["handle"], person["email"], person["phone"]) == (
        f"erased-{owner}", f"erased-{owner}", None, None,
    )  # fmt: skip
    assert (person["channels"], person["topics"], person["erased_at"]) == ([], [], app.clock.now())
    assert project == f"Atelier de erased-{owner}"
    assert (event["payload"], event["organisation_id"]) == (
        {"person": owner, "reason": "request"},
        world["org"],
    )
    assert (account["active"], token["revoked_at"]) == (False, app.clock.now())
    assert reports
    assert all(r.ok for r in reports), reports
    assert "camille martin" in dump(app)  # other people are left alone


def test_a_person_is_erased_once(app: App, world: dict[str, Any]) -> None:
    privacy.erase_person(app, world["owner"])
    with pytest.raises(Refused, match="already erased"):
        privacy.erase_person(app, world["owner"])


def test_data_typed_into_a_decision_is_erased_and_the_chain_still_verifies(
    app: App, world: dict[str, Any]
) -> None:
    # What was typed lives in the stage entry; the chain keeps only field names and a digest.
    decide(app, world["case"].id, "not_relevant", {**REDIRECT, "redirected_to": f"{NAME} herself"})

    erased = privacy.erase_person(app, world["owner"])

    with app.store.read() as conn:
        payload = conn.execute(select(AUDIT.c.payload).where(AUDIT.c.kind == "decision")).scalar_one()
        assert all(r.ok for r in verify_chain(conn, key=app.audit_key))
    assert "redirected_to" in payload["fields"]
    assert NAME.lower() not in str(payload).lower()
    assert erased.audit_events_left == ()
    assert traces_in(app) == []


def test_a_lone_first_name_is_not_hunted_down_everywhere(app: App, world: dict[str, Any]) -> None:
    with write(app) as tx:
        marie = directory.add_person(
            tx, name="Marie", org=world["org"], role="owner", email=None, language=None, channels=[]
        ).id
    add_project(app, world["org"], None, name="Régie de Sainte-Marie")
    privacy.erase_person(app, marie)
    with app.store.read() as conn:
        assert "Régie de Sainte-Marie" in set(conn.scalars(select(PROJECT.c.name)))


def _owner_with_cases(
    app: App, org: int, officer: int, name: str, closed: list[datetime], *, open_too: bool = False,
    created: datetime = utc(2019, 1, 7, 9), role: str = "owner",
) -> int:  # fmt: skip
    owner = make_person(app, org, name=name, role=role)
    project = add_project(app, org, owner, name=f"Projet de {name}", at=created)
    for at in closed:
        case = open_diagnosis(app, project, officer, at=at)
        decide(app, case.id, "not_relevant", REDIRECT, by=officer, at=at)
    if open_too:
        open_diagnosis(app, project, officer, at=utc(2026, 6, 1, 9))
    return owner


def test_retention_erases_only_owners_past_the_limit(app: App, fixed_now: datetime) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    long_ago, recent = utc(2020, 3, 2, 9), utc(2022, 3, 1, 9)
    past = _owner_with_cases(app, org, officer, "Ana Past", [utc(2019, 5, 6, 9), long_ago])
    kept = {
        "recent": _owner_with_cases(app, org, officer, "Ben Recent", [long_ago, recent]),
        "open": _owner_with_cases(app, org, officer, "Chloé Open", [long_ago], open_too=True),
        "staff": _owner_with_cases(app, org, officer, "Dan Staff", [long_ago], role="officer"),
        "no case": _owner_with_cases(app, org, officer, "Eva Nocase", []),
        "new project": _owner_with_cases(
            app, org, officer, "Fay New", [long_ago], created=utc(2024, 1, 8, 9)
        ),
    }

    result = privacy.apply_retention(app, now=fixed_now, years=5)

    assert result.cutoff == utc(2021, 7, 8, 8)
    assert [e.person_id for e in result.erased] == [past]
    assert result.erased[0].reason == "retention"
    with app.store.read() as conn:
        names: dict[int, str] = dict(conn.execute(select(PERSON.c.id, PERSON.c.name)).tuples().all())
        assert all(r.ok for r in verify_chain(conn, key=app.audit_key))
    assert names[past] == f"erased-{past}"
    assert {label: names[person] for label, person in kept.items()} == {
        "recent": "Ben Recent", "open": "Chloé Open", "staff": "Dan Staff", "no case": "Eva Nocase",
        "new project": "Fay New",
    }  # fmt: skip
    assert privacy.apply_retention(app, now=fixed_now, years=5).erased == ()


def test_retention_looks_at_owners_a_batch_at_a_time(
    app: App, fixed_now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(privacy, "_OWNERS_AT_ONCE", 2)
    org = make_org(app)
    officer = make_person(app, org)
    long_ago = [utc(2019, 5, 6, 9), utc(2020, 3, 2, 9)]
    past = [_owner_with_cases(app, org, officer, f"{name} Past", long_ago) for name in ("Ana", "Ben", "Cy")]
    # Past the limit as an owner, but following someone else's open case (as its officer).
    following = _owner_with_cases(app, org, officer, "Dee Follows", long_ago)
    open_diagnosis(app, add_project(app, org, None, name="Projet suivi"), following, at=utc(2026, 6, 1, 9))
    recent = _owner_with_cases(app, org, officer, "Eli Recent", [utc(2022, 3, 1, 9)])

    result = privacy.apply_retention(app, now=fixed_now, years=5)

    assert [e.person_id for e in result.erased] == past
    with app.store.read() as conn:
        names = dict(conn.execute(select(PERSON.c.id, PERSON.c.name)).tuples().all())
    assert (names[following], names[recent]) == ("Dee Follows", "Eli Recent")


def test_the_deadline_sweep_applies_the_retention_rule(app: App, fixed_now: datetime) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    past = _owner_with_cases(app, org, officer, "Gus Past", [utc(2019, 5, 6, 9), utc(2020, 3, 2, 9)])

    sweep(app, now=fixed_now)

    with app.store.read() as conn:
        name = conn.execute(select(PERSON.c.name).where(PERSON.c.id == past)).scalar_one()
    assert name == f"erased-{past}"


def test_retention_cutoff_counts_calendar_years() -> None:
    assert privacy.retention_cutoff(utc(2028, 2, 29, 12), 1) == utc(2027, 2, 28, 12)
    assert privacy.retention_cutoff(utc(2026, 7, 8, 8), 5) == utc(2021, 7, 8, 8)


def _cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", app.store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATHWAYS_CONFIG_DIR", str(app.settings.config_dir.resolve()))
    cli = typer.Typer()
    cli.command("export")(privacy_cli.export)
    cli.command("erase")(privacy_cli.erase)
    return typer.main.get_command(cli)


def test_cli_exports_then_erases(
    app: App, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:  # fmt: skip
    command = _cli(app, monkeypatch)
    command.main(["export", EMAIL], standalone_mode=False)
    assert json.loads(capsys.readouterr().out)["person"]["name"] == NAME
    command.main(
        ["export", str(world["owner"]), "--output", str(tmp_path / "me.json")], standalone_mode=False
    )
    assert json.loads((tmp_path / "me.json").read_text())["person"]["email"] == EMAIL

    command.main(["erase", EMAIL, "--yes", "--json"], standalone_mode=False)
    assert json.loads(capsys.readouterr().out)["person_id"] == world["owner"]
    assert traces_in(app) == []
