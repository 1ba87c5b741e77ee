"""Documents produced by automatic steps: rendered from templates, attached to the case.

A ``render_document`` step runs when its stage is *entered*, so a document that shows
what a stage decided is declared on the stage that follows it (the shared diagnosis
on ``support_plan``, the transfer agreement on ``transfer``...). The template is
``<templates>/<lang>/documents/<pathway>.<entered stage>.html.j2``, else the generic
``case.html.j2``; it sees the case's data *as it was when the stage was entered*, so a
document rendered late by a queued job shows the same facts as one rendered at once.

Documents are printable HTML (print CSS, A4), in the project's language, people by name;
each is also served as PDF, drawn from that HTML by WeasyPrint when asked for
(:mod:`pathways.services.casework.printing`, which fetches nothing outside the document).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Connection, select

from pathways.domain import identifiers
from pathways.domain.calendar import add_calendar
from pathways.domain.case import typed_case_data
from pathways.domain.spec import FieldSpec, FieldType, PathwaySpec
from pathways.errors import NotFound
from pathways.notify.render import babel_locale
from pathways.services.casework.lookup import find_case
from pathways.services.casework.views import CaseView, DocumentSummary, DocumentView
from pathways.services.collaboration import cooperation
from pathways.services.people import directory
from pathways.services.tx import Tx
from pathways.store.core import CASE, DOC, ENTRY, ORG, PERSON, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App


_GENERATED = re.compile(r'<footer class="generated">.*?</footer>', re.DOTALL)
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_YES_NO = {"fr": ("oui", "non"), "nl": ("ja", "nee"), "en": ("yes", "no")}
_EMPTY = "–"


def _environment(app: App, lang: str) -> SandboxedEnvironment:
    return _cached_environment(str(app.settings.templates_dir), lang)


@lru_cache(maxsize=16)
def _cached_environment(base: str, lang: str) -> SandboxedEnvironment:
    """One environment per templates folder and language, so each template compiles once per process."""
    return SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(Path(base) / lang / "documents"))]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def document_language(tx: Tx, project: dict[str, Any]) -> str:
    """The project's language: its owner's, else its organisation's."""
    if project["owner_id"] is not None:
        lang = tx.conn.execute(select(PERSON.c.language).where(PERSON.c.id == project["owner_id"])).scalar()
        if lang:
            return str(lang)
    return str(
        tx.conn.execute(select(ORG.c.language).where(ORG.c.id == project["organisation_id"])).scalar_one()
    )


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What a case recorded, for a template: typed values, their labels and their printed form."""

    spec: PathwaySpec
    data: Mapping[str, Mapping[str, Any]]  # stage id -> field -> typed value
    lang: str
    locale: str
    people: Mapping[int, str]

    def field(self, stage: str, name: str) -> FieldSpec | None:
        """The spec of field `name` of `stage` (the stage's own, else an outcome's)."""
        try:
            found = self.spec.stage(stage)
        except KeyError:
            return None
        if name in found.fields:
            return found.fields[name]
        return next((o.fields[name] for o in found.outcomes.values() if name in o.fields), None)

    def has(self, stage: str, name: str) -> bool:
        """Whether a value was recorded (empty lists count as nothing)."""
        return self.value(stage, name) not in (None, [], "")

    def value(self, stage: str, name: str) -> Any:
        """The typed value recorded, or None."""
        return self.data.get(stage, {}).get(name)

    def label(self, stage: str, name: str) -> str:
        """The field's label in the document's language."""
        spec = self.field(stage, name)
        return spec.label.get(self.lang) if spec is not None else name

    def items(self, stage: str, name: str) -> list[str]:
        """Each item of a list value, printed; a single value as a one-item list."""
        value = self.value(stage, name)
        if value in (None, ""):
            return []
        spec = self.field(stage, name)
        kind = (spec.items if spec.type is FieldType.LIST else spec.type) if spec is not None else None
        values = value if isinstance(value, list) else [value]
        return [self._one(kind, spec, v) for v in values]

    def shown(self, stage: str, name: str) -> str:
        """The value as printed: dates, amounts and choices in the language, people by name."""
        shown = self.items(stage, name)
        return ", ".join(shown) if shown else _EMPTY

    def _one(self, kind: FieldType | None, spec: FieldSpec | None, value: Any) -> str:  # noqa: PLR0911
        if isinstance(value, bool):
            yes, no = _YES_NO.get(self.lang, _YES_NO["en"])
            return yes if value else no
        if kind is FieldType.CHOICE and spec is not None and spec.choices and value in spec.choices:
            return spec.choices[value].get(self.lang)
        if kind is FieldType.PERSON:
            return self.people.get(int(value), f"#{value}") if str(value).isdigit() else str(value)
        if kind is FieldType.MONEY and isinstance(value, Decimal | int):
            return str(format_currency(value, "EUR", locale=self.locale))
        if kind is FieldType.BCE:
            return identifiers.format_bce(str(value))
        if kind is FieldType.SIRET and len(str(value)) == 14:
            text = str(value)
            return f"{text[:3]} {text[3:6]} {text[6:9]} {text[9:]}"
        return self.format(value)

    def identifier(self, project: Mapping[str, Any]) -> str:
        """The project's legal identifier, printed: SIRET, BCE/KBO number or RNA ('' when none)."""
        if project.get("siret"):
            return "SIRET " + self._one(FieldType.SIRET, None, project["siret"])
        if project.get("bce"):
            return ("KBO " if self.lang == "nl" else "BCE ") + identifiers.format_bce(str(project["bce"]))
        if project.get("rna"):
            return f"RNA {project['rna']}"
        return ""

    def format(self, value: Any) -> str:
        """A date, number or text in the document's language."""
        if isinstance(value, datetime | date):
            day = value.date() if isinstance(value, datetime) else value
            return str(format_date(day, format="long", locale=self.locale))
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return str(format_decimal(value, locale=self.locale))
        return _EMPTY if value is None else str(value)


