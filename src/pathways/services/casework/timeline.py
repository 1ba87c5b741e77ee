"""A case's timeline: its stays in each stage, decisions, documents, messages, notes, meeting
reports, attachments and reassignments (:func:`pathways.services.casework.notes.work_items`), in time order.

Time in stage sums every stay in the stage (a loop re-enters it); a stay not yet
left counts until ``now``. Messages are the outbox's ``message`` jobs of the case
and the items about the case in officers' daily digests. Items carry a ``link``
(``document:<id>``, ``outbox:<id>``, ``attachment:<id>``) that the CLI and web pages turn into
a way to open the document, the message's delivery record or the attached file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, select, text, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from pathways.domain.loader import PathwayCatalog
from pathways.errors import NotFound
from pathways.services.casework.conflict import unseen_by_entry, unseen_sentence
from pathways.services.casework.lookup import find_case
from pathways.services.casework.notes import WORK_EVENTS, work_items
from pathways.services.casework.readable import NO_WORDS, ItemWords, item_words, names_for, spec_of
from pathways.services.casework.views import CaseView, UnseenDecision
from pathways.store.core import AUDIT, DOC, ENTRY, JOB, PERSON, PROJECT

# Audit kinds the timeline already shows from the tables themselves.
_SHOWN_FROM_TABLES = frozenset({"case_opened", "decision", "document_rendered"}) | WORK_EVENTS
# At one instant: a decision leaves a stage, then the next stage is entered, then its work follows.
_ORDER = {"opened": 0, "decision": 1, "closed": 2, "entered": 3, "document": 4, "message": 5, "event": 6}
_ORDER |= {"note": 6, "meeting": 6, "attachment": 7, "assigned": 6}  # casework.notes.work_items


@dataclass(frozen=True, slots=True)
class StageTime:
    """Time a case spent in one stage, every stay summed."""

    stage: str
    title: str | None
    stays: int
    seconds: float
    current: bool  # the case is in this stage now (its last stay is still open)

    @property
    def days(self) -> float:
        """The time spent, in days."""
        return self.seconds / 86400


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One dated thing that happened to a case."""

    at: datetime
    kind: str  # opened | entered | decision | closed | document | message | event
    stage: str | None
    summary: str
    actor: str | None = None
    link: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    words: ItemWords = NO_WORDS  # titles, labels and names in the timeline's language (pages show these)


@dataclass(frozen=True, slots=True)
class Timeline:
    """A case, the time it spent in each stage and what happened, oldest first."""

    case_id: int
    ref: str
    pathway: str
    pathway_version: int
    project: str
    status: str
    result: str | None
    opened_at: datetime
    closed_at: datetime | None
    now: datetime
    stages: list[StageTime]
    items: list[TimelineItem]


def timeline(
    conn: Connection,
    ref: str | int,
    *,
    now: datetime,
    catalog: PathwayCatalog | None = None,
    lang: str = "en",
) -> Timeline:
    """The timeline of a case (reference or id); stage titles come from the catalogue when given."""
    case = find_case(conn, ref)
    titles = _stage_titles(catalog, case.pathway_id, case.pathway_version, lang)
    project = conn.execute(select(PROJECT.c.name).where(PROJECT.c.id == case.project_id)).scalar_one()
    entries = [
        dict(r)
        for r in conn.execute(
            select(ENTRY).where(ENTRY.c.case_id == case.id).order_by(ENTRY.c.seq)
        ).mappings()
    ]
    events = [
        dict(r)
        for r in conn.execute(
            select(AUDIT).where(AUDIT.c.case_id == case.id).order_by(AUDIT.c.organisation_id, AUDIT.c.seq)
        ).mappings()
    ]
    messages = _messages(conn, case.id, _opened_recorded_at(events))
    people = {e["decided_by"] for e in entries} | {e["actor_id"] for e in events}
    people |= {m["person"] for m in messages}
    work = work_items(conn, case, events)
    people |= {w.actor_id for w in work}
    names = _names(conn, people)

    items = _opened(case, events, names)
    items += _stays(entries, case, names, titles, unseen=unseen_by_entry(events, names), lang=lang)
    items += _documents(conn, case.id)
    items += [_message_item(m, names) for m in messages]
    items += [
        TimelineItem(w.at, w.kind, None, w.summary, _name(names, w.actor_id), w.link, w.details) for w in work
    ]
    items += [
        TimelineItem(
            at=e["effective_at"],
            kind="event",
            stage=None,
            summary=_describe(e["kind"], e["payload"]),
            actor=_name(names, e["actor_id"]),
            details={"kind": e["kind"], "seq": e["seq"], **e["payload"]},
        )
        for e in events
        if e["kind"] not in _SHOWN_FROM_TABLES
    ]
    spec = spec_of(catalog, case.pathway_id, case.pathway_version)
    names = {**names, **names_for(conn, spec, [(e["stage"], e["values"] or {}) for e in entries])}
    items = [
        replace(i, words=item_words(i.kind, i.stage, i.details, spec, names, result=case.result, lang=lang))
        for i in items
    ]
    items.sort(key=lambda i: (i.at, _ORDER[i.kind]))
    return Timeline(
        case_id=case.id,
        ref=case.ref,
        pathway=case.pathway_id,
        pathway_version=case.pathway_version,
        project=project,
        status=case.status,
        result=case.result,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        now=now,
        stages=stage_times(entries, now=now, titles=titles),
        items=items,
    )


