"""`pathway validate`: files checked one by one against the installed pathways, with warnings.

Errors refuse a file (:func:`~pathways.domain.loader.load_pathway_file`'s checks). Warnings
name what the loader accepts but can never take effect as written, e.g. a deadline ``until``
a date that the same stage collects: known only once the stage is over. They do not refuse
a file, except under ``pathway validate --strict`` (for CI).

A hand-off or spawn may name any pathway given, beside a given file, or installed
(``PATHWAYS_CONFIG_DIR``'s ``pathways/``): a file written for an installation is checked
against what that installation runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pathways.domain.consistency import target_problems
from pathways.domain.loader import VERSIONED, load_checked
from pathways.domain.registry import Registry, programme_registry
from pathways.domain.spec import Deadline, Duration, PathwaySpec, StageSpec
from pathways.domain.yamlpos import Problem, YamlDocument, YamlPath, dotted, refusal
from pathways.errors import DefinitionError

__all__ = ["Checked", "check_files", "spec_warnings", "validate_files"]


@dataclass(frozen=True, slots=True)
class Checked:
    """One file's verdict: its pathway or why it is refused, and what would not take effect."""

    path: Path
    spec: PathwaySpec | None
    error: DefinitionError | None
    warnings: tuple[str, ...] = ()


def check_files(
    paths: Sequence[Path],
    *,
    templates: Path | None,
    installed: Iterable[str] = (),
    registry: Registry | None = None,
) -> list[Checked]:
    """Check each file; hand-offs and spawns may name a given, neighbouring or installed pathway."""
    names = registry or programme_registry()
    loaded: list[tuple[Path, PathwaySpec, YamlDocument] | tuple[Path, DefinitionError]] = []
    for path in paths:
        try:
            spec, doc = load_checked(path, templates, names)
        except DefinitionError as exc:
            loaded.append((path, exc))
        else:
            loaded.append((path, spec, doc))
    known = set(installed) | {item[1].id for item in loaded if len(item) == 3}
    checked: list[Checked] = []
    for item in loaded:
        if len(item) == 2:
            checked.append(Checked(item[0], None, item[1]))
            continue
        path, spec, doc = item
        old_version = VERSIONED.fullmatch(path.stem) and spec.id != path.stem
        folder = path.parent.parent if old_version else path.parent
        problems = target_problems(spec, known | {p.stem for p in folder.glob("*.yaml")})
        if problems:
            checked.append(Checked(path, None, refusal(problems, doc, str(path))))
            continue
        warned = tuple(_said(w, doc, str(path)) for w in spec_warnings(spec))
        checked.append(Checked(path, spec, None, warned))
    return checked


def validate_files(
    paths: Sequence[Path], *, templates: Path | None, registry: Registry | None = None
) -> list[tuple[Path, PathwaySpec | DefinitionError]]:
    """Each file with its pathway or its refusal (targets resolved among the files and beside them)."""
    results: list[tuple[Path, PathwaySpec | DefinitionError]] = []
    for one in check_files(paths, templates=templates, registry=registry):
        verdict = one.spec if one.spec is not None else one.error
        assert verdict is not None
        results.append((one.path, verdict))
    return results


def spec_warnings(spec: PathwaySpec) -> list[Problem]:
    """What a valid pathway says that cannot take effect as written."""
    collected_at: dict[str, int] = {}
    for index, stage in enumerate(spec.stages):
        for fields in (stage.fields, *(o.fields for o in stage.outcomes.values())):
            for name in fields:
                collected_at.setdefault(name, index)
    warnings: list[Problem] = []
    for index, stage in enumerate(spec.stages):
        at: YamlPath = ("stages", index)
        if stage.deadline is not None:
            warnings += _deadline_warnings(at, index, stage, stage.deadline, collected_at)
    return warnings


def _deadline_warnings(
    at: YamlPath, index: int, stage: StageSpec, deadline: Deadline, collected_at: dict[str, int]
) -> list[Problem]:
    warnings: list[Problem] = []
    if deadline.until is not None and collected_at.get(deadline.until, -1) >= index:
        later = collected_at[deadline.until] > index
        when = "a later stage" if later else f"stage `{stage.id}` itself"
        fallback = (
            f"its `default` ({_words(deadline.default)}) always applies"
            if deadline.default is not None
            else "the stage has no deadline"
        )
        warnings.append(
            Problem(
                (*at, "deadline", "until"),
                f"`until: {deadline.until}` is a date that {when} collects: it is known only once this "
                f"stage is over, so {fallback}",
                "collect the date at an earlier stage, or give the stage a duration",
            )
        )
    if deadline.duration is not None:
        for i, rule in enumerate(stage.remind):
            if rule.before.unit == deadline.duration.unit and rule.before.amount >= deadline.duration.amount:
                warnings.append(
                    Problem(
                        (*at, "remind", i, "before"),
                        f"{_words(rule.before)} before a deadline {_words(deadline.duration)} after entry: "
                        "this reminder is sent as soon as the stage is entered",
                        f"remind less than {_words(deadline.duration)} before",
                    )
                )
    return warnings


def _words(duration: Duration | None) -> str:
    return str(duration) if duration is not None else ""


def _said(problem: Problem, doc: YamlDocument, file: str) -> str:
    line = problem.line or doc.line(problem.path)
    where = f"{file}:{line}" if line is not None else file
    hint = f" ({problem.hint})" if problem.hint else ""
    return f"{where}: {dotted(problem.path)}: {problem.message}{hint}"