def _as_of(conn: Connection, case_id: int, seq: int) -> dict[str, dict[str, Any]]:
    """The case's data as it stood when its entry `seq` began: values of the earlier entries, in order."""
    data: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        select(ENTRY.c.stage, ENTRY.c["values"])
        .where(ENTRY.c.case_id == case_id, ENTRY.c.seq < seq)
        .order_by(ENTRY.c.seq)
    )
    for stage, values in rows:
        data.setdefault(stage, {}).update(values or {})
    return data


def _people(conn: Connection, ids: set[int], org_id: int) -> dict[int, str]:
    """Names of the people among `ids` who are members of the case's organisation (no one else's)."""
    if not ids:
        return {}
    rows = conn.execute(
        select(PERSON.c.id, PERSON.c.name).where(PERSON.c.id.in_(ids), directory.members_of(org_id))
    )
    return {row[0]: row[1] for row in rows}


def _person_ids(spec: PathwaySpec, data: Mapping[str, Mapping[str, Any]]) -> set[int]:
    found: set[int] = set()
    for stage in spec.stages:
        fields = {**stage.fields, **{k: v for o in stage.outcomes.values() for k, v in o.fields.items()}}
        for name, field in fields.items():
            if field.type is FieldType.PERSON or field.items is FieldType.PERSON:
                value = data.get(stage.id, {}).get(name)
                values = value if isinstance(value, list) else [value]
                found |= {int(v) for v in values if v is not None and str(v).isdigit()}
    return found


def _parent_record(app: App, conn: Connection, parent_id: int | None, lang: str, locale: str) -> Any:
    """The parent case (hand-off or spawn) with its record, or None."""
    if parent_id is None:
        return None
    parent = dict(conn.execute(select(CASE).where(CASE.c.id == parent_id)).mappings().one())
    spec = app.catalog.get(parent["pathway_id"], parent["pathway_version"])
    data = typed_case_data(spec, {k: v for k, v in parent["data"].items() if not k.startswith("_")})
    people = _people(conn, _person_ids(spec, data), parent["organisation_id"])
    return {"ref": parent["ref"], "pathway": spec, "rec": CaseRecord(spec, data, lang, locale, people)}


