"""Checks of a pathway the model cannot make: names that refer to other parts of the file.

Stages, end results, fields, checks, automatic steps and templates named in one place must
exist in another; every stage must be reachable and lead to an end; hand-offs and spawns
must name a known pathway. Each check returns :class:`~pathways.domain.yamlpos.Problem`s
that the loader turns into one refusal naming the file and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pathways.domain.registry import Registry
from pathways.domain.spec import (
    INT32_MAX,
    INT32_MIN,
    LANGS,
    FieldSpec,
    FieldType,
    PathwaySpec,
    StageSpec,
)
from pathways.domain.yamlpos import Problem, YamlPath, suggest

_DATE_ONLY = frozenset({FieldType.DATE})


@dataclass(frozen=True, slots=True)
class _Names:
    stages: tuple[str, ...]
    ends: frozenset[str]
    fields: Mapping[str, frozenset[FieldType]]  # every field declared anywhere, with its type(s)
    choices: Mapping[str, frozenset[str]]  # choice fields and their choices
    checks: frozenset[str]
    steps: frozenset[str]
    templates: Path | None


def spec_problems(spec: PathwaySpec, templates: Path | None, registry: Registry) -> list[Problem]:
    """What is wrong with a pathway on its own: unknown names, unused ends, unreachable stages."""
    if not spec.stages:
        return [Problem(("stages",), "a pathway has at least one stage", "list the stages under `stages:`")]
    types: dict[str, set[FieldType]] = {}
    choices: dict[str, set[str]] = {}
    for stage in spec.stages:
        for fields in (stage.fields, *(outcome.fields for outcome in stage.outcomes.values())):
            for field_name, field in fields.items():
                types.setdefault(field_name, set()).add(field.type)
                if field.choices:
                    choices.setdefault(field_name, set()).update(field.choices)
    names = _Names(
        stages=spec.stage_ids(),
        ends=frozenset(spec.ends) | frozenset(spec.all_exits),
        fields={key: frozenset(kinds) for key, kinds in types.items()},
        choices={key: frozenset(keys) for key, keys in choices.items()},
        checks=registry.check_names,
        steps=registry.step_names,
        templates=templates,
    )
    problems = _unknown(("checks",), spec.checks, names.checks, "check")
    problems += _exit_problems(spec) + _option_problems(spec, registry) + _entry_problems(spec)
    first_use: dict[str, int] = {}
    for index, stage in enumerate(spec.stages):
        first = first_use.setdefault(stage.id, index)
        if first != index:
            message = f"stage id `{stage.id}` is used twice (first by stages[{first}])"
            problems.append(Problem(("stages", index, "id"), message, "give each stage its own id"))
        problems += _stage_problems(("stages", index), stage, names)
    used = {o.end for s in spec.stages for o in s.outcomes.values() if o.end is not None}
    for end in spec.ends:
        if end not in used and end not in spec.all_exits:  # an exit listed as an end: said above
            hint = f"lead an outcome to it with `end: {end}`, or remove it"
            problems.append(Problem(("ends", end), f"end result `{end}` is never used", hint, rank=2))
    for end in spec.lifecycle.on:
        if end not in names.ends:
            hint = suggest(end, names.ends, "end results and exits")
            problems.append(Problem(("lifecycle", "on", end), f"`{end}` is not an end result or exit", hint))
    graph = _graph_problems(spec)
    nexts = [o.next for s in spec.stages for o in s.outcomes.values() if o.next is not None]
    if any(target not in names.stages for target in nexts):
        # An outcome leading to a misspelt stage cuts the graph: the stages it leaves unreachable
        # or without an end follow from that mistake, and are folded under it.
        graph = [replace(problem, follows=True) for problem in graph]
    return problems + graph


def _entry_problems(spec: PathwaySpec) -> list[Problem]:
    """Each entry names a stage of the pathway."""
    stages = spec.stage_ids()
    return [
        Problem(("entries", opener), f"unknown stage `{stage_id}`", suggest(stage_id, stages, "stages"))
        for opener, stage_id in spec.entries.items()
        if stage_id not in stages
    ]


def _exit_problems(spec: PathwaySpec) -> list[Problem]:
    """An exit the file declares is not also one of its end results: one name, one label.

    `withdrawn` or `abandoned` under `ends:` is accepted and relabels that exit: published
    versions are never changed, and version 1 files wrote `abandoned` there.
    """
    problems = []
    for name in sorted(spec.ends.keys() & spec.exits.keys()):
        message = f"`{name}` is declared under `exits:` and under `ends:`"
        hint = f"keep it under `exits:` only (an outcome may still say `end: {name}`)"
        problems.append(Problem(("ends", name), message, hint))
    return problems


def _option_problems(spec: PathwaySpec, registry: Registry) -> list[Problem]:
    """Options the registry knows; an option switched on has one of its checks in the file."""
    problems = []
    listed = set(spec.checks)
    for stage in spec.stages:
        listed |= set(stage.checks)
        listed.update(check for outcome in stage.outcomes.values() for check in outcome.checks)
    for name, on in spec.options.items():
        info = registry.options.get(name)
        if info is None:
            hint = suggest(name, registry.option_names, "registered options")
            problems.append(Problem(("options", name), f"unknown option `{name}`", hint))
        elif on and not listed & set(info.checks):
            checks = " or ".join(f"`{check}`" for check in info.checks)
            message = f"option `{name}` is on but no stage or outcome runs its check {checks}"
            hint = f"add `checks: [{info.checks[0]}]` to the outcome it guards"
            problems.append(Problem(("options", name), message, hint))
    return problems


def _stage_problems(at: YamlPath, stage: StageSpec, names: _Names) -> list[Problem]:
    problems = _unknown((*at, "checks"), stage.checks, names.checks, "check")
    problems += _unknown((*at, "steps"), stage.steps, names.steps, "automatic step")
    problems += _field_problems((*at, "fields"), stage.fields, names)
    until = stage.deadline.until if stage.deadline is not None else None
    if until is not None and names.fields.get(until) != _DATE_ONLY:
        dates = [name for name, kinds in names.fields.items() if kinds == _DATE_ONLY]
        kinds = "/".join(sorted(names.fields.get(until, ())))
        what = f"a field of type {kinds}, not a date" if kinds else "a field no stage or outcome declares"
        hint = f"declare `{until}` with `type: date`" if kinds else suggest(until, dates, "date fields")
        problems.append(Problem((*at, "deadline", "until"), f"`until` names `{until}`, {what}", hint))
    for name, outcome in stage.outcomes.items():
        here = (*at, "outcomes", name)
        if outcome.next is not None and outcome.next not in names.stages:
            hint = suggest(outcome.next, names.stages, "the stages are")
            problems.append(Problem((*here, "next"), f"unknown stage `{outcome.next}`", hint))
        if outcome.end is not None and outcome.end not in names.ends:
            hint = (
                suggest(outcome.end, names.ends, "end results and exits")
                + "; declare end results under `ends:`"
            )
            problems.append(Problem((*here, "end"), f"unknown end result `{outcome.end}`", hint))
        problems += _unknown((*here, "checks"), outcome.checks, names.checks, "check")
        problems += _field_problems((*here, "fields"), outcome.fields, names)
        for clash in sorted(outcome.fields.keys() & stage.fields.keys()):
            message = f"field `{clash}` is already declared by stage `{stage.id}`"
            problems.append(Problem((*here, "fields", clash), message, "rename one of them"))
        available = {**stage.fields, **outcome.fields}
        per = outcome.spawn.per if outcome.spawn is not None else None
        if per is not None and (per not in available or available[per].type is not FieldType.LIST):
            what = f"a field of type {available[per].type}" if per in available else "not a field here"
            message = f"`per` names `{per}`, {what}: one child case is started per item of a list field"
            lists = [key for key, field in available.items() if field.type is FieldType.LIST]
            problems.append(Problem((*here, "spawn", "per"), message, suggest(per, lists, "list fields")))
    return problems + _template_problems(at, stage, names.templates)


def _template_problems(at: YamlPath, stage: StageSpec, templates: Path | None) -> list[Problem]:
    if templates is None:
        return []
    rules = [("remind", i, rule.template) for i, rule in enumerate(stage.remind)]
    rules += [("escalate", i, rule.template) for i, rule in enumerate(stage.escalate)]
    problems = []
    for key, index, template in rules:
        missing = [templates / lang / f"{template}.txt.j2" for lang in LANGS]
        missing = [path for path in missing if not path.is_file()]
        if missing:
            langs = ", ".join(path.parent.name for path in missing)
            hint = "write " + ", ".join(map(str, missing))
            message = f"template `{template}` has no {langs} translation"
            problems.append(Problem((*at, key, index, "template"), message, hint))
    return problems


def _field_problems(at: YamlPath, fields: Mapping[str, FieldSpec], names: _Names) -> list[Problem]:
    problems = []
    for name, field in fields.items():
        if FieldType.INTEGER in (field.type, field.items):  # an officer's value must fit: see spec.INT32_MAX
            for key, bound in (("min", field.min), ("max", field.max)):
                if bound is not None and not INT32_MIN <= bound <= INT32_MAX:
                    message = f"`{key}` of an integer field is {bound}, more than a whole number field holds"
                    hint = f"give a {key} between {INT32_MIN} and {INT32_MAX}, or use type: decimal"
                    problems.append(Problem((*at, name, key), message, hint))
        for other, value in (field.required_if or {}).items():
            path = (*at, name, "required_if", other)
            allowed = names.choices.get(other)
            wanted = value if isinstance(value, list) else [value]
            bad = [v for v in wanted if not isinstance(v, str) or v not in allowed] if allowed else []
            if other not in names.fields:
                message = f"`required_if` names `{other}`, a field no stage or outcome declares"
                problems.append(Problem(path, message, suggest(other, names.fields, "fields")))
            elif bad:
                message = f"`{other}` has no choice `{bad[0]}`"
                hint = f"its choices: {', '.join(sorted(allowed or ()))}"
                if isinstance(bad[0], bool):
                    hint += "; YAML reads a bare true or false as a boolean: quote the word"
                problems.append(Problem(path, message, hint))
    return problems


def _unknown(at: YamlPath, used: Sequence[str], known: frozenset[str], what: str) -> list[Problem]:
    return [
        Problem((*at, i), f"unknown {what} `{name}`", suggest(name, known, f"registered {what}s"))
        for i, name in enumerate(used)
        if name not in known
    ]


def _graph_problems(spec: PathwaySpec) -> list[Problem]:
    """Stages no case can reach, and stages from which no case can end."""
    leads = {s.id: {o.next for o in s.outcomes.values() if o.next is not None} for s in spec.stages}
    roots = {spec.first_stage.id, *(stage for stage in spec.entries.values() if stage in leads)}
    reachable, todo = set(roots), list(roots)
    while todo:
        for target in leads.get(todo.pop(), set()) - reachable:
            reachable.add(target)
            todo.append(target)
    ending = {s.id for s in spec.stages if any(o.end is not None for o in s.outcomes.values())}
    while more := {stage for stage, targets in leads.items() if stage not in ending and targets & ending}:
        ending |= more
    problems = []
    for index, stage in enumerate(spec.stages):
        if stage.id not in reachable:
            hint = f"lead an outcome of an earlier stage to it with `next: {stage.id}`, or remove it"
            problems.append(
                Problem(("stages", index, "id"), f"stage `{stage.id}` is unreachable", hint, rank=1)
            )
        elif stage.id not in ending:
            targets = ", ".join(sorted(leads[stage.id]))
            message = f"dead end: no end can be reached from stage `{stage.id}` (it leads only to {targets})"
            hint = "give one of its outcomes, or of the stages it leads to, an `end: <result>`"
            problems.append(Problem(("stages", index, "id"), message, hint, rank=1))
    return problems


def target_problems(spec: PathwaySpec, pathways: set[str]) -> list[Problem]:
    """Hand-offs and spawns naming a pathway not among `pathways`."""
    problems = []
    for index, stage in enumerate(spec.stages):
        for name, outcome in stage.outcomes.items():
            here = ("stages", index, "outcomes", name)
            targets = [("start",), ("spawn", "pathway")]
            values = [outcome.start, outcome.spawn.pathway if outcome.spawn else None]
            for where, target in zip(targets, values, strict=True):
                if target is not None and target not in pathways:
                    hint = suggest(target, pathways, "known pathways")
                    problems.append(Problem((*here, *where), f"unknown pathway `{target}`", hint))
    return problems
