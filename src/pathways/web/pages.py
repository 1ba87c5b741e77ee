"""Officers' pages: login, my cases, due this week, open a case, add a project or a person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.domain import fields
from pathways.domain.spec import LANGS, Phase
from pathways.errors import (
    FieldError,
    FieldErrors,
    InvalidInput,
    PathwaysError,
    TooManyAttempts,
    Unauthenticated,
)
from pathways.services.casework import opening, reads
from pathways.services.people import adding, edit_checks, logins, signin, websessions
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.views import OrgView
from pathways.web import export
from pathways.web.cases import caselist, duelist
from pathways.web.deps import AppDep, Csrf, PageUser, SessionDep
from pathways.web.directory.directory_forms import beside_of, said_of
from pathways.web.i18n import texts
from pathways.web.problems import hint_in, said_in
from pathways.web.render import language_of, page, secure_cookies
from pathways.web.scope import STAFF_FOR_CASES, Scope
from pathways.web.session import Session, clear_session, write_session

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A local path to go back to (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/cases"


def as_id(text: str) -> int | None:
    """An id typed or chosen in a form, when it is one."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def client_of(request: Request) -> str:
    """The client's address, for the login rate limit: the peer, unless it is a trusted proxy."""
    return signin.client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        request.app.state.pathways.settings.trusted_proxies,
    )


@router.get("/")
def home() -> RedirectResponse:
    """The officer's start page is their case list."""
    return RedirectResponse("/cases", status_code=303)


