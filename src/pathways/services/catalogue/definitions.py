"""Published pathway versions: stored once, never changed, numbered by what changed.

``pathways pathway publish`` (and ``init``/``run`` on start) reads the pathway files and
stores each one's content in the database. A file whose meaning differs from its pathway's
latest published version becomes the next version, whatever its ``version:`` says (that number
is a floor): an author edits a deadline and publishes, and bumps nothing by hand. Cases keep
the version they started on; new cases take the latest. The application's catalogue is what
was published; before anything is published, it is the folder of files itself.

An old version's file (``<id>/v<N>.yaml``) is published under its own number if that number
is free; if it is taken by other content, it is left out and said so: a published version
never changes.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, func, inspect, select

from pathways.domain.consistency import target_problems
from pathways.domain.loader import (
    VERSIONED,
    PathwayCatalog,
    load_checked,
    load_pathway_dir,
    load_pathway_text,
)
from pathways.domain.registry import Registry, programme_registry
from pathways.domain.spec import PathwaySpec
from pathways.domain.yamlpos import refusal
from pathways.errors import DefinitionError, NotFound
from pathways.services.tx import write
from pathways.store.core import CASE, DEFINITION

if TYPE_CHECKING:
    from pathways.bootstrap import App


Status = Literal["new", "changed", "unchanged", "kept"]


@dataclass(frozen=True, slots=True)
class Published:
    """What publishing one file did."""

    file: str
    pathway_id: str
    version: int  # the version its content is published as (or already was)
    status: Status  # new pathway, changed (a new version), unchanged, or kept (an old file differing)
    detail: str


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One published version of a pathway."""

    version: int
    published_at: datetime
    file: str
    digest: str
    open_cases: int
    cases: int


