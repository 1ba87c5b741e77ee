"""The project owner's page, reached by a signed, expiring link: no account needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.services.people import ownerlinks
from pathways.web.deps import AppDep, Csrf
from pathways.web.render import page

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{10,400}$")]


@router.get("/o/{token}")
def owner_page(request: Request, app: AppDep, token: Token) -> HTMLResponse:
    """Where the owner's case stands and what is expected of them."""
    claim = ownerlinks.read_owner_link(app, token)
    with app.store.read() as conn:
        view = ownerlinks.owner_view(conn, app, claim)
    done = request.query_params.get("done")
    context = {"view": view, "token": token, "done": done if done in ownerlinks.OWNER_ACTIONS else None}
    response = page(request, "owner.html", context, lang=view["language"])
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the owner's key: never pass it on
    return response


@router.post("/o/{token}/{action}", dependencies=[Csrf])
def owner_action(
    app: AppDep, token: Token, action: Annotated[str, Path(pattern=r"^(meeting_confirmed|documents_sent)$")]
) -> Response:
    """Confirm the meeting or say the documents were sent: recorded in the case's audit."""
    claim = ownerlinks.read_owner_link(app, token)
    ownerlinks.record_owner_action(app, claim, action)
    return RedirectResponse(f"/o/{token}?done={action}", status_code=303)
