"""Import projects and people from CSV: every row checked first, then all inserted in one transaction.

The columns are described in ``docs/IMPORT.md``; how a file is read (encoding,
delimiter, header aliases in English, French or Dutch) in :mod:`pathways.services.exchange.csvfile`.

Every row is checked before anything is written; each problem is reported as
(line, column, reason), the line being the file's own line number (the header is
line 1). With any bad row the import is refused and nothing is written, unless
``skip_invalid``: then the good rows are imported and the bad ones reported.

The rows go in with executemany inserts, in batches, all in one transaction. The
audit gets one event per organisation and import (``projects_imported`` /
``people_imported``) naming every id created: one HMAC-chained append instead of
10,000 keeps an import of 10,000 rows at a fraction of a second, and each created
row can still be traced to its import event. The events carry ids, counts and the
file's SHA-256, never a name or an address.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, insert, select

from pathways.domain import identifiers, lifecycle
from pathways.domain.calendar import parse_territory
from pathways.domain.spec import LANGS, Phase
from pathways.errors import ImportRefused, RowProblem
from pathways.notify.destination import channel_problems
from pathways.services.exchange.csvfile import Column, CsvFile, Progress, Row, rows
from pathways.services.exchange.known import (
    Orgs,
    People,
    members_by_email,
    new_ids,
    projects_by_number,
)
from pathways.services.people.directory import ROLES, slugify
from pathways.services.tx import Tx, write
from pathways.store.core import MEMBER, PERSON, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = [
    "PEOPLE_COLUMNS",
    "PROJECT_COLUMNS",
    "ImportRefused",
    "ImportReport",
    "Progress",
    "RowProblem",
    "import_people",
    "import_projects",
]

BATCH: Final = 1000  # rows per executemany; also how often progress is reported while inserting
_JOBS_DIGITS: Final = 6  # jobs in one project: fits any integer column
_LIST_SEPARATOR: Final = "|"
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE: Final = re.compile(r"\+?[0-9 ().\-/]{4,32}")


PROJECT_COLUMNS: Final = (
    Column("name", ("nom", "naam", "projet", "project"), required=True, max_length=200),
    Column("org", ("organisation", "organization", "organisatie", "structure"), required=True),
    Column("owner", ("porteur", "porteuse", "eigenaar", "trekker")),
    Column("siret", ("numero_siret",)),
    Column("bce", ("kbo", "numero_bce", "ondernemingsnummer", "enterprise_number")),
    Column("territory", ("territoire", "grondgebied", "gebied")),
    Column("phase", ("stade", "fase")),
    Column("legal_form", ("forme_juridique", "rechtsvorm"), max_length=40),
    Column("rna", ("numero_rna",), max_length=10),
    Column("sector", ("secteur", "naf", "nace"), max_length=10),
    Column("ess_status", ("statut_ess", "ess"), max_length=20),
    Column("permanent_jobs", ("emplois_permanents", "cdi", "vaste_banen")),
    Column("fixed_term_jobs", ("emplois_temporaires", "cdd", "tijdelijke_banen")),
)
PEOPLE_COLUMNS: Final = (
    Column("name", ("nom", "naam"), required=True, max_length=200),
    Column("org", ("organisation", "organization", "organisatie", "structure"), required=True),
    Column("role", ("roles", "rol", "rollen"), required=True),
    Column("email", ("courriel", "e_mail", "mail", "adresse_email"), max_length=254),
    Column("phone", ("telephone", "tel", "telefoon", "gsm")),
    Column("language", ("langue", "taal", "lang")),
    Column("channels", ("canaux", "kanalen")),
    Column("topics", ("sujets", "thematiques", "themas", "onderwerpen")),
)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    what: str  # "projects" | "people"
    rows: int  # data rows in the file
    imported: int
    ids: tuple[int, ...]
    skipped: tuple[RowProblem, ...] = ()  # problems of the rows left out (skip_invalid)
    by_organisation: Mapping[int, int] = field(default_factory=dict)

    @property
    def skipped_lines(self) -> list[int]:
        """Line numbers of the rows left out."""
        return sorted({p.line for p in self.skipped})


def import_projects(
    app: App, path: Path, *, skip_invalid: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Check every row of a projects file, then insert the projects (see docs/IMPORT.md)."""
    source = CsvFile.read(path, PROJECT_COLUMNS)
    with app.store.read() as conn:
        checked = _check_projects(conn, source, progress)
    return _finish(app, "projects", source, checked, skip_invalid, progress, _insert_projects)


