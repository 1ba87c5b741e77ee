"""Audit events as people read them: a sentence in the page's language, never ``person=93``.

Each kind of event has a sentence (:func:`sentences`, gettext texts) whose placeholders are
filled with names and titles: people and projects by name (as the directory knows them
now), pathways, stages and outcomes by their titles in the case's pathway version, roles
and phases by their labels. A kind without a sentence yet (added by a newer feature) reads
as its label, never as its raw payload. Decisions also list the values they recorded, each
under its field's label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pathways.domain.loader import PathwayCatalog
from pathways.domain.spec import FieldSpec, FieldType, PathwaySpec, StageSpec
from pathways.errors import NotFound
from pathways.services.audit.journal import AuditEntry, AuditPage
from pathways.web.i18n import Texts
from pathways.web.i18n_format import Formatter

_SHOWN_VALUES: Final = 12  # values of a decision listed, at most


@dataclass(frozen=True, slots=True)
class EventView:
    """One audit event, ready to show."""

    seq: int
    kind: str
    effective_at: datetime
    recorded_at: datetime
    actor_id: int | None
    actor: str
    case: str | None
    sentence: str
    details: tuple[str, ...]


def kind_labels(t: Texts) -> dict[str, str]:
    """Every kind of event the core records, as a short label ("Decision", "Case opened"...)."""
    return {
        "case_opened": t("Case opened"),
        "decision": t("Decision"),
        "document_rendered": t("Document produced"),
        "case_spawned": t("Child case opened"),
        "committee_agenda": t("On the committee agenda"),
        "case_migrated": t("Case moved to a new pathway version"),
        "project_added": t("Project added"),
        "project_identified": t("Project registered"),
        "phase_changed": t("Project phase"),
        "person_added": t("Person added"),
        "person_role_added": t("Role given"),
        "person_role_changed": t("Role changed"),
        "person_erased": t("Personal data erased"),
        "account_added": t("Account created"),
        "password_reset": t("Password reset"),
        "account_disabled": t("Account disabled"),
        "organisation_added": t("Organisation created"),
        "organisation_updated": t("Days off changed"),
        "message_retried": t("Message retried"),
        "message_readdressed": t("Address fixed"),
        "owner_meeting_confirmed": t("Meeting confirmed by the project lead"),
        "owner_documents_sent": t("Documents sent by the project lead"),
        "people_imported": t("People imported"),
        "projects_imported": t("Projects imported"),
        "impact_evaluation_added": t("Impact evaluation added"),
        "impact_indicator_added": t("Impact indicator added"),
        "impact_value_recorded": t("Impact value recorded"),
        "note_added": t("Note added"),
        "attachment_added": t("File attached"),
        "case_assigned": t("Case reassigned"),
        "owner_link_renewed": t("Personal link renewed"),
        "person_updated": t("Person's details changed"),
        "project_updated": t("Project changed"),
        "case_member_added": t("Member project added"),
        "case_member_removed": t("Member project removed"),
        "case_share_offered": t("Sharing offered to a partner organisation"),
        "case_share_accepted": t("Sharing accepted by the partner organisation"),
        "case_share_withdrawn": t("Sharing withdrawn"),
        "collective_created": t("Cases grouped"),
        "collective_linked": t("Case added to a group"),
        "collective_unlinked": t("Case taken out of a group"),
        "organisation_options_changed": t("Organisation's rules changed"),
    }


OWNER_ANSWER: Final = "owner_"
"""The prefix of a project lead's answers (``owner_<name>``, a name from the pathway's ``ask_owner``):
one sentence for all of them, naming the answer as the pathway labels it."""


def kind_label(t: Texts, kind: str, known: Mapping[str, str] | None = None) -> str:
    """A kind of event as a short label; an unknown kind as its words."""
    found = (known if known is not None else kind_labels(t)).get(kind)
    if found is None and kind.startswith(OWNER_ANSWER):
        return t("Answer of the project lead")
    return found if found is not None else kind.replace("_", " ")


def kind_choices(t: Texts) -> list[tuple[str, str]]:
    """The kinds a search may ask for, with their labels, in the language's alphabetical order."""
    return sorted(kind_labels(t).items(), key=lambda kv: kv[1].casefold())


