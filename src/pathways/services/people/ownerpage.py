"""What a project owner sees through their link: where their case stands and what it asks of them.

The asks come from the pathway file: the current stage's ``ask_owner`` (see
docs/PATHWAY-FORMAT.md), each with the owner's answer if they gave it during this stay in
the stage, and the files they attached with it. Everything is said in the owner's language,
or the one their page asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from pathways.domain.spec import LANGS
from pathways.errors import NotFound
from pathways.services.casework import attachments
from pathways.services.people import directory
from pathways.services.people.ownerlinks import OwnerClaim, check_current
from pathways.store.core import AUDIT, CASE, ORG, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App


@dataclass(frozen=True, slots=True)
class SentFile:
    """A file the owner attached to an answer."""

    name: str
    size: int


@dataclass(frozen=True, slots=True)
class OwnerAskShown:
    """One thing the current stage asks of the owner, and their answer during this stay, if any."""

    action: str
    label: str
    help: str | None
    upload: bool
    done_at: datetime | None = None
    files: tuple[SentFile, ...] = ()


@dataclass(frozen=True, slots=True)
class OfficerContact:
    """Whom the owner may write to."""

    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class OwnerView:
    """A project owner's page, in `language`."""

    ref: str
    status: str
    result_label: str | None
    project: str
    organisation: str
    timezone: str
    pathway_title: str
    stage: str | None
    stage_title: str | None
    stage_description: str | None
    due_at: datetime | None
    officer: OfficerContact | None
    owner: str
    language: str
    asks: tuple[OwnerAskShown, ...]

    @property
    def expects_owner(self) -> bool:
        """Whether the stage asks anything of the owner."""
        return bool(self.asks)


def owner_view(conn: Connection, app: App, claim: OwnerClaim, *, lang: str | None = None) -> OwnerView:
    """The owner's page of a valid, current link; `lang` (fr, nl, en) instead of the owner's language.

    NotFound when the link is not (or no longer) the project owner's, LinkExpired when replaced.
    """
    row = conn.execute(
        select(
            CASE.c.id,
            CASE.c.ref,
            CASE.c.status,
            CASE.c.result,
            CASE.c.stage,
            CASE.c.due_at,
            CASE.c.pathway_id,
            CASE.c.pathway_version,
            CASE.c.officer_id,
            CASE.c.current_entry_id,
            PROJECT.c.name.label("project"),
            PROJECT.c.owner_id,
            ORG.c.name.label("organisation"),
            ORG.c.timezone,
            ORG.c.language.label("org_language"),
        )
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .join(ORG, ORG.c.id == CASE.c.organisation_id)
        .where(CASE.c.id == claim.case_id)
    ).first()
    # The link stops working when the project changes hands.
    if row is None or row.owner_id != claim.person_id:
        raise NotFound(
            "this link is not valid", hint="ask your support officer for a new one", code="link_invalid_ask"
        )
    check_current(conn, claim)
    person = directory.find_person(conn, claim.person_id)
    officer = directory.find_person(conn, row.officer_id) if row.officer_id else None
    spec = app.catalog.get(row.pathway_id, row.pathway_version)
    language = lang if lang in LANGS else (person.language or row.org_language)
    assert language is not None
    stage = spec.stage(row.stage) if row.stage else None
    asks: tuple[OwnerAskShown, ...] = ()
    if stage is not None and row.status == "open":
        answers = _answers(conn, row.id, row.current_entry_id)
        asks = tuple(
            OwnerAskShown(
                action=action,
                label=ask.label.get(language),
                help=ask.help.get(language) if ask.help else None,
                upload=ask.upload,
                done_at=answers.get(action),
                files=_files(conn, row.id, claim.person_id, action, row.current_entry_id),
            )
            for action, ask in app.catalog.owner_asks(row.pathway_id, row.pathway_version, stage.id).items()
        )
    result = spec.ends.get(row.result) if row.result else None
    return OwnerView(
        ref=row.ref,
        status=row.status,
        result_label=result.get(language) if result else row.result,
        project=row.project,
        organisation=row.organisation,
        timezone=row.timezone,
        pathway_title=spec.title.get(language),
        stage=row.stage,
        stage_title=stage.title.get(language) if stage else None,
        stage_description=stage.description.get(language) if stage and stage.description else None,
        due_at=row.due_at,
        officer=OfficerContact(officer.name, officer.email) if officer else None,
        owner=person.name,
        language=language,
        asks=asks,
    )


def _answers(conn: Connection, case_id: int, entry_id: int | None) -> dict[str, datetime]:
    """When the owner gave each answer during this stay in the stage (stage entry `entry_id`)."""
    found: dict[str, datetime] = {}
    rows = conn.execute(
        select(AUDIT.c.kind, AUDIT.c.recorded_at, AUDIT.c.payload)
        .where(AUDIT.c.case_id == case_id, AUDIT.c.kind.like("owner\\_%", escape="\\"))
        .order_by(AUDIT.c.id)
    )
    for kind, at, payload in rows:
        if payload.get("entry") == entry_id and kind != "owner_link_renewed":
            found.setdefault(str(kind).removeprefix("owner_"), at)
    return found


def _files(
    conn: Connection, case_id: int, person_id: int, action: str, entry_id: int | None
) -> tuple[SentFile, ...]:
    """The files the owner attached to `action`'s answers during this stay in the stage."""
    events = conn.execute(
        select(AUDIT.c.payload).where(AUDIT.c.case_id == case_id, AUDIT.c.kind == "attachment_added")
    )
    ids = [
        int(p["attachment"])
        for (p,) in events
        if p.get("answer") == action and p.get("entry") == entry_id and isinstance(p.get("attachment"), int)
    ]
    if not ids:
        return ()
    table = attachments.ATTACHMENT
    rows = conn.execute(
        select(table.c.name, table.c.size)
        .where(table.c.id.in_(ids), table.c.uploaded_by == person_id, table.c.erased_at.is_(None))
        .order_by(table.c.id)
    )
    return tuple(SentFile(r.name, r.size) for r in rows)
