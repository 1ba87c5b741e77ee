"""The words of the pathway-file reference that the models cannot hold: examples and explanations.

:mod:`pathways.domain.reference` builds the JSON Schema and ``docs/PATHWAY-FORMAT.md`` from the
models; it takes from here one example for every key of every model, the meaning of every role,
field type and phase, and the short explanations. It refuses to generate while a key or a value
has no entry here, so a new key cannot reach the reference undocumented.
"""

from __future__ import annotations

from typing import Any, Final

_LABEL: Final = {"fr": "Accueil", "nl": "Onthaal", "en": "Intake"}
MORE: Final = "…"  # a key standing for the keys an example leaves out: shown as `…`, kept out of the schema

# Model name -> key -> one example value, written as in a pathway file.
EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "PathwaySpec": {
        "id": "diagnosis",
        "version": 1,
        "title": {"fr": "Diagnostic partagé", "nl": "Gezamenlijke diagnose", "en": "Shared diagnosis"},
        "description": {
            "fr": "Accueil et diagnostic.",
            "nl": "Onthaal en diagnose.",
            "en": "Intake and diagnosis.",
        },
        "reference": "DIAG",
        "calendar": "business_days",
        "lifecycle": {"requires": ["founded"], "on": {"completed": "consolidation"}},
        "ends": {"completed": {"fr": "Terminé", "nl": "Afgerond", "en": "Completed"}},
        "exits": {
            "transfer_not_held": {
                "fr": "Transfert non réalisé",
                "nl": "Overdracht niet doorgegaan",
                "en": "Transfer did not take place",
            }
        },
        "options": {"consultant_bid_within_week": True},
        "checks": ["diagnosis_eligibility"],
        "entries": {"swarming": "founding"},
        "stages": [{"id": "intake", "title": _LABEL, MORE: None}],
    },
    "StageSpec": {
        "id": "intake",
        "title": _LABEL,
        "description": {"fr": "Premier échange.", "nl": "Eerste gesprek.", "en": "First meeting."},
        "owner": "committee",
        "deadline": {"business_days": 15},
        "remind": [{"before": {"business_days": 5}, "to": "owner", "template": "intake_documents"}],
        "escalate": [{"after": {"business_days": 1}, "to": "manager"}],
        "fields": {"met_on": {"type": "date", "required": True, "label": {MORE: None}}},
        "outcomes": {"relevant": {"label": {MORE: None}, "next": "shared_diagnosis"}},
        "steps": ["render_document"],
        "checks": ["diagnosis_eligibility"],
        "ask_owner": {"documents_sent": {"label": {MORE: None}, "upload": True}},
    },
    "OwnerAsk": {
        "label": {
            "fr": "J'ai envoyé les documents",
            "nl": "Ik heb de documenten verstuurd",
            "en": "I sent the documents",
        },
        "help": {
            "fr": "Vos statuts et vos derniers comptes.",
            "nl": "Uw statuten en laatste jaarrekening.",
            "en": "Your articles of association and latest accounts.",
        },
        "upload": True,
    },
    "Deadline": {
        "business_days": 15,
        "days": 30,
        "weeks": 6,
        "months": 3,
        "until": "committee_date",
        "default": {"business_days": 20},
    },
    "ReminderRule": {"before": {"business_days": 5}, "to": "owner", "template": "intake_documents"},
    "EscalationRule": {"after": {"business_days": 5}, "to": "manager", "template": "escalation"},
    "Duration": {"business_days": 5, "days": 10, "weeks": 2, "months": 1},
    "FieldSpec": {
        "type": "date",
        "label": {"fr": "Rencontré le", "nl": "Ontmoet op", "en": "Met on"},
        "help": {"fr": "Le premier entretien", "nl": "Het eerste gesprek", "en": "The first meeting"},
        "required": True,
        "required_if": {"board_approval": True},
        "min": 0,
        "max": 500,
        "usual_min": 2,
        "usual_max": 5,
        "max_length": 2000,
        "choices": {"scop": {"fr": "SCOP", "nl": "Werknemerscoöperatie", "en": "Worker cooperative"}},
        "items": "person",
        "multiple": True,
    },
    "OutcomeSpec": {
        "label": {"fr": "Avis favorable", "nl": "Gunstig advies", "en": "Favourable"},
        "next": "committee",
        "end": "completed",
        "start": "ongoing_support",
        "spawn": {"pathway": "ongoing_support", "per": "local_carriers"},
        "phase": "founded",
        "fields": {"reason": {"type": "text", "required": True, "label": {MORE: None}}},
        "checks": ["board_approval_recorded"],
    },
    "SpawnSpec": {"pathway": "consulting_mission", "per": "parallel_missions", "project": "same"},
    "LifecycleSpec": {"requires": ["founded", "consolidation"], "on": {"completed": "consolidation"}},
    "Label": _LABEL,
}

