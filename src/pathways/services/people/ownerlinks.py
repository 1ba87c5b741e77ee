"""Project owners' links: a signed, expiring link to follow one's case without an account.

A project owner has no login. Their messages carry the link of :func:`current_link`, which
opens their case's page (:mod:`pathways.services.people.ownerpage`) and lets them answer
what their stage asks of them (:func:`record_owner_action`). A link stops working when it
expires, when the project changes hands, or when an officer renews the case's link
(:func:`renew_owner_link`): each renewal is an audit event of the case, and a link carries
the number of renewals it was made after, so every older one is refused.

Refusals: NotFound for a link that is damaged, forged, or not (or no longer) the owner's;
LinkExpired for one too old or replaced. :func:`dead_link` says which, for the page that
tells the owner how to get a new one, in their language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, func, select

from pathways.errors import FieldErrors, FieldProblem, LinkExpired, NotFound, Refused
from pathways.services.casework import attachments, scoped
from pathways.services.people import directory
from pathways.services.people.accounts import Principal
from pathways.services.tx import write
from pathways.store.core import AUDIT, CASE, ORG, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App


_LINK_SALT: Final = "pathways.owner-link"
RENEWED: Final = "owner_link_renewed"  # the audit event of a renewal
DEFAULT_DAYS: Final = 14
MAX_DAYS: Final = 90
MAX_FILES: Final = 10  # files one answer may carry
TOKEN: Final = re.compile(r"[A-Za-z0-9_.\-]{10,400}")  # what a token looks like; anything else is damaged
_INVALID_HINT: Final = "open the link of the latest message you received, whole"
_ASK_HINT: Final = "ask your support officer for a new one"


@dataclass(frozen=True, slots=True)
class OwnerClaim:
    """What a valid owner link grants: one person, one case, until `expires`, unless renewed since."""

    case_id: int
    person_id: int
    expires: datetime
    generation: int = 0  # the case's renewals when the link was made


@dataclass(frozen=True, slots=True)
class RenewedLink:
    """A case's new owner link: every earlier one no longer opens."""

    ref: str
    url: str
    expires: datetime
    owner_id: int
    owner: str
    generation: int


@dataclass(frozen=True, slots=True)
class DeadLink:
    """Why a link does not open, and what the page telling its holder so can say.

    `language`, `officer` and `officer_email` are known only for a link the server signed for the
    case's current owner (expired or replaced); nothing is said of any other.
    """

    reason: Literal["invalid", "expired", "replaced"]
    language: str | None = None
    officer: str | None = None
    officer_email: str | None = None


def _serializer(app: App) -> URLSafeSerializer:
    return URLSafeSerializer(app.settings.secret_key, salt=_LINK_SALT)


def owner_token(
    app: App, case_id: int, person_id: int, *, days: int = DEFAULT_DAYS, generation: int = 0
) -> str:
    """The signed token of an owner link (the part after /o/), made after `generation` renewals."""
    expires = app.clock.real() + timedelta(days=days)
    data = {"c": case_id, "p": person_id, "x": int(expires.timestamp())}
    return str(_serializer(app).dumps({**data, "g": generation} if generation else data))


def owner_link(
    app: App, case_id: int, person_id: int, *, days: int = DEFAULT_DAYS, generation: int = 0
) -> str:
    """A signed link, valid `days` days, to the page where a project owner follows their case."""
    token = owner_token(app, case_id, person_id, days=days, generation=generation)
    return f"{app.settings.base_url.rstrip('/')}/o/{token}"


def generation_of(conn: Connection, case_id: int) -> int:
    """How many times the case's owner link was renewed: links made before the last renewal are void."""
    count = conn.scalar(
        select(func.count()).select_from(AUDIT).where(AUDIT.c.case_id == case_id, AUDIT.c.kind == RENEWED)
    )
    return int(count or 0)


def current_link(
    conn: Connection, app: App, case_id: int, person_id: int, *, days: int = DEFAULT_DAYS
) -> str:
    """A link for the case's owner that opens until `days` from now or the next renewal (for messages)."""
    return owner_link(app, case_id, person_id, days=days, generation=generation_of(conn, case_id))


