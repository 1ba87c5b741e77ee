"""The case list and the due list as files (``format=csv|xlsx``): their columns, as the pages show them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response

from pathways.bootstrap import App
from pathways.services.casework.views import CaseItem, DueRow
from pathways.services.people.accounts import Principal
from pathways.web import export
from pathways.web.cases.casetitles import Shown
from pathways.web.i18n import group_labels, texts
from pathways.web.render import language_of


def case_columns(lang: str, shown: Shown, now: datetime, zone_name: str) -> list[export.Column[CaseItem]]:
    """The case list's columns in a file: what the page shows, in the reader's language."""
    _ = texts(lang)
    status = group_labels(lang)["status"]
    zone = ZoneInfo(zone_name)

    def local(at: datetime | None) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at is not None else ""

    return [
        export.Column(_("Case"), lambda i: i.ref),
        export.Column(_("Project"), lambda i: i.project),
        export.Column(_("Pathway"), shown.pathway),
        export.Column(_("Stage"), shown.stage),
        export.Column(_("Status"), lambda i: status.get(i.status, i.status)),
        export.Column(_("Result"), lambda i: shown.result(i) or ""),
        export.Column(_("Due"), lambda i: local(i.due_at)),
        export.Column(_("Overdue"), lambda i: _("yes") if i.overdue(now) else ""),
        export.Column(_("Officer"), lambda i: i.officer or ""),
        export.Column(_("Opened"), lambda i: local(i.opened_at)),
    ]


def due_export(
    request: Request, app: App, user: Principal, rows: Sequence[DueRow], fmt: export.Format
) -> Response:
    """The due list (``GET /due?format=``) as a file: overdue first, then due within the week."""
    lang = language_of(request, user)
    _ = texts(lang)
    zone = ZoneInfo(app.settings.default_timezone)
    latest = {p.id: p for p in app.catalog.latest()}

    def pathway(row: DueRow) -> str:
        spec = latest.get(row.pathway_id)
        return spec.title.get(lang) if spec else row.pathway_id

    def stage(row: DueRow) -> str:
        spec = latest.get(row.pathway_id)
        titles = {s.id: s.title.get(lang) for s in spec.stages} if spec else {}
        return titles.get(row.stage or "", row.stage or "")

    columns: list[export.Column[DueRow]] = [
        export.Column(_("Case"), lambda r: r.ref),
        export.Column(_("Project"), lambda r: r.project),
        export.Column(_("Pathway"), pathway),
        export.Column(_("Stage"), stage),
        export.Column(_("Due"), lambda r: r.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")),
        export.Column(_("Overdue"), lambda r: _("yes") if r.overdue else ""),
        export.Column(_("Officer"), lambda r: r.officer or ""),
    ]
    ordered = sorted(rows, key=lambda r: not r.overdue)  # stable: soonest first within each
    return export.respond(fmt, "due", columns, ordered, lang=lang)
