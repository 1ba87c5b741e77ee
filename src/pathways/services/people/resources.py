"""The resource-person directory of peer transfer: topics, organisation, transfers this year, matching.

A resource person is a :class:`~pathways.store.tables.Person` with a ``resource``
membership; their organisation is the one of that membership (the support
organisation or network that lists them), their topics are free words.

Who "belongs to the beneficiary's organisation": the beneficiary structure is the
case's *project*, not the support organisation following it (that one lists most of
its own resource persons, and excluding them would leave nobody). A resource person
belongs to the beneficiary structure when they are the project's owner, or own a
project registered under the same SIREN or BCE/KBO number (the same legal entity).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from pathways.domain.loader import PathwayCatalog
from pathways.domain.programme import MAX_TRANSFERS_PER_YEAR
from pathways.domain.spec import FieldSpec, PathwaySpec
from pathways.errors import TransitionNotAllowed
from pathways.services.casework.facts import DbFacts
from pathways.services.casework.lookup import find_case
from pathways.services.people import directory
from pathways.services.people.views import ResourceLine
from pathways.store.core import ENTRY, MEMBER, ORG, PERSON, PROJECT

PATHWAY = "peer_transfer"
STAGE = "matching"
TOPICS_FIELD = ("request", "topics")
REQUESTED_FIELD = ("request", "requested_resource_person")


def normalise(text: str) -> str:
    """Lower case, no accents, one space between words: 'Ressources Humaines' -> 'ressources humaines'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def _fits(wanted: str, offered: str) -> bool:
    """Whether two normalised topics name the same thing (equal, or one a run of the other's words)."""
    if not wanted or not offered:
        return False
    return f" {wanted} " in f" {offered} " or f" {offered} " in f" {wanted} "


def topic_names(spec: PathwaySpec | None, key: str) -> set[str]:
    """Every way a requested topic may be written: its key and its fr, nl and en labels, normalised."""
    names = {normalise(key), normalise(key.replace("_", " "))}
    field = _topics_field(spec)
    if field is not None and field.choices and key in field.choices:
        label = field.choices[key]
        names |= {normalise(label.fr), normalise(label.nl), normalise(label.en)}
    return names - {""}


def _topics_field(spec: PathwaySpec | None) -> FieldSpec | None:
    if spec is None:
        return None
    stage_id, name = TOPICS_FIELD
    try:
        return spec.stage(stage_id).fields.get(name)
    except KeyError:
        return None


def matching_topics(spec: PathwaySpec | None, requested: Iterable[str], offered: Iterable[str]) -> list[str]:
    """The requested topics (keys) that one of the offered topics fits."""
    mine = [normalise(t) for t in offered]
    return [key for key in requested if any(_fits(n, o) for n in topic_names(spec, key) for o in mine)]


def _resource_people(conn: Connection, org: str | int | None) -> list[dict[str, Any]]:
    """Resource persons (not erased) with the organisations that list them."""
    query = (
        select(PERSON, ORG.c.id.label("org_id"), ORG.c.slug.label("org_slug"), ORG.c.name.label("org_name"))
        .join(MEMBER, MEMBER.c.person_id == PERSON.c.id)
        .join(ORG, ORG.c.id == MEMBER.c.organisation_id)
        .where(MEMBER.c.role == "resource", PERSON.c.erased_at.is_(None))
        .order_by(PERSON.c.name, PERSON.c.id, ORG.c.id)
    )
    if org is not None:
        query = query.where(ORG.c.id == directory.find_org(conn, org).id)
    people: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        person = people.setdefault(
            row["id"],
            {
                "id": row["id"],
                "handle": row["handle"],
                "name": row["name"],
                "email": row["email"],
                "language": row["language"],
                "topics": list(row["topics"] or []),
                "organisations": [],
                "organisation_ids": [],
            },
        )
        person["organisations"].append(row["org_slug"])
        person["organisation_ids"].append(row["org_id"])
    return list(people.values())


def list_resources(
    conn: Connection,
    *,
    now: datetime,
    org: str | int | None = None,
    topic: str | None = None,
    everyone: bool = False,
) -> list[ResourceLine]:
    """Resource persons: topics, organisation, transfers validated this calendar year, room for one more.

    Only those with topics, unless `everyone` (consultants share the `resource` role, without topics).
    """
    facts = DbFacts(conn)
    rows: list[ResourceLine] = []
    for person in _resource_people(conn, org):
        if not (person["topics"] or everyone):
            continue
        if topic is not None and not any(_fits(normalise(topic), normalise(t)) for t in person["topics"]):
            continue
        done = facts.transfers_this_year(person["id"], now.year, exclude_case=None)
        rows.append(
            ResourceLine(
                **person,
                organisation=", ".join(person["organisations"]),
                year=now.year,
                transfers_this_year=done,
                available=done < MAX_TRANSFERS_PER_YEAR,
            )
        )
    return rows


