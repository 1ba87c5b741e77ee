"""Work on a case without deciding, on SQLite and PostgreSQL: notes, attachments, reassignment.

The use cases of services.casework.notes, .attachments and .assign, called as the web and the API
call them (a signed-in account's Principal) and as the CLI does (the operator, ``by=None``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from builders import (
    COMMITTEE_FAVOURABLE,
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
    principal,
)
from pathways.bootstrap import App, Clock
from pathways.errors import FieldErrors, Forbidden, NotFound, Refused
from pathways.services.casework import assign, attachments, lookup, notes, related, timeline, work
from pathways.services.casework.attachments import AddAttachment, FileUpload
from pathways.services.casework.views import OpenedCase
from pathways.services.people import privacy
from pathways.services.people.accounts import Principal
from pathways.settings import load_settings
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT
from pathways.store.db import Store

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> FileUpload:
    return FileUpload(name, io.BytesIO(content))


@dataclass(frozen=True)
class Office:
    app: App
    org: int
    officer: Principal
    colleague: Principal
    manager: Principal
    owner: int
    case: OpenedCase
    other_org: int
    stranger: Principal  # an officer of another organisation
    stranger_case: OpenedCase


@pytest.fixture
def office(app: App) -> Office:
    org = make_org(app, name="DLA du Val-de-Marne")
    officer = make_person(app, org, name="Camille Martin")
    colleague = make_person(app, org, name="Hugo Bernard")
    manager = make_person(app, org, role="manager", name="Nadia Roche")
    owner = make_person(app, org, role="owner", name="Inès Dubois")
    case = open_diagnosis(app, make_project(app, org, owner=owner), officer)
    other = make_org(app, name="Réseau voisin")
    stranger = make_person(app, other, name="Lars Peeters")
    stranger_case = open_diagnosis(app, make_project(app, other, name="Buurtwinkel"), stranger)
    return Office(
        app,
        org,
        principal(app, officer),
        principal(app, colleague),
        principal(app, manager),
        owner,
        case,
        other,
        principal(app, stranger),
        stranger_case,
    )


def chain_ok(app: App) -> bool:
    with app.store.read() as conn:
        return all(report.ok for report in verify_chain(conn, key=app.audit_key))


def items_of(app: App, ref: object) -> list[timeline.TimelineItem]:
    with app.store.read() as conn:
        return timeline.timeline(conn, str(ref), now=app.clock.now(), catalog=app.catalog).items


# --- notes ----------------------------------------------------------------------------------


def test_a_meeting_report_with_its_day_and_file_shows_in_the_timeline_with_its_author(office: Office) -> None:
    app, ref = office.app, office.case.ref
    command = notes.AddNote(
        case=str(ref),
        text="Rencontre avec le bureau.\nPoints : trésorerie, gouvernance.",
        kind="meeting",
        on="2026-07-06",
        attachment=upload("compte-rendu.pdf", PDF),
    )
    added = notes.add_note(app, command, by=office.officer)

    assert added.kind == "meeting"
    assert added.on == date(2026, 7, 6)
    assert added.attachment is not None
    assert added.attachment.media_type == "application/pdf"
    items = items_of(app, ref)
    meeting = next(i for i in items if i.kind == "meeting")
    assert meeting.summary.startswith("Rencontre avec le bureau.")
    assert meeting.actor == "Camille Martin"
    assert meeting.details["day"] == date(2026, 7, 6)
    # Placed on the day it happened (before the case's opening on the 8th), not when recorded.
    assert meeting.at < items[-1].at
    file_item = next(i for i in items if i.kind == "attachment")
    assert file_item.summary == "compte-rendu.pdf"
    assert file_item.link == f"attachment:{added.attachment.id}"
    assert not any(i.kind == "event" and i.details.get("kind") == "note_added" for i in items)
    assert chain_ok(app)


def test_every_problem_of_a_note_is_named_at_once_and_nothing_is_written(office: Office) -> None:
    command = notes.AddNote(
        case=str(office.case.ref),
        text="   ",
        kind="memo",
        on="2026-07-09",  # the day after the fixed clock
        attachment=upload("photo.pdf", b"<html><script>alert(1)</script></html>"),
    )
    with pytest.raises(FieldErrors) as refused:
        notes.add_note(office.app, command, by=office.officer)
    codes = {p.field: p.code for p in refused.value.problems}
    assert codes == {
        "text": "work.error.text_required",
        "kind": "work.error.kind_unknown",
        "date": "work.error.date_future",
        "file": "work.error.kind",
    }
    assert [i for i in items_of(office.app, office.case.ref) if i.kind in ("note", "attachment")] == []


def test_a_note_on_another_organisations_case_is_not_found_as_an_unknown_case(office: Office) -> None:
    command = notes.AddNote(case=str(office.stranger_case.ref), text="hello")
    with pytest.raises(NotFound) as theirs:
        notes.add_note(office.app, command, by=office.officer)
    with pytest.raises(NotFound) as unknown:
        notes.add_note(office.app, notes.AddNote(case="DIAG-2026-9999", text="hello"), by=office.officer)
    assert (theirs.value.message, theirs.value.hint) == (
        unknown.value.message.replace("DIAG-2026-9999", str(office.stranger_case.ref)),
        unknown.value.hint,
    )


def test_the_operator_records_a_note_for_a_staff_member_of_the_case_organisation_only(office: Office) -> None:
    ref = str(office.case.ref)
    added = notes.add_note(office.app, notes.AddNote(case=ref, text="Appel", author="Hugo Bernard"), by=None)
    assert next(i for i in items_of(office.app, ref) if i.kind == "note").actor == "Hugo Bernard"
    with pytest.raises(NotFound):
        notes.add_note(office.app, notes.AddNote(case=ref, text="Appel", author="Lars Peeters"), by=None)
    assert added.note_id


# --- attachments ----------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_kept(store: Store, tmp_path: Path) -> None:
    app = App(
        settings=load_settings(
            config_dir=Path("config"), environment="test", home=tmp_path, max_attachment_bytes=2048
        ),
        store=store,
        clock=Clock(datetime(2026, 7, 8, 8, tzinfo=UTC)),
    )
    org = make_org(app)
    case = open_diagnosis(app, make_project(app, org), make_person(app, org))
    big = PDF + b"0" * 2048
    with pytest.raises(FieldErrors) as refused:
        attachments.add_attachment(
            app, AddAttachment(case=str(case.ref), file=upload("big.pdf", big)), by=None
        )
    assert refused.value.problems[0].code == "work.error.too_large"
    exact = PDF + b"0" * (2048 - len(PDF))
    kept = attachments.add_attachment(
        app, AddAttachment(case=str(case.ref), file=upload("ok.pdf", exact)), by=None
    )
    assert kept.size == 2048
    with app.store.read() as conn:
        assert [a.name for a in attachments.attachments_of(conn, int(str(case.id)))] == ["ok.pdf"]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("rapport.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", "work.error.kind"),  # HTML named .pdf
        ("rapport.txt", b"  <html><script>alert(1)</script>", "work.error.kind"),  # HTML named .txt
        ("photo.jpg", PNG, "work.error.extension"),  # a PNG named .jpg
        ("statuts.pdf", docx_bytes(), "work.error.extension"),  # a DOCX named .pdf
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 40, "work.error.kind"),  # any other archive
        ("script.exe", b"MZ\x90\x00\x03" + b"\x00" * 40, "work.error.kind"),
        ("vide.txt", b"", "work.error.empty"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(
    office: Office, name: str, content: bytes, code: str
) -> None:
    command = AddAttachment(case=str(office.case.ref), file=upload(name, content))
    with pytest.raises(FieldErrors) as refused:
        attachments.add_attachment(office.app, command, by=office.officer)
    assert [p.code for p in refused.value.problems] == [code]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\statuts.docx", "statuts.docx"),
        ("/var/lib/pathways/pathways.db.txt", "pathways.db.txt"),
        ("rapport\u202egpj.exe.pdf", "rapportgpj.exe.pdf"),  # a right-to-left override hides ".exe"
        ('a<b>c:"d"|e?*.txt', "a_b_c__d__e__.txt"),
        ("...", "attachment"),
    ],
)
def test_a_file_name_is_never_a_path_and_is_kept_clean(office: Office, sent: str, kept: str) -> None:
    content = docx_bytes() if kept.endswith(".docx") else PDF if kept.endswith(".pdf") else b"plain text\n"
    command = AddAttachment(case=str(office.case.ref), file=upload(sent, content))
    if kept == "attachment":  # no extension left: refused as not matching its content
        with pytest.raises(FieldErrors):
            attachments.add_attachment(office.app, command, by=office.officer)
        return
    added = attachments.add_attachment(office.app, command, by=office.officer)
    assert added.name == kept
    found = attachments.open_attachment(
        office.app, case=str(office.case.ref), attachment_id=added.id, by=office.officer
    )
    assert found.content == content
    assert found.name == kept
    assert found.ascii_name.isascii()
    assert not {"/", "\\"} & set(found.ascii_name)


def test_an_attachment_is_read_only_by_the_case_organisation_with_the_unknown_case_answer(
    office: Office,
) -> None:
    ref = str(office.case.ref)
    added = attachments.add_attachment(
        office.app, AddAttachment(case=ref, file=upload("plan.pdf", PDF)), by=office.officer
    )
    assert (
        attachments.open_attachment(office.app, case=ref, attachment_id=added.id, by=office.manager).content
        == PDF
    )
    with pytest.raises(NotFound) as theirs:
        attachments.open_attachment(office.app, case=ref, attachment_id=added.id, by=office.stranger)
    with pytest.raises(NotFound) as unknown:
        attachments.open_attachment(
            office.app, case="DIAG-2026-9999", attachment_id=added.id, by=office.stranger
        )
    assert theirs.value.hint == unknown.value.hint
    assert theirs.value.message == f"no case '{ref}'"
    # Another case's id under a visible case: not found either.
    stranger_file = attachments.add_attachment(
        office.app,
        AddAttachment(case=str(office.stranger_case.ref), file=upload("x.pdf", PDF)),
        by=office.stranger,
    )
    with pytest.raises(NotFound):
        attachments.open_attachment(office.app, case=ref, attachment_id=stranger_file.id, by=office.officer)


def test_erasing_the_project_lead_removes_the_bytes_and_the_notes_texts(office: Office) -> None:
    app, ref = office.app, str(office.case.ref)
    marker = b"SECRET-PAYSLIP-7f3a9c"
    added = attachments.add_attachment(
        app,
        AddAttachment(case=ref, file=upload("fiche de paie Inès Dubois.pdf", PDF + marker)),
        by=office.officer,
    )
    notes.add_note(
        app, notes.AddNote(case=ref, text="Inès traverse un divorce difficile."), by=office.officer
    )
    with app.store.read() as conn:
        exported = privacy.export_person(conn, office.owner)
    assert [a["name"] for a in exported["case_attachments"]] == ["fiche de paie Inès Dubois.pdf"]
    assert [n["text"] for n in exported["case_notes"]] == ["Inès traverse un divorce difficile."]
    with app.store.read() as conn:  # the officer's own export describes what she sent, not its content
        officers = privacy.export_person(conn, office.officer.person_id)
    assert [set(a) for a in officers["attachments_sent_on_other_cases"]] == [
        {"id", "case", "media_type", "size", "created_at", "erased_at"}
    ]
    assert "text" not in officers["notes_written_on_other_cases"][0]

    erasure = privacy.erase_person(app, office.owner)

    assert erasure.rows_scrubbed["attachment_content"] == 1
    with pytest.raises(NotFound):
        attachments.open_attachment(app, case=ref, attachment_id=added.id, by=office.officer)
    with app.store.read() as conn:
        assert conn.execute(select(attachments.CONTENT.c.attachment_id)).all() == []
        listed = attachments.attachments_of(conn, int(str(office.case.id)))
        texts = list(conn.scalars(select(attachments.NOTE.c.text)))
    assert [(a.name, a.erased) for a in listed] == [("erased", True)]
    assert texts == [""]
    assert chain_ok(app)
    if app.store.dialect == "sqlite":  # the bytes are gone from the file too, not left in free pages
        path = Path(str(app.store.engine.url.database))
        app.store.dispose()  # the last connection checkpoints the write-ahead log into the file
        assert marker not in path.read_bytes()


# --- reassignment ---------------------------------------------------------------------------


def test_an_officer_gives_their_case_to_a_colleague_recorded_in_history_and_audit(office: Office) -> None:
    app, ref = office.app, str(office.case.ref)
    done = assign.assign_case(app, assign.AssignCase(case=ref, officer="Hugo Bernard"), by=office.officer)
    assert (done.officer, done.previous) == ("Hugo Bernard", "Camille Martin")
    assigned = next(i for i in items_of(app, ref) if i.kind == "assigned")
    assert assigned.summary == "Camille Martin → Hugo Bernard"
    assert assigned.actor == "Camille Martin"
    with app.store.read() as conn:
        events = conn.execute(select(AUDIT.c.payload).where(AUDIT.c.kind == "case_assigned")).scalars().all()
    assert events == [
        {"officer": office.colleague.person_id, "previous": office.officer.person_id, "version": done.version}
    ]
    assert chain_ok(app)


def test_an_officer_cannot_move_a_colleagues_case_a_manager_can(office: Office) -> None:
    app, ref = office.app, str(office.case.ref)
    with pytest.raises(Forbidden):
        assign.assign_case(app, assign.AssignCase(case=ref, officer="Hugo Bernard"), by=office.colleague)
    done = assign.assign_case(app, assign.AssignCase(case=ref, officer="Hugo Bernard"), by=office.manager)
    assert done.officer_id == office.colleague.person_id
    back = assign.assign_case(app, assign.AssignCase(case=ref, officer="Nadia Roche"), by=office.manager)
    assert back.officer == "Nadia Roche"  # a manager may take a case too


def test_a_case_is_never_given_to_someone_outside_its_organisation(office: Office) -> None:
    app, ref = office.app, str(office.case.ref)
    for outsider, by in (
        ("Lars Peeters", office.officer),
        ("Lars Peeters", office.manager),
        ("Inès Dubois", None),
    ):
        with pytest.raises(FieldErrors) as refused:
            assign.assign_case(app, assign.AssignCase(case=ref, officer=outsider), by=by)
        assert refused.value.problems[0].field == "officer"
    # And the stranger cannot reach the case at all: the unknown case's answer.
    with pytest.raises(NotFound):
        assign.assign_case(app, assign.AssignCase(case=ref, officer="Lars Peeters"), by=office.stranger)
    assert chain_ok(app)


def test_a_reassignment_on_a_stale_version_or_a_closed_case_is_refused(office: Office) -> None:
    app, ref = office.app, str(office.case.ref)
    version = 1  # the case as opened
    decide(app, ref, "relevant", INTAKE_RELEVANT, by=office.officer.person_id)
    with pytest.raises(Refused):
        assign.assign_case(
            app,
            assign.AssignCase(case=ref, officer="Hugo Bernard", expected_version=version),
            by=office.manager,
        )
    declined = {"interviews": DIAGNOSIS_ACCEPTED["interviews"], "reason": "Pas le moment"}
    decide(app, ref, "declined", declined, by=office.officer.person_id)
    with pytest.raises(Refused):
        assign.assign_case(app, assign.AssignCase(case=ref, officer="Hugo Bernard"), by=office.manager)


# --- around the case ------------------------------------------------------------------------


def test_the_next_reminder_and_escalation_come_from_the_scheduled_notices(office: Office) -> None:
    with office.app.store.read() as conn:
        case = lookup.find_case(conn, str(office.case.ref))
        found = related.around(conn, office.app.catalog, case, lang="fr")
    assert found.next_reminder is not None
    assert found.next_reminder.kind == "reminder"
    assert found.next_escalation is not None
    assert found.next_escalation.kind == "escalation"
    due = case.due_at
    assert due is not None
    assert found.next_reminder.due_at < due < found.next_escalation.due_at
    assert found.links == ()


def around_of(app: App, ref: str) -> related.Around:
    with app.store.read() as conn:
        return related.around(conn, app.catalog, lookup.find_case(conn, ref), lang="nl")


def test_a_hand_off_and_spawned_children_are_linked_both_ways(office: Office) -> None:
    app, ref, officer = office.app, str(office.case.ref), office.officer.person_id
    for outcome, values in (
        ("relevant", INTAKE_RELEVANT),
        ("accepted", DIAGNOSIS_ACCEPTED),
        ("validated", PLAN_VALIDATED),
        ("favourable", COMMITTEE_FAVOURABLE),
    ):
        decide(app, ref, outcome, values, by=officer)
    work.run_pending(app)
    closed = around_of(app, ref)
    assert (closed.next_reminder, closed.next_escalation) == (None, None)  # nothing comes for a closed case
    (onward,) = closed.links
    assert (onward.relation, onward.pathway, onward.status) == ("handed_off_to", "Begeleiding", "open")
    support = around_of(app, onward.ref)
    assert [(c.relation, c.ref) for c in support.links] == [("handed_off_from", ref)]
    assert support.parent is not None
    assert support.parent.where == "Doorgestroomd naar begeleiding"  # the closed case's result, by its label

    chosen = {
        "brief_sent_on": "2026-07-01",
        "consultant": str(officer),
        "parallel_missions": "Gouvernance;RH",
    }
    decide(app, onward.ref, "consultant_chosen", chosen, by=officer)
    work.run_pending(app)
    spawned = [c for c in around_of(app, onward.ref).links if c.relation == "child"]
    assert [c.subject for c in spawned] == ["Gouvernance", "RH"]
    child = around_of(app, spawned[0].ref)
    assert [(c.relation, c.ref) for c in child.links] == [("parent", onward.ref)]
