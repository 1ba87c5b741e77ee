"""The case page: where the case stands, its timeline, documents and messages, and the decision form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection
from starlette.datastructures import FormData

from pathways.bootstrap import App
from pathways.domain import fields
from pathways.errors import (
    FieldError,
    FieldErrors,
    FieldProblem,
    Forbidden,
    InvalidInput,
    NotFound,
    PathwaysError,
    Refused,
)
from pathways.services.casework import cases, printing, queries, readable, reads, timeline
from pathways.services.casework.views import CaseDetails
from pathways.services.collaboration.sharing import shared_with_user
from pathways.services.messaging.outbox import list_messages
from pathways.services.people.accounts import Permission, Principal
from pathways.web import forms
from pathways.web.cases.case_extras import collectives_shown, warnings_shown
from pathways.web.cases.casework_view import WorkForm, case_work
from pathways.web.cases.conflictview import meanwhile_lines
from pathways.web.cases.cooperation_view import cooperation_context, partner_page
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)
CaseRef = Annotated[str, Path(pattern=r"^([0-9]{1,9}|[A-Za-z]{2,6}-[0-9]{4}-[0-9]{1,6})$")]
Outcome = Annotated[str | None, Query(max_length=64)]


def _outcome_of(info: CaseDetails, wanted: str | None) -> str | None:
    """The outcome whose fields the form shows: the one asked for, else the first offered."""
    offered = list(info.outcomes)
    if wanted in offered:
        return wanted
    return offered[0] if offered else None


def _entered(app: App, case: CaseDetails, posted: FormData | None) -> dict[str, Any]:
    """What a posted decision form holds for the case's current stage: nothing if the form says it
    was made at another stage (the case moved on meanwhile) or no form was posted."""
    if posted is None or not case.stage or posted.get("stage", case.stage) != case.stage:
        return {}
    spec = app.catalog.get(case.pathway, case.pathway_version)
    return forms.posted_fields(spec.stage(case.stage), posted)


def _form_context(
    app: App,
    conn: Connection,
    info: CaseDetails,
    lang: str,
    *,
    outcome: str | None,
    posted: FormData | None = None,
    problems: tuple[FieldProblem, ...] = (),
    org_id: int,
) -> dict[str, Any]:
    spec = app.catalog.get(info.pathway, info.pathway_version)
    chosen = _outcome_of(info, outcome)
    form = forms.DecisionForm(outcome=chosen)
    if info.status == "open" and info.stage and chosen:
        entered = _entered(app, info, posted)
        form = forms.decision_form(spec.stage(info.stage), chosen, lang, entered=entered, problems=problems)
    inputs = form.widgets
    people = (
        reads.people(conn, {org_id}) if any(w.kind == "person" or w.items == "person" for w in inputs) else []
    )
    return {"case": info, "outcome": chosen, "widgets": inputs, "people": people, "decision_form": form}


def _case_page(
    request: Request,
    app: App,
    user: Principal,
    ref: str,
    *,
    outcome: str | None = None,
    posted: FormData | None = None,
    problems: tuple[FieldProblem, ...] = (),
    note: str = "",
    problem: PathwaysError | None = None,
    status_code: int = 200,
    work_form: WorkForm | None = None,
    cooperation_problem: str | None = None,
) -> HTMLResponse:
    lang = user.language
    with app.store.read() as conn:
        scope = Scope(user, conn)
        try:
            case = scope.case(ref)
        except NotFound:
            # A partner organisation's staff read a case shared with them on both consents in
            # their own view (web.cooperation_view); anyone else gets this very 404.
            if not shared_with_user(conn, user, ref):
                raise
            return partner_page(request, app, user, ref)
        info = queries.show_case(conn, app.catalog, case.id, lang=lang)
        org = scope.org(case.organisation_id)
        context = {
            **_form_context(
                app, conn, info, lang, outcome=outcome, posted=posted, problems=problems, org_id=org.id
            ),
            "org": org,
            "timeline": timeline.timeline(conn, case.id, now=app.clock.now(), catalog=app.catalog, lang=lang),
            "documents": reads.documents(conn, case.id, catalog=app.catalog, lang=lang),
            "messages": list_messages(conn, case=case.id, limit=50),
            "can_decide": user.can(Permission.WRITE, org.id),
            "note": note,
            "problem": problem,
            "meanwhile": meanwhile_lines(
                app.catalog, (info.pathway, info.pathway_version), problem, lang, org.timezone
            ),
            "decided": request.query_params.get("decided") == "1",
            "warnings": warnings_shown(app, info, request.query_params.getlist("warn"), lang),
            "collectives": collectives_shown(conn, case.id),
            "overdue": info.due_at is not None and info.due_at < app.clock.now(),
            "recorded": readable.recorded_data(
                conn, app.catalog.get(info.pathway, info.pathway_version), info.data, lang
            ),
            "work": case_work(
                app, conn, user, case, lang=lang, form=work_form, done=request.query_params.get("done")
            ),
            "cooperation": cooperation_context(conn, user, case, problem=cooperation_problem),
        }
    return page(request, "case.html", context, status_code=status_code, user=user)


@router.get("/cases/{ref}")
def case_page(
    request: Request, app: AppDep, user: PageUser, ref: CaseRef, outcome: Outcome = None
) -> HTMLResponse:
    """A case: status, decision form, timeline, documents, messages."""
    return _case_page(request, app, user, ref, outcome=outcome)


@router.get("/cases/{ref}/form")
def decision_fields(
    request: Request, app: AppDep, user: PageUser, ref: CaseRef, outcome: Outcome = None
) -> HTMLResponse:
    """The fields of the decision form for one outcome, empty."""
    with app.store.read() as conn:
        case = Scope(user, conn).case(ref)
        info = queries.show_case(conn, app.catalog, case.id, lang=user.language)
        context = _form_context(app, conn, info, user.language, outcome=outcome, org_id=case.organisation_id)
    return page(request, "_fields.html", context, user=user)


@router.post("/cases/{ref}/form", dependencies=[Csrf])
def decision_fields_kept(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> HTMLResponse:
    """The decision form for the outcome just chosen, keeping everything typed: the fields alone for
    htmx (posted, so typed values stay out of URLs and logs), else the whole page (without script)."""
    form = request.state.form
    outcome = str(form.get("outcome") or "")[:64] or None
    if not request.headers.get("hx-request"):
        return _case_page(
            request, app, user, ref, outcome=outcome, posted=form, note=str(form.get("note") or "")
        )
    with app.store.read() as conn:
        case = Scope(user, conn).case(ref)
        info = queries.show_case(conn, app.catalog, case.id, lang=user.language)
        context = _form_context(
            app, conn, info, user.language, outcome=outcome, posted=form, org_id=case.organisation_id
        )
    return page(request, "_fields.html", {**context, "swapped": True}, user=user)


@router.post("/cases/{ref}/decide", dependencies=[Csrf])
def decide(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """Record the decision; the page again with the errors beside their fields when it is refused."""
    form = request.state.form
    outcome = str(form.get("outcome") or "")[:64]
    note = str(form.get("note") or "")[:4000]
    entered: dict[str, Any] = {}
    try:
        with cases.deciding(app) as decision:
            case = Scope(user, decision.conn).case(ref, Permission.WRITE)
            shown = forms.version_shown(form)  # the decision is made on the case as the form showed it
            spec = app.catalog.get(case.pathway_id, case.pathway_version)
            values: dict[str, Any] = {}
            if case.stage and outcome in spec.stage(case.stage).outcomes:
                entered = forms.posted_fields(spec.stage(case.stage), form)
                values = forms.decision_values(spec.stage(case.stage), outcome, entered)
            decision.prepare(
                actor_id=user.person_id,
                case=case.id,
                outcome=outcome,
                values=values,
                note=note.strip() or None,
                expected_version=shown,
            )
        decided = decision.decided
    except (FieldError, FieldErrors) as exc:
        problems = fields.problems_of(exc)
        beside = all(p.field in entered for p in problems)  # else said above the form
        return _case_page(
            request, app, user, ref, outcome=outcome, posted=form, problems=problems, note=note,
            problem=None if beside else exc, status_code=422,
        )  # fmt: skip
    except Forbidden:
        raise
    except (Refused, InvalidInput) as exc:
        code = 422 if isinstance(exc, InvalidInput) else 409
        return _case_page(
            request,
            app,
            user,
            ref,
            outcome=outcome,
            posted=form,
            note=note,
            problem=exc,
            status_code=code,
        )
    app.after_commit(decided.case_id, queued=decided.queued_work)
    warned = "".join(f"&warn={w.field}" for w in decided.warnings)  # field names: [a-z0-9_]
    return RedirectResponse(f"/cases/{decided.ref}?decided=1{warned}", status_code=303)


DocId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/documents/{doc_id}.pdf")
def document_pdf(app: AppDep, user: PageUser, doc_id: DocId) -> Response:
    """A case's document as PDF (drawn from its HTML, fetching nothing), scoped as the HTML one."""
    with app.store.read() as conn:
        doc = Scope(user, conn).document(doc_id)
    return Response(
        printing.html_to_pdf(doc.content),
        media_type=printing.PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="{printing.pdf_name(doc.name)}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/documents/{doc_id}")
def document(app: AppDep, user: PageUser, doc_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """A case's document, shown sandboxed (no script, no form) in the browser."""
    with app.store.read() as conn:
        doc = Scope(user, conn).document(doc_id)
    return Response(
        doc.content,
        media_type=doc.media_type,
        headers={"Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'"},
    )
