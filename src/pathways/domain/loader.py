"""Pathway files to :class:`~pathways.domain.spec.PathwaySpec`, checked before any case uses them.

A file is refused with one :class:`~pathways.errors.DefinitionError` naming the
file, the line of the first problem and what to change; when there are several
problems the message lists them all, one a line, the first one primary.
A folder of pathway files is laid out as::

    <folder>/<id>.yaml         the current version of pathway <id>
    <folder>/<id>/v<N>.yaml    older version N, kept for the cases still on it
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from pathways.domain.registry import Registry, programme_registry
from pathways.domain.spec import INT32_MAX, INT32_MIN, LANGS, FieldSpec, FieldType, PathwaySpec, StageSpec
from pathways.domain.wording import validation_problems
from pathways.domain.yamlpos import (
    Problem,
    YamlDocument,
    YamlPath,
    YamlSyntaxError,
    parse,
    refusal,
    suggest,
)
from pathways.errors import DefinitionError, NotFound

__all__ = ["PathwayCatalog", "load_pathway_dir", "load_pathway_file", "load_pathway_text", "validate_files"]

_VERSIONED = re.compile(r"v([1-9][0-9]*)")
_TOP_KEYS = "id:, version:, title:, reference:, ends: and stages:"
_YAML_HINT = "indent with spaces, not tabs; quote a value containing ': ' or ' #', or starting with [ { * & !"

_Loaded = tuple[PathwaySpec, YamlDocument, Path]
_DATE_ONLY = frozenset({FieldType.DATE})


def load_pathway_text(
    text: str, *, file: str, templates: Path | None = None, registry: Registry | None = None
) -> PathwaySpec:
    """Parse and check one pathway definition; `file` only names it in error messages.

    Every check and automatic step it names must be in `registry` (by default the
    programmes' own, :func:`~pathways.domain.registry.programme_registry`).
    """
    return _load(text, file=file, templates=templates, registry=registry or programme_registry())[0]


def load_pathway_file(
    path: Path, *, templates: Path | None = None, registry: Registry | None = None
) -> PathwaySpec:
    """Load one pathway file: `<id>.yaml`, or an old version `<id>/v<N>.yaml`.

    With `templates`, the template of every reminder and escalation must exist
    as ``<templates>/<lang>/<name>.txt.j2`` in each language.
    """
    return _load_file(path, templates, registry or programme_registry())[0]


def load_pathway_dir(
    directory: Path, *, templates: Path | None = None, registry: Registry | None = None
) -> PathwayCatalog:
    """Every version of every pathway in `directory`; hand-offs and spawns must name one of them."""
    current, archived = _scan(directory)
    loaded: dict[tuple[str, int], _Loaded] = {}
    names = registry or programme_registry()
    for path in [*current.values(), *archived]:
        spec, doc = _load_file(path, templates, names)
        if spec.key in loaded:
            raise DefinitionError(
                f"pathway `{spec.id}` version {spec.version} is also defined by {loaded[spec.key][2]}",
                file=str(path),
                line=doc.line(("version",)),
                hint="an old version keeps its number: give the current file a higher version",
            )
        loaded[spec.key] = (spec, doc, path)
    _check_versions(loaded, current)
    references: dict[str, str] = {}
    for spec, doc, path in loaded.values():
        owner = references.setdefault(spec.reference, spec.id)
        problems = _target_problems(spec, set(current))
        if owner != spec.id:
            message = f"case reference prefix `{spec.reference}` is already used by pathway `{owner}`"
            problems.append(Problem(("reference",), message, "give each pathway its own prefix"))
        if problems:
            raise refusal(problems, doc, str(path))
    return PathwayCatalog.of(spec for spec, _, _ in loaded.values())


def validate_files(
    paths: Sequence[Path], *, templates: Path | None, registry: Registry | None = None
) -> list[tuple[Path, PathwaySpec | DefinitionError]]:
    """Check each file; a hand-off or spawn must name a given file's pathway or one beside it."""
    results: list[tuple[Path, PathwaySpec | DefinitionError]] = []
    docs: dict[Path, YamlDocument] = {}
    names = registry or programme_registry()
    for path in paths:
        try:
            spec, docs[path] = _load_file(path, templates, names)
        except DefinitionError as exc:
            results.append((path, exc))
        else:
            results.append((path, spec))
    given = {result.id for _, result in results if isinstance(result, PathwaySpec)}
    for index, (path, result) in enumerate(results):
        if isinstance(result, PathwaySpec):
            old_version = _VERSIONED.fullmatch(path.stem) and result.id != path.stem
            folder = path.parent.parent if old_version else path.parent
            problems = _target_problems(result, given | {p.stem for p in folder.glob("*.yaml")})
            if problems:
                results[index] = (path, refusal(problems, docs[path], str(path)))
    return results


@dataclass(frozen=True, slots=True)
class PathwayCatalog:
    """Every loaded version of every pathway, by (id, version); the highest version is the latest."""

    specs: Mapping[tuple[str, int], PathwaySpec]

    def __post_init__(self) -> None:
        for key, spec in self.specs.items():
            if key != spec.key:
                raise ValueError(f"catalog key {key} holds pathway {spec.key}")
        object.__setattr__(self, "specs", MappingProxyType(dict(sorted(self.specs.items()))))

    @classmethod
    def of(cls, specs: Iterable[PathwaySpec]) -> PathwayCatalog:
        """A catalog of `specs`; ValueError when one (id, version) comes twice."""
        by_key: dict[tuple[str, int], PathwaySpec] = {}
        for spec in specs:
            if spec.key in by_key:
                raise ValueError(f"pathway {spec.id} version {spec.version} given twice")
            by_key[spec.key] = spec
        return cls(by_key)

    def get(self, pathway_id: str, version: int | None = None) -> PathwaySpec:
        """That version of the pathway, the latest when `version` is None; NotFound otherwise."""
        versions = self.versions(pathway_id)
        spec = self.specs.get((pathway_id, versions[-1] if version is None else version))
        if spec is None:
            shown = ", ".join(map(str, versions))
            raise NotFound(f"pathway '{pathway_id}' has no version {version}", hint=f"its versions: {shown}")
        return spec

    def versions(self, pathway_id: str) -> list[int]:
        """The pathway's versions, oldest first; NotFound naming the known pathways."""
        found = [version for (key, version) in self.specs if key == pathway_id]
        if not found:
            known = ", ".join(self.ids()) or "none"
            raise NotFound(f"no pathway '{pathway_id}'", hint=f"known pathways: {known}")
        return found

    def ids(self) -> list[str]:
        """Pathway ids, sorted."""
        return sorted({key for key, _ in self.specs})

    def latest(self) -> list[PathwaySpec]:
        """The latest version of each pathway, by id."""
        return [self.get(pathway_id) for pathway_id in self.ids()]

    def __iter__(self) -> Iterator[PathwaySpec]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)

    def __contains__(self, pathway_id: object) -> bool:
        return any(key == pathway_id for key, _ in self.specs)