def render_case_document(app: App, tx: Tx, *, case_id: int, entry_id: int) -> str:
    """Render the document of the stage entry `entry_id` and attach it to the case; returns its name.

    A document identical to the case's latest one of the same name (a loop re-entering the
    stage with nothing new to show) is not attached twice.
    """
    conn = tx.conn
    case = CaseView.of(conn.execute(select(CASE).where(CASE.c.id == case_id)).mappings().one())
    entry = dict(conn.execute(select(ENTRY).where(ENTRY.c.id == entry_id)).mappings().one())
    project = dict(conn.execute(select(PROJECT).where(PROJECT.c.id == case.project_id)).mappings().one())
    organisation = dict(conn.execute(select(ORG).where(ORG.c.id == case.organisation_id)).mappings().one())
    spec = app.catalog.get(case.pathway_id, case.pathway_version)
    stage = spec.stage(entry["stage"])
    lang = document_language(tx, project)
    locale = babel_locale(lang, organisation["timezone"])
    data = typed_case_data(spec, _as_of(conn, case_id, entry["seq"]))
    people = _people(
        conn,
        _person_ids(spec, data)
        | {i for i in (case.officer_id, case.resource_id, project["owner_id"]) if i is not None},
        case.organisation_id,
    )
    record = CaseRecord(spec, data, lang, locale, people)
    name = f"{spec.id}.{stage.id}"
    template = _environment(app, lang).select_template([f"{name}.html.j2", "case.html.j2"])
    html = template.render(
        lang=lang,
        case=case,
        project=project,
        pathway=spec,
        stage=stage,
        data=data,
        generated_at=tx.at,
        entry=entry,
        organisation=organisation,
        rec=record,
        fmt=record.format,
        person=lambda i: people.get(i, _EMPTY) if i is not None else _EMPTY,
        months_after=lambda day, months: add_calendar(day, months=months) if day else None,
        parent=_parent_record(app, conn, case.parent_id, lang, locale),
        subject=case.data.get("_spawn", {}).get("item"),
        today=tx.at.astimezone(ZoneInfo(organisation["timezone"])).date(),
        # A cooperation's member projects, the case's own first (names and organisations only).
        members=[m for m in cooperation.members_of(conn, case) if m.active],
    )
    file_name = f"{case.ref}-{name}.html"
    previous = conn.execute(
        select(DOC.c.content)
        .where(DOC.c.case_id == case_id, DOC.c.name == file_name)
        .order_by(DOC.c.id.desc())
        .limit(1)
    ).scalar()
    if previous is not None and _GENERATED.sub("", previous) == _GENERATED.sub("", html):
        return f"{file_name} (unchanged)"
    doc_id = tx.insert(
        DOC,
        case_id=case_id,
        entry_id=entry_id,
        name=file_name,
        language=lang,
        media_type="text/html",
        content=html,
        created_at=tx.at,
    )
    tx.audit(
        organisation_id=case.organisation_id,
        case_id=case_id,
        kind="document_rendered",
        payload={
            "name": name,
            "language": lang,
            "stage": stage.id,
            "document": doc_id,
            "title": title_of(html),
        },
    )
    return file_name


def title_of(html: str) -> str:
    """The document's title (its HTML <title>), unescaped enough to print."""
    found = _TITLE.search(html)
    text = found.group(1).strip() if found else ""
    return text.replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", '"')


def list_documents(conn: Connection, case: str | int) -> list[DocumentSummary]:
    """A case's documents, oldest first: id, name, title, language, stage, when, size."""
    row = find_case(conn, case)
    rows = conn.execute(
        select(
            DOC.c.id,
            DOC.c.name,
            DOC.c.language,
            DOC.c.media_type,
            DOC.c.created_at,
            DOC.c.content,
            ENTRY.c.stage,
        )
        .select_from(DOC.outerjoin(ENTRY, ENTRY.c.id == DOC.c.entry_id))
        .where(DOC.c.case_id == row.id)
        .order_by(DOC.c.id)
    ).mappings()
    return [
        DocumentSummary(
            id=r["id"],
            case=row.ref,
            name=r["name"],
            title=title_of(r["content"]),
            language=r["language"],
            media_type=r["media_type"],
            stage=r["stage"],
            created_at=r["created_at"],
            size=len(r["content"].encode()),
        )
        for r in rows
    ]


def get_document(conn: Connection, case: str | int, document: int) -> DocumentView:
    """One document of a case, with its content; NotFound if the case has no such document."""
    row = find_case(conn, case)
    found = conn.execute(select(DOC).where(DOC.c.id == document, DOC.c.case_id == row.id)).mappings().first()
    if found is None:
        raise NotFound(
            f"case {row.ref} has no document {document}",
            hint=f"list them with `pathways case documents {row.ref}`",
            code="document_not_found",
            params={"ref": row.ref, "document": document},
        )
    return DocumentView.of(found)


def file_names(documents: Sequence[DocumentSummary]) -> dict[int, str]:
    """A distinct file name per document (a loop may render the same document twice)."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for doc in documents:
        name = doc.name
        if name in taken:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}-{doc.id}{dot}{ext}"
        taken.add(name)
        names[doc.id] = name
    return names