@router.get("/login")
def login_form(request: Request, next_: Annotated[str | None, Query(alias="next")] = None) -> HTMLResponse:
    """The login page."""
    return page(request, "login.html", {"next": safe_next(next_), "error": None, "login": ""})


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request,
    app: AppDep,
    login_name: Annotated[str, Form(alias="login", max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    next_: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    """Check the password; a new server-side session (and CSRF token) on success."""
    context: dict[str, Any] = {"next": safe_next(next_), "login": login_name}
    _ = texts(language_of(request, None))
    try:
        signed_in = signin.login(app, login_name=login_name, password=password, client=client_of(request))
    except Unauthenticated:
        context |= {"error": _("Wrong login or password.")}
        return page(request, "login.html", context, status_code=401)
    except TooManyAttempts as exc:
        minutes = -(-exc.retry_after // 60)
        if exc.per_address:
            error = _(
                "Too many failed logins from your network: try again in %(minutes)s min.", minutes=minutes
            )
        else:
            error = _(
                "Too many failed attempts for this account: try again in %(minutes)s min.", minutes=minutes
            )
        context |= {"error": error}
        refused = page(request, "login.html", context, status_code=429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    response = RedirectResponse(safe_next(next_), status_code=303)
    session = Session.logged_in(signed_in.session_id)
    write_session(response, session, secret=app.settings.secret_key, secure=secure_cookies(app))
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(app: AppDep, session: SessionDep) -> Response:
    """End the session on the server, then in the browser."""
    if session.session_id is not None:
        websessions.end_session(app, session.session_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response, secure=secure_cookies(app))
    return response


@router.post("/language", dependencies=[Csrf])
def language(
    app: AppDep,
    user: PageUser,
    lang: Annotated[str, Form(max_length=2)],
    next_: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    """Change the language of the account's pages."""
    logins.set_language(app, logins.SetLanguage(lang), by=user)
    return RedirectResponse(safe_next(next_), status_code=303)


@router.get("/cases")
def my_cases(request: Request, app: AppDep, user: PageUser) -> Response:
    """My cases, every case of my organisations, or what a search finds (see web/cases/caselist.py)."""
    return caselist.case_list(request, app, user)


@router.get("/due")
def due(
    request: Request,
    app: AppDep,
    user: PageUser,
    show: Annotated[str, Query(pattern="^(mine|all)$")] = "mine",
    fmt: export.FormatParam = None,
) -> Response:
    """What is overdue and what is due within the next seven days, a page at a time
    (``format=csv|xlsx``: as a file); see web/cases/duelist.py."""
    return duelist.due_list(request, app, user, show, fmt)


def _writable_orgs(app: AppDep, user: Principal) -> list[OrgView]:
    with app.store.read() as conn:
        return reads.organisations(conn, user.orgs(Permission.WRITE))


@router.get("/cases/new")
def open_case_form(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The form to open a case."""
    return _open_case_page(request, app, user, {}, None)


def _open_case_page(
    request: Request, app: AppDep, user: Principal, entered: dict[str, str], error: PathwaysError | None
) -> HTMLResponse:
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs(Permission.WRITE)
        context = {
            "projects": reads.projects(conn, orgs, limit=1000),
            "officers": reads.people(conn, orgs, roles=STAFF_FOR_CASES),
            "pathways": app.catalog.latest(),
            "entered": entered,
            "error": error,
            "field": error.field if isinstance(error, FieldError) else None,
        }
    code = 200 if error is None else (422 if isinstance(error, InvalidInput) else 409)
    return page(request, "open_case.html", context, status_code=code, user=user)


@router.post("/cases/new", dependencies=[Csrf])
def open_case(
    request: Request,
    app: AppDep,
    user: PageUser,
    project: Annotated[str, Form(max_length=20)],
    pathway: Annotated[str, Form(max_length=64)],
    officer: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Open the case; back to the form with the reason when it is refused."""
    entered = {"project": project, "pathway": pathway, "officer": officer}
    try:
        project_id = as_id(project)
        if project_id is None:
            raise FieldError("project", "choose a project")
        command = opening.OpenCase(project_id, pathway, officer=as_id(officer))
        opened = opening.open_new(app, command, by=user)
    except PathwaysError as exc:
        return _open_case_page(request, app, user, entered, exc)
    app.after_commit(opened.id)
    return RedirectResponse(f"/cases/{opened.ref}", status_code=303)


@router.get("/projects/new")
def project_form(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The form to add a project."""
    return _project_page(request, app, user, {}, None)


# The use cases' names of fields where the add forms name them otherwise.
_PROJECT_INPUTS: Final = {"permanent_jobs": "jobs"}
_PERSON_INPUTS: Final = {"language": "lang", "channels": "email"}  # the form's one channel is its e-mail


def _project_page(
    request: Request, app: AppDep, user: Principal, entered: dict[str, str], error: PathwaysError | None
) -> HTMLResponse:
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs(Permission.WRITE)
        context = {
            "orgs": reads.organisations(conn, orgs),
            "owners": reads.people(conn, orgs, roles=("owner",)),
            "phases": [p.value for p in Phase],
            "entered": entered,
            **_refused(
                user.language, error, entered, _PROJECT_INPUTS, {"name": texts(user.language)("Project name")}
            ),
        }
    return page(request, "new_project.html", context, status_code=_status(error), user=user)


@router.post("/projects/new", dependencies=[Csrf])
def add_project(request: Request, app: AppDep, user: PageUser) -> Response:
    """Add the project; back to the form, every problem beside its field, when refused."""
    form = request.state.form
    entered = {
        k: str(form.get(k, ""))[:200]
        for k in ("org", "name", "owner", "siret", "bce", "phase", "legal_form", "jobs")
    }
    command = adding.AddProject(
        name=entered["name"],
        org=entered["org"] or "0",
        owner=as_id(entered["owner"]),
        siret=entered["siret"],
        bce=entered["bce"],
        phase=entered["phase"] or None,  # none chosen: founded with an identifier, else idea
        legal_form=entered["legal_form"],
        permanent_jobs=entered["jobs"] or "0",
    )
    try:
        added = adding.add_project(app, command, by=user)
    except PathwaysError as exc:
        return _project_page(request, app, user, entered, exc)
    return RedirectResponse(f"/cases/new?project={added.id}", status_code=303)


@router.get("/people/new")
def person_form(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The form to add a person."""
    return _person_page(request, app, user, {}, None)


def _person_page(
    request: Request, app: AppDep, user: Principal, entered: dict[str, str], error: PathwaysError | None
) -> HTMLResponse:
    with app.store.read() as conn:
        orgs = reads.organisations(conn, Scope(user, conn).orgs(Permission.WRITE))
    roles = sorted({r for o in orgs for r in user.grantable_roles(o.id)})
    context = {
        "orgs": orgs,
        "roles": roles,
        "langs": LANGS,
        "entered": entered,
        **_refused(user.language, error, entered, _PERSON_INPUTS, {}),
    }
    return page(request, "new_person.html", context, status_code=_status(error), user=user)


@router.post("/people/new", dependencies=[Csrf])
def add_person(request: Request, app: AppDep, user: PageUser) -> Response:
    """Add the person; back to the form, every problem beside its field, when refused."""
    form = request.state.form
    entered = {k: str(form.get(k, ""))[:254] for k in ("org", "name", "role", "email", "phone", "lang")}
    email = entered["email"].strip()
    command = adding.AddPerson(
        name=entered["name"],
        org=entered["org"] or "0",
        role=entered["role"],
        email=email,
        phone=entered["phone"],
        language=entered["lang"],
        # A mistyped e-mail is said once, beside it, not again as a channel.
        channels=(f"mailto://{email}",) if edit_checks.EMAIL.fullmatch(email) else (),
    )
    try:
        adding.add_person(app, command, by=user)
    except PathwaysError as exc:
        return _person_page(request, app, user, entered, exc)
    return RedirectResponse("/projects/new" if entered["role"] == "owner" else "/cases", status_code=303)


def _status(error: PathwaysError | None) -> int:
    """200 for the empty form; 422 for refused input (as the edit forms), else 409."""
    return 200 if error is None else (422 if isinstance(error, InvalidInput) else 409)


def _refused(
    lang: str,
    error: PathwaysError | None,
    entered: Mapping[str, str],
    inputs: Mapping[str, str],
    labels: Mapping[str, str],
) -> dict[str, Any]:
    """What an add form says of a refusal, in `lang`: every refused field in the summary (`said`)
    and beside its input (`beside`, by the input's name); any other reason above it (`refusal`).

    `entered`: the form's inputs, in their order on the page, the summary's; `inputs`: the
    form's name of a field the use case names otherwise; `labels`: the form's label of a field
    where it differs from the directory's.
    """
    if not isinstance(error, FieldError | FieldErrors):
        said_above = {"text": said_in(error, lang), "hint": hint_in(error, lang)} if error else None
        return {"refusal": said_above, "said": [], "beside": {}}
    t = texts(lang)
    problems = [replace(p, field=inputs.get(p.field, p.field)) for p in fields.problems_of(error)]
    order = list(entered)
    problems.sort(key=lambda p: order.index(p.field) if p.field in order else len(order))
    shown = {"org": t("Support organisation"), "jobs": t("Permanent salaried jobs")}
    shown |= labels
    said = said_of(problems, lang, shown)
    return {"refusal": None, "said": said, "beside": beside_of(said)}