def digest_of(spec: PathwaySpec) -> str:
    """The SHA-256 of what a definition means, its version number left out (comments and layout too)."""
    meaning = spec.model_dump(mode="json", exclude={"version"})
    return hashlib.sha256(json.dumps(meaning, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def publish(app: App, files: Sequence[Path] | None = None) -> tuple[Published, ...]:
    """Store the content of `files` (default: every file of the pathways folder) as published versions.

    Every file is checked first, hand-offs included (against the files, the folder and what is
    already published); one refused file publishes nothing.
    """
    folder = app.settings.pathways_dir
    paths = list(files) if files is not None else _folder_files(folder)
    loaded: list[tuple[Path, PathwaySpec, str]] = []
    docs = {}
    for path in paths:
        spec, doc = load_checked(path, app.settings.templates_dir, app.registry)
        loaded.append((path, spec, path.read_text(encoding="utf-8")))
        docs[path] = doc
    with app.store.read() as conn:
        known = {*_published_ids(conn), *(spec.id for _, spec, _ in loaded)}
    known |= {p.stem for p in folder.glob("*.yaml")} if folder.is_dir() else set()
    for path, spec, _ in loaded:
        problems = target_problems(spec, known)
        if problems:
            raise refusal(problems, docs[path], str(path))
    # Old versions first, in order, so that a current file finds them already stored.
    loaded.sort(key=lambda item: (item[1].id, 0 if _is_old(item[0], item[1]) else 1, item[1].version))
    done: list[Published] = []
    with write(app) as tx:
        for path, spec, source in loaded:
            done.append(_publish_one(tx.conn, path, spec, source, at=tx.recorded_at, old=_is_old(path, spec)))
    return tuple(done)


def _publish_one(
    conn: Connection, path: Path, spec: PathwaySpec, source: str, *, at: datetime, old: bool
) -> Published:
    digest = digest_of(spec)
    stored: dict[int, str] = dict(
        conn.execute(
            select(DEFINITION.c.version, DEFINITION.c.digest).where(DEFINITION.c.pathway_id == spec.id)
        ).all()
    )
    file = str(path)
    if old:  # an old version's own file: its number, if free
        if stored.get(spec.version) == digest:
            return Published(file, spec.id, spec.version, "unchanged", f"v{spec.version} as published")
        if spec.version in stored:
            detail = f"differs from the published v{spec.version}, which never changes: left out"
            return Published(file, spec.id, spec.version, "kept", detail)
        version = spec.version
    else:
        latest = max(stored, default=0)
        if latest and stored[latest] == digest:
            return Published(file, spec.id, latest, "unchanged", f"v{latest} as published")
        version = max(spec.version, latest + 1)
    conn.execute(
        DEFINITION.insert().values(
            pathway_id=spec.id, version=version, digest=digest, source=source, file=file, published_at=at
        )
    )
    if not stored:
        return Published(file, spec.id, version, "new", f"published as v{version}")
    detail = f"published as v{version}: its content changed since v{max(stored)}"
    if version != spec.version:
        detail += f" (the file says `version: {spec.version}`; it need not be changed)"
    return Published(file, spec.id, version, "changed", detail)


def catalog(app: App) -> PathwayCatalog:
    """The pathways cases run on: every published version; before any publication, the folder's files.

    A published version is parsed and checked when first read (a command showing one case parses
    that case's version only), against the names the programme declares: those of `app.registry`,
    whose steps' code :meth:`~pathways.bootstrap.App.check_pathways` checks with every version on a
    server's start. The folder's files are all loaded at once: their hand-offs are checked together.
    """
    with app.store.read() as conn:
        rows: list[tuple[str, int, str, str]] = []
        if inspect(conn).has_table(DEFINITION.name):  # not in a database older than publishing
            query = select(
                DEFINITION.c.pathway_id, DEFINITION.c.version, DEFINITION.c.source, DEFINITION.c.file
            )
            ordered = query.order_by(DEFINITION.c.pathway_id, DEFINITION.c.version)
            rows = [(str(p), int(v), str(source), str(file)) for p, v, source, file in conn.execute(ordered)]
    if not rows:
        return load_pathway_dir(
            app.settings.pathways_dir, templates=app.settings.templates_dir, registry=app.registry
        )
    declared = programme_registry()
    return PathwayCatalog.parsed_on_use(
        {
            (pathway_id, version): _parser(source, file, version, declared)
            for pathway_id, version, source, file in rows
        }
    )


def _parser(source: str, file: str, version: int, registry: Registry) -> Callable[[], PathwaySpec]:
    """What parses one published version: its stored file, numbered as published."""

    def parse() -> PathwaySpec:
        spec = load_pathway_text(source, file=f"{file} (published v{version})", registry=registry)
        return spec if spec.version == version else spec.model_copy(update={"version": version})

    return parse


def versions(app: App, pathway_id: str) -> list[VersionInfo]:
    """The published versions of a pathway, oldest first, with how many cases run on each."""
    with app.store.read() as conn:
        counts = {
            (version, status): n
            for version, status, n in conn.execute(
                select(CASE.c.pathway_version, CASE.c.status, func.count())
                .where(CASE.c.pathway_id == pathway_id)
                .group_by(CASE.c.pathway_version, CASE.c.status)
            ).all()
        }
        rows = conn.execute(
            select(DEFINITION.c.version, DEFINITION.c.published_at, DEFINITION.c.file, DEFINITION.c.digest)
            .where(DEFINITION.c.pathway_id == pathway_id)
            .order_by(DEFINITION.c.version)
        ).all()
    if not rows:
        raise NotFound(
            f"pathway '{pathway_id}' has no published version",
            hint="see `pathways pathway list`; publish files with `pathways pathway publish`",
            code="pathway_unpublished",
            params={"pathway": pathway_id},
        )
    return [
        VersionInfo(
            version=version,
            published_at=at,
            file=file,
            digest=digest[:12],
            open_cases=counts.get((version, "open"), 0),
            cases=sum(n for (v, _), n in counts.items() if v == version),
        )
        for version, at, file, digest in rows
    ]


def diff(app: App, pathway_id: str, old: int, new: int) -> str:
    """A unified diff of two published versions' files."""
    sources = {}
    with app.store.read() as conn:
        for version in (old, new):
            source = conn.execute(
                select(DEFINITION.c.source).where(
                    DEFINITION.c.pathway_id == pathway_id, DEFINITION.c.version == version
                )
            ).scalar()
            if source is None:
                shown = ", ".join(f"v{v.version}" for v in versions(app, pathway_id))
                raise NotFound(
                    f"pathway '{pathway_id}' has no published version {version}",
                    hint=f"its versions: {shown}",
                    code="pathway_version_unpublished",
                    params={"pathway": pathway_id, "version": version, "versions": shown},
                )
            sources[version] = source
    return "".join(
        difflib.unified_diff(
            sources[old].splitlines(keepends=True),
            sources[new].splitlines(keepends=True),
            fromfile=f"{pathway_id} v{old}",
            tofile=f"{pathway_id} v{new}",
        )
    )


def unpublished(app: App) -> list[str]:
    """The current files of the pathways folder whose content is not their latest published version."""
    folder = app.settings.pathways_dir
    with app.store.read() as conn:
        if not inspect(conn).has_table(DEFINITION.name):
            return []
        latest: dict[str, str] = dict(
            conn.execute(
                select(DEFINITION.c.pathway_id, DEFINITION.c.digest).order_by(DEFINITION.c.version)
            ).all()
        )
    if not latest or not folder.is_dir():
        return []
    stale = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            spec, _ = load_checked(path, None, app.registry)
        except DefinitionError:
            stale.append(str(path))
            continue
        if latest.get(spec.id) != digest_of(spec):
            stale.append(str(path))
    return stale


def _published_ids(conn: Connection) -> set[str]:
    if not inspect(conn).has_table(DEFINITION.name):
        return set()
    return set(conn.scalars(select(DEFINITION.c.pathway_id).distinct()))


def _folder_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DefinitionError("no such folder of pathway files", file=str(folder))
    current = sorted(folder.glob("*.yaml"))
    old = sorted(p for p in folder.glob("*/v*.yaml") if VERSIONED.fullmatch(p.stem))
    return [*old, *current]


def _is_old(path: Path, spec: PathwaySpec) -> bool:
    return bool(VERSIONED.fullmatch(path.stem)) and spec.id != path.stem
