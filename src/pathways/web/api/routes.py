"""The REST API (/api/v1): what the CLI does, for integrations, with a bearer token.

Routes are thin: check the input (schemas), find what is asked for through the
caller's :class:`~pathways.web.scope.Scope`, call one service, shape the answer.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import text

from pathways import __version__
from pathways.errors import FieldError
from pathways.services.casework import cases, opening, queries, reads, search
from pathways.services.people import adding, edit_version
from pathways.services.people.accounts import Permission
from pathways.web.api.schemas import (
    CaseDetail,
    CaseOpened,
    CaseSummary,
    Created,
    DecisionPublic,
    DueItem,
    Health,
    HistoryEvent,
    Me,
    Membership,
    OrgPublic,
    PathwaySummary,
    PersonPublic,
    Problem,
    ProjectPublic,
)
from pathways.web.deps import ApiUser, AppDep, Caller
from pathways.web.inputs import CaseOpen, DecisionCreate, Key, Lang, PersonCreate, ProjectCreate, Ref
from pathways.web.scope import Scope

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid API token"},
    403: {"model": Problem, "description": "Your role does not allow this"},
    404: {"model": Problem, "description": "Not found (or in an organisation you have no role in)"},
    409: {"model": Problem, "description": "Refused by the current state (or changed meanwhile)"},
    422: {"model": Problem, "description": "Invalid input; `field` names the field"},
}

router = APIRouter(prefix="/api/v1", responses=ERRORS)

CaseRef = Annotated[
    str,
    Path(
        description="Case reference (DIAG-2026-0001) or id",
        pattern=r"^([0-9]{1,9}|[A-Za-z]{2,6}-[0-9]{4}-[0-9]{1,6})$",
    ),
]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/health", tags=["system"])
def health(app: AppDep) -> Health:
    """Whether the server answers and reaches its database (no token needed; says nothing else)."""
    with app.store.read() as conn:
        conn.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__)


@router.get("/me", tags=["account"])
def me(user: ApiUser) -> Me:
    """The account of the token and its roles."""
    roles = [
        Membership(organisation_id=o, role=r) for o, rs in sorted(user.roles.items()) for r in sorted(rs)
    ]
    return Me(
        person_id=user.person_id, handle=user.handle, name=user.name, language=user.language, roles=roles
    )


@router.get("/orgs", tags=["directory"])
def list_orgs(caller: Caller) -> list[OrgPublic]:
    """The organisations you have a role in."""
    with caller.read() as (user, conn):
        rows = reads.organisations(conn, Scope(user, conn).orgs())
    return [OrgPublic.model_validate(asdict(r)) for r in rows]


@router.get("/orgs/{org}", tags=["directory"])
def show_org(caller: Caller, org: Annotated[Ref, Path()]) -> OrgPublic:
    """One of your organisations, by id, slug or name."""
    with caller.read() as (user, conn):
        return OrgPublic.model_validate(asdict(Scope(user, conn).org(org)))


@router.get("/people", tags=["directory"])
def list_people(caller: Caller, org: Ref | None = None) -> list[PersonPublic]:
    """People of your organisations (or of one of them)."""
    with caller.read() as (user, conn):
        scope = Scope(user, conn)
        orgs = {scope.org(org).id} if org is not None else scope.orgs()
        rows = reads.people(conn, orgs)
    return [PersonPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/people", status_code=status.HTTP_201_CREATED, tags=["directory"])
def add_person(caller: Caller, body: PersonCreate) -> Created:
    """Add a person with a role; officers add owners and resource persons, managers staff too."""
    command = adding.AddPerson(
        name=body.name,
        org=body.org,
        role=body.role,
        email=body.email,
        phone=body.phone,
        language=body.language,
        channels=tuple(body.channels),
    )
    added = adding.add_person(caller.app, command, by=caller.account())
    return Created(id=added.id, handle=added.handle)


@router.get("/projects", tags=["directory"])
def list_projects(
    caller: Caller, org: Ref | None = None, limit: Limit = 100, offset: Offset = 0
) -> list[ProjectPublic]:
    """Projects of your organisations, newest first."""
    with caller.read() as (user, conn):
        scope = Scope(user, conn)
        orgs = {scope.org(org).id} if org is not None else scope.orgs()
        rows = reads.projects(conn, orgs, limit=limit, offset=offset)
    return [ProjectPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/projects/{project_id}", tags=["directory"])
def show_project(caller: Caller, project_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> ProjectPublic:
    """A project of one of your organisations."""
    with caller.read() as (user, conn):
        row = Scope(user, conn).project(project_id)
        version = edit_version.version_of(conn, "project", row.id)
    return ProjectPublic.model_validate({**asdict(row), "version": version})


@router.post("/projects", status_code=status.HTTP_201_CREATED, tags=["directory"])
def add_project(caller: Caller, body: ProjectCreate) -> Created:
    """Add a supported project; SIRET and BCE numbers are checked."""
    command = adding.AddProject(
        name=body.name,
        org=body.org,
        owner=body.owner,
        siret=body.siret or None,
        bce=body.bce or None,
        territory=body.territory or None,
        phase=body.phase,
        legal_form=body.legal_form or None,
        permanent_jobs=body.permanent_jobs,
        fixed_term_jobs=body.fixed_term_jobs,
    )
    added = adding.add_project(caller.app, command, by=caller.account())
    return Created(id=added.id, handle=str(added.id))


SortParam = Annotated[
    str,
    Query(
        max_length=40,
        description=f"One of {', '.join(search.INDEXED_SORTS)} (the sorts an index serves, fast on any "
        "list), `-` first for descending (default `-opened`: newest first); any other is refused "
        "(422 on `sort`)",
    ),
]


@router.get("/cases", tags=["cases"])
def list_cases(
    caller: Caller,
    response: Response,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A case reference or its start, a project's name, SIRET, SIREN or BCE number (spaces "
            "allowed), or the name of its owner, officer or resource person; accents and case aside",
        ),
    ] = None,
    status: Literal["open", "closed", "all"] = "open",
    officer: Ref | None = None,
    org: Ref | None = None,
    pathway: Key | None = None,
    stage: Key | None = None,
    overdue: Annotated[bool, Query(description="only open cases past their deadline")] = False,
    sort: SortParam = "-opened",
    page: Annotated[int | None, Query(ge=1, le=100_000, description="`limit` cases a page, from 1")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[CaseSummary]:
    """Cases of your organisations found by `q` and filtered, sorted, a page at a time.

    The header `X-Total-Count` holds how many cases the whole list has. `page` counts pages of
    `limit` cases (it replaces `offset`).
    """
    order = search.api_order(sort)
    with caller.read() as (user, conn):
        scope = Scope(user, conn)
        where = search.CaseFilter(
            orgs=scope.orgs(),
            text=q,
            pathway=pathway,
            stage=stage,
            officer_id=scope.person_id_visible(officer) if officer is not None else None,
            org_id=scope.org(org).id if org is not None else None,
            status=None if status == "all" else status,
            overdue=overdue,
        )
        now = caller.app.clock.now()
        start = (page - 1) * limit if page is not None else offset
        items = search.find_cases(conn, where, now=now, order=order, offset=start, limit=limit)
        response.headers["X-Total-Count"] = str(search.count_cases(conn, where, now=now))
    return [CaseSummary.model_validate(item, from_attributes=True) for item in items]


@router.post("/cases", status_code=status.HTTP_201_CREATED, tags=["cases"])
def open_case(caller: Caller, body: CaseOpen) -> CaseOpened:
    """Open a case for a project at the first stage of a pathway (officer: you, when not given)."""
    app = caller.app
    command = opening.OpenCase(body.project, body.pathway, officer=body.officer)
    opened = opening.open_new(app, command, by=caller.account())
    app.after_commit(opened.id)  # its work runs now (executor inline): that case's, nobody else's
    return CaseOpened.model_validate(opened, from_attributes=True)


@router.get("/cases/{ref}", tags=["cases"])
def show_case(caller: Caller, ref: CaseRef, lang: Lang = "en") -> CaseDetail:
    """A case: project, current stage, its outcomes and fields, deadline, recorded data, entries."""
    with caller.read() as (user, conn):
        case = Scope(user, conn).case(ref)
        shown = queries.show_case(conn, caller.app.catalog, case.id, lang=lang)
        return CaseDetail.model_validate(shown, from_attributes=True)


@router.post("/cases/{ref}/decisions", status_code=status.HTTP_201_CREATED, tags=["cases"])
def decide(caller: Caller, ref: CaseRef, body: DecisionCreate) -> DecisionPublic:
    """Record the current stage's decision, made on the case's `expected_version` (required: read the
    case first); 409 naming who decided what, and when, if the case changed since that version."""
    app = caller.app
    with cases.deciding(app) as decision:
        user = caller.principal(decision.conn)
        case = Scope(user, decision.conn).case(ref, Permission.WRITE)
        decision.prepare(
            actor_id=user.person_id,
            case=case.id,
            outcome=body.outcome,
            values=body.values,
            note=body.note,
            expected_version=body.expected_version,
        )
    decided = decision.decided
    app.after_commit(decided.case_id, queued=decided.queued_work)
    return DecisionPublic.model_validate(decided, from_attributes=True)


@router.get("/cases/{ref}/history", tags=["cases"])
def history(caller: Caller, ref: CaseRef) -> list[HistoryEvent]:
    """Every audit event of a case, oldest first."""
    with caller.read() as (user, conn):
        case = Scope(user, conn).case(ref)
        return [HistoryEvent.model_validate(e, from_attributes=True) for e in queries.history(conn, case.id)]


@router.get("/due", tags=["cases"])
def due(
    caller: Caller,
    within: Annotated[int, Query(ge=0, le=366)] = 7,
    officer: Ref | None = None,
    org: Ref | None = None,
) -> list[DueItem]:
    """Open cases of your organisations due within `within` days, overdue first."""
    with caller.read() as (user, conn):
        scope = Scope(user, conn)
        rows = queries.due_rows(
            conn,
            orgs=scope.orgs(),
            now=caller.app.clock.now(),
            within_days=within,
            officer_id=scope.person_id_visible(officer) if officer is not None else None,
            org_id=scope.org(org).id if org is not None else None,
        )
    return [DueItem.model_validate(r, from_attributes=True) for r in rows]


@router.get("/pathways", tags=["pathways"])
def list_pathways(app: AppDep, user: ApiUser) -> list[PathwaySummary]:  # noqa: ARG001  authentication only
    """The pathways and their latest versions."""
    return [
        PathwaySummary(
            id=s.id,
            version=s.version,
            title=s.title.model_dump(),
            reference=s.reference,
            stages=list(s.stage_ids()),
        )
        for s in app.catalog.latest()
    ]


@router.get("/pathways/{pathway_id}", tags=["pathways"])
def show_pathway(
    app: AppDep,
    user: ApiUser,  # noqa: ARG001  authentication only
    pathway_id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    """A pathway definition: stages, deadlines, fields, outcomes."""
    return app.catalog.get(pathway_id, version).model_dump(mode="json")


def field_of(error: FieldError) -> str:
    """The form field an error is about (``interviews[1]`` is about ``interviews``)."""
    return error.field.split("[", 1)[0]
