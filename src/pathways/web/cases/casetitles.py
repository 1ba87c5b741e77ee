"""Pathway, stage and result ids as a reader sees them: titles in the page's language."""

from __future__ import annotations

from dataclasses import dataclass

from pathways.domain.loader import PathwayCatalog
from pathways.errors import NotFound
from pathways.services.casework import search
from pathways.services.casework.views import CaseItem


@dataclass(frozen=True, slots=True)
class Shown:
    """Pathway and stage ids as their titles in the reader's language (never the id when known)."""

    catalog: PathwayCatalog
    lang: str

    def pathway(self, item: CaseItem) -> str:
        """The pathway's title."""
        try:
            return self.catalog.get(item.pathway_id, item.pathway_version).title.get(self.lang)
        except NotFound:
            return item.pathway_id

    def stage(self, item: CaseItem) -> str:
        """The current stage's title ("—" for a closed case)."""
        if item.stage is None:
            return "—"
        try:
            spec = self.catalog.get(item.pathway_id, item.pathway_version)
            return spec.stage(item.stage).title.get(self.lang)
        except (NotFound, KeyError, ValueError):
            return item.stage

    def result(self, item: CaseItem) -> str | None:
        """How a closed case ended, in words (None when it is open or the result is unknown)."""
        if item.result is None:
            return None
        try:
            label = self.catalog.get(item.pathway_id, item.pathway_version).result_label(item.result)
        except NotFound:
            return None
        return label.get(self.lang) if label is not None else None

    def sort_titles(self) -> search.Titles:
        """Titles to sort the pathway and stage columns by (latest versions win)."""
        pathways = {spec.id: spec.title.get(self.lang) for spec in self.catalog}
        stages = {(spec.id, s.id): s.title.get(self.lang) for spec in self.catalog for s in spec.stages}
        return search.Titles(pathways, stages)
