"""The project pages: the list (with search), a project's sheet, and its edit form.

The form posts to the same use case as ``PATCH /api/v1/projects/{id}`` and ``pathways project
update`` (:mod:`pathways.services.people.editing`): every refused field is said at once, beside
the field and in a summary, in the page's language, with what was typed kept.
"""

from __future__ import annotations

from typing import Any, Final

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.bootstrap import App
from pathways.domain.spec import Phase
from pathways.errors import EditedMeanwhile, FieldErrors, FieldProblem
from pathways.services.people import edit_version, editing, project_sheet, sheets
from pathways.services.people.accounts import Permission, Principal
from pathways.web import export
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.directory.directory_forms import ListParam, beside_of, list_page, said_of, text_of
from pathways.web.directory.editconflict import edited_lines, refreshed, version_shown
from pathways.web.i18n import texts
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)
FIELDS: Final = ("name", "siret", "bce", "legal_form", "permanent_jobs", "fixed_term_jobs", "owner", "phase")


@router.get("/projects")
def project_list(request: Request, app: AppDep, user: PageUser, asked: ListParam) -> Response:
    """Projects of my organisations, by name; `q` finds a name, a SIRET/SIREN, a BCE number, an owner.

    ``format=csv|xlsx``: every page of the list as a file.
    """

    def fetch(limit: int, offset: int) -> list[sheets.ProjectLine]:
        with app.store.read() as conn:
            return sheets.list_projects(
                conn,
                app.catalog,
                orgs=Scope(user, conn).orgs(),
                q=asked.q,
                lang=user.language,
                limit=limit,
                offset=offset,
            )

    return list_page(request, user, asked, name="projects", fetch=fetch, columns=_columns)


def _columns(lang: str) -> list[export.Column[sheets.ProjectLine]]:
    t = texts(lang)
    phases = {p.value: t.label("phase", p.value) or p.value for p in Phase}
    return [
        export.Column(t("Project name"), lambda r: r.name),
        export.Column(t("Project lead"), lambda r: r.owner or ""),
        export.Column(t("Legal form"), lambda r: r.legal_form or ""),
        export.Column("SIRET", lambda r: r.siret or ""),
        export.Column(t("BCE/KBO number"), lambda r: r.bce or ""),
        export.Column(t("Phase"), lambda r: phases.get(r.phase, r.phase)),
        export.Column(t("Organisation"), lambda r: r.organisation),
    ]


@router.get("/projects/{project_id:int}")
def project_page(request: Request, app: AppDep, user: PageUser, project_id: int) -> HTMLResponse:
    """A project's sheet: identifiers, phase and its history, owner, cases, impact, documents; the form."""
    return _page(request, app, user, project_id, saved=request.query_params.get("saved") == "1")


def _page(
    request: Request,
    app: App,
    user: Principal,
    project_id: int,
    *,
    entered: dict[str, str] | None = None,
    problems: tuple[FieldProblem, ...] = (),
    saved: bool = False,
    stale: EditedMeanwhile | None = None,
    shown_version: int | None = None,
) -> HTMLResponse:
    lang = user.language
    with app.store.read() as conn:
        scope = Scope(user, conn)
        sheet = project_sheet.project_sheet(
            conn, app.catalog, project_id, orgs=scope.orgs(), lang=lang, config_dir=app.settings.config_dir
        )
        owners = sheets.owner_choices(
            conn, sheet.organisation_id, current=sheet.owner.id if sheet.owner else None
        )
        version = edit_version.version_of(conn, "project", project_id)
        if shown_version is not None and stale is None:
            version = shown_version  # refused fields: the form still stands on the version it showed
    forms = sheets.legal_forms(app.catalog, lang)
    if sheet.legal_form and sheet.legal_form not in forms:
        forms = {sheet.legal_form: sheet.legal_form_label or sheet.legal_form, **forms}
    shown = entered if entered is not None else _values_of(sheet)
    if stale is not None:  # the fields changed meanwhile as they are now, the rest as typed
        shown = refreshed(shown, _values_of(sheet), stale)
    said = said_of(problems, lang, {"name": texts(lang)("Project name")})
    context: dict[str, Any] = {
        "p": sheet,
        "can_edit": user.can(Permission.WRITE, sheet.organisation_id),
        "owners": owners,
        "legal_forms": forms,
        "phases": [p.value for p in Phase],
        "entered": shown,
        "said": said,
        "beside": beside_of(said),
        "saved": saved,
        "num": lambda value: "—" if value is None else format_decimal(value, locale=lang),
        "version": version,  # after a conflict, the version now: saving again is a choice made knowingly
        "edited": edited_lines(stale, lang, app.settings.default_timezone),
    }
    status = 409 if stale is not None else 422 if problems else 200
    return page(request, "project.html", context, status_code=status, user=user)


def _values_of(sheet: project_sheet.ProjectSheet) -> dict[str, str]:
    """The form filled with the project as it is."""
    return {
        "name": sheet.name,
        "siret": sheet.siret_digits or "",
        "bce": sheet.bce_digits or "",
        "legal_form": sheet.legal_form or "",
        "permanent_jobs": str(sheet.permanent_jobs),
        "fixed_term_jobs": str(sheet.fixed_term_jobs),
        "owner": str(sheet.owner.id) if sheet.owner else "",
        "phase": "",
    }


@router.post("/projects/{project_id:int}", dependencies=[Csrf])
def edit_project(request: Request, app: AppDep, user: PageUser, project_id: int) -> Response:
    """Change the project; back to the form, every problem beside its field, when refused."""
    form = request.state.form
    entered = {name: text_of(form, name, 300) for name in FIELDS}
    command = editing.ProjectUpdate(
        project=project_id,
        name=entered["name"],
        siret=entered["siret"],
        bce=entered["bce"],
        legal_form=entered["legal_form"],
        permanent_jobs=entered["permanent_jobs"] or "0",
        fixed_term_jobs=entered["fixed_term_jobs"] or "0",
        owner=entered["owner"],
        phase=entered["phase"] or None,  # none chosen: as it is, founded with a new identifier
        expected_version=version_shown(text_of(form, "version", 12)),
    )
    try:
        editing.update_project(app, command, by=user)
    except FieldErrors as refused:
        return _page(
            request,
            app,
            user,
            project_id,
            entered=entered,
            problems=refused.problems,
            shown_version=command.expected_version,
        )
    except EditedMeanwhile as stale:  # saved by someone else meanwhile: what they changed, what was typed
        return _page(request, app, user, project_id, entered=entered, stale=stale)
    return RedirectResponse(f"/projects/{project_id}?saved=1", status_code=303)


__all__ = ["router"]
