"""The case page's "Close the case": through an exit of the pathway, at any stage, with a reason.

The form is part of the case page (templates/_close.html); ``POST /cases/{ref}/close`` closes
the case and returns to it, or shows the form again on a page of its own with what was wrong,
in the reader's language (templates/close_case.html): no exit chosen, no reason, a case already
closed, or one that changed since the page was shown.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.domain.exits import MAX_REASON
from pathways.errors import Conflict, FieldError, InvalidInput, TransitionNotAllowed
from pathways.services.casework import closing, queries
from pathways.services.people.accounts import Principal
from pathways.web import forms
from pathways.web.cases.casepage import CaseRef
from pathways.web.cases.conflictview import meanwhile_lines
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.i18n import texts
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)


@router.post("/cases/{ref}/close", dependencies=[Csrf])
def close(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """Close the case; the form again, on a page of its own, when that is refused."""
    form = request.state.form
    result = str(form.get("result") or "")[:64]
    reason = str(form.get("reason") or "")[: MAX_REASON + 1]  # one more: "too long" is said, not cut
    t = texts(user.language)
    try:
        command = closing.CloseCase(ref, result, reason, expected_version=forms.version_shown(form))
        closed = closing.close(app, command, by=user)
    except FieldError as exc:
        if exc.field == "reason":
            message = (
                t("The reason is too long: %(max)s characters at most.", max=MAX_REASON)
                if reason.strip()
                else t("Say why the case closes: the reason is kept in the history.")
            )
        elif exc.field == "result":
            message = t("Choose how the case ends.")
        else:
            message = t("This form is out of date: reload the case and close it again.")
        field = exc.field if exc.field in ("reason", "result") else None
        return _again(request, app, user, ref, result, reason, message, field, 422)
    except TransitionNotAllowed:
        message = t("This case is already closed: it cannot be closed again.")
        return _again(request, app, user, ref, result, reason, message, None, 409)
    except Conflict as exc:
        message = t(
            "This case changed since the page was shown, so it was not closed. "
            "Check it, then close it again if that still stands."
        )
        return _again(request, app, user, ref, result, reason, message, None, 409, exc)
    except InvalidInput as exc:
        return _again(request, app, user, ref, result, reason, exc.message, None, 422)
    return RedirectResponse(f"/cases/{closed.ref}?decided=1", status_code=303)


def _again(
    request: Request,
    app: AppDep,
    user: Principal,
    ref: str,
    result: str,
    reason: str,
    message: str,
    field: str | None,
    status_code: int,
    conflict: Conflict | None = None,
) -> HTMLResponse:
    """The closing form again, the problem above and beside its field, what was typed kept; for a
    form shown before the case changed, each change since."""
    with app.store.read() as conn:
        scope = Scope(user, conn)
        case = scope.case(ref)
        info = queries.show_case(conn, app.catalog, case.id, lang=user.language)
        zone = str(scope.org(case.organisation_id).timezone)
    pathway = (info.pathway, info.pathway_version)
    context = {
        "case": info,
        "result": result,
        "reason": reason,
        "message": message,
        "field": field,
        "meanwhile": meanwhile_lines(app.catalog, pathway, conflict, user.language, zone),
    }
    return page(request, "close_case.html", context, status_code=status_code, user=user)
