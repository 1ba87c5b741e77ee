"""Move open cases to another version of their pathway: explicit, logged, at a wait point (DESIGN 7).

A case keeps the version it started on until an operator migrates it with a stage
mapping (old stage id -> new stage id). :func:`migrate` first checks the mapping
against both versions and the stages where open cases wait, then moves each case
in its own transaction, guarded by the case's version number:

- only a case *waiting* at its stage moves: one with automatic work still queued
  (an outbox job ``step``, ``handoff`` or ``spawn`` pending or failed) is skipped
  with the reason, so no step of the old version runs on a case of the new one;
- the current stage entry stays the same row: its ``entered_at``, ``due_at``, its
  sequence number and its notices are kept, and its ``stage`` is renamed only when
  the mapping changes the id. Earlier entries keep the stage ids they had; the
  move itself, with its mapping, is the audit event ``case_migrated``;
- recorded values (``case.data``) stay under the stage id they were recorded at;
- deadlines are recomputed only when asked: the new stage's deadline counted from
  the *original* entry time, its pending reminders and escalations rescheduled
  under their natural key (entry, rule); a reminder that would now fall in the
  past is dropped, one already sent is never sent again;
- a migrated case does not re-enter its stage, so the new stage's automatic steps
  do not run.

A dry run reads the same facts and returns the same report, writing nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select, update

from pathways.domain.deadline import PlannedNotice, due_at, plan_notices
from pathways.domain.spec import PathwaySpec
from pathways.errors import Conflict, InvalidInput
from pathways.services.people import org_holidays
from pathways.services.tx import Tx, write
from pathways.store.core import CASE, ENTRY, JOB, NOTICE, ORG, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

WORK_KINDS = ("step", "handoff", "spawn")
WAITING_STATUSES = ("pending", "failed")  # work that will still run; dead jobs wait for a person

__all__ = ["MigrationReport", "MovedCase", "SkippedCase", "check_mapping", "migrate"]


@dataclass(frozen=True, slots=True)
class MovedCase:
    """A case moved (or, in a dry run, that would move) to the new version."""

    case_id: int
    ref: str
    stage_from: str
    stage_to: str
    entered_at: datetime
    due_before: datetime | None
    due_after: datetime | None  # equals due_before unless deadlines are recomputed
    notices_scheduled: int = 0  # pending reminders/escalations after the move (recompute only)
    notices_cancelled: int = 0  # pending ones the new stage no longer has (recompute only)


@dataclass(frozen=True, slots=True)
class SkippedCase:
    """An open case of the old version left where it is, and why."""

    case_id: int
    ref: str
    stage: str
    reason: str


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What a migration did, or would do in a dry run."""

    pathway: str
    from_version: int
    to_version: int
    mapping: Mapping[str, str]
    dry_run: bool
    recompute_deadlines: bool
    moved: tuple[MovedCase, ...]
    skipped: tuple[SkippedCase, ...]


def check_mapping(
    old: PathwaySpec, new: PathwaySpec, mapping: Mapping[str, str], *, waiting: Mapping[str, int]
) -> None:
    """Refuse a mapping naming unknown stages or leaving out a stage where open cases wait.

    `waiting` counts the open cases of `old` per stage. Every problem is listed in one
    InvalidInput, with the stages each version has.
    """
    old_ids, new_ids = old.stage_ids(), new.stage_ids()
    problems: list[str] = []
    hints: list[str] = []
    unknown = [name for name in mapping if name not in old_ids]
    if unknown:
        problems.append(f"{_quoted(unknown)} not a stage of {old.id} v{old.version}")
        hints.append(f"stages of v{old.version}: {', '.join(old_ids)}")
    targets = sorted({target for target in mapping.values() if target not in new_ids})
    if targets:
        problems.append(f"{_quoted(targets)} not a stage of {new.id} v{new.version}")
        hints.append(f"stages of v{new.version}: {', '.join(new_ids)}")
    unmapped = [stage for stage in old_ids if waiting.get(stage) and stage not in mapping]
    if unmapped:
        counts = ", ".join(f"{stage} ({waiting[stage]} open)" for stage in unmapped)
        problems.append(f"stages with open cases are not mapped: {counts}")
        same = [stage for stage in unmapped if stage in new_ids]
        hints.append(
            "map each one to a stage of the new version"
            + (f", e.g. {' '.join(f'--map {s}={s}' for s in same)}" if same else "")
        )
    if problems:
        raise InvalidInput(
            f"mapping from {old.id} v{old.version} to v{new.version} refused: " + "; ".join(problems),
            hint="; ".join(hints),
        )


