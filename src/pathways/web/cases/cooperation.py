"""A cooperation case on the web: its members and shares on the case page, the partner's view, offers.

On the case page (its organisation's readers), "Members" lists the projects the case concerns
with their roles and history, and "Shared with" each partner organisation and where both
consents stand, with the forms to add or remove a member and to offer or withdraw a share.
A partner organisation's officers and managers, once both consents stand, get the partner's
view of the case instead (``shared_case.html``: names and roles only, their own projects to add
or remove); before that, and after a withdrawal, the 404 of an unknown case. ``/cooperation``
lists the cases offered to or shared with the user's organisations, with the consent to give.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.errors import FieldError, Forbidden, PathwaysError, Refused
from pathways.services.collaboration import cooperation, sharing
from pathways.services.people.accounts import Permission, Principal
from pathways.web.api import cooperation as api_cooperation
from pathways.web.cases import casepage
from pathways.web.cases.cooperation_view import partner_page, problem_text
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.render import page

__all__ = ["router", "routes"]

router = APIRouter(include_in_schema=False)
CaseRef = casepage.CaseRef


def _form(request: Request, name: str) -> str:
    return str(request.state.form.get(name) or "").strip()[:200]


def _back(ref: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{ref}?coop={done}#cooperation", status_code=303)


def _refused(request: Request, app: AppDep, user: PageUser, ref: str, exc: PathwaysError) -> Response:
    """The page the form came from, saying why (422 for a field, 409 for the case's state)."""
    said = problem_text(exc, user.language)
    code = 409 if isinstance(exc, Refused) else 422
    with app.store.read() as conn:
        _case, partner = sharing.readable_case(conn, user, ref)
    if partner:
        return partner_page(request, app, user, ref, problem=said, status_code=code)
    return casepage._case_page(request, app, user, ref, status_code=code, cooperation_problem=said)


@router.post("/cases/{ref}/members", dependencies=[Csrf])
def add_member(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """Add a project to the case with a role; back to the page."""
    command = cooperation.AddMember(ref, _form(request, "project"), _form(request, "role") or "member")
    try:
        added = cooperation.add_member(app, command, by=user)
    except Forbidden:
        raise
    except (FieldError, Refused) as exc:
        return _refused(request, app, user, ref, exc)
    return _back(added.ref, "member_added")


@router.post("/cases/{ref}/members/remove", dependencies=[Csrf])
def remove_member(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """Take a project out of the case (its stay is kept); back to the page."""
    command = cooperation.RemoveMember(ref, _form(request, "project"))
    try:
        removed = cooperation.remove_member(app, command, by=user)
    except Forbidden:
        raise
    except (FieldError, Refused) as exc:
        return _refused(request, app, user, ref, exc)
    return _back(removed.ref, "member_removed")


@router.post("/cases/{ref}/shares", dependencies=[Csrf])
def offer(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """The case's organisation consents to share the case with a partner organisation."""
    try:
        share = sharing.offer_share(app, sharing.OfferShare(ref, _form(request, "partner")), by=user)
    except Forbidden:
        raise
    except (FieldError, Refused) as exc:
        return _refused(request, app, user, ref, exc)
    return _back(share.ref, "offered")


@router.post("/cases/{ref}/shares/withdraw", dependencies=[Csrf])
def withdraw(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """Either organisation withdraws the share; the partner's view goes with it."""
    partner = _form(request, "partner") or None
    try:
        share = sharing.withdraw_share(app, sharing.WithdrawShare(ref, partner), by=user)
    except Forbidden:
        raise
    except (FieldError, Refused) as exc:
        return _refused(request, app, user, ref, exc)
    if not user.can(Permission.READ, share.owner_id):  # the partner: the case is no longer theirs to see
        return RedirectResponse("/cooperation?done=withdrawn", status_code=303)
    return _back(share.ref, "withdrawn")


@router.post("/cases/{ref}/shares/accept", dependencies=[Csrf])
def accept(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """The partner organisation consents: its officers and managers then read the case."""
    try:
        share = sharing.accept_share(app, sharing.AcceptShare(ref, _form(request, "org") or None), by=user)
    except Forbidden:
        raise
    except (FieldError, Refused) as exc:
        said = problem_text(exc, user.language)
        return offers_page(request, app, user, problem=said, status_code=409)
    return _back(share.ref, "accepted")


@router.get("/cooperation")
def cooperation_page(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The cases other organisations offer to or share with the user's organisations."""
    return offers_page(request, app, user)


def offers_page(
    request: Request, app: AppDep, user: Principal, *, problem: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The offers and shares of the user's organisations (where the user is an officer or manager)."""
    staff = frozenset(o for o, held in user.roles.items() if held & (sharing.CONSENTING | {"officer"}))
    consenting = frozenset(o for o, held in user.roles.items() if held & sharing.CONSENTING)
    with app.store.read() as conn:
        offers = sharing.offers_for(conn, staff)
    rows = [{"share": s, "may_accept": s.partner_id in consenting} for s in offers]
    context = {"rows": rows, "problem": problem, "done": request.query_params.get("done")}
    return page(request, "cooperation.html", context, status_code=status_code, user=user)


# The pages' routes and the API's, for the application to include at once.
routes = APIRouter()
routes.include_router(router)
routes.include_router(api_cooperation.router)