def sentences(t: Texts, w: Mapping[str, str]) -> dict[str, Callable[[], str]]:
    """The sentence of each kind of event, with the words `w` (built only when asked for)."""
    return {
        "case_opened": lambda: t("%(actor)s opened the case in the %(pathway)s pathway", **w),
        "decision": lambda: t("%(actor)s recorded “%(outcome)s” at the %(stage)s stage", **w),
        "document_rendered": lambda: t("The document “%(title)s” was produced", **w),
        "case_spawned": lambda: t("Case %(ref)s opened from case %(parent)s", **w),
        "committee_agenda": lambda: t("Put on the agenda of the committee of %(date)s", **w),
        "case_migrated": lambda: t(
            "%(actor)s moved the case from version %(version_from)s to version %(version_to)s", **w
        ),
        "project_added": lambda: t("%(actor)s added the project %(project)s (phase: %(phase)s)", **w),
        "project_identified": lambda: t("The project %(project)s is registered", **w),
        "phase_changed": lambda: t("The project %(project)s moved from %(from)s to %(to)s", **w),
        "person_added": lambda: t("%(actor)s added %(person)s as %(role)s", **w),
        "person_role_added": lambda: t("%(actor)s gave %(person)s the role %(role)s", **w),
        "person_role_changed": lambda: t(
            "%(actor)s changed the role of %(person)s from %(from)s to %(to)s", **w
        ),
        "person_erased": lambda: t("%(actor)s erased the personal data of %(person)s", **w),
        "account_added": lambda: t("%(actor)s created an account for %(person)s", **w),
        "password_reset": lambda: t("%(actor)s reset the password of %(person)s", **w),
        "account_disabled": lambda: t("%(actor)s disabled the account of %(person)s", **w),
        "organisation_added": lambda: t("%(actor)s created the organisation (territory %(territory)s)", **w),
        "organisation_updated": lambda: t("%(actor)s changed the organisation's days off", **w),
        "message_retried": lambda: t("%(actor)s sent message %(job)s again", **w),
        "message_readdressed": lambda: t(
            "%(actor)s fixed the address of %(person)s for message %(job)s", **w
        ),
        "owner_meeting_confirmed": lambda: t("%(person)s confirmed the meeting", **w),
        "owner_documents_sent": lambda: t("%(person)s said the documents were sent", **w),
        "people_imported": lambda: t("%(actor)s imported %(count)s people", **w),
        "projects_imported": lambda: t("%(actor)s imported %(count)s projects", **w),
        "impact_evaluation_added": lambda: t("%(actor)s added an impact evaluation (%(tool)s)", **w),
        "impact_indicator_added": lambda: t("%(actor)s added the impact indicator “%(title)s”", **w),
        "impact_value_recorded": lambda: t(
            "%(actor)s recorded the value %(value)s of an impact indicator", **w
        ),
        "note_added": lambda: t("%(actor)s wrote in the case's timeline", **w),
        "attachment_added": lambda: t("%(actor)s attached a file to the case", **w),
        "case_assigned": lambda: t("%(actor)s gave the case to %(officer)s", **w),
        "owner_link_renewed": lambda: t(
            "%(actor)s made a new personal link for %(person)s, valid for %(days)s days", **w
        ),
        "person_updated": lambda: t("%(actor)s changed the details of %(person)s: %(fields)s", **w),
        "project_updated": lambda: t("%(actor)s changed the project %(project)s: %(fields)s", **w),
        "case_member_added": lambda: t("%(actor)s added the project %(project)s to the case", **w),
        "case_member_removed": lambda: t("%(actor)s took the project %(project)s off the case", **w),
        "case_share_offered": lambda: t("%(actor)s offered to share case %(ref)s with a partner", **w),
        "case_share_accepted": lambda: t("%(actor)s accepted to share case %(ref)s", **w),
        "case_share_withdrawn": lambda: t("%(actor)s withdrew the sharing of case %(ref)s", **w),
        "collective_created": lambda: t("%(actor)s grouped the cases %(cases)s", **w),
        "collective_linked": lambda: t("%(actor)s added case %(ref)s to a group of cases", **w),
        "collective_unlinked": lambda: t("%(actor)s took case %(ref)s out of a group of cases", **w),
        "organisation_options_changed": lambda: t("%(actor)s changed the organisation's rules", **w),
        OWNER_ANSWER: lambda: t("%(person)s answered “%(answer)s” on their personal page", **w),
    }


