"""Reading a CSV file to import: encoding, delimiter, header aliases, line numbers, row checks.

A file is UTF-8 (a byte-order mark is fine), separated by ``;`` or ``,`` (whichever
the header line uses more), with a header naming the columns by name or alias. Each
problem is a :class:`RowProblem` (line, column, reason) with the file's own line
number: the header is line 1, and a value quoted over several lines counts them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pathways.errors import ImportRefused, InvalidInput, PathwaysError, RowProblem

__all__ = ["Column", "CsvFile", "Progress", "Row", "rows"]

Progress = Callable[[str, int, int], None]
"""Called with (phase, rows done, rows in all); phase is ``"check"`` then ``"import"``."""

_CHECK_EVERY: Final = 500


@dataclass(frozen=True, slots=True)
class Column:
    """A column of an import file: its name, the other headers accepted for it, whether it must be there."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class CsvFile:
    """The rows of a file, read and split, not yet checked."""

    rows: tuple[tuple[int, dict[str, str]], ...]  # (line, column -> stripped value); {} if malformed
    sha256: str
    shape: tuple[RowProblem, ...]  # lines with the wrong number of values

    @classmethod
    def read(cls, path: Path, columns: Sequence[Column]) -> CsvFile:
        """Read and split `path`; InvalidInput when it cannot be read, ImportRefused for its header."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read {path}: {exc.strerror}",
                code="file_unreadable",
                params={"path": path, "reason": exc.strerror},
            ) from exc
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InvalidInput(
                f"{path}: line {line} is not UTF-8 text (byte {exc.start})",
                hint="save the file as CSV UTF-8 (in LibreOffice or Excel: 'CSV UTF-8')",
                code="file_not_utf8",
                params={"path": path, "line": line},
            ) from exc
        first = next((line for line in text.splitlines() if line.strip()), "")
        if not first:
            raise InvalidInput(
                f"{path} is empty",
                hint="the first line names the columns",
                code="file_empty",
                params={"path": path},
            )
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        names: list[str] | None = None
        rows: list[tuple[int, dict[str, str]]] = []
        shape: list[RowProblem] = []
        last = 0
        try:
            for record in reader:
                line, last = last + 1, reader.line_num  # a quoted value may span lines: report the first
                if not any(cell.strip() for cell in record):
                    continue
                if names is None:
                    names = _header(record, columns, line)
                    continue
                if len(record) != len(names):
                    reason = (
                        f"{len(record)} values for {len(names)} columns (a missing or extra '{delimiter}'?)"
                    )
                    shape.append(RowProblem(line, None, reason))
                    rows.append((line, {}))
                    continue
                nul = next((n for n, v in zip(names, record, strict=True) if n and "\x00" in v), None)
                if nul is not None:  # PostgreSQL cannot store it; no spreadsheet writes it on purpose
                    shape.append(RowProblem(line, nul, "contains a NUL character (U+0000)"))
                    rows.append((line, {}))
                    continue
                rows.append((line, {n: v.strip() for n, v in zip(names, record, strict=True) if n}))
        except csv.Error as exc:  # a value beyond the csv module's size limit: an unclosed quote, mostly
            reason = str(exc)
            if "field limit" in reason:
                reason = f"a value longer than {csv.field_size_limit():,} characters"
            raise InvalidInput(
                f"{path}: line {last + 1}: cannot be read as CSV ({reason})",
                hint='look for a quote (") opened on this line and never closed',
                code="csv_unclosed",
                params={"path": path, "line": last + 1},
            ) from exc
        return cls(tuple(rows), hashlib.sha256(data).hexdigest(), tuple(shape))


def _normal(header: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def _header(header: Sequence[str], columns: Sequence[Column], line: int) -> list[str]:
    """The column each header cell names; a problem with the header refuses the file."""
    known = {_normal(alias): column.name for column in columns for alias in (column.name, *column.aliases)}
    names: list[str] = []
    problems: list[RowProblem] = []
    for cell in header:
        name = known.get(_normal(cell))
        if name is None:
            if cell.strip():
                reason = f"unknown column {cell.strip()!r}"
                problems.append(RowProblem(line, cell.strip(), reason))
            names.append("")
            continue
        if name in names:
            problems.append(RowProblem(line, cell.strip(), f"names column '{name}' a second time"))
        names.append(name)
    problems += [
        RowProblem(line, c.name, "required column missing from the header")
        for c in columns
        if c.required and c.name not in names
    ]
    if problems:
        raise ImportRefused(
            "header", problems, rows=0, columns=[c.name + ("*" if c.required else "") for c in columns]
        )
    return names


class Row:
    """One line being checked: its values, and its problems added to the file's list."""

    def __init__(self, line: int, values: Mapping[str, str], problems: list[RowProblem]) -> None:
        self.line = line
        self.values = values
        self.problems = problems
        self.ok = True

    def fail(self, column: str | None, reason: str) -> None:
        """Record a problem of this line."""
        self.problems.append(RowProblem(self.line, column, reason))
        self.ok = False

    def get(self, column: Column) -> str | None:
        """The value, None when empty (or too long: reported)."""
        value = self.values.get(column.name) or None
        if value is not None and column.max_length is not None and len(value) > column.max_length:
            self.fail(column.name, f"{len(value)} characters, at most {column.max_length}")
            return None
        return value

    def require(self, column: Column, what: str) -> str | None:
        """The value; an empty one is reported."""
        if not self.values.get(column.name):
            self.fail(column.name, f"empty: {what}")
            return None
        return self.get(column)

    def parse(self, column: Column, parse: Callable[[str], str]) -> str | None:
        """The value parsed (identifiers, territory); a refused one is reported with the reason."""
        value = self.get(column)
        if value is None:
            return None
        try:
            return parse(value)
        except PathwaysError as exc:
            self.fail(column.name, exc.message)
            return None

    def unique(self, seen: dict[tuple[str, Any], int], column: str, key: Any, label: str) -> None:
        """Report a value an earlier line of the file already has."""
        first = seen.setdefault((column, key), self.line)
        if first != self.line:
            self.fail(column, f"same {label} as line {first}")


def rows(source: CsvFile, progress: Progress | None) -> Iterator[tuple[int, dict[str, str]]]:
    """The well-formed rows, reporting the check phase's progress every few hundred rows."""
    total = len(source.rows)
    for done, (line, values) in enumerate(source.rows, start=1):
        if values:
            yield line, values
        if progress is not None and (done % _CHECK_EVERY == 0 or done == total):
            progress("check", done, total)