def stage_times(
    entries: Iterable[Mapping[str, Any]], *, now: datetime, titles: Mapping[str, str] | None = None
) -> list[StageTime]:
    """Time in each stage, in the order the stages were first entered; open stays count to `now`."""
    totals: dict[str, float] = {}
    stays: dict[str, int] = {}
    current: str | None = None
    for entry in entries:
        left = entry["left_at"]
        until = left if left is not None else now
        spent = max((until - entry["entered_at"]).total_seconds(), 0.0)
        totals[entry["stage"]] = totals.get(entry["stage"], 0.0) + spent
        stays[entry["stage"]] = stays.get(entry["stage"], 0) + 1
        if left is None:
            current = entry["stage"]
    return [
        StageTime(stage, (titles or {}).get(stage), stays[stage], seconds, stage == current)
        for stage, seconds in totals.items()
    ]


def _stage_titles(catalog: PathwayCatalog | None, pathway: str, version: int, lang: str) -> dict[str, str]:
    if catalog is None:
        return {}
    try:
        spec = catalog.get(pathway, version)
    except NotFound:  # a version since removed from config: show the ids alone
        return {}
    return {s.id: s.title.get(lang) for s in spec.stages}


def _names(conn: Connection, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        r.id: r.name for r in conn.execute(select(PERSON.c.id, PERSON.c.name).where(PERSON.c.id.in_(wanted)))
    }


def _name(names: Mapping[int, str], person: int | None) -> str | None:
    return None if person is None else names.get(person, f"person #{person}")


def _opened(case: CaseView, events: list[dict[str, Any]], names: Mapping[int, str]) -> list[TimelineItem]:
    opened = next((e for e in events if e["kind"] == "case_opened"), None)
    payload = opened["payload"] if opened else {}
    origin = " (from a parent case)" if payload.get("parent") else ""
    return [
        TimelineItem(
            at=case.opened_at,
            kind="opened",
            stage=None,
            summary=f"opened in {case.pathway_id} v{case.pathway_version}{origin}",
            actor=_name(names, opened["actor_id"]) if opened else None,
            details=payload,
        )
    ]


def _stays(
    entries: list[dict[str, Any]],
    case: CaseView,
    names: Mapping[int, str],
    titles: Mapping[str, str],
    *,
    unseen: Mapping[int, tuple[UnseenDecision, ...]],
    lang: str,
) -> list[TimelineItem]:
    items = []
    for entry in entries:
        stage = entry["stage"]
        title = titles.get(stage)
        items.append(
            TimelineItem(
                at=entry["entered_at"],
                kind="entered",
                stage=stage,
                summary=f"entered {stage}" + (f" ({title})" if title else ""),
                details={"seq": entry["seq"], "due_at": entry["due_at"]},
            )
        )
        if entry["left_at"] is None:
            continue
        spent = entry["left_at"] - entry["entered_at"]
        last = entry is entries[-1] and case.status == "closed"
        note = f" — {entry['note']}" if entry["note"] else ""
        # Recorded right after decisions its officer had not seen (casework.conflict).
        over = unseen.get(entry["id"], ())
        note = f" ({unseen_sentence(over, lang)}){note}" if over else note
        items.append(
            TimelineItem(
                at=entry["left_at"],
                kind="closed" if last else "decision",
                stage=stage,
                summary=f"{stage}: {entry['outcome']} after {_span(spent)}"
                + (f"; closed: {case.result}" if last else "")
                + note,
                actor=_name(names, entry["decided_by"]),
                details={
                    "seq": entry["seq"],
                    "outcome": entry["outcome"],
                    "values": entry["values"],
                    "spent_seconds": spent.total_seconds(),
                }
                | ({"decided_over": [asdict(o) for o in over]} if over else {})
                | ({"note": entry["note"]} if entry["note"] else {}),  # an exit's reason, a decision's why
            )
        )
    return items


