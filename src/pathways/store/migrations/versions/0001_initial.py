"""Initial schema: every table of pathways.store.tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathways.store.types import JSONDoc, UTCDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("territory", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("channels", JSONDoc, nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("topics", JSONDoc, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handle"),
    )

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "organisation_id", "role"),
    )
    op.create_index("ix_membership_organisation_id", "membership", ["organisation_id"])
    op.create_index("ix_membership_person_id", "membership", ["person_id"])

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_form", sa.String(length=40), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("bce", sa.String(length=10), nullable=True),
        sa.Column("rna", sa.String(length=10), nullable=True),
        sa.Column("ess_status", sa.String(length=20), nullable=True),
        sa.Column("sector", sa.String(length=10), nullable=True),
        sa.Column("territory", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("permanent_jobs", sa.Integer(), nullable=False),
        sa.Column("fixed_term_jobs", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_bce", "project", ["bce"])
    op.create_index("ix_project_organisation_id", "project", ["organisation_id"])
    op.create_index("ix_project_owner_id", "project", ["owner_id"])
    op.create_index("ix_project_siren", "project", ["siren"])

    op.create_table(
        "case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.String(length=64), nullable=False),
        sa.Column("pathway_version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("current_entry_id", sa.Integer(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("data", JSONDoc, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["resource_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_index("ix_case_officer_id", "case", ["officer_id"])
    op.create_index("ix_case_organisation_id", "case", ["organisation_id"])
    op.create_index("ix_case_parent_id", "case", ["parent_id"])
    op.create_index("ix_case_pathway_id", "case", ["pathway_id"])
    op.create_index("ix_case_project_id", "case", ["project_id"])
    op.create_index("ix_case_resource_id", "case", ["resource_id"])
    # The deadline sweep reads open cases by due date: index only those.
    op.create_index("ix_case_open_due", "case", ["due_at"], sqlite_where=OPEN, postgresql_where=OPEN)

    op.create_table(
        "stageentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("values", JSONDoc, nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stageentry_case_id", "stageentry", ["case_id"])

    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("to_role", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["stageentry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "rule"),
    )
    op.create_index("ix_notice_case_id", "notice", ["case_id"])
    op.create_index("ix_notice_entry_id", "notice", ["entry_id"])
    op.create_index(
        "ix_notice_pending_due", "notice", ["due_at"], sqlite_where=PENDING, postgresql_where=PENDING
    )

    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("media_type", sa.String(length=60), nullable=False),
        sa.Column("content", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["stageentry.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_case_id", "document", ["case_id"])

    op.create_table(
        "impactevaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_impactevaluation_case_id", "impactevaluation", ["case_id"])
    op.create_index("ix_impactevaluation_project_id", "impactevaluation", ["project_id"])

    op.create_table(
        "impactindicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("baseline", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.ForeignKeyConstraint(["evaluation_id"], ["impactevaluation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_impactindicator_evaluation_id", "impactindicator", ["evaluation_id"])

    op.create_table(
        "impactvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["impactindicator.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_impactvalue_indicator_id", "impactvalue", ["indicator_id"])
    op.create_index("ix_impactvalue_project_id", "impactvalue", ["project_id"])

    op.create_table(
        "auditevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("effective_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("payload", JSONDoc, nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "seq"),
    )
    op.create_index("ix_auditevent_actor_id", "auditevent", ["actor_id"])
    op.create_index("ix_auditevent_case_id", "auditevent", ["case_id"])
    op.create_index("ix_auditevent_organisation_id", "auditevent", ["organisation_id"])

    op.create_table(
        "audithead",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("organisation_id"),
    )

    op.create_table(
        "outboxjob",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("pathway_id", sa.String(length=64), nullable=True),
        sa.Column("payload", JSONDoc, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_outboxjob_case_id", "outboxjob", ["case_id"])
    op.create_index("ix_outboxjob_kind", "outboxjob", ["kind"])
    # The dispatcher reads pending jobs by their next attempt: index only those.
    op.create_index(
        "ix_outbox_ready", "outboxjob", ["next_attempt_at"], sqlite_where=PENDING, postgresql_where=PENDING
    )

    op.create_table(
        "refcounter",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year"),
    )


def downgrade() -> None:
    # Dependants first; dropping a table drops its indexes.
    for table in (
        "refcounter",
        "outboxjob",
        "audithead",
        "auditevent",
        "impactvalue",
        "impactindicator",
        "impactevaluation",
        "document",
        "notice",
        "stageentry",
        "case",
        "project",
        "membership",
        "person",
        "organisation",
    ):
        op.drop_table(table)