def _load(
    text: str, *, file: str, templates: Path | None, registry: Registry
) -> tuple[PathwaySpec, YamlDocument]:
    try:
        doc = parse(text)
    except YamlSyntaxError as exc:
        message = f"not valid YAML: {exc.message}"
        raise DefinitionError(message, file=file, line=exc.line, hint=_YAML_HINT) from exc
    if doc.empty:
        raise DefinitionError(
            "the file is empty", file=file, hint=f"a pathway file is a mapping: {_TOP_KEYS}"
        )
    if doc.problems:  # keys written twice, an alias bomb: the data is not what the author wrote
        raise refusal(doc.problems, doc, file)
    if not isinstance(doc.data, dict):
        message = "a pathway file is a mapping of keys to values"
        raise DefinitionError(message, file=file, line=doc.line(()), hint=f"write {_TOP_KEYS}, one a line")
    try:
        spec = PathwaySpec.model_validate(doc.data)
    except ValidationError as exc:
        raise refusal(validation_problems(exc, PathwaySpec), doc, file) from exc
    problems = _spec_problems(spec, templates, registry)
    if problems:
        raise refusal(problems, doc, file)
    return spec, doc


def _load_file(path: Path, templates: Path | None, registry: Registry) -> tuple[PathwaySpec, YamlDocument]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            f"not UTF-8 text (byte {exc.start})", file=file, hint="save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise DefinitionError(f"cannot read the file: {exc.strerror}", file=file) from exc
    spec, doc = _load(text, file=file, templates=templates, registry=registry)
    versioned = _VERSIONED.fullmatch(path.stem)
    if versioned and spec.id != path.stem:
        if spec.id != path.parent.name:
            message = f"this old version is filed under {path.parent.name}/ but its id is `{spec.id}`"
            hint = f"old versions of `{spec.id}` live in {spec.id}/v<N>.yaml"
            raise refusal([Problem(("id",), message, hint)], doc, file)
        if spec.version != int(versioned[1]):
            message = f"version {spec.version} is filed as {path.name}"
            raise refusal(
                [Problem(("version",), message, f"rename the file to v{spec.version}.yaml")], doc, file
            )
    elif spec.id != path.stem:
        message = f"the id `{spec.id}` differs from the file name {path.name}"
        hint = f"rename the file to {spec.id}.yaml, or write `id: {path.stem}`"
        raise refusal([Problem(("id",), message, hint)], doc, file)
    return spec, doc


