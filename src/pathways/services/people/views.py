"""What the directory reads return: frozen, typed views of organisation, person and project rows.

Each view is built from a SQLAlchemy row mapping (``OrgView.of(row)``), so a read runs the same
statement as before and callers write ``org.slug`` where they wrote ``org["slug"]``. The fields
are typed as the SQLModel tables of :mod:`pathways.store.tables` declare them (``id`` is never
None here: a table declares it optional only for rows not inserted yet). Where a dictionary is
really needed (the API's JSON bodies, ``--json``), ``dataclasses.asdict`` gives one with the
same keys, in the table's column order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from pathways.services.casework.views import DocumentView

__all__ = [
    "FormerSelf",
    "Identifying",
    "MemberView",
    "OrgDocument",
    "OrgView",
    "PersonView",
    "PersonWithRoles",
    "ProjectView",
    "ResourceLine",
    "RoleIn",
]


def _taken(cls: type, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The values of `row` the view `cls` has a field for (a joined query may add others)."""
    return {f.name: row[f.name] for f in fields(cls)}


@dataclass(frozen=True, slots=True)
class OrgView:
    """A row of the organisation table (:class:`pathways.store.tables.Organisation`)."""

    id: int
    slug: str
    name: str
    territory: str
    timezone: str
    language: str
    created_at: datetime
    options: dict[str, bool]

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> OrgView:
        """The view of a row holding every column of the organisation table."""
        return cls(**_taken(cls, row))


@dataclass(frozen=True, slots=True)
class PersonView:
    """A row of the person table (:class:`pathways.store.tables.Person`)."""

    id: int
    handle: str
    name: str
    email: str | None
    phone: str | None
    language: str | None
    channels: list[str]
    digest: bool
    topics: list[str]
    created_at: datetime
    erased_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> PersonView:
        """The view of a row holding every column of the person table."""
        return cls(**_taken(cls, row))


@dataclass(frozen=True, slots=True)
class MemberView(PersonView):
    """A person with one of their roles: a person row joined with one of its memberships."""

    role: str
    organisation_id: int

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> MemberView:
        """The view of a row holding the person's columns, ``role`` and ``organisation_id``."""
        return cls(**_taken(cls, row))


@dataclass(frozen=True, slots=True)
class RoleIn:
    """One of a person's roles: which organisation, which role."""

    organisation_id: int
    role: str


@dataclass(frozen=True, slots=True)
class PersonWithRoles(PersonView):
    """A person and their roles in the organisations a reader sees."""

    roles: tuple[RoleIn, ...] = ()


@dataclass(frozen=True, slots=True)
class ProjectView:
    """A row of the project table (:class:`pathways.store.tables.Project`)."""

    id: int
    organisation_id: int
    name: str
    legal_form: str | None
    siren: str | None
    siret: str | None
    bce: str | None
    rna: str | None
    ess_status: str | None
    sector: str | None
    territory: str
    phase: str
    permanent_jobs: int
    fixed_term_jobs: int
    owner_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> ProjectView:
        """The view of a row holding every column of the project table."""
        return cls(**_taken(cls, row))


@dataclass(frozen=True, slots=True)
class OrgDocument(DocumentView):
    """A case's document (:class:`pathways.services.casework.views.DocumentView`) with its case's
    organisation, to scope who may read it."""

    organisation_id: int

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> OrgDocument:
        """The view of a document row joined with ``case.organisation_id``."""
        return cls(**_taken(cls, row))


@dataclass(frozen=True, slots=True)
class ResourceLine:
    """A resource person as the directory of peers lists them (``pathways resource list``)."""

    id: int
    handle: str
    name: str
    email: str | None
    language: str | None
    topics: list[str]
    organisations: list[str]  # the slugs of the organisations that list them
    organisation_ids: list[int]
    organisation: str  # the slugs, as one text
    year: int
    transfers_this_year: int  # validated this calendar year
    available: bool  # under the yearly cap


@dataclass(frozen=True, slots=True)
class FormerSelf:
    """A person's details as one of their edits recorded them (before or after it): what erasing
    them must find too. Blank where the edit did not touch a field."""

    id: int
    handle: str = ""
    name: str = ""
    email: str | None = None
    phone: str | None = None
    channels: tuple[str, ...] = ()


class Identifying(Protocol):
    """What identifies a person, as :mod:`pathways.services.people.scrub` looks for it."""

    @property
    def id(self) -> int: ...

    @property
    def handle(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def phone(self) -> str | None: ...

    @property
    def channels(self) -> list[str] | tuple[str, ...]: ...
