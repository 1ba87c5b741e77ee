"""The words of a pathway's graph in the reader's language (drawing.graph with ``words=``).

Without words the graph speaks English and shows the ids, as pathway authors read it (the CLI);
with them (the web pages: ``pathways.web.i18n.texts(lang)``) it shows titles and labels only.
Texts are written ``words("...")`` so that ``make messages`` finds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from pathways.domain.spec import OutcomeSpec, PathwaySpec, SpawnSpec, StageSpec

_ARROW_LABEL: Final = 26  # characters of an outcome label on an arrow; longer ones overlap their neighbours


class Words(Protocol):
    """The graph's words in the reader's language (pathways.web.i18n.Texts fits).

    Without words the graph speaks English and shows the ids, as pathway authors read it (CLI);
    with them it shows titles and labels only, as the web pages do.
    """

    def __call__(self, message: str, /, **values: object) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str: ...

    def label(self, group: str, value: object, /, **values: object) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Said:
    """What build() needs to say a pathway in words."""

    words: Words
    lang: str
    titles: Mapping[str, str]  # other pathways (hand-offs, spawns) by id
    fields: Mapping[str, str]  # field labels by name

    def deadline(self, stage: StageSpec) -> str:
        words, deadline = self.words, stage.deadline
        if deadline is None:
            return words("no deadline")
        if deadline.until is not None:
            return words("until “%(field)s”", field=self.fields.get(deadline.until, deadline.until))
        d = deadline.duration
        if d is None:
            return ""
        if d.unit == "business_days":
            text = words.ngettext("%(num)d working day", "%(num)d working days", d.amount)
        elif d.unit == "days":
            text = words.ngettext("%(num)d day", "%(num)d days", d.amount)
        elif d.unit == "weeks":
            text = words.ngettext("%(num)d week", "%(num)d weeks", d.amount)
        else:
            text = words.ngettext("%(num)d month", "%(num)d months", d.amount)
        return text

    def spawn(self, spawn: SpawnSpec) -> tuple[str, str, str]:
        """A spawn node's title and detail, and its arrow's label."""
        words = self.words
        title = words(
            "one “%(pathway)s” per “%(field)s”",
            pathway=self.titles.get(spawn.pathway, spawn.pathway),
            field=self.fields.get(spawn.per, spawn.per),
        )
        what = words("new project each") if spawn.project == "new" else words("same project")
        return title, what, words("child cases")

    def outcome(self, out: OutcomeSpec) -> str:
        """An arrow's label: the outcome's, cut short (the page lists them whole), and the phase it sets."""
        label = out.label.get(self.lang)
        if len(label) > _ARROW_LABEL:
            label = label[: _ARROW_LABEL - 1].rstrip(" :,") + "…"
        if out.phase is None:
            return label
        phase = self.words.label("phase", out.phase.value) or out.phase.value
        return f"{label} ({self.words('project → %(phase)s', phase=phase)})"


def said_of(
    spec: PathwaySpec, words: Words | None, lang: str, titles: Mapping[str, str] | None
) -> Said | None:
    """How to say `spec` with `words` (None without words: the graph shows ids, in English)."""
    if words is None:
        return None
    fields: dict[str, str] = {}
    for stage in spec.stages:
        for name, f in stage.fields.items():
            fields.setdefault(name, f.label.get(lang))
        for out in stage.outcomes.values():
            for name, f in out.fields.items():
                fields.setdefault(name, f.label.get(lang))
    return Said(words, lang, titles or {}, fields)
