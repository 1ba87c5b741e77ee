"""Failed messages for managers: each with its recipient's address, to fix and send again in one form.

``POST /messages/{id}/retry`` (page, CSRF) and ``POST /api/v1/messages/{id}/retry`` (API) take
an optional address: when it differs from the recipient's channel that failed, it replaces
that channel (checked as any channel is: :mod:`pathways.notify.destination`), and the
message is queued again, in one transaction (:mod:`pathways.services.messaging.readdress`).
A message of an organisation the account has no role in does not exist for it (404): the use
cases decide (:mod:`pathways.services.messaging.managed`), these routes parse and show.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from pathways.bootstrap import App
from pathways.errors import FieldError
from pathways.services.casework import reads
from pathways.services.messaging import readdress
from pathways.services.messaging.managed import RetryMessage, failed_messages, retry
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import orgs_allowing
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.i18n import texts
from pathways.web.render import page

router = APIRouter(include_in_schema=False)
# How pathways.notify.destination says a channel reaches an internal address.
_INTERNAL = re.compile(r" reaches (\S+?)(?: \([^)]*\))?, an? [a-z-]+ address")
JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]
OrgChoice = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


class MessageFix(BaseModel):
    """The recipient's right address (an e-mail address or an Apprise URL), to use from now on."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=readdress.ADDRESS_MAX, examples=["samir@example.org"])
    replaces: str | None = Field(
        default=None,
        max_length=80,
        description="the channel it replaces (its id, as delivery attempts name it); "
        "needed only when the recipient has several channels",
    )


def retry_command(job_id: int, fix: MessageFix | None) -> RetryMessage:
    """The use case's command for what the page or the API asked."""
    return RetryMessage(job_id) if fix is None else RetryMessage(job_id, fix.address, fix.replaces)


def _page(
    request: Request,
    app: App,
    user: Principal,
    *,
    org: int | None = None,
    notice: dict[str, Any] | None = None,
    problem: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = failed_messages(app, user, org=org)
    with app.store.read() as conn:
        names = {o.id: o.name for o in reads.organisations(conn, orgs_allowing(user, Permission.MANAGE))}
        found = readdress.recipients(conn, [r.id for r in rows])
    fixes = {
        job: {"person": r.name, "address": readdress.shown(r.channel), "replaces": r.channel_id or ""}
        for job, r in found.items()
    }
    context = {"rows": rows, "orgs": names, "fixes": fixes, "notice": notice, "problem": problem}
    return page(request, "failed.html", context, user=user, status_code=status_code)


@router.get("/messages/failed")
def failed(
    request: Request,
    app: AppDep,
    user: PageUser,
    org: OrgChoice = None,
    retried: OrgChoice = None,
    fixed: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """Failed and dead-lettered messages of my organisations, each with its address and a retry button."""
    notice = {"id": retried, "fixed": fixed} if retried else None
    return _page(request, app, user, org=org, notice=notice)


@router.post("/messages/{job_id}/retry", dependencies=[Csrf])
def retry_page(request: Request, app: AppDep, user: PageUser, job_id: JobId) -> Response:
    """Fix the address if it was changed, put the message back in the queue, then back to the list."""
    form = request.state.form
    address = str(form.get("address") or "").strip()
    replaces = str(form.get("replaces") or "").strip()[:80] or None
    try:
        fix = MessageFix(address=address[: readdress.ADDRESS_MAX], replaces=replaces) if address else None
        done = retry(app, user, retry_command(job_id, fix))
    except FieldError as exc:
        problem = {"id": job_id, "address": address, "message": _address_problem(user.language, exc)}
        return _page(request, app, user, problem=problem, status_code=422)
    changed = "&fixed=1" if done.address_changed else ""
    return RedirectResponse(f"/messages/failed?retried={job_id}{changed}", status_code=303)


def _address_problem(lang: str, error: FieldError) -> str:
    """Why the address was refused, in the reader's language (the technical reason kept, in English)."""
    t = texts(lang)
    known = {
        "empty": t("Give the recipient's address."),
        "too_long": t("This address is too long."),
        "not_address": t(
            "This is neither an e-mail address nor the address of a known channel (mailto://…)."
        ),
        "gone": t("The recipient's addresses changed meanwhile: reload the page."),
        "which": t("The recipient has several addresses: reload the page and fix the one that failed."),
    }
    if error.code in known:
        return known[error.code]
    inside = _INTERNAL.search(error.reason)
    if inside:
        return t(
            "This address leads to a server inside the network (%(host)s): it is refused. "
            "Give the recipient's own address.",
            host=inside.group(1),
        )
    return t("This address is refused: %(reason)s", reason=error.reason.removeprefix("refused: "))
