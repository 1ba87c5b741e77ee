"""The project owner's page, reached by a signed, expiring link: no account needed.

``/o/{token}`` shows what the case's current stage asks of the owner (its ``ask_owner``, from
the pathway file), in the owner's language or the one ``?lang=`` asks for; each ask is a
button, with an upload when it takes documents. A link that does not open (damaged, expired,
replaced by a newer one) gets a page saying so in its holder's language, and how to get a new
one. Officers renew a case's link from the case page (``POST /cases/{ref}/owner-link``): the
old one stops opening.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.bootstrap import App
from pathways.domain.spec import LANGS
from pathways.errors import FieldErrors, FieldProblem, Forbidden, LinkExpired, NotFound, Refused
from pathways.services.casework.attachments import FileUpload
from pathways.services.casework.filetype import ACCEPTED_EXTENSIONS
from pathways.services.people import ownerlinks, ownerpage
from pathways.web.cases.casework_view import problem_text
from pathways.web.deps import AppDep, Csrf, CsrfRefused, PageUser, SessionDep
from pathways.web.i18n import pick_language
from pathways.web.render import page
from pathways.web.session import CSRF_FIELD
from pathways.web.upload import Upload, read_upload

router = APIRouter(include_in_schema=False)
# Any text may come after /o/: whatever does not look like a token gets the "not valid" page.
Token = Annotated[str, Path()]
CaseRef = Annotated[str, Path(pattern=r"^([0-9]{1,9}|[A-Za-z]{2,6}-[0-9]{4}-[0-9]{1,6})$")]
ACTION: Final = re.compile(r"[a-z][a-z0-9_]{0,33}")
# The owner's answers may carry a file: pathways.web.limits.BodyLimit lets these send the file's limit.
UPLOAD_PATHS: Final = re.compile(r"^/o/[A-Za-z0-9_.\-]{10,400}/[a-z][a-z0-9_]{0,33}$")
NO_REFERRER: Final = {"Referrer-Policy": "no-referrer"}  # the link is the owner's key: never pass it on


def _lang(request: Request) -> str | None:
    """The language the page asks for (``?lang=``, or the form's ``lang``), if it is one of ours."""
    wanted = request.query_params.get("lang")
    form = getattr(request.state, "form", None)
    if wanted is None and form is not None:
        wanted = str(form.get("lang") or "")
    return wanted if wanted in LANGS else None


def _owner_page(
    request: Request,
    app: App,
    token: str,
    *,
    done: str | None = None,
    problem: str | None = None,
    refused_files: tuple[FieldProblem, ...] = (),
    refused_action: str | None = None,
    status_code: int = 200,
) -> Response:
    wanted = _lang(request)
    try:
        claim = ownerlinks.read_owner_link(app, token)
        with app.store.read() as conn:
            view = ownerpage.owner_view(conn, app, claim, lang=wanted)
    except (NotFound, LinkExpired):
        return _dead_link(request, app, token)
    answered = next((a for a in view.asks if a.action == done), None)
    file_errors = tuple(problem_text(p, view.language) for p in refused_files)
    context = {
        "view": view,
        "token": token,
        "chosen": wanted,
        "answered": answered,
        "problem": problem,
        "file_errors": file_errors,
        "refused_action": refused_action,
        "accepted": ", ".join(f".{e}" for e in ACCEPTED_EXTENSIONS),
        "max_mb": f"{app.settings.max_attachment_bytes / (1024 * 1024):.0f}",
        "switch": {code: _here(request, code) for code in LANGS},
    }
    response = page(request, "owner.html", context, lang=view.language, status_code=status_code)
    response.headers.update(NO_REFERRER)
    return response


def _here(request: Request, lang: str) -> str:
    """This page in another language (the query keeps only what the page reads)."""
    return f"{request.url.path}?{urlencode({'lang': lang})}"


def _dead_link(request: Request, app: App, token: str) -> Response:
    """The page of a link that does not open: why, and how to get a new one, in its holder's language."""
    with app.store.read() as conn:
        dead = ownerlinks.dead_link(conn, app, token)
    lang = _lang(request) or dead.language or pick_language(None, request.headers.get("accept-language"))
    code = 404 if dead.reason == "invalid" else 410
    context: dict[str, Any] = {"dead": dead, "code": code, "switch": {c: _here(request, c) for c in LANGS}}
    response = page(request, "owner_link_dead.html", context, lang=lang, status_code=code)
    response.headers.update(NO_REFERRER)
    return response


@router.get("/o/{token}")
def owner_page(request: Request, app: AppDep, token: Token) -> Response:
    """Where the owner's case stands and what its stage asks of them."""
    done = request.query_params.get("done")
    return _owner_page(request, app, token, done=done if done and ACTION.fullmatch(done) else None)


async def owner_form(request: Request, app: AppDep, session: SessionDep) -> AsyncIterator[Upload]:
    """An owner's answer: a plain form, or one with a file read as it arrives (:mod:`.upload`);
    its CSRF token checked first either way (before any byte of a file is kept)."""

    def csrf_first(upload: Upload) -> None:
        if not session.csrf_ok(upload.fields.get(CSRF_FIELD)):
            raise CsrfRefused

    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        upload = await read_upload(request, limit=app.settings.max_attachment_bytes, on_file=csrf_first)
    else:
        form = await request.form()
        upload = Upload(fields={k: v for k, v in form.items() if isinstance(v, str)})
    request.state.form = upload.fields
    try:
        csrf_first(upload)
        yield upload
    finally:
        upload.close()


OwnerForm = Annotated[Upload, Depends(owner_form)]


@router.post("/o/{token}/{action}")
def owner_action(
    request: Request, app: AppDep, token: Token, action: Annotated[str, Path()], form: OwnerForm
) -> Response:
    """The owner's answer to one of the stage's asks, with a document if it takes one (case history)."""
    files = [FileUpload(form.file.name, form.file.stream)] if form.file is not None else []
    lang = _lang(request)
    try:
        if not ACTION.fullmatch(action):
            raise Refused(f"no answer '{action[:40]}' here")
        claim = ownerlinks.read_owner_link(app, token)
        ownerlinks.record_owner_action(app, claim, action, files)
    except (NotFound, LinkExpired):
        return _dead_link(request, app, token)
    except FieldErrors as exc:
        return _owner_page(
            request, app, token, refused_files=exc.problems, refused_action=action, status_code=422
        )
    except Refused:
        return _owner_page(request, app, token, problem="not_asked", status_code=409)
    query = {"done": action, **({"lang": lang} if lang else {})}
    return RedirectResponse(f"/o/{token}?{urlencode(query)}", status_code=303)


@router.get("/o/{mangled:path}")
@router.post("/o/{mangled:path}")
def mangled_link(request: Request, app: AppDep, mangled: str) -> Response:
    """Whatever else comes after /o/ (a link cut or joined by a mail program, an encoded slash):
    the page of a link that does not open, not a bare error. A token followed by more (a slash a
    mail program added, an answer's address opened) leads to the token's page."""
    first, _, _rest = mangled.partition("/")
    if request.method == "GET" and ownerlinks.TOKEN.fullmatch(first):
        return RedirectResponse(f"/o/{first}", status_code=303)
    return _dead_link(request, app, mangled)


@router.post("/cases/{ref}/owner-link", dependencies=[Csrf])
def renew_link(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> HTMLResponse:
    """A new link for the project owner (shown once, to copy into a message): the old one stops opening."""
    try:
        renewed = ownerlinks.renew_owner_link(app, case=ref, by=user)
    except Forbidden:
        raise
    except Refused:  # the project has no owner
        return page(request, "owner_link.html", {"no_owner": ref}, user=user, status_code=409)
    response = page(request, "owner_link.html", {"renewed": renewed}, user=user)
    response.headers["Cache-Control"] = "no-store"  # the link is a key to the case: kept by no cache
    return response
