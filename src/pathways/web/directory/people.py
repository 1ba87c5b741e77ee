"""The people pages: the directory (with search), a person's sheet, and their edit form.

The form posts to the same use case as ``PATCH /api/v1/people/{id}`` and ``pathways person
update`` (:mod:`pathways.services.people.person_editing`). A channel already recorded is never
sent back to the browser whole (it may hold a token): the form shows it without its secrets and
names it by its id to remove it; new channels are typed in, one a line, and checked as when a
person is added (an Apprise URL to a public host, unless ``PATHWAYS_CHANNEL_ALLOW`` names it).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.bootstrap import App
from pathways.domain.spec import LANGS
from pathways.errors import EditedMeanwhile, FieldErrors, FieldProblem
from pathways.services.people import edit_version, person_editing, project_sheet, sheets
from pathways.services.people.accounts import Principal
from pathways.web import export
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.directory.directory_forms import ListParam, beside_of, list_page, said_of, text_of, texts_of
from pathways.web.directory.editconflict import edited_lines, refreshed, version_shown
from pathways.web.i18n import texts
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)
FIELDS: Final = ("name", "email", "phone", "language", "add_channels")


@router.get("/people")
def people_list(request: Request, app: AppDep, user: PageUser, asked: ListParam) -> Response:
    """People of my organisations, by name; `q` finds a name, a handle, an e-mail or a phone number.

    ``format=csv|xlsx``: every page of the list as a file.
    """

    def fetch(limit: int, offset: int) -> list[sheets.PersonLine]:
        with app.store.read() as conn:
            return sheets.list_people(
                conn,
                orgs=Scope(user, conn).orgs(),
                q=asked.q,
                limit=limit,
                offset=offset,
            )

    return list_page(request, user, asked, name="people", fetch=fetch, columns=_columns)


def _columns(lang: str) -> list[export.Column[sheets.PersonLine]]:
    t = texts(lang)

    def roles(person: sheets.PersonLine) -> str:
        return "; ".join(f"{t.label('role', role) or role} ({org})" for org, role in person.roles)

    return [
        export.Column(t("Name"), lambda p: p.name),
        export.Column(t("Roles"), roles),
        export.Column(t("Email"), lambda p: p.email or ""),
        export.Column(t("Phone"), lambda p: p.phone or ""),
        export.Column(
            t("Language of messages"),
            lambda p: (t.label("dir_lang", p.language) or p.language) if p.language else "",
        ),
    ]


@router.get("/people/{person_id:int}")
def person_page(request: Request, app: AppDep, user: PageUser, person_id: int) -> HTMLResponse:
    """A person's sheet: contacts, language, channels, roles, the projects they lead; the form."""
    return _page(request, app, user, person_id, saved=request.query_params.get("saved") == "1")


def _page(
    request: Request,
    app: App,
    user: Principal,
    person_id: int,
    *,
    entered: dict[str, Any] | None = None,
    problems: tuple[FieldProblem, ...] = (),
    saved: bool = False,
    stale: EditedMeanwhile | None = None,
    shown_version: int | None = None,
) -> HTMLResponse:
    with app.store.read() as conn:
        scope = Scope(user, conn)
        sheet = project_sheet.person_sheet(
            conn, app.catalog, person_id, orgs=scope.orgs(), lang=user.language
        )
        can_edit = not sheet.erased and person_editing.can_change(conn, user, person_id)
        version = edit_version.version_of(conn, "person", person_id)
        if shown_version is not None and stale is None:
            version = shown_version  # refused fields: the form still stands on the version it showed
    person = sheet.person
    now: dict[str, Any] = {
        "name": person.name,
        "email": person.email or "",
        "phone": person.phone or "",
        "language": person.language or "",
        "add_channels": "",
        "drop_channels": [],
    }
    shown = entered or now
    if stale is not None and entered:  # the fields changed meanwhile as they are now, the rest as typed
        shown = refreshed(entered, now, stale)
    said = said_of(problems, user.language)
    context = {
        "s": sheet,
        "person": person,
        "can_edit": can_edit,
        "langs": LANGS,
        "entered": shown,
        "said": said,
        "beside": beside_of(said),
        "saved": saved,
        "version": version,  # after a conflict, the version now: saving again is a choice made knowingly
        "edited": edited_lines(stale, user.language, app.settings.default_timezone),
    }
    status = 409 if stale is not None else 422 if problems else 200
    return page(request, "person.html", context, status_code=status, user=user)


@router.post("/people/{person_id:int}", dependencies=[Csrf])
def edit_person(request: Request, app: AppDep, user: PageUser, person_id: int) -> Response:
    """Change the person; back to the form, every problem beside its field, when refused."""
    form = request.state.form
    entered: dict[str, Any] = {name: text_of(form, name, 5000) for name in FIELDS}
    entered["drop_channels"] = texts_of(form, "drop_channels", 80)[:20]
    command = person_editing.PersonUpdate(
        person=person_id,
        name=entered["name"],
        email=entered["email"],
        phone=entered["phone"],
        language=entered["language"],
        drop_channels=tuple(entered["drop_channels"]),
        add_channels=tuple(line for line in entered["add_channels"].splitlines() if line.strip()),
        expected_version=version_shown(text_of(form, "version", 12)),
    )
    try:
        person_editing.update_person(app, command, by=user)
    except FieldErrors as refused:
        return _page(
            request,
            app,
            user,
            person_id,
            entered=entered,
            problems=refused.problems,
            shown_version=command.expected_version,
        )
    except EditedMeanwhile as stale:  # saved by someone else meanwhile: what they changed, what was typed
        return _page(request, app, user, person_id, entered=entered, stale=stale)
    return RedirectResponse(f"/people/{person_id}?saved=1", status_code=303)