def import_people(
    app: App, path: Path, *, skip_invalid: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Check every row of a people file, then insert the people and their roles (see docs/IMPORT.md)."""
    source = CsvFile.read(path, PEOPLE_COLUMNS)
    with app.store.read() as conn:
        checked = _check_people(conn, source, progress)
    return _finish(app, "people", source, checked, skip_invalid, progress, _insert_people)


# --- checking ------------------------------------------------------------------------------


@dataclass
class _Checked:
    good: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, row to insert)
    problems: list[RowProblem] = field(default_factory=list)
    # lines giving a phase before `founded` with a legal identifier: recorded in the import event
    despite_identifier: set[int] = field(default_factory=set)


def _check_projects(conn: Connection, source: CsvFile, progress: Progress | None) -> _Checked:
    out = _Checked(problems=list(source.shape))
    col = {c.name: c for c in PROJECT_COLUMNS}
    orgs = Orgs(conn)
    people = People(conn, (v["owner"] for _, v in source.rows if v.get("owner")))
    wanted = [(_digits(v.get("siret")), _digits(v.get("bce"), "BE")) for _, v in source.rows]
    # A SIRET or BCE number is unique within an organisation (as `add_project` checks): another
    # organisation's project is never named, nor its existence told.
    by_siret = projects_by_number(conn, "siret", (s for s, _ in wanted if s))
    by_bce = projects_by_number(conn, "bce", (b for _, b in wanted if b))
    names = {
        (org_id, name.lower()): project_id
        for project_id, org_id, name in conn.execute(
            select(PROJECT.c.id, PROJECT.c.organisation_id, PROJECT.c.name)
        ).tuples()
    }
    seen: dict[tuple[str, Any], int] = {}
    phases = [p.value for p in Phase]
    for line, values in rows(source, progress):
        row = Row(line, values, out.problems)
        name = row.require(col["name"], "every project has a name")
        org_ref = row.require(col["org"], "name the organisation (id, slug or name)")
        org_id = orgs.find(row, org_ref) if org_ref else None
        owner_ref = row.get(col["owner"])
        owner = people.find(row, "owner", owner_ref, org_id) if owner_ref else None
        siret = row.parse(col["siret"], identifiers.check_siret)
        bce = row.parse(col["bce"], identifiers.check_bce)
        territory = row.parse(col["territory"], parse_territory)
        given = (row.get(col["phase"]) or "").lower()
        if given and given not in phases:
            row.fail("phase", f"'{given}' is not a phase: use one of {', '.join(phases)}")
        # As `add_project`: no phase means founded with a SIRET or BCE number, else idea.
        start = lifecycle.initial_phase(
            Phase(given) if given in phases else None, identified=bool(siret or bce)
        )
        if start.source == "given_despite_identifier":
            out.despite_identifier.add(line)
        jobs = {key: _count(row, col[key]) for key in ("permanent_jobs", "fixed_term_jobs")}
        extra = {key: row.get(col[key]) for key in ("legal_form", "rna", "sector", "ess_status")}
        if siret and org_id is not None:
            if (org_id, siret) in by_siret:
                twin = by_siret[org_id, siret]
                row.fail(
                    "siret",
                    f"project {twin[0]} '{twin[1]}' of this organisation exists already with SIRET {siret}",
                )
            row.unique(seen, "siret", (org_id, siret), "SIRET")
        if bce and org_id is not None:
            if (org_id, bce) in by_bce:
                twin = by_bce[org_id, bce]
                row.fail(
                    "bce",
                    f"project {twin[0]} '{twin[1]}' of this organisation exists already"
                    f" with BCE number {bce}",
                )
            row.unique(seen, "bce", (org_id, bce), "BCE number")
        if name and org_id is not None:
            key = (org_id, name.lower())
            if key in names:
                row.fail("name", f"the organisation already has a project named '{name}' (id {names[key]})")
            row.unique(seen, "name", key, "name in the same organisation")
        if row.ok and name and org_id is not None:
            project = {
                "organisation_id": org_id,
                "name": name,
                "owner_id": owner,
                "siret": siret,
                "siren": siret[:9] if siret else None,
                "bce": bce,
                "territory": territory or orgs.territory[org_id],
                "phase": start.phase.value,
            }
            out.good.append((line, {**project, **jobs, **extra}))
    return out


def _digits(value: str | None, prefix: str = "") -> str:
    """An identifier as stored (separators and country prefix removed), to look it up."""
    number = identifiers.normalise(value or "")
    return number[len(prefix) :] if prefix and number[: len(prefix)].upper() == prefix else number


def _count(row: Row, column: Column) -> int:
    value = row.get(column)
    if value is None:
        return 0
    if not (value.isascii() and value.isdigit()):
        row.fail(column.name, f"'{value}' is not a whole number of jobs (0 or more)")
        return 0
    if len(value) > _JOBS_DIGITS:
        row.fail(column.name, f"'{value}' jobs: at most {10**_JOBS_DIGITS - 1:,}")
        return 0
    return int(value)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(_LIST_SEPARATOR) if part.strip()]


def _check_people(conn: Connection, source: CsvFile, progress: Progress | None) -> _Checked:
    out = _Checked(problems=list(source.shape))
    col = {c.name: c for c in PEOPLE_COLUMNS}
    orgs = Orgs(conn)
    # One e-mail, one person within an organisation (as `add_person` checks); the e-mails of
    # other organisations' people are not looked at, so the answer tells nothing about them.
    emails = members_by_email(conn, (v["email"] for _, v in source.rows if v.get("email")))
    handles = set(conn.scalars(select(PERSON.c.handle)))
    seen: dict[tuple[str, Any], int] = {}
    for line, values in rows(source, progress):
        row = Row(line, values, out.problems)
        name = row.require(col["name"], "every person has a name")
        org_ref = row.require(col["org"], "name the organisation (id, slug or name)")
        org_id = orgs.find(row, org_ref) if org_ref else None
        given = row.require(col["role"], f"one of {', '.join(ROLES)} (several: officer|manager)")
        roles = _split(given)
        if given and not roles:  # only separators: "|"
            row.fail("role", f"name at least one role: one of {', '.join(ROLES)} (several: officer|manager)")
        for role in roles:
            if role not in ROLES:
                row.fail("role", f"'{role}' is not a role: use one of {', '.join(ROLES)}")
        email = row.get(col["email"])
        if email is not None:
            if not _EMAIL.fullmatch(email):
                row.fail("email", "not an email address")
            elif org_id is not None and (org_id, email.lower()) in emails:
                twin = emails[org_id, email.lower()]
                row.fail(
                    "email",
                    f"person '{twin[1]}' (id {twin[0]}) of this organisation exists already with this e-mail",
                )
            row.unique(seen, "email", (org_id, email.lower()), "email")
        phone = row.get(col["phone"])
        if phone is not None and not _PHONE.fullmatch(phone):
            row.fail("phone", "not a phone number (digits, spaces and + ( ) . - /, at most 32 characters)")
        language = (row.get(col["language"]) or "").lower() or None
        if language is not None and language not in LANGS:
            row.fail("language", f"'{language}' is not supported: use one of {', '.join(LANGS)}")
        channels = _split(row.get(col["channels"]))
        for problem in channel_problems(channels):  # not Apprise URLs, or reaching internal hosts
            row.fail("channels", problem)
        if row.ok and name and org_id is not None:
            person = {
                "handle": _unique(slugify(name), handles),
                "name": name,
                "email": email,
                "phone": phone,
                "language": language,
                "channels": channels,
                "topics": _split(row.get(col["topics"])),
                "digest": True,
            }
            out.good.append(
                (line, {"person": person, "organisation_id": org_id, "roles": list(dict.fromkeys(roles))})
            )
    return out


def _unique(base: str, taken: set[str]) -> str:
    handle, n = base, 2
    while handle in taken:
        handle, n = f"{base}-{n}", n + 1
    taken.add(handle)
    return handle


# --- writing -------------------------------------------------------------------------------

_Insert = Callable[[Tx, list[dict[str, Any]], Callable[[int], None]], tuple[list[int], dict[int, list[int]]]]


def _finish(
    app: App,
    what: str,
    source: CsvFile,
    checked: _Checked,
    skip_invalid: bool,
    progress: Progress | None,
    inserter: _Insert,
) -> ImportReport:
    problems = sorted(checked.problems, key=lambda p: p.line)
    if problems and not skip_invalid:
        raise ImportRefused(what, problems, rows=len(source.rows))
    good = [row for line, row in checked.good]
    total = len(good)

    def advance(done: int) -> None:
        if progress is not None:
            progress("import", done, total)

    ids: list[int] = []
    per_org: dict[int, list[int]] = {}
    if good:
        with write(app) as tx:
            ids, per_org = inserter(tx, good, advance)
            skipped_lines = sorted({p.line for p in problems})
            lines = [line for line, _ in checked.good]
            noted = {i for line, i in zip(lines, ids, strict=True) if line in checked.despite_identifier}
            for org_id, created in sorted(per_org.items()):
                payload: dict[str, Any] = {
                    "count": len(created),
                    what: created,
                    "file_sha256": source.sha256,
                    "rows": len(source.rows),
                    "skipped_lines": skipped_lines,
                }
                if noted.intersection(created):
                    # the phase_from of `project_added`, for the rows of a file
                    payload["phase_given_despite_identifier"] = sorted(noted.intersection(created))
                tx.audit(organisation_id=org_id, kind=f"{what}_imported", payload=payload)
    return ImportReport(
        what=what,
        rows=len(source.rows),
        imported=len(ids),
        ids=tuple(ids),
        skipped=tuple(problems),
        by_organisation={org: len(created) for org, created in per_org.items()},
    )


def _insert_projects(
    tx: Tx, rows: list[dict[str, Any]], advance: Callable[[int], None]
) -> tuple[list[int], dict[int, list[int]]]:
    ids: list[int] = []
    per_org: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(rows), BATCH):
        batch = [{**row, "created_at": tx.at} for row in rows[start : start + BATCH]]
        created = new_ids(tx.conn, PROJECT, len(batch))
        tx.conn.execute(insert(PROJECT), [{**row, "id": i} for row, i in zip(batch, created, strict=True)])
        for row, project_id in zip(batch, created, strict=True):
            per_org[row["organisation_id"]].append(project_id)
        ids += created
        advance(len(ids))
    return ids, dict(per_org)


def _insert_people(
    tx: Tx, rows: list[dict[str, Any]], advance: Callable[[int], None]
) -> tuple[list[int], dict[int, list[int]]]:
    ids: list[int] = []
    per_org: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        created = new_ids(tx.conn, PERSON, len(batch))
        people = [
            {**row["person"], "id": i, "created_at": tx.at} for row, i in zip(batch, created, strict=True)
        ]
        tx.conn.execute(insert(PERSON), people)
        memberships = [
            {"person_id": person_id, "organisation_id": row["organisation_id"], "role": role}
            for row, person_id in zip(batch, created, strict=True)
            for role in row["roles"]
        ]
        tx.conn.execute(insert(MEMBER), memberships)
        for row, person_id in zip(batch, created, strict=True):
            per_org[row["organisation_id"]].append(person_id)
        ids += created
        advance(len(ids))
    return ids, dict(per_org)