# Enum name -> value -> what it means to a pathway author.
MEANINGS: Final[dict[str, dict[str, str]]] = {
    "Role": {
        "officer": "the case's officer (who opened it, or to whom it is assigned)",
        "manager": "every manager of the case's organisation",
        "owner": "the project's owner: the person who carries the project",
        "resource": "the case's resource person (peer transfer)",
        "committee": "the people recorded in a `committee`/`committees` field of the case, "
        "else the organisation's members with that role",
        "operator": "the people recorded in an `operator`/`operators` field of the case, "
        "else the organisation's members with that role",
        "consultant": "the people recorded in a `consultant`/`consultants` field of the case, "
        "else the organisation's members with that role",
    },
    "FieldType": {
        "text": "free text; `max_length` limits it",
        "integer": "a whole number; `min` and `max` bound it",
        "decimal": "a number such as 12.5 (a comma is accepted); `min` and `max` bound it",
        "date": "a day, written YYYY-MM-DD",
        "choice": "one of its `choices` (several with `multiple: true`)",
        "boolean": "yes or no",
        "money": "an amount, kept to the cent; `min` and `max` bound it",
        "siren": "a French company number (9 digits, check digit verified)",
        "siret": "a French establishment number (14 digits, check digit verified)",
        "bce": "a Belgian enterprise number (10 digits, check digits verified)",
        "person": "a person pathways knows, given by id, handle or email; kept as their id",
        "list": "several values, each of the type named by `items`",
    },
    "Phase": {
        "idea": "an idea, no structure yet",
        "emergence": "the project is being set up",
        "founded": "the structure exists",
        "consolidation": "the structure is growing stronger",
        "scaling": "the activity is spreading (swarming, duplication)",
    },
}

INTRODUCTION: Final = """\
A pathway is one YAML file, `config/pathways/<id>.yaml`: the pathway's name, its end results
and its stages in order. Each stage has an owner, perhaps a deadline with reminders and
escalations, the fields a decision collects, and its outcomes: where each decision leads.
`pathways pathway validate FILE...` checks a file and names the line and what to change.

Editors complete and check a pathway file as it is typed when its first line names the JSON
Schema `config/pathway.schema.json` (the VS Code YAML extension, or any editor using
yaml-language-server, reads it):

```yaml
# yaml-language-server: $schema=../pathway.schema.json
```

The schema knows every key, type and allowed value of this page. What it cannot know is checked
when the file loads: names that refer to other parts of the file or to other files (stages,
end results, fields, pathways), stages no case can reach or never ending, templates missing in
a language, and that the file is named after the `id`.
"""

EXPLANATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "Names, mappings, lists",
        """\
In the tables below, a *name* (of a pathway, stage, field, outcome, end result, choice or
template) starts with a lower-case letter, followed by lower-case letters, digits and `_`, 64
characters at most: `shared_diagnosis`. A *mapping* is written one `name: value` a line, or
`{a: 1, b: 2}`; a *list* one `- item` a line, or `[a, b]`. A key left out takes its default;
an optional key without a default is simply left out (never written as `null`).
""",
    ),
    (
        "Days and calendars",
        """\
Each duration says its own unit. `business_days` counts working days on the calendar of the
case's territory (France, Belgium and its regions, Alsace-Moselle: weekends and public holidays
skipped, and the days off the organisation adds); `days`, `weeks` and `months` count calendar
days (a month from 31 January ends on the last day of February). A stage is due at the end of
its due day, in the organisation's time zone; reminders and escalations go out at 9:00.

The pathway's `calendar` key records the count its authors had in mind (`business_days` or
`calendar_days`); it changes no deadline: write each duration in the unit you mean.""",
    ),
    (
        "Deadlines, reminders, escalations",
        """\
A stage's `deadline` is either one duration from the day the stage is entered
(`{business_days: 15}`, `{weeks: 6}`, ...) or `{until: <field>}`: the date recorded in a
`date` field. That field must be recorded by an earlier stage (or one of its outcomes): a
field of the same stage is recorded only by the decision that leaves it, too late to set its
deadline. `default` gives the deadline while the date is not known yet. A stage without a
deadline waits as long as it takes.

`remind` sends messages some time `before` the deadline, `escalate` some time `after` a missed
one; each goes `to` a role and uses a `template`, a message written in
`config/templates/<lang>/<template>.txt.j2` for fr, nl and en. Reminders that would fall
before the stage is entered are not sent.""",
    ),
    (
        "Fields",
        """\
A stage's `fields` are asked at every decision of the stage; an outcome's `fields` only with
that outcome (one name cannot be in both). Names are lower case, digits and `_`. Recorded
values stay on the case: later stages, checks, documents and deadlines (`until`) read them.
`required_if: {other: value}` makes a field required when another field has that value (or one
of a list of values); a choice is named by its key.""",
    ),
    (
        "Outcomes and where they lead",
        """\
Each outcome has exactly one of `next: <stage>` (any stage, an earlier one makes a loop) and
`end: <result>` (one of the pathway's `ends`, or one of its `exits`). It may also hand the
project over to another pathway (`start`), start one child case per item of a list field
(`spawn`), and move the project to a lifecycle `phase`.""",
    ),
    (
        "Exits: closing a case at any stage",
        """Whatever the stage, a structure may withdraw and a project may be abandoned: every pathway has
the exits `withdrawn` and `abandoned`, and a file adds its own under `exits` (a peer transfer's
`transfer_not_held`), or relabels the two. An officer closes an open case through an exit with
a reason (`pathways case close REF RESULT --reason TEXT`, `POST /api/v1/cases/{ref}/close`, the
case page's "Close the case"): the closing is kept in the case's history and the audit, its
pending reminders and automatic steps are cancelled, and its child cases stay as they are
(each is closed on its own). An exit is an end result: an outcome may lead to it (`end:`),
`lifecycle.on` may name it, and reports count it as its own result. An exit the file declares
is not also listed under `ends` (`withdrawn` or `abandoned` listed there, as version 1 files
did, relabels that exit).""",
    ),
    (
        "Options: rules that are local",
        """A rule that is one organisation's (a DLA's charter) or one edition's (the Geiq federation's
TSF) is an option: its check does nothing unless the file switches it on with
`options: {<option>: true}`, and a file that switches an option on lists its check on the
outcome it guards. Every option is off by default; the [Options](#options) table names each
one's source, and docs/PROGRAMMES.md says which shipped file uses which.""",
    ),
    (
        "Checks and automatic steps",
        """\
`checks` name programme rules written in Python (`pathways.domain.programme`): on the pathway,
they run when a case opens; on a stage, at every decision; on an outcome, for that decision.
`steps` name automatic work run when a stage is entered. Both lists below are the registered
names; any other name is refused when the file loads.""",
    ),
    (
        "Versions",
        """\
A case keeps the version of the pathway it started on. Change a pathway by editing its file,
then `pathways pathway publish` (`init` and `run` publish on start): a file whose content
changed is stored as its pathway's next version, and a published version never changes. The
`version` key is a floor, not something to raise by hand. `pathway versions <id>` lists the
versions with their cases, `pathway diff <id> V1 V2` compares two, and `pathways pathway
migrate` moves open cases to a newer one (same-named stages map by themselves). An old
version's file may still be kept as `config/pathways/<id>/v<N>.yaml`: it is published as
version N if that number is free.""",
    ),
)

# A whole pathway, small enough to read at once; a test loads it and checks it against the schema.
SAMPLE: Final = """\
# yaml-language-server: $schema=../pathway.schema.json
id: first_steps
version: 1
reference: FIRST
title: {fr: Premiers pas, nl: Eerste stappen, en: First steps}
lifecycle: {requires: [idea, emergence], on: {launched: founded}}
ends:
  launched: {fr: Activité lancée, nl: Activiteit gestart, en: Activity launched}
  stopped: {fr: Projet arrêté, nl: Project stopgezet, en: Project stopped}
stages:
  - id: intake
    title: {fr: Accueil, nl: Onthaal, en: Intake}
    owner: officer
    deadline: {business_days: 10}
    remind:
      - {before: {business_days: 3}, to: officer}
    escalate:
      - {after: {business_days: 2}, to: manager}
    fields:
      met_on: {type: date, required: true, label: {fr: Rencontré le, nl: Ontmoet op, en: Met on}}
      needs:
        type: choice
        multiple: true
        label: {fr: Besoins, nl: Behoeften, en: Needs}
        choices:
          funding: {fr: Financement, nl: Financiering, en: Funding}
          premises: {fr: Local, nl: Lokaal, en: Premises}
    outcomes:
      go:
        label: {fr: On se lance, nl: We starten, en: Go ahead}
        next: launch
        fields:
          launch_on:
            type: date
            required: true
            label: {fr: Lancement prévu le, nl: Start gepland op, en: Launch planned on}
      stop:
        label: {fr: Arrêt, nl: Stopzetting, en: Stop}
        end: stopped
  - id: launch
    title: {fr: Lancement, nl: Lancering, en: Launch}
    deadline: {until: launch_on, default: {weeks: 8}}
    remind:
      - {before: {business_days: 5}, to: owner}
    fields:
      founders: {type: list, items: person, label: {fr: Fondateur·ices, nl: Oprichters, en: Founders}}
    outcomes:
      launched:
        label: {fr: Activité lancée, nl: Activiteit gestart, en: Activity launched}
        end: launched
      postponed:
        label: {fr: Report, nl: Uitstel, en: Postponed}
        next: intake
"""