def _claim(app: App, token: str) -> OwnerClaim:
    """The claim a token states, signature checked, expiry not; NotFound when damaged or forged."""
    if not TOKEN.fullmatch(token):
        raise NotFound("this link is not valid", hint=_INVALID_HINT, code="link_invalid")
    try:
        data = _serializer(app).loads(token)
        generation = int(data.get("g", 0))
        claim = OwnerClaim(
            int(data["c"]), int(data["p"]), datetime.fromtimestamp(int(data["x"]), UTC), generation
        )
    except (BadSignature, AttributeError, KeyError, TypeError, ValueError, OverflowError, OSError):
        raise NotFound("this link is not valid", hint=_INVALID_HINT, code="link_invalid") from None
    if min(claim.case_id, claim.person_id) < 1 or max(claim.case_id, claim.person_id) > 2**31 - 1:
        raise NotFound("this link is not valid", hint=_INVALID_HINT, code="link_invalid")
    return claim


def read_owner_link(app: App, token: str) -> OwnerClaim:
    """The claim of an owner link; NotFound when forged or damaged, LinkExpired when too old.

    Whether it was replaced since is for :func:`check_current`, which reads the database.
    """
    claim = _claim(app, token)
    if claim.expires <= app.clock.real():
        raise LinkExpired("this link has expired", hint=_ASK_HINT, code="link_expired")
    return claim


def check_current(conn: Connection, claim: OwnerClaim) -> None:
    """LinkExpired if the case's link was renewed after this one was made."""
    now = generation_of(conn, claim.case_id)
    if claim.generation < now:
        raise LinkExpired(
            "this link was replaced by a newer one",
            hint="use the link of your latest message",
            code="link_replaced",
        )
    if claim.generation > now:  # signed by this server, yet ahead of the history: not a link it made
        raise NotFound("this link is not valid", hint=_INVALID_HINT, code="link_invalid")


def dead_link(conn: Connection, app: App, token: str) -> DeadLink:
    """Why `token` does not open a case page (for the page saying so in its holder's language)."""
    try:
        claim = _claim(app, token)
    except NotFound:
        return DeadLink("invalid")
    row = conn.execute(
        select(CASE.c.officer_id, PROJECT.c.owner_id, ORG.c.language)
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .join(ORG, ORG.c.id == CASE.c.organisation_id)
        .where(CASE.c.id == claim.case_id)
    ).first()
    if row is None or row.owner_id != claim.person_id:
        return DeadLink("invalid")  # nothing said about a case this person no longer leads
    now = generation_of(conn, claim.case_id)
    if claim.generation > now:
        return DeadLink("invalid")
    reason: Literal["expired", "replaced"] = "replaced" if claim.generation < now else "expired"
    if claim.expires > app.clock.real() and reason == "expired":
        return DeadLink("invalid")  # it opens: whatever failed, it was not its age
    owner = directory.find_person(conn, claim.person_id)
    officer = directory.find_person(conn, row.officer_id) if row.officer_id else None
    return DeadLink(
        reason,
        language=owner.language or row.language,
        officer=officer.name if officer else None,
        officer_email=officer.email if officer else None,
    )


def renew_owner_link(
    app: App, *, case: str | int, by: Principal | None, days: int = DEFAULT_DAYS, actor_id: int | None = None
) -> RenewedLink:
    """A new link for the case's project owner, valid `days` days; every earlier link stops opening.

    Recorded in the case's history (``owner_link_renewed``, who and when). `by`: the officer
    asking (None: the operator at the command line, recording it for `actor_id`).
    Refused when the project has no owner.
    """
    if not 1 <= days <= MAX_DAYS:
        raise FieldErrors(
            [
                FieldProblem(
                    "days", "days", f"a link lasts 1 to {MAX_DAYS} days, not {days}", params={"max": "90"}
                )
            ]
        )
    with write(app, actor_id=by.person_id if by is not None else actor_id) as tx:
        found = scoped.case_for(tx.conn, by, case, change=True)
        row = tx.conn.execute(
            select(CASE.c.id, CASE.c.ref, CASE.c.organisation_id, PROJECT.c.owner_id)
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .where(CASE.c.id == found.id)
            .with_for_update(of=CASE)  # two renewals at once: one after the other, each its own number
        ).one()
        if row.owner_id is None:
            raise Refused(
                f"the project of case {row.ref} has no owner, so no owner link",
                hint="set the project's owner first (project sheet, `pathways project update`)",
                code="project_no_owner",
                params={"ref": row.ref},
            )
        owner = directory.find_person(tx.conn, row.owner_id)
        generation = generation_of(tx.conn, row.id) + 1
        expires = app.clock.real() + timedelta(days=days)
        tx.audit(
            organisation_id=row.organisation_id,
            case_id=row.id,
            kind=RENEWED,
            payload={"ref": row.ref, "person": row.owner_id, "generation": generation, "days": days},
        )
    return RenewedLink(
        ref=row.ref,
        url=owner_link(app, row.id, row.owner_id, days=days, generation=generation),
        expires=expires,
        owner_id=row.owner_id,
        owner=owner.name,
        generation=generation,
    )


