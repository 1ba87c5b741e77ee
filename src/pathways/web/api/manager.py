"""REST API for managers, admins and auditors: the audit log a page at a time, failed messages.

``GET /api/v1/audit`` reads one organisation's chain, newest first, at most 100 events a
request, with the audit page's filters; the next page's address is in the ``Link`` header
(``rel="next"``), cut on the chain's seq (``before``). ``POST /api/v1/messages/{id}/retry``
queues a failed message again, with ``{"address": ...}`` fixing the recipient's address first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from pathways.errors import FieldError
from pathways.services.audit.search import verify_chains
from pathways.services.messaging.managed import failed_messages, retry
from pathways.web.api.routes import ERRORS
from pathways.web.api.schemas import AuditEventPublic, ChainReport, FailedMessage, MessageRetried
from pathways.web.deps import ApiUser, AppDep
from pathways.web.i18n import texts
from pathways.web.manager.auditpage import AuditFilters, search
from pathways.web.manager.failed import MessageFix, retry_command
from pathways.web.visible import absent

router = APIRouter(prefix="/api/v1", responses=ERRORS)
CasePattern = r"^([0-9]{1,9}|[A-Za-z]{2,6}-[0-9]{4}-[0-9]{1,6})$"
Day = Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="YYYY-MM-DD")]


class MessageRetriedPublic(MessageRetried):
    """A message put back in the queue, and the recipient's address if it was fixed."""

    person_id: int | None = None
    address_changed: bool = False
    channel: str | None = None


@router.get("/audit", tags=["audit"])
def audit(
    app: AppDep,
    user: ApiUser,
    response: Response,
    org: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="default: your first organisation")
    ] = None,
    case: Annotated[str | None, Query(pattern=CasePattern)] = None,
    person: Annotated[str | None, Query(max_length=200, description="id, handle, e-mail or name")] = None,
    kind: Annotated[str | None, Query(pattern=r"^[a-z][a-z_]{0,39}$")] = None,
    since: Day = None,
    until: Day = None,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="events before this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[AuditEventPublic]:
    """One organisation's audit events, newest first; filtered as the audit page; next page in `Link`."""
    filters = AuditFilters(org, case or "", person or "", kind or "", since or "", until or "", before, limit)
    resolved, found = search(app, user, filters, texts("en"))
    if resolved.errors or found is None:
        # A case or person the caller cannot see is not found, as anywhere in the API.
        if "case" in resolved.errors:
            raise absent("case", filters.case)
        if "person" in resolved.errors:
            raise absent("person", filters.person)
        name, message = next(iter(resolved.errors.items()))
        raise FieldError(name, message)
    org_id = resolved.org.id
    if found.next_before is not None:
        following = filters.link(org=org_id, before=found.next_before)
        response.headers["Link"] = f'</api/v1/audit?{following}>; rel="next"'
    entries = found.entries
    return [
        AuditEventPublic(
            organisation_id=org_id,
            organisation=resolved.org.slug,
            seq=e.seq,
            case_id=e.case_id,
            case=e.case,
            actor_id=e.actor_id,
            actor=e.actor or "system",
            kind=e.kind,
            effective_at=e.effective_at,
            recorded_at=e.recorded_at,
            payload=dict(e.payload),
        )
        for e in entries
    ]


@router.get("/audit/verify", tags=["audit"])
def verify(
    app: AppDep, user: ApiUser, org: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> list[ChainReport]:
    """Verify the audit chain of each organisation where you may read the audit (or of one)."""
    return [ChainReport.model_validate(c, from_attributes=True) for c in verify_chains(app, user, org)]


@router.get("/messages/failed", tags=["messages"])
def failed(
    app: AppDep,
    user: ApiUser,
    org: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[FailedMessage]:
    """Failing and dead-lettered messages of the organisations you manage, most recently failed first."""
    return [
        FailedMessage.model_validate(r, from_attributes=True)
        for r in failed_messages(app, user, org=org, limit=limit)
    ]


@router.post("/messages/{message_id}/retry", tags=["messages"])
def retry_message(
    app: AppDep,
    user: ApiUser,
    message_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: MessageFix | None = None,
) -> MessageRetriedPublic:
    """Put a failed or dead-lettered message back in the queue (as `pathways messages retry ID`).

    With `address`, the recipient's channel that failed is replaced by it first (checked as
    any channel: no internal host unless the operator allows it), in the same transaction.
    """
    return MessageRetriedPublic.model_validate(
        retry(app, user, retry_command(message_id, body)), from_attributes=True
    )