def sentence_of(kind: str, said: Mapping[str, Callable[[], str]]) -> Callable[[], str] | None:
    """The sentence of `kind` among `said` (:func:`sentences`): its own, or its family's
    (a project lead's answer); None for a kind that has none."""
    found = said.get(kind)
    if found is None and kind.startswith(OWNER_ANSWER) and len(kind) > len(OWNER_ANSWER):
        found = said.get(OWNER_ANSWER)
    return found


@dataclass(frozen=True, slots=True)
class _Reader:
    t: Texts
    catalog: PathwayCatalog
    page: AuditPage
    number: Callable[[Any], str]

    def spec(self, entry: AuditEntry) -> PathwaySpec | None:
        pathway = entry.pathway or entry.payload.get("pathway")
        if not isinstance(pathway, str):
            return None
        try:
            return self.catalog.get(pathway, entry.pathway_version)
        except NotFound:
            return None

    def person(self, value: object) -> str:
        if isinstance(value, int) and value in self.page.people:
            return self.page.people[value]
        return self.t("someone")

    def stage(self, spec: PathwaySpec | None, stage: object) -> StageSpec | None:
        if spec is None or not isinstance(stage, str) or stage not in spec.stage_ids():
            return None
        return spec.stage(stage)

    def placeholders(self, entry: AuditEntry) -> dict[str, str]:
        """Every placeholder a sentence may use, readable."""
        p = entry.payload
        lang = self.t.lang
        spec = self.spec(entry)
        stage = self.stage(spec, p.get("stage"))
        outcome = stage.outcomes.get(str(p.get("outcome"))) if stage is not None else None
        # A case closed through an exit (casework.closing) left its stage with the exit as its outcome.
        exited = spec.all_exits.get(str(p.get("outcome"))) if spec is not None and outcome is None else None
        entered = self.stage(spec, p.get("entered")) or self.stage(spec, p.get("stage_to"))
        project = p.get("project")
        return {
            "actor": entry.actor or self.t("Pathways (automatic)"),
            "person": self.person(p.get("person")),
            "officer": self.person(p.get("officer")),
            "role": self._label("role", p.get("role")),
            "from": self._label("role" if entry.kind == "person_role_changed" else "phase", p.get("from")),
            "to": self._label("role" if entry.kind == "person_role_changed" else "phase", p.get("to")),
            "phase": self._label("phase", p.get("phase")),
            "pathway": spec.title.get(lang) if spec is not None else str(p.get("pathway") or "—"),
            "stage": stage.title.get(lang) if stage is not None else str(p.get("stage") or "—"),
            "outcome": outcome.label.get(lang)
            if outcome is not None
            else exited.get(lang)
            if exited is not None
            else str(p.get("outcome") or "—"),
            "entered": entered.title.get(lang) if entered is not None else "—",
            "project": self.page.projects.get(project, self.t("(a project)"))
            if isinstance(project, int)
            else self.t("(a project)"),
            "title": str(p.get("title") or p.get("name") or "—"),
            "ref": str(p.get("ref") or entry.case or "—"),
            "parent": str(p.get("parent") or "—"),
            "job": str(p.get("job") or "—"),
            "count": self.number(p.get("count") or 0),
            "value": str(p.get("value") or "—"),
            "tool": str(p.get("tool") or "—"),
            "territory": str(p.get("territory") or "—"),
            "date": str(p.get("committee_date") or p.get("on") or "—"),
            "version_from": str(p.get("from") or "—"),
            "version_to": str(p.get("to") or "—"),
            "days": self.number(p.get("days") or 0),
            "cases": ", ".join(map(str, p["cases"]))
            if isinstance(p.get("cases"), list) and p["cases"]
            else "—",
            "fields": self._fields(p.get("fields")),
            "answer": self._answer(spec, stage, entry.kind, p.get("action")),
        }

    def _fields(self, names: object) -> str:
        """The fields an edit changed, by their labels ("Name, Legal form")."""
        if not isinstance(names, list | tuple) or not names:
            return "—"
        return ", ".join(self.t.label("dir_field", str(n)) or str(n).replace("_", " ") for n in names)

    def _answer(self, spec: PathwaySpec | None, stage: StageSpec | None, kind: str, action: object) -> str:
        """A project lead's answer as the stage's ``ask_owner`` labels it (else its own words)."""
        name = action if isinstance(action, str) else kind.removeprefix(OWNER_ANSWER)
        ask = stage.ask_owner.get(name) if stage is not None else None
        if ask is not None:
            return ask.label.get(self.t.lang)
        for other in spec.stages if spec is not None else ():  # answered at a stage since renamed
            if name in other.ask_owner:
                return other.ask_owner[name].label.get(self.t.lang)
        return name.replace("_", " ")

    def _label(self, group: str, value: object) -> str:
        if not isinstance(value, str) or not value:
            return "—"
        return self.t.label(group, value) or value

    def sentence(self, entry: AuditEntry, known: Mapping[str, str]) -> str:
        filled = self.placeholders(entry)
        found = sentence_of(entry.kind, sentences(self.t, filled))
        if found is not None:
            return found()
        return self.t(
            "%(actor)s: %(what)s", actor=filled["actor"], what=kind_label(self.t, entry.kind, known)
        )

    def details(self, entry: AuditEntry) -> tuple[str, ...]:
        """A decision's recorded values and note; a migration's stages; else nothing."""
        p = entry.payload
        shown: list[str] = []
        if entry.kind == "decision":
            spec = self.spec(entry)
            stage = self.stage(spec, p.get("stage"))
            values = p.get("values")
            if isinstance(values, Mapping):
                for name, value in list(values.items())[:_SHOWN_VALUES]:
                    field = self._field(stage, str(p.get("outcome")), name)
                    label = field.label.get(self.t.lang) if field is not None else name
                    shown.append(self.t("%(label)s: %(text)s", label=label, text=self._value(value, field)))
            if p.get("note"):
                shown.append(self.t("Note: %(note)s", note=str(p["note"])))
        elif entry.kind == "case_migrated":
            filled = self.placeholders(entry)
            shown.append(f"{filled['stage']} → {filled['entered']}")
        return tuple(shown)

    def _field(self, stage: StageSpec | None, outcome: str, name: str) -> FieldSpec | None:
        if stage is None:
            return None
        field = stage.fields.get(name)
        if field is None and outcome in stage.outcomes:
            field = stage.outcomes[outcome].fields.get(name)
        return field

    def _value(self, value: object, field: FieldSpec | None = None) -> str:
        """A recorded value as printed: yes or no, a choice's label, a person's name."""
        if isinstance(value, bool):
            return self.t("Yes") if value else self.t("No")
        if isinstance(value, list):
            return ", ".join(self._value(v, field) for v in value) or "—"
        choices = field.choices if field is not None else None
        if choices and isinstance(value, str) and value in choices:
            return choices[value].get(self.t.lang)
        if field is not None and (typed := self._typed(value, field)) is not None:
            return typed
        if isinstance(value, int | float):
            return self.number(value)
        return str(value) if value not in (None, "") else "—"

    def _typed(self, value: object, field: FieldSpec) -> str | None:
        """A person by name; a date, an amount or a decimal recorded as text ("2026-11-26",
        "4000.00") in the reader's words; None for any other value."""
        if FieldType.PERSON in (field.type, field.items):
            return self.person(int(str(value))) if str(value).isdigit() else str(value)
        if not isinstance(value, str) or not value:
            return None
        shown = Formatter(self.t.lang, "UTC")  # a day has no zone
        if FieldType.DATE in (field.type, field.items):
            try:
                return shown.date(value)
            except ValueError:
                return value
        words: dict[FieldType, Callable[[str], str]] = {
            FieldType.MONEY: shown.money,
            FieldType.DECIMAL: shown.number,
        }
        as_text = words.get(field.type)
        return as_text(value) if as_text is not None else None


def views(
    page: AuditPage, catalog: PathwayCatalog, t: Texts, number: Callable[[Any], str]
) -> list[EventView]:
    """The page's events as sentences in `t`'s language."""
    reader = _Reader(t, catalog, page, number)
    known = kind_labels(t)
    return [
        EventView(
            seq=e.seq,
            kind=e.kind,
            effective_at=e.effective_at,
            recorded_at=e.recorded_at,
            actor_id=e.actor_id,
            actor=e.actor or t("Pathways (automatic)"),
            case=e.case,
            sentence=reader.sentence(e, known),
            details=reader.details(e),
        )
        for e in page.entries
    ]
