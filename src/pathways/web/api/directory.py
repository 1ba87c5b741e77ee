"""REST API: change a project or a person (``PATCH``), as the pages and the CLI do.

Only the fields sent are changed; ``null`` (or "") clears an optional one. Every refused field
is named at once (422, ``errors``: field, code, message); a project or person outside your
organisations is the 404 an unknown id gets; a role that may only read is refused (403).

Optimistic lock: ``expected_version`` in the body (the ``version`` a GET or a previous PATCH
answered) makes a change made meanwhile by someone else a 409 whose ``edited`` names each edit
since (who, when, which fields) rather than an overwrite; without it, nothing is checked.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from pathways.services.people import edit_version, editing, person_editing
from pathways.services.people.accounts import Permission
from pathways.services.people.directory import roles_of
from pathways.web.api.routes import ERRORS
from pathways.web.api.schemas import Membership, PersonPublic, ProjectPublic
from pathways.web.deps import Caller
from pathways.web.inputs import Email, Lang, Name, PhaseName, Phone, Ref, Short, Url
from pathways.web.scope import Scope

router = APIRouter(prefix="/api/v1", responses=ERRORS)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Jobs = Annotated[int, Field(ge=0, le=1_000_000)]
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]


class _Patch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: Version | None = Field(
        default=None,
        description="the version you read (GET, or a PATCH's answer): 409 if the row was edited since",
    )

    def given(self) -> dict[str, Any]:
        """The fields sent, ``null`` as "" (clear); the expected version as it is."""
        sent = self.model_dump(exclude_unset=True)
        return {
            name: (value if name == "expected_version" else "" if value is None else value)
            for name, value in sent.items()
        }


class ProjectPatch(_Patch):
    """What to change in a project (fields not sent stay as they are)."""

    name: Name | None = None
    siret: Short | None = Field(default=None, description="14 digits (spaces allowed); null or '' clears it")
    bce: Short | None = Field(default=None, description="BCE/KBO number, 10 digits; null or '' clears it")
    legal_form: Short | None = None
    permanent_jobs: Jobs = 0
    fixed_term_jobs: Jobs = 0
    owner: Ref | None = Field(
        default=None, description="a person of the project's organisation (id, handle, e-mail); null: none"
    )
    phase: PhaseName | None = Field(
        default=None,
        description="Default: unchanged, or founded when a SIRET or BCE number is given to a project that had"
        " none; an earlier phase given with an identifier is kept and recorded as given despite it.",
    )


class ProjectEdited(BaseModel):
    """The project after the change, and which fields changed (none: nothing was recorded)."""

    changed: list[str]
    phase_from: str | None = Field(
        description="identifier, given or given_despite_identifier, when the phase moved"
    )
    project: ProjectPublic


class PersonPatch(_Patch):
    """What to change in a person (fields not sent stay as they are)."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    language: Lang | None = None
    channels: Annotated[list[Url], Field(max_length=10)] | None = Field(
        default=None, description="Apprise URLs, replacing the person's channels; [] or null removes them"
    )


class PersonEdited(BaseModel):
    """The person after the change, and which fields changed."""

    changed: list[str]
    person: PersonPublic


@router.patch("/projects/{project_id}", tags=["directory"])
def patch_project(caller: Caller, project_id: RowId, body: ProjectPatch) -> ProjectEdited:
    """Change a project of one of your organisations: name, identifiers, legal form, jobs, owner, phase."""
    sent = body.given()
    if sent.get("phase") == "":
        sent.pop("phase")  # no phase given: as if not sent
    command = editing.ProjectUpdate(project=project_id, **sent)
    done = editing.update_project(caller.app, command, by=caller.account())
    with caller.read() as (user, conn):
        row = Scope(user, conn).project(project_id)
        version = edit_version.version_of(conn, "project", row.id)
    project = ProjectPublic.model_validate({**asdict(row), "version": version})
    return ProjectEdited(changed=list(done.changed), phase_from=done.phase_from, project=project)


@router.patch("/people/{person_id}", tags=["directory"])
def patch_person(caller: Caller, person_id: RowId, body: PersonPatch) -> PersonEdited:
    """Change a person of your organisations: name, e-mail, phone, language, channels (checked: no
    internal host unless PATHWAYS_CHANNEL_ALLOW names it)."""
    sent = body.given()
    if "channels" in sent:
        sent["channels"] = tuple(sent["channels"] or ())
    command = person_editing.PersonUpdate(person=person_id, **sent)
    done = person_editing.update_person(caller.app, command, by=caller.account())
    with caller.read() as (user, conn):
        scope = Scope(user, conn)
        row = scope.person_visible(person_id)
        seen = scope.orgs(Permission.READ)
        roles = [Membership(organisation_id=o, role=r) for o, r in roles_of(conn, person_id) if o in seen]
        version = edit_version.version_of(conn, "person", row.id)
    person = PersonPublic.model_validate({**asdict(row), "roles": roles, "version": version})
    return PersonEdited(changed=list(done.changed), person=person)
