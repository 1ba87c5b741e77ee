"""Exports of cases, projects and the audit log, and the open data on initiatives, on both backends.

Each output parses in its format and holds no personal data: no name, email, phone,
handle or channel of any person of the fixture appears anywhere in it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from builders import VALID_SIRET
from ladder import PEOPLE, PHONES, D, Fixture, build, ladder_app
from pathways.bootstrap import App
from pathways.cli import export as export_cli
from pathways.errors import InvalidInput
from pathways.services.exchange import export, opendata
from pathways.services.people.directory import slugify
from pathways.store.db import Store
from pathways.store.tables import AuditEvent

TERRITORIES = Path(__file__).resolve().parents[2] / "config" / "territories.csv"
EXPORTS = [
    *((what, fmt) for what in export.TABLES for fmt in export.TABLE_FORMATS),
    *(("initiatives", fmt) for fmt in opendata.FORMATS),
]


@pytest.fixture
def app(store: Store, tmp_path: Path) -> App:
    return ladder_app(store, tmp_path)


@pytest.fixture
def fixture(app: App) -> Fixture:
    return build(app)


def personal_data() -> list[str]:
    """Every piece of personal data in the fixture, and the forms it could take in an output."""
    found = list(PHONES)
    for name, email in PEOPLE.values():
        found += [name, email, slugify(name), f"mailto://{email}", *(w for w in name.split() if len(w) > 3)]
    return found


def produce(app: App, what: str, fmt: str, **options: Any) -> str:
    out = io.StringIO()
    with app.store.read() as conn:
        if what == "initiatives":
            territories = opendata.load_territories(TERRITORIES)
            opendata.initiatives(conn, out, fmt=fmt, territories=territories, catalog=app.catalog, **options)
        else:
            export.export_table(conn, what, out, fmt=fmt, **options)
    return out.getvalue()


def parse(text: str, fmt: str) -> Any:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    return json.loads(text)


@pytest.mark.parametrize(("what", "fmt"), EXPORTS)
def test_every_export_parses_and_holds_no_personal_data(
    app: App, fixture: Fixture, what: str, fmt: str
) -> None:
    text = produce(app, what, fmt)
    parse(text, fmt)
    leaked = [value for value in personal_data() if value.lower() in text.lower()]
    assert leaked == []


def test_tables_export_every_row_with_people_as_ids(app: App, fixture: Fixture) -> None:
    cases = parse(produce(app, "cases", "csv"), "csv")
    projects = parse(produce(app, "projects", "json"), "json")
    events = parse(produce(app, "audit", "json"), "json")
    with app.store.read() as conn:
        audited = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    assert sorted(c["ref"] for c in cases) == sorted(fixture.cases.values())
    first = next(c for c in cases if c["ref"] == fixture.cases["L1"])
    assert (first["status"], first["result"], first["officer_id"]) == (
        "closed",
        "scaled",
        str(fixture.people["alice"]),
    )
    assert json.loads(first["data"])["founding"]["founded_on"] == "2026-01-28"
    assert len(projects) == 8
    assert projects[0]["owner_id"] == fixture.people["olivia"]
    assert len(events) == audited
    # Beta: organisation, Carla, Pieter, P5, L5 opened, three decisions, P5 consolidated: in chain order
    assert [e["seq"] for e in events if e["organisation"] == "reseau-beta"] == list(range(1, 10))
    assert {"prev_digest", "digest", "payload"} <= set(events[0])


def test_table_exports_filter_by_organisation_and_period(app: App, fixture: Fixture) -> None:
    beta = parse(produce(app, "cases", "json", org="Réseau Beta"), "json")
    early = parse(produce(app, "cases", "csv", start=D(0), end=D(10)), "csv")
    assert [c["ref"] for c in beta] == [fixture.cases["L5"]]
    assert [c["ref"] for c in early] == [fixture.cases["L1"], fixture.cases["L2"]]
    with pytest.raises(InvalidInput):
        produce(app, "cases", "geojson")


def test_initiatives_are_the_founded_consolidated_and_scaling_projects(app: App, fixture: Fixture) -> None:
    rows = parse(produce(app, "initiatives", "csv", lang="fr"), "csv")
    assert [(r["name"], r["phase"], r["territory"], r["region"]) for r in rows] == [
        ("Recyclerie du Canal", "scaling", "FR-75", "Île-de-France"),
        ("Épicerie solidaire Les Tilleuls", "founded", "FR-75", "Île-de-France"),
        (
            "Repair Café Molenbeek",
            "consolidation",
            "BE-BRU",
            "Bruxelles-Capitale / Brussels Hoofdstedelijk Gewest",
        ),
    ]
    assert [r["pathways"] for r in rows] == [
        "ladder 2026–2026 scaled",
        "ladder 2026– open",
        "ladder 2026– open",
    ]
    assert (rows[0]["siret"], rows[0]["founding_date"], rows[0]["legal_form"]) == (
        VALID_SIRET,
        "2026-01-28",
        "scic",
    )
    only_beta = parse(produce(app, "initiatives", "json", org=fixture.beta), "json")
    assert [r["name"] for r in only_beta] == ["Repair Café Molenbeek"]
    assert only_beta[0]["pathways"] == [
        {
            "pathway": "ladder",
            "title": "Ladder",
            "opened": 2026,
            "closed": None,
            "status": "open",
            "result": None,
        }
    ]


def test_geojson_points_at_the_territory_centre(app: App, fixture: Fixture) -> None:
    collection = parse(produce(app, "initiatives", "geojson"), "geojson")
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["geometry"] for f in features] == [
        {"type": "Point", "coordinates": [2.352, 48.857]},  # Paris, longitude first (RFC 7946)
        {"type": "Point", "coordinates": [2.352, 48.857]},
        {"type": "Point", "coordinates": [4.357, 50.847]},  # Brussels
    ]
    assert features[0]["id"] == fixture.projects["P1"]
    assert features[0]["properties"]["name"] == "Recyclerie du Canal"
    assert features[0]["properties"]["territory_name"] == "Paris"
    assert "latitude" not in features[0]["properties"]


def test_jsonld_uses_schema_org_organization_terms(app: App, fixture: Fixture) -> None:
    document = parse(produce(app, "initiatives", "jsonld"), "jsonld")
    assert document["@context"] == "https://schema.org"
    recyclerie, epicerie, repair = document["@graph"]
    assert {node["@type"] for node in document["@graph"]} == {"Organization"}
    assert recyclerie["name"] == recyclerie["legalName"] == "Recyclerie du Canal"
    assert recyclerie["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "SIREN", "value": VALID_SIRET[:9]},
        {"@type": "PropertyValue", "propertyID": "SIRET", "value": VALID_SIRET},
    ]
    assert recyclerie["address"] == {
        "@type": "PostalAddress",
        "addressCountry": "FR",
        "addressRegion": "Île-de-France",
    }
    assert recyclerie["foundingDate"] == "2026-01-28"
    assert recyclerie["knowsAbout"] == {
        "@type": "DefinedTerm",
        "termCode": "38.32Z",
        "inDefinedTermSet": "NAF rév. 2",
    }
    assert recyclerie["location"]["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 48.857,
        "longitude": 2.352,
    }
    assert {"@type": "PropertyValue", "propertyID": "lifecyclePhase", "value": "scaling"} in recyclerie[
        "additionalProperty"
    ]
    assert "identifier" not in epicerie
    assert "foundingDate" not in epicerie
    assert repair["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "BCE/KBO", "value": "1234567894"}
    ]
    assert repair["knowsAbout"]["inDefinedTermSet"] == "NACE-BEL 2008"
    assert repair["address"]["addressCountry"] == "BE"


def test_export_command_writes_a_file_and_refuses_a_wrong_format(
    app: App, fixture: Fixture, tmp_path: Path
) -> None:
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"now": None}

    root.command("export")(export_cli.export)
    env = {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_CONFIG_DIR": str(app.settings.config_dir),
        "PATHWAYS_ENVIRONMENT": "test",
    }
    target = tmp_path / "initiatives.geojson"
    written = CliRunner().invoke(
        root, ["export", "initiatives", "--format", "geojson", "-o", str(target)], env=env
    )
    assert written.exit_code == 0, written.output
    assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == 3
    assert "3 initiatives written" in written.stderr

    cases = CliRunner().invoke(root, ["export", "cases", "--format", "json"], env=env)
    assert cases.exit_code == 0, cases.output
    assert len(json.loads(cases.stdout)) == 8

    refused = CliRunner().invoke(root, ["export", "cases", "--format", "jsonld"], env=env)
    assert isinstance(refused.exception, InvalidInput)
    assert refused.exception.exit_code == 2
