"""`pathways case show` loads what it shows a case with, and no more (issue 20: a quick command).

A fresh interpreter runs the command on a database with published pathways, then says which
modules it loaded: no web stack, Prefect, delivery, documents or spreadsheets, none of the
automatic steps' code, and of the published pathway versions only the case's own is parsed.
A server still parses and checks every published version when it starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.catalogue.definitions import publish
from pathways.settings import load_settings
from pathways.store.db import Store

ROOT = Path(__file__).resolve().parents[2]

# What `case show` must not load: each costs tens to hundreds of milliseconds at every start.
UNWANTED = (
    "click",  # Typer carries its own copy
    "fastapi",
    "starlette",
    "uvicorn",
    "prefect",
    "apprise",
    "weasyprint",
    "openpyxl",
    "babel",
    "jinja2",
    "holidays",
    "pathways.web",
    "pathways.orchestration",
    "pathways.notify.port",
    "pathways.services.casework.work",
)

# Runs `pathways ARGS`, then prints the unwanted modules loaded and the pathway versions parsed.
PROBE = """
import json, sys
from pathways.cli import main
from pathways.domain import loader
parsed = []
parse = loader.load_pathway_text
def counting(text, **kwargs):
    spec = parse(text, **kwargs)
    parsed.append([spec.id, spec.version])
    return spec
loader.load_pathway_text = counting
args, unwanted = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["pathways", *args]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = sorted({m for m in sys.modules if any(m == u or m.startswith(u + ".") for u in unwanted)})
print(json.dumps({"loaded": loaded, "parsed": parsed}))
"""


def test_case_show_imports_no_web_flow_delivery_or_step_code_and_parses_one_version(
    sqlite_store: Store, tmp_path: Path
) -> None:
    settings = load_settings(config_dir=ROOT / "config", environment="test")
    app = App(settings=settings, store=sqlite_store, clock=Clock())
    published = publish(app)
    assert len(published) > 1
    org = make_org(app)
    case = open_diagnosis(app, make_project(app, org), make_person(app, org))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= {
        "PATHWAYS_DATABASE_URL": str(sqlite_store.engine.url),
        "PATHWAYS_HOME": str(tmp_path),
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_ENVIRONMENT": "test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["case", "show", case.ref]), json.dumps(UNWANTED)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert case.ref in done.stdout
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == []
    assert seen["parsed"] == [["diagnosis", app.catalog.get("diagnosis").version]]


def test_a_broken_published_version_is_said_when_read_and_at_a_servers_start_not_by_any_command(
    sqlite_store: Store,
) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from pathways.errors import DefinitionError
    from pathways.store.core import DEFINITION
    from pathways.web import create_app

    settings = load_settings(config_dir=ROOT / "config", environment="test")
    publish(App(settings=settings, store=sqlite_store, clock=Clock()))
    with sqlite_store.write() as conn:
        broken = DEFINITION.c.pathway_id == "diagnosis", DEFINITION.c.version == 1
        conn.execute(update(DEFINITION).where(*broken).values(source="id: diagnosis\nstages: [\n"))
    app = App(settings=settings, store=sqlite_store, clock=Clock())

    assert app.catalog.get("ongoing_support").id == "ongoing_support"  # the other versions read
    with pytest.raises(DefinitionError, match=r"published v1\)"):
        app.catalog.get("diagnosis", 1)
    with pytest.raises(DefinitionError, match=r"published v1\)"):
        App(settings=settings, store=sqlite_store, clock=Clock()).check_pathways()
    with pytest.raises(DefinitionError, match=r"published v1\)"), TestClient(create_app(app)):
        pass