def migrate(
    app: App,
    *,
    pathway: str,
    from_version: int,
    to_version: int,
    mapping: Mapping[str, str],
    dry_run: bool,
    recompute_deadlines: bool,
    actor_id: int | None = None,
) -> MigrationReport:
    """Move the open cases of `pathway` v`from_version` that wait at a stage to v`to_version`.

    Each case moves in its own transaction; a case with queued automatic work, or
    changed by someone else meanwhile, is reported as skipped and left as it was.
    """
    if from_version == to_version:
        raise InvalidInput(
            f"--from and --to are both version {from_version}",
            hint="name two versions",
            code="migration_same_version",
            params={"version": from_version},
        )
    old = app.catalog.get(pathway, from_version)
    new = app.catalog.get(pathway, to_version)
    # A stage keeps its name in the new version unless mapped elsewhere: same-named stages map by default.
    mapping = {stage: stage for stage in old.stage_ids() if stage in new.stage_ids()} | dict(mapping)
    with app.store.read() as conn:
        open_cases = conn.execute(
            select(CASE.c.id, CASE.c.ref, CASE.c.stage)
            .where(
                CASE.c.pathway_id == pathway, CASE.c.pathway_version == from_version, CASE.c.status == "open"
            )
            .order_by(CASE.c.id)
        ).all()
    check_mapping(old, new, mapping, waiting=Counter(row.stage for row in open_cases))
    step = _Step(old=old, new=new, mapping=mapping, recompute=recompute_deadlines)
    moved: list[MovedCase] = []
    skipped: list[SkippedCase] = []
    if dry_run:
        with app.store.read() as conn:
            at = app.clock.now()
            for row in open_cases:
                plan = step.plan(conn, row.id, at=at)
                if isinstance(plan, SkippedCase):
                    skipped.append(plan)
                else:
                    moved.append(plan.moved)
    else:
        for row in open_cases:
            try:
                with write(app, actor_id=actor_id) as tx:
                    plan = step.plan(tx.conn, row.id, at=tx.at)
                    if isinstance(plan, SkippedCase):
                        skipped.append(plan)
                        continue
                    step.apply(tx, plan)
                moved.append(plan.moved)
            except Conflict as exc:
                skipped.append(SkippedCase(row.id, row.ref, row.stage, exc.message))
    return MigrationReport(
        pathway=pathway,
        from_version=from_version,
        to_version=to_version,
        mapping=mapping,
        dry_run=dry_run,
        recompute_deadlines=recompute_deadlines,
        moved=tuple(moved),
        skipped=tuple(skipped),
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    moved: MovedCase
    case: Mapping[str, Any]
    entry_id: int
    notices: tuple[PlannedNotice, ...]  # the new stage's notices (recompute only)


@dataclass(frozen=True, slots=True)
class _Step:
    old: PathwaySpec
    new: PathwaySpec
    mapping: Mapping[str, str]
    recompute: bool

    def plan(self, conn: Connection, case_id: int, *, at: datetime) -> _Plan | SkippedCase:
        """What moving the case would do, read in the caller's transaction."""
        case = conn.execute(select(CASE).where(CASE.c.id == case_id)).mappings().one()
        ref, stage = case["ref"], case["stage"]
        if case["status"] != "open" or case["pathway_version"] != self.old.version:
            where = f"v{case['pathway_version']}, {case['status']}"
            return SkippedCase(case_id, ref, stage or "-", f"changed meanwhile ({where})")
        work = Counter(
            conn.scalars(
                select(JOB.c.kind).where(
                    JOB.c.case_id == case_id, JOB.c.kind.in_(WORK_KINDS), JOB.c.status.in_(WAITING_STATUSES)
                )
            )
        )
        if work:
            queued = ", ".join(f"{n} {kind}" for kind, n in sorted(work.items()))
            reason = (
                f"not at a wait point: automatic work still queued ({queued}); run it, then migrate again"
            )
            return SkippedCase(case_id, ref, stage, reason)
        entry = conn.execute(select(ENTRY).where(ENTRY.c.id == case["current_entry_id"])).mappings().first()
        if entry is None or entry["stage"] != stage:
            return SkippedCase(case_id, ref, stage, "its current stage entry is missing or inconsistent")
        if stage not in self.mapping:  # a decision moved it after the mapping was checked
            return SkippedCase(case_id, ref, stage, f"moved meanwhile to '{stage}', which is not mapped")
        target = self.new.stage(self.mapping[stage])
        due: datetime | None = case["due_at"]
        notices: tuple[PlannedNotice, ...] = ()
        if self.recompute:
            territory, zone, org_id = conn.execute(
                select(PROJECT.c.territory, ORG.c.timezone, ORG.c.id)
                .join(ORG, ORG.c.id == PROJECT.c.organisation_id)
                .where(PROJECT.c.id == case["project_id"])
            ).one()
            days_off = org_holidays.days_off(conn, org_id)
            recorded = {k: v for values in case["data"].values() for k, v in values.items()}
            due = due_at(
                target,
                entered_at=entry["entered_at"],
                territory=territory,
                zone=ZoneInfo(zone),
                recorded=recorded,
                extra_holidays=days_off,
            )
            planned = plan_notices(
                target,
                entered_at=entry["entered_at"],
                due=due,
                territory=territory,
                zone=ZoneInfo(zone),
                extra_holidays=days_off,
            )
            # A reminder whose time has passed would only arrive late; escalations still apply.
            notices = tuple(n for n in planned if n.kind != "reminder" or n.due_at > at)
        pending = _pending_rules(conn, entry["id"])
        keep = {n.rule for n in notices}
        moved = MovedCase(
            case_id=case_id,
            ref=ref,
            stage_from=stage,
            stage_to=target.id,
            entered_at=entry["entered_at"],
            due_before=case["due_at"],
            due_after=due,
            notices_scheduled=len(_schedulable(conn, entry["id"], notices)) if self.recompute else 0,
            notices_cancelled=len(pending - keep) if self.recompute else 0,
        )
        return _Plan(moved=moved, case=dict(case), entry_id=entry["id"], notices=notices)

    def apply(self, tx: Tx, plan: _Plan) -> None:
        """Move the case in `tx`; Conflict when someone changed it since it was planned."""
        case, moved = plan.case, plan.moved
        entry_values: dict[str, Any] = {}
        if moved.stage_to != moved.stage_from:
            entry_values["stage"] = moved.stage_to
        if self.recompute:
            entry_values["due_at"] = moved.due_after
            _reschedule(tx, plan.entry_id, case["id"], plan.notices)
        if entry_values:
            tx.conn.execute(update(ENTRY).where(ENTRY.c.id == plan.entry_id).values(**entry_values))
        changed = tx.conn.execute(
            update(CASE)
            .where(CASE.c.id == case["id"], CASE.c.version == case["version"])
            .values(
                pathway_version=self.new.version,
                stage=moved.stage_to,
                due_at=moved.due_after,
                version=case["version"] + 1,
            )
        ).rowcount
        if changed != 1:
            raise Conflict(
                f"case {case['ref']} changed while it was being migrated; run the migration again",
                code="case_changed_migrating",
                params={"ref": case["ref"]},
            )
        payload: dict[str, Any] = {
            "ref": case["ref"],
            "from": self.old.version,
            "to": self.new.version,
            "stage_from": moved.stage_from,
            "stage_to": moved.stage_to,
            "mapping": dict(self.mapping),
            "entry": plan.entry_id,
            "version": case["version"] + 1,
            "deadlines_recomputed": self.recompute,
        }
        if self.recompute:
            payload["due_before"] = _iso(moved.due_before)
            payload["due_after"] = _iso(moved.due_after)
        tx.audit(
            organisation_id=case["organisation_id"], case_id=case["id"], kind="case_migrated", payload=payload
        )


def _pending_rules(conn: Connection, entry_id: int) -> set[str]:
    query = select(NOTICE.c.rule).where(NOTICE.c.entry_id == entry_id, NOTICE.c.status == "pending")
    return set(conn.scalars(query))


def _schedulable(conn: Connection, entry_id: int, notices: tuple[PlannedNotice, ...]) -> list[PlannedNotice]:
    """The planned notices that will be pending: a rule already done is never sent again."""
    done = set(
        conn.scalars(select(NOTICE.c.rule).where(NOTICE.c.entry_id == entry_id, NOTICE.c.status == "done"))
    )
    return [n for n in notices if n.rule not in done]


def _reschedule(tx: Tx, entry_id: int, case_id: int, notices: tuple[PlannedNotice, ...]) -> None:
    """Make the entry's pending notices those of the new stage; (entry, rule) stays the natural key."""
    existing = {
        row.rule: row.status
        for row in tx.conn.execute(
            select(NOTICE.c.rule, NOTICE.c.status).where(NOTICE.c.entry_id == entry_id)
        )
    }
    planned = {n.rule: n for n in notices}
    for rule, notice in planned.items():
        values = {
            "kind": notice.kind,
            "to_role": notice.to_role,
            "template": notice.template,
            "due_at": notice.due_at,
            "status": "pending",
            "done_at": None,
        }
        if rule not in existing:
            tx.conn.execute(insert(NOTICE).values(case_id=case_id, entry_id=entry_id, rule=rule, **values))
        elif existing[rule] != "done":
            tx.conn.execute(
                update(NOTICE).where(NOTICE.c.entry_id == entry_id, NOTICE.c.rule == rule).values(**values)
            )
    dropped = [rule for rule, status in existing.items() if status == "pending" and rule not in planned]
    if dropped:
        tx.conn.execute(
            update(NOTICE)
            .where(NOTICE.c.entry_id == entry_id, NOTICE.c.rule.in_(dropped))
            .values(status="cancelled", done_at=tx.at)
        )


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names) + (" is" if len(names) == 1 else " are")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
