"""SQLAlchemy Core handles of the SQLModel tables, typed, defined once.

Set-based SQL (``insert().values([...])``, ``update().where(...)``, joins of
columns) is written against a Core :class:`~sqlalchemy.Table`. SQLModel does not
declare ``__table__`` on its classes, so :func:`core` asks SQLAlchemy's public
inspection API for the table a class maps, and the constants below are what the
store and the services import: ``select(CASE.c.ref).where(CASE.c.id == ...)``.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Table, inspect
from sqlalchemy.orm import Mapper
from sqlmodel import SQLModel

from pathways.store.accounts import Account, ApiToken, LoginFailure, WebSession
from pathways.store.cooperation import CaseMember, CaseShare
from pathways.store.delivery import DeliveryAttempt
from pathways.store.tables import (
    AttachmentContent,
    AuditEvent,
    AuditHead,
    Case,
    CaseAttachment,
    CaseNote,
    DirectoryEdit,
    Document,
    ImpactEvaluation,
    ImpactIndicator,
    ImpactValue,
    Membership,
    Notice,
    Organisation,
    OrganisationHoliday,
    OutboxJob,
    PathwayDefinition,
    Person,
    Project,
    RefCounter,
    StageEntry,
)


def core(model: type[SQLModel]) -> Table:
    """The Core table that the SQLModel class `model` maps (``TypeError`` for a class without one)."""
    mapper = inspect(model, raiseerr=False)
    if not isinstance(mapper, Mapper) or not isinstance(mapper.local_table, Table):
        raise TypeError(f"{model.__name__} is not a table class")
    return mapper.local_table


ACCOUNT: Final = core(Account)
ATTACHMENT: Final = core(CaseAttachment)
ATTACHMENT_CONTENT: Final = core(AttachmentContent)
ATTEMPT: Final = core(DeliveryAttempt)
AUDIT: Final = core(AuditEvent)
CASE: Final = core(Case)
CASE_MEMBER: Final = core(CaseMember)
CASE_SHARE: Final = core(CaseShare)
DEFINITION: Final = core(PathwayDefinition)
DOC: Final = core(Document)
EDIT: Final = core(DirectoryEdit)
ENTRY: Final = core(StageEntry)
EVALUATION: Final = core(ImpactEvaluation)
FAILURE: Final = core(LoginFailure)
HEAD: Final = core(AuditHead)
HOLIDAY: Final = core(OrganisationHoliday)
INDICATOR: Final = core(ImpactIndicator)
JOB: Final = core(OutboxJob)
MEMBER: Final = core(Membership)
NOTE: Final = core(CaseNote)
NOTICE: Final = core(Notice)
ORG: Final = core(Organisation)
PERSON: Final = core(Person)
PROJECT: Final = core(Project)
REF: Final = core(RefCounter)
SESSION: Final = core(WebSession)
TOKEN: Final = core(ApiToken)
VALUE: Final = core(ImpactValue)
