"""Open data on initiatives: organisations that pathways helped found or grow, for maps and databases.

Published: projects that exist as legal entities, at the ``founded``,
``consolidation`` or ``scaling`` phase, with their name, legal form, sector,
territory, identifiers of the organisation (SIREN/SIRET, BCE/KBO, RNA) and the
pathways they followed in outline (pathway, years, end result). Never published:
people (owners, officers, resource persons), contacts, notes, recorded case data
(except the founding date), and sole traders, whose name and identifiers are a
person's. Places are the approximate centre of the project's territory
(``config/territories.csv``), never an address.

Formats: CSV, JSON, GeoJSON (RFC 7946) and JSON-LD with schema.org terms; the
mapping is documented in ``docs/OPEN_DATA.md``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, Final, TextIO

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.domain.programme import normalise_legal_form
from pathways.errors import InvalidInput, NotFound
from pathways.services.exchange.export import BATCH, write_csv, write_json_sequence
from pathways.services.people import directory
from pathways.store.core import CASE, PROJECT

FORMATS: Final = ("csv", "json", "geojson", "jsonld")
PUBLISHED_PHASES: Final = ("founded", "consolidation", "scaling")
# Legal forms of a person trading in their own name: the record is that person's data.
SOLE_TRADER_FORMS: Final = frozenset({
    "ei", "eirl", "entreprise_individuelle", "micro_entreprise", "micro_entrepreneur", "auto_entrepreneur",
    "personne_physique", "eenmanszaak", "natuurlijk_persoon", "entreprise_en_personne_physique",
})  # fmt: skip
COLUMNS: Final = (
    "id", "name", "legal_form", "sector", "ess_status", "phase", "territory", "territory_name", "region",
    "country", "latitude", "longitude", "siren", "siret", "bce", "rna", "founding_date", "jobs", "pathways",
)  # fmt: skip
SECTOR_SCHEMES: Final = {"FR": "NAF rév. 2", "BE": "NACE-BEL 2008"}


@dataclass(frozen=True, slots=True)
class Territory:
    """A territory code with its name, the code it belongs to and an approximate centre."""

    code: str
    name: str
    parent: str | None
    lat: float
    lon: float


def load_territories(path: Path) -> dict[str, Territory]:
    """Read ``config/territories.csv`` (code, name, parent, lat, lon)."""
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return {
                row["code"]: Territory(
                    row["code"], row["name"], row["parent"] or None, float(row["lat"]), float(row["lon"])
                )
                for row in csv.DictReader(file)
            }
    except FileNotFoundError:
        raise NotFound(f"no territory file {path}", hint="it ships as config/territories.csv") from None
    except (KeyError, ValueError) as exc:
        raise InvalidInput(f"{path}: bad row ({exc})", hint="columns: code,name,parent,lat,lon") from None


def initiatives(
    conn: Connection,
    out: TextIO,
    *,
    fmt: str,
    territories: Mapping[str, Territory],
    catalog: PathwayCatalog | None = None,
    lang: str = "en",
    org: str | int | None = None,
) -> int:
    """Write the open data on initiatives as CSV, JSON, GeoJSON or JSON-LD; returns how many."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"initiatives export as {', '.join(FORMATS)}, not {fmt!r}",
            code="export_format",
            params={"what": "initiatives", "formats": ", ".join(FORMATS), "format": fmt},
        )
    org_id = directory.find_org(conn, org).id if org is not None else None
    records = _initiatives(conn, territories, catalog, lang, org_id)
    if fmt == "csv":
        return write_csv(out, COLUMNS, ({**r, "pathways": outline(r["pathways"])} for r in records))
    if fmt == "json":
        return write_json_sequence(out, "[\n", records, "\n]\n")
    if fmt == "geojson":
        return write_json_sequence(
            out, '{"type": "FeatureCollection", "features": [\n', map(feature, records), "\n]}\n"
        )
    return write_json_sequence(
        out, '{"@context": "https://schema.org", "@graph": [\n', map(jsonld, records), "\n]}\n"
    )


def _initiatives(
    conn: Connection,
    territories: Mapping[str, Territory],
    catalog: PathwayCatalog | None,
    lang: str,
    org_id: int | None,
) -> Iterator[dict[str, Any]]:
    """One record per published project, its cases folded in (one streamed query, ordered by project)."""
    query = (
        select(
            *(
                PROJECT.c[name]
                for name in ("id", "name", "legal_form", "sector", "ess_status", "phase", "territory")
            ),
            *(
                PROJECT.c[name]
                for name in ("siren", "siret", "bce", "rna", "permanent_jobs", "fixed_term_jobs")
            ),
            CASE.c.pathway_id,
            CASE.c.pathway_version,
            CASE.c.status,
            CASE.c.result,
            CASE.c.opened_at,
            CASE.c.closed_at,
            CASE.c.data,
        )
        .outerjoin(CASE, CASE.c.project_id == PROJECT.c.id)
        .where(PROJECT.c.phase.in_(PUBLISHED_PHASES))
        .order_by(PROJECT.c.id, CASE.c.opened_at, CASE.c.id)
    )
    if org_id is not None:
        query = query.where(PROJECT.c.organisation_id == org_id)
    rows = conn.execute(query.execution_options(yield_per=BATCH)).mappings()
    for _, group in groupby(rows, key=lambda r: r["id"]):
        cases: list[Mapping[str, Any]] = [dict(r) for r in group]
        project = cases[0]
        if project["legal_form"] and normalise_legal_form(project["legal_form"]) in SOLE_TRADER_FORMS:
            continue
        yield _record(project, [c for c in cases if c["pathway_id"] is not None], territories, catalog, lang)


