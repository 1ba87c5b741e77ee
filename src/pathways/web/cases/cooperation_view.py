"""What the web shows of a cooperation case: the case page's "Members" and "Shared with" sections,
and the partner organisation's view of a case shared with it (names and roles only).

The routes that change members and shares are in :mod:`pathways.web.cases.cooperation`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from pathways.bootstrap import App
from pathways.errors import FieldError, NotFound, PathwaysError
from pathways.services.casework.views import CaseView
from pathways.services.collaboration import cooperation, shared_view, sharing
from pathways.services.people import among
from pathways.services.people.accounts import Permission, Principal
from pathways.web.i18n import texts
from pathways.web.render import page

__all__ = ["cooperation_context", "partner_page", "problem_text"]

_PROJECTS_SHOWN = 500
COOPERATION = "cooperation"  # the pathway whose case page always shows its members and shares


def problem_text(exc: PathwaysError, lang: str) -> str:
    """Why a change of members or shares was refused, in the user's language."""
    t = texts(lang)
    code = exc.code if isinstance(exc, FieldError) else ""
    params = dict(exc.params) if isinstance(exc, FieldError) else {}
    said = {
        "coop.no_project": t(
            "No project “%(project)s” among those you may add.", project=params.get("project", "")
        ),
        "coop.carrier": t("This project carries the case already."),
        "coop.already": t("%(project)s is already a member.", project=params.get("project", "")),
        "coop.not_member": t("%(project)s is not a member.", project=params.get("project", "")),
        "coop.role": t("Choose the member's role: lead or member."),
        "coop.no_partner": t("No organisation “%(org)s”.", org=params.get("org", "")),
        "coop.same_org": t("A case is not shared with its own organisation."),
        "coop.already_shared": t("The case is already offered to or shared with this organisation."),
        "coop.which_org": t("Name the organisation: there are several."),
        "coop.no_share": t("The case is not offered to or shared with this organisation."),
    }.get(code)
    return said or t("This change cannot be made now: the case is closed, or it was made already.")


def _own_projects(conn: Connection, org_id: int, members: list[cooperation.Member]) -> list[dict[str, Any]]:
    taken = {m.project_id for m in members if m.active}
    shown = among.project_names(conn, org_id, limit=_PROJECTS_SHOWN)
    return [{"id": i, "name": n} for i, n in shown if i not in taken]


def cooperation_context(
    conn: Connection, user: Principal, case: CaseView, *, problem: str | None = None
) -> dict[str, Any]:
    """What the case page's "Members" and "Shared with" sections show and offer."""
    members = cooperation.members_of(conn, case)
    org_id = case.organisation_id
    open_ = case.status == "open"
    consent = any(r in sharing.CONSENTING for r in user.roles.get(org_id, frozenset()))
    shares = sharing.shares_of(conn, case.id)
    return {
        # A cooperation case always; another pathway's case once it has members or shares (the
        # CLI and the API add them to any case).
        "shown": case.pathway_id == COOPERATION or len(members) > 1 or bool(shares),
        "members": members,
        "shares": shares,
        "can_change": open_ and user.can(Permission.WRITE, org_id),
        "can_consent": consent,
        "can_offer": consent and open_,
        "projects": _own_projects(conn, org_id, members)
        if open_ and user.can(Permission.WRITE, org_id)
        else [],
        "problem": problem,
    }


def partner_page(
    request: Request,
    app: App,
    user: Principal,
    ref: str,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The partner's view of a shared case; the 404 of an unknown case when it is not shared with them."""
    with app.store.read() as conn:
        case, partner = sharing.readable_case(conn, user, ref)
        if not partner:
            raise NotFound(f"no case '{ref}'")  # never reached: the caller reads its own cases otherwise
        view = shared_view.shared_case(conn, app.catalog, case, lang=user.language)
        mine = frozenset(o for o, held in user.roles.items() if held & sharing.CONSENTING)
        shared_orgs = sharing.partner_orgs(conn, case.id)
        writable = shared_orgs & user.orgs(Permission.WRITE)
        projects = [p for o in sorted(writable) for p in _own_projects(conn, o, list(view.members))]
        context = {
            "view": view,
            "projects": projects if case.status == "open" else [],
            "removable": [
                m for m in view.members if m.active and not m.carrier and m.organisation_id in writable
            ],
            "can_withdraw": bool(shared_orgs & mine),
            "problem": problem,
            "done": request.query_params.get("coop"),
        }
    return page(request, "shared_case.html", context, status_code=status_code, user=user)