def _scan(directory: Path) -> tuple[dict[str, Path], list[Path]]:
    """The current files by id, and the old versions' files."""
    if not directory.is_dir():
        raise DefinitionError("no such folder of pathway files", file=str(directory))
    current: dict[str, Path] = {}
    archived: list[Path] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            for old in sorted(entry.iterdir()):
                if old.is_file() and old.suffix == ".yaml" and _VERSIONED.fullmatch(old.stem):
                    archived.append(old)
                elif old.suffix in (".yaml", ".yml"):
                    hint = f"old versions of `{entry.name}` are named after their version: v<N>.yaml"
                    raise DefinitionError("unexpected file among old versions", file=str(old), hint=hint)
        elif entry.suffix == ".yaml":
            current[entry.stem] = entry
        elif entry.suffix == ".yml":
            raise DefinitionError("a pathway file ends in .yaml", file=str(entry), hint="rename it")
    return current, archived


def _check_versions(loaded: Mapping[tuple[str, int], _Loaded], current: Mapping[str, Path]) -> None:
    """Each old version belongs to a current file with a higher version."""
    newest = {spec.id: spec.version for spec, _, path in loaded.values() if path == current.get(spec.id)}
    for spec, doc, path in loaded.values():
        if spec.id not in newest:
            message = f"old versions of `{spec.id}` but no current file {spec.id}.yaml"
            hint = f"restore {spec.id}.yaml beside the folder {spec.id}/, or remove the folder"
            raise DefinitionError(message, file=str(path), hint=hint)
        if spec.version > newest[spec.id]:
            raise DefinitionError(
                f"old version {spec.version} is newer than the current file {current[spec.id]}",
                file=str(path),
                line=doc.line(("version",)),
                hint=f"{spec.id}.yaml holds the current version, with the highest number",
            )


# Checks the model cannot make: names that refer to other parts of the file


@dataclass(frozen=True, slots=True)
class _Names:
    stages: tuple[str, ...]
    ends: frozenset[str]
    fields: Mapping[str, frozenset[FieldType]]  # every field declared anywhere, with its type(s)
    choices: Mapping[str, frozenset[str]]  # choice fields and their choices
    checks: frozenset[str]
    steps: frozenset[str]
    templates: Path | None


def _spec_problems(spec: PathwaySpec, templates: Path | None, registry: Registry) -> list[Problem]:
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
        ends=frozenset(spec.ends),
        fields={key: frozenset(kinds) for key, kinds in types.items()},
        choices={key: frozenset(keys) for key, keys in choices.items()},
        checks=registry.check_names,
        steps=registry.step_names,
        templates=templates,
    )
    problems = _unknown(("checks",), spec.checks, names.checks, "check")
    first_use: dict[str, int] = {}
    for index, stage in enumerate(spec.stages):
        first = first_use.setdefault(stage.id, index)
        if first != index:
            message = f"stage id `{stage.id}` is used twice (first by stages[{first}])"
            problems.append(Problem(("stages", index, "id"), message, "give each stage its own id"))
        problems += _stage_problems(("stages", index), stage, names)
    used = {o.end for s in spec.stages for o in s.outcomes.values() if o.end is not None}
    for end in spec.ends:
        if end not in used:
            hint = f"lead an outcome to it with `end: {end}`, or remove it"
            problems.append(Problem(("ends", end), f"end result `{end}` is never used", hint, rank=2))
    for end in spec.lifecycle.on:
        if end not in names.ends:
            hint = suggest(end, names.ends, "end results")
            problems.append(Problem(("lifecycle", "on", end), f"`{end}` is not an end result", hint))
    return problems + _graph_problems(spec)


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
            hint = suggest(outcome.end, names.ends, "end results") + "; declare end results under `ends:`"
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
    reachable, todo = {spec.first_stage.id}, [spec.first_stage.id]
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


def _target_problems(spec: PathwaySpec, pathways: set[str]) -> list[Problem]:
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
