"""Project owners' links: a signed, expiring link to follow one's case without an account.

A project owner has no login. Their messages carry the link of :func:`owner_link`, which
opens their case's page (:func:`owner_view`) and lets them record the actions their stage
expects of them (:func:`record_owner_action`). The link stops working when it expires or
when the project changes hands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, select

from pathways.domain.spec import Role
from pathways.errors import FieldError, LinkExpired, NotFound, Refused
from pathways.services.casework.lookup import CASE, ORG, PROJECT
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.store.tables import AuditEvent

if TYPE_CHECKING:
    from pathways.bootstrap import App

AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]

OWNER_ACTIONS: Final = ("meeting_confirmed", "documents_sent")
_LINK_SALT: Final = "pathways.owner-link"


@dataclass(frozen=True, slots=True)
class OwnerClaim:
    """What a valid owner link grants: one person, one case, until `expires`."""

    case_id: int
    person_id: int
    expires: datetime


def _serializer(app: App) -> URLSafeSerializer:
    return URLSafeSerializer(app.settings.secret_key, salt=_LINK_SALT)


def owner_token(app: App, case_id: int, person_id: int, *, days: int = 14) -> str:
    """The signed token of an owner link (the part after /o/)."""
    expires = app.clock.real() + timedelta(days=days)
    return str(_serializer(app).dumps({"c": case_id, "p": person_id, "x": int(expires.timestamp())}))


def owner_link(app: App, case_id: int, person_id: int, *, days: int = 14) -> str:
    """A signed link, valid `days` days, to the page where a project owner follows their case."""
    return f"{app.settings.base_url.rstrip('/')}/o/{owner_token(app, case_id, person_id, days=days)}"


def read_owner_link(app: App, token: str) -> OwnerClaim:
    """The claim of an owner link; NotFound when forged or damaged, LinkExpired when too old."""
    try:
        data = _serializer(app).loads(token)
        claim = OwnerClaim(int(data["c"]), int(data["p"]), datetime.fromtimestamp(int(data["x"]), UTC))
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise NotFound("this link is not valid", hint="use the latest link you received") from None
    if claim.expires <= app.clock.real():
        raise LinkExpired("this link has expired", hint="ask your support officer for a new one")
    return claim


def owner_view(conn: Connection, app: App, claim: OwnerClaim) -> dict[str, Any]:
    """What a project owner sees: their case's status, current stage and what they already did."""
    row = (
        conn.execute(
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
        )
        .mappings()
        .first()
    )
    # The link stops working when the project changes hands.
    if row is None or row["owner_id"] != claim.person_id:
        raise NotFound("this link is not valid", hint="ask your support officer for a new one")
    person = directory.find_person(conn, claim.person_id)
    officer = directory.find_person(conn, row["officer_id"]) if row["officer_id"] else None
    spec = app.catalog.get(row["pathway_id"], row["pathway_version"])
    lang = person["language"] or row["org_language"]
    stage = spec.stage(row["stage"]) if row["stage"] else None
    done = conn.execute(
        select(AUDIT.c.kind, AUDIT.c.recorded_at, AUDIT.c.payload)
        .where(AUDIT.c.case_id == row["id"], AUDIT.c.kind.in_([f"owner_{a}" for a in OWNER_ACTIONS]))
        .order_by(AUDIT.c.id)
    ).all()
    return {
        "ref": row["ref"],
        "status": row["status"],
        "result_label": spec.ends[row["result"]].get(lang) if row["result"] else None,
        "project": row["project"],
        "organisation": row["organisation"],
        "timezone": row["timezone"],
        "pathway_title": spec.title.get(lang),
        "stage": row["stage"],
        "stage_title": stage.title.get(lang) if stage else None,
        "stage_description": stage.description.get(lang) if stage and stage.description else None,
        "expects_owner": bool(stage and any(r.to is Role.OWNER for r in stage.remind)),
        "due_at": row["due_at"],
        "officer": {"name": officer["name"], "email": officer["email"]} if officer else None,
        "owner": person["name"],
        "language": lang,
        "done": [
            {"action": kind.removeprefix("owner_"), "at": at, "stage": payload.get("stage")}
            for kind, at, payload in done
            if payload.get("entry") == row["current_entry_id"]
        ],
    }


def _owner_action_done(conn: Connection, case_id: int, action: str, entry_id: int | None) -> int | None:
    """The audit event of `action` already recorded for this stage entry of the case, if any."""
    events = conn.execute(
        select(AUDIT.c.id, AUDIT.c.payload)
        .where(AUDIT.c.case_id == case_id, AUDIT.c.kind == f"owner_{action}")
        .order_by(AUDIT.c.id)
    )
    return next((int(id_) for id_, payload in events if payload.get("entry") == entry_id), None)


def record_owner_action(app: App, claim: OwnerClaim, action: str) -> int:
    """Record that the owner confirmed a meeting or sent documents: an audit event on the case.

    Once per (case, stage entry, action): the same action posted again for the same stage
    entry (a reload, a double click, a replayed link) returns the event already recorded.
    """
    if action not in OWNER_ACTIONS:
        raise FieldError("action", f"{action!r} is not one of {', '.join(OWNER_ACTIONS)}")
    with write(app, actor_id=claim.person_id) as tx:
        case = tx.conn.execute(
            select(
                CASE.c.id,
                CASE.c.ref,
                CASE.c.status,
                CASE.c.stage,
                CASE.c.current_entry_id,
                CASE.c.organisation_id,
            )
            .add_columns(PROJECT.c.owner_id)
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .where(CASE.c.id == claim.case_id)
            # Two posts at once queue here (PostgreSQL; SQLite's writers already do), so the
            # second sees the first one's event below.
            .with_for_update(of=CASE)
        ).first()
        if case is None or case.owner_id != claim.person_id:
            raise NotFound("this link is not valid", hint="ask your support officer for a new one")
        if case.status != "open":
            raise Refused(f"case {case.ref} is closed")
        done = _owner_action_done(tx.conn, case.id, action, case.current_entry_id)
        if done is not None:
            return done
        return tx.audit(
            organisation_id=case.organisation_id,
            case_id=case.id,
            kind=f"owner_{action}",
            payload={
                "ref": case.ref,
                "stage": case.stage,
                "entry": case.current_entry_id,
                "person": claim.person_id,
            },
        )
