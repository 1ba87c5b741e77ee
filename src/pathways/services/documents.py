"""Documents produced by automatic steps: rendered from templates, attached to the case."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import insert, select

from pathways.domain.case import typed_case_data
from pathways.services.cases import CASE, ENTRY, ORG, PROJECT
from pathways.services.tx import Tx
from pathways.store.tables import Document, Person

if TYPE_CHECKING:
    from pathways.bootstrap import App

DOC = Document.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]


def _environment(app: App, lang: str) -> SandboxedEnvironment:
    base = app.settings.templates_dir
    return SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(base / lang / "documents"))]),
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


def render_case_document(app: App, tx: Tx, *, case_id: int, entry_id: int) -> str:
    """Render the document of the stage entry `entry_id` and attach it to the case; returns its name."""
    case = dict(tx.conn.execute(select(CASE).where(CASE.c.id == case_id)).mappings().one())
    entry = dict(tx.conn.execute(select(ENTRY).where(ENTRY.c.id == entry_id)).mappings().one())
    project = dict(
        tx.conn.execute(select(PROJECT).where(PROJECT.c.id == case["project_id"])).mappings().one()
    )
    spec = app.catalog.get(case["pathway_id"], case["pathway_version"])
    stage = spec.stage(entry["stage"])
    lang = document_language(tx, project)
    env = _environment(app, lang)
    name = f"{spec.id}.{stage.id}"
    template = env.select_template([f"{name}.html.j2", "case.html.j2"])
    html = template.render(
        lang=lang,
        case=case,
        project=project,
        pathway=spec,
        stage=stage,
        data=typed_case_data(spec, case["data"]),
        generated_at=tx.at,
    )
    tx.conn.execute(
        insert(DOC).values(
            case_id=case_id,
            entry_id=entry_id,
            name=f"{case['ref']}-{name}.html",
            language=lang,
            media_type="text/html",
            content=html,
            created_at=tx.at,
        )
    )
    tx.audit(
        organisation_id=case["organisation_id"],
        case_id=case_id,
        kind="document_rendered",
        payload={"name": name, "language": lang, "stage": stage.id},
    )
    return f"{case['ref']}-{name}.html"
