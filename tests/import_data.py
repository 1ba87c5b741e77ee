"""Generated CSV files for the import tests and the import benchmark.

Every identifier is valid (SIRET Luhn, BCE mod 97) and unique, unless a row is
made bad on purpose through `bad`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from pathways.domain.identifiers import luhn_valid

PROJECT_HEADER = (
    "name", "org", "owner", "siret", "bce", "territory", "phase", "legal_form", "sector",
    "permanent_jobs", "fixed_term_jobs",
)  # fmt: skip
FR_TERRITORIES = ("FR-75", "FR-69", "FR-57", "FR-2A")
BE_TERRITORIES = ("BE-BRU", "BE-WAL", "BE-VLG")
PHASES = ("idea", "emergence", "founded", "consolidation", "scaling")


def _luhn_complete(payload: str) -> str:
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def siret(n: int) -> str:
    """The n-th of a series of distinct valid SIRETs (SIREN and SIRET both Luhn-valid)."""
    siren = _luhn_complete(f"{1000000 + n:08d}")
    return _luhn_complete(f"{siren}{n % 10000:04d}")


def bce(n: int) -> str:
    """The n-th of a series of distinct valid BCE numbers, written 0xxx.xxx.xxx."""
    number = f"{2_000_000 + n:08d}"  # starts with 0 up to n = 7,999,999
    check = 97 - int(number) % 97
    digits = f"{number}{check:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def project_rows(count: int, *, fr_org: str, be_org: str, owner: str | None = None) -> list[dict[str, str]]:
    """`count` valid project rows, two thirds French, one third Belgian; `owner` (a member of
    `fr_org`) owns every tenth French project."""
    rows = []
    for i in range(count):
        belgian = i % 3 == 2
        rows.append(
            {
                "name": f"Projet coopératif n°{i}",
                "org": be_org if belgian else fr_org,
                "owner": owner if owner is not None and i % 10 == 0 and not belgian else "",  # fr_org's
                "siret": "" if belgian else siret(i),
                "bce": bce(i) if belgian else "",
                "territory": BE_TERRITORIES[i % 3] if belgian else FR_TERRITORIES[i % 4],
                "phase": PHASES[i % 5],
                "legal_form": "asbl" if belgian else "association",
                "sector": "88.99B",
                "permanent_jobs": str(i % 7),
                "fixed_term_jobs": str(i % 3),
            }
        )
    return rows


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    *,
    header: tuple[str, ...] = PROJECT_HEADER,
    delimiter: str = ",",
    bom: bool = False,
    bad: Mapping[int, Mapping[str, str]] | None = None,
) -> Path:
    """Write rows (row i on line i + 2), with the values in `bad[i]` replacing row i's."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for i, row in enumerate(rows):
            values = {**row, **(bad or {}).get(i, {})}
            writer.writerow([values.get(column, "") for column in header])
    return path


def line_of(index: int) -> int:
    """The file line of data row `index` (the header is line 1)."""
    return index + 2