def _record(
    project: Mapping[str, Any],
    cases: list[Mapping[str, Any]],
    territories: Mapping[str, Territory],
    catalog: PathwayCatalog | None,
    lang: str,
) -> dict[str, Any]:
    code = project["territory"]
    place = territories.get(code)
    founded = sorted(
        str(values["founded_on"])[:10]
        for case in cases
        for values in (case["data"] or {}).values()
        if isinstance(values, dict) and values.get("founded_on")
    )
    return {
        "id": project["id"],
        "name": project["name"],
        "legal_form": project["legal_form"],
        "sector": project["sector"],
        "ess_status": project["ess_status"],
        "phase": project["phase"],
        "territory": code,
        "territory_name": place.name if place else code,
        "region": _region(territories, code),
        "country": code.split("-")[0],
        "latitude": place.lat if place else None,
        "longitude": place.lon if place else None,
        "siren": project["siren"],
        "siret": project["siret"],
        "bce": project["bce"],
        "rna": project["rna"],
        "founding_date": founded[0] if founded else None,
        "jobs": project["permanent_jobs"] + project["fixed_term_jobs"],
        "pathways": [
            {
                "pathway": case["pathway_id"],
                "title": _title(catalog, case["pathway_id"], case["pathway_version"], lang),
                "opened": case["opened_at"].year,
                "closed": case["closed_at"].year if case["closed_at"] else None,
                "status": case["status"],
                "result": case["result"],
            }
            for case in cases
        ],
    }


def _region(territories: Mapping[str, Territory], code: str) -> str | None:
    """The region a territory is in (itself when it is a region); None for a whole country."""
    place = territories.get(code)
    if place is None or place.parent is None:
        return None
    parent = territories.get(place.parent)
    if parent is None or parent.parent is None:
        return place.name
    return parent.name


def _title(catalog: PathwayCatalog | None, pathway: str, version: int, lang: str) -> str:
    if catalog is None:
        return pathway
    try:
        return catalog.get(pathway, version).title.get(lang)
    except NotFound:
        return pathway


def feature(record: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature (RFC 7946: longitude first) at the territory's approximate centre."""
    lat, lon = record["latitude"], record["longitude"]
    return {
        "type": "Feature",
        "id": record["id"],
        "geometry": {"type": "Point", "coordinates": [lon, lat]} if lat is not None else None,
        "properties": {k: v for k, v in record.items() if k not in {"id", "latitude", "longitude"}},
    }


def jsonld(record: Mapping[str, Any]) -> dict[str, Any]:
    """A schema.org Organization for an initiative record (mapping: docs/OPEN_DATA.md)."""
    country = record["country"]
    node: dict[str, Any] = {"@type": "Organization", "name": record["name"], "legalName": record["name"]}
    identifiers = [
        {"@type": "PropertyValue", "propertyID": label, "value": record[key]}
        for key, label in (("siren", "SIREN"), ("siret", "SIRET"), ("bce", "BCE/KBO"), ("rna", "RNA"))
        if record[key]
    ]
    if identifiers:
        node["identifier"] = identifiers
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": country}
    if record["region"]:
        address["addressRegion"] = record["region"]
    node["address"] = address
    if record["latitude"] is not None:
        node["location"] = {
            "@type": "Place",
            "name": record["territory_name"],
            "geo": {
                "@type": "GeoCoordinates",
                "latitude": record["latitude"],
                "longitude": record["longitude"],
            },
        }
    if record["founding_date"]:
        node["foundingDate"] = record["founding_date"]
    if record["sector"]:
        node["knowsAbout"] = {
            "@type": "DefinedTerm",
            "termCode": record["sector"],
            "inDefinedTermSet": SECTOR_SCHEMES.get(country, "NACE Rev. 2"),
        }
    if record["jobs"]:
        node["numberOfEmployees"] = {"@type": "QuantitativeValue", "value": record["jobs"]}
    properties = [
        ("legalForm", record["legal_form"]),
        ("essStatus", record["ess_status"]),
        ("lifecyclePhase", record["phase"]),
        ("territory", record["territory"]),
    ]
    node["additionalProperty"] = [
        {"@type": "PropertyValue", "propertyID": name, "value": value} for name, value in properties if value
    ] + [
        {
            "@type": "PropertyValue",
            "propertyID": "pathway",
            "name": step["title"],
            "value": step["result"] or step["status"],
            "description": outline([step]),
        }
        for step in record["pathways"]
    ]
    return node


def outline(steps: list[Mapping[str, Any]]) -> str:
    """Pathways in one line: 'diagnosis 2025–2026 completed; ongoing_support 2026– open'."""
    return "; ".join(
        f"{s['pathway']} {s['opened']}–{s['closed'] or ''} {s['result'] or s['status']}" for s in steps
    )