def _beneficiary_people(conn: Connection, project: Mapping[str, Any]) -> set[int]:
    """People of the beneficiary structure: its owner, and the owners of projects of the same legal entity."""
    people = {project["owner_id"]} if project["owner_id"] is not None else set()
    same_entity = [
        cond
        for cond in (
            PROJECT.c.siren == project["siren"] if project["siren"] else None,
            PROJECT.c.bce == project["bce"] if project["bce"] else None,
        )
        if cond is not None
    ]
    if same_entity:
        people |= set(
            conn.scalars(
                select(PROJECT.c.owner_id).where(and_(PROJECT.c.owner_id.is_not(None), or_(*same_entity)))
            )
        )
    return people


def _declined(conn: Connection, case_id: int) -> set[int]:
    """Resource persons who already declined this case (every matching entry, not only the latest)."""
    rows = conn.scalars(select(ENTRY.c["values"]).where(ENTRY.c.case_id == case_id, ENTRY.c.stage == STAGE))
    return {int(v["declined_by"]) for v in rows if v and str(v.get("declined_by", "")).isdigit()}


def suggest(conn: Connection, catalog: PathwayCatalog, case: str | int, *, now: datetime) -> dict[str, Any]:
    """Candidates for a peer-transfer case at matching, best first, and the fitting people left out (and why).

    A candidate is listed by the case's organisation (a `resource` role there: a decision
    names no one else), has a topic that fits one requested at `request`, fewer than
    MAX_TRANSFERS_PER_YEAR transfers validated this calendar year, does not belong to
    the beneficiary structure and has not declined this case already.
    """
    row = find_case(conn, case)
    if row.pathway_id != PATHWAY or row.stage != STAGE:
        where = f"{row.pathway_id} at {row.stage or row.result}"
        raise TransitionNotAllowed(
            f"case {row.ref} is {where}: candidates are suggested for a peer_transfer case at matching",
            hint="`pathways resource list` shows every resource person",
        )
    spec = catalog.get(row.pathway_id, row.pathway_version)
    stage_id, name = TOPICS_FIELD
    requested_topics = [str(t) for t in _as_list(row.data.get(stage_id, {}).get(name))]
    requested_person = row.data.get(REQUESTED_FIELD[0], {}).get(REQUESTED_FIELD[1])
    project = dict(conn.execute(select(PROJECT).where(PROJECT.c.id == row.project_id)).mappings().one())
    insiders = _beneficiary_people(conn, project)
    declined = _declined(conn, row.id)
    facts = DbFacts(conn)
    candidates: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    for person in _resource_people(conn, row.organisation_id):
        fits = matching_topics(spec, requested_topics, person["topics"])
        if not fits:
            continue
        done = facts.transfers_this_year(person["id"], now.year, exclude_case=row.id)
        entry = {
            "id": person["id"],
            "handle": person["handle"],
            "name": person["name"],
            "organisation": ", ".join(person["organisations"]),
            "topics": person["topics"],
            "fits": fits,
            "transfers_this_year": done,
            "requested": str(person["id"]) == str(requested_person),
            "same_network": row.organisation_id in person["organisation_ids"],
        }
        why = _why_not(person["id"], done, insiders, declined)
        if why:
            excluded.append(entry | {"why": why})
        else:
            candidates.append(entry)
    candidates.sort(
        key=lambda c: (
            not c["requested"],
            -len(c["fits"]),
            c["transfers_this_year"],
            not c["same_network"],
            c["name"],
        )
    )
    return {
        "case": row.ref,
        "project": project["name"],
        "topics": requested_topics,
        "year": now.year,
        "cap": MAX_TRANSFERS_PER_YEAR,
        "candidates": candidates,
        "excluded": excluded,
    }


def _why_not(person: int, done: int, insiders: set[int], declined: set[int]) -> str | None:
    if person in insiders:
        return "belongs to the beneficiary structure"
    if done >= MAX_TRANSFERS_PER_YEAR:
        return f"already {done} transfers this year (at most {MAX_TRANSFERS_PER_YEAR})"
    if person in declined:
        return "declined this case"
    return None


def _as_list(value: Any) -> Sequence[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
