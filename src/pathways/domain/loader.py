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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import ValidationError

from pathways.domain.consistency import spec_problems, target_problems
from pathways.domain.registry import Registry, programme_registry
from pathways.domain.spec import OwnerAsk, PathwaySpec
from pathways.domain.wording import validation_problems
from pathways.domain.yamlpos import (
    Problem,
    YamlDocument,
    YamlSyntaxError,
    parse,
    refusal,
)
from pathways.errors import DefinitionError, NotFound

__all__ = [
    "VERSIONED",
    "ParsedOnUse",
    "PathwayCatalog",
    "load_checked",
    "load_pathway_dir",
    "load_pathway_file",
    "load_pathway_text",
]

VERSIONED = re.compile(r"v([1-9][0-9]*)")
_TOP_KEYS = "id:, version:, title:, reference:, ends: and stages:"
_YAML_HINT = "indent with spaces, not tabs; quote a value containing ': ' or ' #', or starting with [ { * & !"

_Loaded = tuple[PathwaySpec, YamlDocument, Path]


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
    return load_checked(path, templates, registry or programme_registry())[0]


def load_pathway_dir(
    directory: Path, *, templates: Path | None = None, registry: Registry | None = None
) -> PathwayCatalog:
    """Every version of every pathway in `directory`; hand-offs and spawns must name one of them."""
    current, archived = _scan(directory)
    loaded: dict[tuple[str, int], _Loaded] = {}
    names = registry or programme_registry()
    for path in [*current.values(), *archived]:
        spec, doc = load_checked(path, templates, names)
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
        problems = target_problems(spec, set(current))
        if owner != spec.id:
            message = f"case reference prefix `{spec.reference}` is already used by pathway `{owner}`"
            problems.append(Problem(("reference",), message, "give each pathway its own prefix"))
        if problems:
            raise refusal(problems, doc, str(path))
    return PathwayCatalog.of(spec for spec, _, _ in loaded.values())


class ParsedOnUse(Mapping[tuple[str, int], PathwaySpec]):
    """Pathway versions by (id, version), each parsed (and checked) the first time it is read.

    A command that reads one case parses that case's version only, not every published one;
    iterating the values parses them all. Read-only, in key order.
    """

    def __init__(self, parsers: Mapping[tuple[str, int], Callable[[], PathwaySpec]]) -> None:
        self._parsers = dict(sorted(parsers.items()))
        self._parsed: dict[tuple[str, int], PathwaySpec] = {}

    def __getitem__(self, key: tuple[str, int]) -> PathwaySpec:
        spec = self._parsed.get(key)
        if spec is None:
            spec = self._parsers[key]()
            if spec.key != key:
                raise ValueError(f"catalog key {key} holds pathway {spec.key}")
            self._parsed[key] = spec
        return spec

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self._parsers)

    def __len__(self) -> int:
        return len(self._parsers)

    def __contains__(self, key: object) -> bool:
        return key in self._parsers