def _owner_action_done(conn: Connection, case_id: int, action: str, entry_id: int | None) -> int | None:
    """The audit event of `action` already recorded for this stage entry of the case, if any."""
    events = conn.execute(
        select(AUDIT.c.id, AUDIT.c.payload)
        .where(AUDIT.c.case_id == case_id, AUDIT.c.kind == f"owner_{action}")
        .order_by(AUDIT.c.id)
    )
    return next((int(id_) for id_, payload in events if payload.get("entry") == entry_id), None)


def _sent_before(conn: Connection, case_id: int, person_id: int) -> set[str]:
    """The SHA-256 of the files this person already attached to the case (and that are not erased)."""
    table = attachments.ATTACHMENT
    query = select(table.c.sha256).where(
        table.c.case_id == case_id, table.c.uploaded_by == person_id, table.c.erased_at.is_(None)
    )
    return set(conn.scalars(query))


def record_owner_action(
    app: App, claim: OwnerClaim, action: str, files: Sequence[attachments.FileUpload] = ()
) -> int:
    """Record the owner's answer to what the case's current stage asks (`action`, a key of its
    ``ask_owner``), with the files they attached if it takes an upload: one transaction.

    The answer is recorded once per (case, stage entry, action): posted again (a reload, a
    double click, a replayed link) it returns the event already recorded, yet stores any new
    files. NotFound for a link that is not the owner's, Refused for a closed case or an action the
    stage does not ask, LinkExpired for a replaced link, FieldErrors naming each file refused
    (nothing stored then). A file this person already attached to the case is not stored twice.
    """
    if len(files) > MAX_FILES:
        raise FieldErrors(
            [
                FieldProblem(
                    "files", "owner.error.too_many", f"at most {MAX_FILES} files", params={"max": "10"}
                )
            ]
        )
    checked = [
        attachments.check_file(f, limit=app.settings.max_attachment_bytes, field="files") for f in files
    ]
    refused = [c for c in checked if isinstance(c, FieldProblem)]
    if refused:
        raise FieldErrors(refused)
    with write(app, actor_id=claim.person_id) as tx:
        case = tx.conn.execute(
            select(
                CASE.c.id,
                CASE.c.ref,
                CASE.c.status,
                CASE.c.stage,
                CASE.c.current_entry_id,
                CASE.c.organisation_id,
                CASE.c.pathway_id,
                CASE.c.pathway_version,
            )
            .add_columns(PROJECT.c.owner_id)
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .where(CASE.c.id == claim.case_id)
            # Two posts at once queue here (PostgreSQL; SQLite's writers already do), so the
            # second sees the first one's event below.
            .with_for_update(of=CASE)
        ).first()
        if case is None or case.owner_id != claim.person_id:
            raise NotFound("this link is not valid", hint=_ASK_HINT, code="link_invalid_ask")
        check_current(tx.conn, claim)
        if case.status != "open" or case.stage is None:
            raise Refused(f"case {case.ref} is closed", code="case_is_closed", params={"ref": case.ref})
        asks = app.catalog.owner_asks(case.pathway_id, case.pathway_version, case.stage)
        ask = asks.get(action)
        if ask is None:
            raise Refused(
                f"stage '{case.stage}' of case {case.ref} does not ask '{action}'",
                hint=f"it asks: {', '.join(asks) or 'nothing'}",
                code="stage_does_not_ask",
                params={
                    "stage": case.stage,
                    "ref": case.ref,
                    "action": action,
                    "asks": ", ".join(asks) or "—",
                },
            )
        if checked and not ask.upload:
            raise Refused(
                f"'{action}' takes no documents",
                hint="send them to your support officer",
                code="takes_no_documents",
                params={"action": action},
            )
        stored = []
        already = _sent_before(tx.conn, case.id, claim.person_id)
        for file in checked:
            assert not isinstance(file, FieldProblem)
            if file.sha256 in already:  # the same file again (a double click, a reload): kept once
                continue
            already.add(file.sha256)
            added = attachments.store(
                tx, case_id=case.id, ref=case.ref, file=file, by=claim.person_id, note_id=None
            )
            tx.audit(
                organisation_id=case.organisation_id,
                case_id=case.id,
                kind="attachment_added",
                payload=attachments.audit_payload(added) | {"answer": action, "entry": case.current_entry_id},
            )
            stored.append(added.id)
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
                "action": action,
                **({"attachments": stored} if stored else {}),
            },
        )
