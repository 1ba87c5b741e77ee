"""What a message says: a job resolved against the database into template, language, variables, channels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from pathways.domain.spec import EscalationRule, ReminderRule, Role
from pathways.errors import NotFound, Refused
from pathways.notify.render import Rendered, Renderer, choose_language
from pathways.services.casework.lookup import find_case
from pathways.services.people.ownerlinks import current_link
from pathways.store.core import CASE, ENTRY, ORG, PERSON, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App


@dataclass(frozen=True, slots=True)
class Message:
    """A message job resolved against the database: template, language and variables, channels."""

    template: str
    lang: str
    zone: str
    context: dict[str, Any]
    channels: tuple[str, ...]
    recipient: str


def case_url(app: App, ref: str) -> str:
    """The link to a case's page."""
    return f"{app.settings.base_url.rstrip('/')}/cases/{ref}"


def _facts(conn: Connection, item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The case, stage entry, project and organisation of an item; None once the case left that stage."""
    row = (
        conn.execute(
            select(
                CASE.c.ref,
                CASE.c.status,
                CASE.c.current_entry_id,
                CASE.c.pathway_id,
                CASE.c.pathway_version,
                ENTRY.c.stage,
                ENTRY.c.due_at,
                PROJECT.c.name.label("project"),
                PROJECT.c.owner_id,
                ORG.c.name.label("organisation"),
                ORG.c.timezone,
                ORG.c.language,
            )
            .select_from(CASE)
            .join(ENTRY, (ENTRY.c.case_id == CASE.c.id) & (ENTRY.c.id == item["entry"]))
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .join(ORG, ORG.c.id == CASE.c.organisation_id)
            .where(CASE.c.id == item["case"])
        )
        .mappings()
        .first()
    )
    if row is None or row["status"] != "open" or row["current_entry_id"] != item["entry"]:
        return None
    return dict(row)


def _item_context(app: App, facts: Mapping[str, Any], item: Mapping[str, Any], lang: str) -> dict[str, Any]:
    spec = app.catalog.get(facts["pathway_id"], facts["pathway_version"])
    zone = ZoneInfo(facts["timezone"])
    at = datetime.fromisoformat(item["at"])
    due: datetime = facts["due_at"]
    return {
        "kind": item["kind"],
        "days": (due.astimezone(zone).date() - at.astimezone(zone).date()).days,
        "case": {
            "ref": facts["ref"],
            "pathway_title": spec.title.get(lang),
            "stage_title": spec.stage(facts["stage"]).title.get(lang),
            "due_at": due,
            "url": case_url(app, facts["ref"]),
        },
        "project": {"name": facts["project"]},
    }


def build_message(conn: Connection, app: App, kind: str, payload: Mapping[str, Any]) -> Message | None:
    """Resolve a message or digest job; None when nothing in it is still current."""
    person = conn.execute(select(PERSON).where(PERSON.c.id == payload["person"])).mappings().first()
    if person is None or person["erased_at"] is not None:
        raise NotFound(
            f"person {payload['person']} no longer exists or was erased",
            code="message_person_gone",
            params={"person": payload["person"]},
        )
    items = payload["items"] if kind == "digest" else [payload]
    found = [(item, facts) for item in items if (facts := _facts(conn, item)) is not None]
    if not found:
        return None
    first = found[0][1]
    lang = choose_language(person["language"], first["language"], who=f"person {person['id']}")
    context: dict[str, Any] = {"person": person["name"], "organisation": {"name": first["organisation"]}}
    if kind == "digest":
        # One line per stage entry: its escalation, if one is due, says more than its reminder.
        latest: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        for item, facts in found:
            if item["entry"] not in latest or item["kind"] == "escalation":
                latest[item["entry"]] = (item, facts)
        rows = [_item_context(app, facts, item, lang) for item, facts in latest.values()]
        context |= {
            "date": date.fromisoformat(payload["date"]),
            "items": sorted(rows, key=lambda r: (r["case"]["due_at"], r["case"]["ref"])),
        }
        template = "digest"
    else:
        context |= _item_context(app, first, payload, lang)
        # The project's owner has no account: their own signed, expiring link opens their case.
        owner = first["owner_id"] is not None and first["owner_id"] == person["id"]
        context["owner_url"] = current_link(conn, app, payload["case"], person["id"]) if owner else None
        template = payload["template"]
    return Message(
        template=template,
        lang=lang,
        zone=first["timezone"],
        context=context,
        channels=tuple(person["channels"] or ()),
        recipient=f"person {person['id']} ({person['handle']})",
    )


@dataclass(frozen=True, slots=True)
class Preview:
    """A message rendered as its recipient would read it, and who that recipient is."""

    rendered: Rendered
    to: Role  # the role the pathway files send this template to
    recipient: str  # that person's name (a sample name without a case)


SAMPLE_NAMES = {Role.OWNER: "Samir Ouali", Role.MANAGER: "Hélène Garnier"}


def recipient_role(app: App, template: str, *, pathway: str | None = None, stage: str | None = None) -> Role:
    """Who the pathways send `template` to: the stage's own rule first, then its pathway's, then any."""
    specs = [app.catalog.get(pathway)] if pathway is not None else []
    specs += [app.catalog.get(i) for i in app.catalog.ids()]
    for spec in specs:
        stages = [spec.stage(stage)] if stage is not None and spec.id == pathway else []
        for st in [*stages, *spec.stages]:
            rules: list[ReminderRule | EscalationRule] = [*st.remind, *st.escalate]
            for rule in rules:
                if rule.template == template:
                    return rule.to
    return Role.OFFICER


def preview(
    app: App,
    template: str,
    lang: str,
    *,
    case: str | int | None = None,
    to: Role | None = None,
    now: datetime | None = None,
) -> Preview:
    """Render a message in `lang`, for a case's current stage or for sample data, to its recipient.

    The recipient is the role the pathway files send the template to (`to` overrides it): a
    project owner's message is addressed to the owner by name and carries a sample of their
    personal link; a preview never signs a real one (`case owner-link` does).
    """
    at = now or app.clock.now()
    kind = "escalation" if template == "escalation" else "reminder"
    with app.store.read() as conn:
        if case is None:
            role = to or recipient_role(app, template)
            item = _sample(app, lang, kind, at)
            name = SAMPLE_NAMES.get(role, "Camille Martin")
            organisation = "DLA de Paris"
            zone = app.settings.default_timezone
        else:
            row = find_case(conn, case)
            payload = {
                "case": row.id,
                "entry": row.current_entry_id,
                "kind": kind,
                "at": at.isoformat(),
            }
            facts = _facts(conn, payload)
            if facts is None:
                raise Refused(
                    f"case {row.ref} is closed: no stage to write about",
                    code="case_closed_no_stage",
                    params={"ref": row.ref},
                )
            role = to or recipient_role(app, template, pathway=facts["pathway_id"], stage=facts["stage"])
            person_id = facts["owner_id"] if role is Role.OWNER else row.officer_id
            found = conn.execute(select(PERSON.c.name).where(PERSON.c.id == person_id)).scalar()
            name = found or SAMPLE_NAMES.get(role, "Camille Martin")
            item = _item_context(app, facts, payload, lang)
            organisation = facts["organisation"]
            zone = facts["timezone"]
    context: dict[str, Any] = {"person": name, "organisation": {"name": organisation}}
    if template == "digest":
        context |= {"date": at.astimezone(ZoneInfo(zone)).date(), "items": [item]}
    else:
        sample_link = f"{app.settings.base_url.rstrip('/')}/o/SAMPLE-LINK" if role is Role.OWNER else None
        context |= item | {"owner_url": sample_link}
    rendered = Renderer(app.settings.templates_dir).render(template, lang, context, zone=zone)
    return Preview(rendered, role, name)


def _sample(app: App, lang: str, kind: str, at: datetime) -> dict[str, Any]:
    ids = app.catalog.ids()
    spec = app.catalog.get("diagnosis" if "diagnosis" in ids else ids[0])
    days = -3 if kind == "escalation" else 5
    return {
        "kind": kind,
        "days": days,
        "case": {
            "ref": f"{spec.reference}-{at.year}-0001",
            "pathway_title": spec.title.get(lang),
            "stage_title": spec.first_stage.title.get(lang),
            "due_at": at + timedelta(days=days),
            "url": case_url(app, f"{spec.reference}-{at.year}-0001"),
        },
        "project": {"name": "La Fabrique solidaire"},
    }