@dataclass(frozen=True, slots=True)
class PathwayCatalog:
    """Every loaded version of every pathway, by (id, version); the highest version is the latest."""

    specs: Mapping[tuple[str, int], PathwaySpec]

    def __post_init__(self) -> None:
        if isinstance(self.specs, ParsedOnUse):
            return  # read-only and sorted already; each spec's key is checked as it is parsed
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

    @classmethod
    def parsed_on_use(cls, parsers: Mapping[tuple[str, int], Callable[[], PathwaySpec]]) -> PathwayCatalog:
        """A catalog of the versions `parsers` name, each parsed by its function when first read."""
        return cls(ParsedOnUse(parsers))

    def checked(self) -> PathwayCatalog:
        """This catalog, every version parsed and checked now (a parser's DefinitionError raised here)."""
        for _ in self.specs.values():
            pass
        return self

    def get(self, pathway_id: str, version: int | None = None) -> PathwaySpec:
        """That version of the pathway, the latest when `version` is None; NotFound otherwise."""
        versions = self.versions(pathway_id)
        spec = self.specs.get((pathway_id, versions[-1] if version is None else version))
        if spec is None:
            shown = ", ".join(map(str, versions))
            raise NotFound(
                f"pathway '{pathway_id}' has no version {version}",
                hint=f"its versions: {shown}",
                code="pathway_version_not_found",
                params={"pathway": pathway_id, "version": version, "versions": shown},
            )
        return spec

    def versions(self, pathway_id: str) -> list[int]:
        """The pathway's versions, oldest first; NotFound naming the known pathways."""
        found = [version for (key, version) in self.specs if key == pathway_id]
        if not found:
            known = ", ".join(self.ids()) or "none"
            raise NotFound(
                f"no pathway '{pathway_id}'",
                hint=f"known pathways: {known}",
                code="pathway_not_found",
                params={"pathway": pathway_id, "known": known},
            )
        return found

    def owner_asks(self, pathway_id: str, version: int, stage_id: str) -> Mapping[str, OwnerAsk]:
        """What a stage asks of the project's owner (its ``ask_owner``). A version written before
        ``ask_owner`` existed (published, so never changed) asks what a later version's stage of the
        same id asks: an answer records that the owner did something, and decides nothing."""
        asks = self.get(pathway_id, version).stage(stage_id).ask_owner
        if asks:
            return asks
        for later in reversed(self.versions(pathway_id)):
            if later <= version:
                break
            stage = next((s for s in self.get(pathway_id, later).stages if s.id == stage_id), None)
            if stage is not None and stage.ask_owner:
                return stage.ask_owner
        return asks

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
    text: str, *, file: str, templates: Path | None, registry: Registry, path: Path | None = None
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
    # A file filed under the wrong name is said first: every other message names the file.
    named = _name_problems(path, doc.data) if path is not None else []
    try:
        spec = PathwaySpec.model_validate(doc.data)
    except ValidationError as exc:
        raise refusal(named + validation_problems(exc, PathwaySpec), doc, file) from exc
    problems = named + spec_problems(spec, templates, registry)
    if problems:
        raise refusal(problems, doc, file)
    return spec, doc


def _name_problems(path: Path, data: Mapping[object, object]) -> list[Problem]:
    """The id (and an old version's number) against the file's name, read before any other check."""
    pathway_id, version = data.get("id"), data.get("version")
    if not isinstance(pathway_id, str):
        return []  # no id, or not text: the model's checks say so
    versioned = VERSIONED.fullmatch(path.stem)
    if versioned and pathway_id != path.stem:
        if pathway_id != path.parent.name:
            message = f"this old version is filed under {path.parent.name}/ but its id is `{pathway_id}`"
            hint = f"old versions of `{pathway_id}` live in {pathway_id}/v<N>.yaml"
            return [Problem(("id",), message, hint, rank=-1)]
        if isinstance(version, int) and version != int(versioned[1]):
            message = f"version {version} is filed as {path.name}"
            return [Problem(("version",), message, f"rename the file to v{version}.yaml", rank=-1)]
        return []
    if pathway_id != path.stem:
        message = f"the id `{pathway_id}` differs from the file name {path.name}"
        hint = f"rename the file to {pathway_id}.yaml, or write `id: {path.stem}`"
        return [Problem(("id",), message, hint, rank=-1)]
    return []


def load_checked(path: Path, templates: Path | None, registry: Registry) -> tuple[PathwaySpec, YamlDocument]:
    """One file parsed and checked on its own (not its hand-offs), with its document for line numbers."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            f"not UTF-8 text (byte {exc.start})", file=file, hint="save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise DefinitionError(f"cannot read the file: {exc.strerror}", file=file) from exc
    return _load(text, file=file, templates=templates, registry=registry, path=path)


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
                if old.is_file() and old.suffix == ".yaml" and VERSIONED.fullmatch(old.stem):
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