def _documents(conn: Connection, case_id: int) -> list[TimelineItem]:
    query = (
        select(DOC.c.id, DOC.c.name, DOC.c.language, DOC.c.media_type, DOC.c.created_at, ENTRY.c.stage)
        .outerjoin(ENTRY, ENTRY.c.id == DOC.c.entry_id)
        .where(DOC.c.case_id == case_id)
        .order_by(DOC.c.id)
    )
    return [
        TimelineItem(
            at=row.created_at,
            kind="document",
            stage=row.stage,
            summary=f"document {row.name} ({row.language})",
            link=f"document:{row.id}",
            details={"name": row.name, "language": row.language, "media_type": row.media_type},
        )
        for row in conn.execute(query)
    ]


def _opened_recorded_at(events: list[dict[str, Any]]) -> datetime | None:
    opened = next((e for e in events if e["kind"] == "case_opened"), None)
    return opened["recorded_at"] if opened else None


def _messages(conn: Connection, case_id: int, since: datetime | None) -> list[dict[str, Any]]:
    """Message jobs of the case, and one entry per item about the case in a digest."""
    columns = (JOB.c.id, JOB.c.kind, JOB.c.key, JOB.c.status, JOB.c.payload, JOB.c.created_at)
    direct = select(*columns).where(JOB.c.case_id == case_id, JOB.c.kind == "message").order_by(JOB.c.id)
    found = [_message(row, row.payload) for row in conn.execute(direct)]
    found.extend(
        _message(row, {**item, "person": row.payload.get("person")})
        for row in conn.execute(_digests_about(conn, case_id, since, columns))
        for item in row.payload.get("items", [])
        if item.get("case") == case_id
    )
    return found


def _digests_about(conn: Connection, case_id: int, since: datetime | None, columns: Any) -> Select[Any]:
    """Digest jobs holding an item about the case (JSON containment, written per backend)."""
    query = select(*columns).where(JOB.c.kind == "digest").order_by(JOB.c.id)
    if since is not None:
        # An item joins a digest after its case was opened, and every change moves updated_at on.
        query = query.where(JOB.c.updated_at >= since)
    if conn.dialect.name == "postgresql":
        return query.where(type_coerce(JOB.c.payload, JSONB).contains({"items": [{"case": case_id}]}))
    return query.where(
        text(
            "EXISTS (SELECT 1 FROM json_each(outboxjob.payload, '$.items') AS item "
            "WHERE json_extract(item.value, '$.case') = :digest_case)"
        ).bindparams(digest_case=case_id)
    )


def _message(row: Any, item: Mapping[str, Any]) -> dict[str, Any]:
    at = item.get("at")
    return {
        "job": row.id,
        "job_kind": row.kind,
        "status": row.status,
        "at": datetime.fromisoformat(at) if isinstance(at, str) else row.created_at,
        "person": item.get("person"),
        "notice_kind": item.get("kind"),
        "template": item.get("template"),
        "rule": item.get("rule"),
        "role": item.get("role"),
        "entry": item.get("entry"),
    }


def _message_item(message: Mapping[str, Any], names: Mapping[int, str]) -> TimelineItem:
    recipient = _name(names, message["person"]) or "nobody"
    via = " (daily digest)" if message["job_kind"] == "digest" else ""
    return TimelineItem(
        at=message["at"],
        kind="message",
        stage=None,
        summary=f"{message['notice_kind'] or 'message'} {message['template']} to {recipient}{via}: "
        f"{message['status']}",
        link=f"outbox:{message['job']}",
        details={k: v for k, v in message.items() if k != "at"},
    )


def _describe(kind: str, payload: Mapping[str, Any]) -> str:
    if kind == "phase_changed":
        return f"project phase {payload.get('from')} → {payload.get('to')}"
    details = ", ".join(f"{k}={v}" for k, v in payload.items())
    return f"{kind}: {details}" if details else kind


def _span(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.1f} days" if days >= 1 else f"{delta.total_seconds() / 3600:.1f} hours"
