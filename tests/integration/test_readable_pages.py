"""Every page of the demo, as an officer and a manager, in French and Dutch: titles, never ids.

A page must not show, in its visible text, a pathway, stage, outcome, end, field or choice id of
the pathway files (``shared_diagnosis``), a ``key=value`` reference (``person=93``), a raw
``True``/``False``/``None``, nor a person field's value as a bare number. Ids written with an
underscore are looked for anywhere; ids that are also ordinary words (``intake``, ``committee``)
only where a text, cut at its separators (→ · : | —), is the id itself.

To cover a new page, add its path to PAGES (placeholders: {ref} {pathway} {project} {person} {chart}).
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathways.bootstrap import App, Clock
from pathways.demo import seed as demo
from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.domain.spec import FieldSpec, FieldType
from pathways.services.people import accounts, ownerlinks
from pathways.services.reporting.dashboard import CHARTS
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import CASE, MEMBER, PERSON, PROJECT
from pathways.store.db import Store
from pathways.web import create_app

pytestmark = pytest.mark.slow

# The pages people read. {ref}: a case; {pathway}: a pathway id; {project}, {person}: ids.
PAGES: Final = (
    "/cases",
    "/cases?status=all",
    "/cases?status=closed",
    "/due",
    "/cases/{ref}",
    "/pathways",
    "/pathways/{pathway}",
    "/projects",
    "/projects/{project}",
    "/people",
    "/people/{person}",
    "/cases/new",
    "/projects/new",
    "/people/new",
    "/pathways/{pathway}/graph.svg",
    "/dashboard",
    "/dashboard/charts/{chart}.svg",
    "/audit",
    "/audit/verify",
    "/messages/failed",
    "/reports/funder/dla",
    "/reports/funder/tsf",
)
MANAGER_ONLY: Final = (
    "/dashboard",
    "/audit",
    "/messages/failed",
    "/reports/funder/dla",
    "/reports/funder/tsf",
)
LANGS: Final = ("fr", "nl")
SAMPLE: Final = 12  # cases, projects and people walked per role and language (all of them once)
PASSWORD: Final = "correct horse battery staple"
SEPARATORS: Final = re.compile(r"\s*(?:→|·|:|\||—|–|\n)\s*")  # not "(" nor ",": a label may hold a word
KEY_VALUE: Final = re.compile(r"\b[a-z][a-z_]{1,40}=\S")
HIDDEN: Final = {"script", "style", "template", "head"}
SHOWN_ATTRIBUTES: Final = ("title", "alt", "placeholder", "aria-label")


class VisibleText(HTMLParser):
    """The texts a reader sees (and hears: alt, title, aria-label), one per node."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden":
            return
        self.texts += [str(values[name]) for name in SHOWN_ATTRIBUTES if values.get(name)]

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


@dataclass(frozen=True)
class Ids:
    """The ids of the pathway files, and the labels of person fields per language."""

    joined: frozenset[str]  # with an underscore: never in a visible text
    words: frozenset[str]  # plain words: never a whole text
    person_labels: dict[str, frozenset[str]]


def _fields(catalog: PathwayCatalog) -> Iterator[tuple[str, FieldSpec]]:
    for spec in catalog.latest():
        for stage in spec.stages:
            yield from stage.fields.items()
            for outcome in stage.outcomes.values():
                yield from outcome.fields.items()


def ids_of(catalog: PathwayCatalog) -> Ids:
    found: set[str] = set()
    for spec in catalog.latest():
        found |= {spec.id, *spec.ends, *spec.all_exits}
        for stage in spec.stages:
            found |= {stage.id, *stage.outcomes}
    for name, field in _fields(catalog):
        found |= {name, *(field.choices or {})}
    person = [f for _, f in _fields(catalog) if FieldType.PERSON in (f.type, f.items)]
    labels = {lang: frozenset(f.label.get(lang) for f in person) for lang in LANGS}
    return Ids(
        joined=frozenset(i for i in found if "_" in i),
        words=frozenset(i for i in found if "_" not in i) | {"True", "False", "None"},
        person_labels=labels,
    )


def problems(texts: list[str], ids: Ids, lang: str) -> list[str]:
    """What in a page's visible texts is an id rather than words."""
    found = []
    for text in texts:
        found += [f"id {m!r} in {text!r}" for m in re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text)
                  if m in ids.joined]  # fmt: skip
        found += [f"key=value in {text!r}" for _ in KEY_VALUE.findall(text)[:1]]
        found += [f"id {part!r} in {text!r}" for part in SEPARATORS.split(text) if part in ids.words]
    for before, after in itertools.pairwise(texts):
        if before.rstrip(" :") in ids.person_labels[lang] and after.isdigit():
            found.append(f"person as a number: {before!r} {after!r}")
    return found


@dataclass(frozen=True)
class Demo:
    app: App
    refs: list[str]
    projects: list[int]
    people: list[int]
    officer: int
    manager: int
    owner_link: str


@pytest.fixture(scope="module")
def loaded(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo once for the module (read only), logins for an officer and a manager of one organisation."""
    path = tmp_path_factory.mktemp("readable") / "pathways.db"
    shutil.copyfile(_sqlite_template, path)
    store = Store.from_url(f"sqlite:///{path}")
    app = App(
        settings=load_settings(config_dir=Path("config"), environment="test"),
        store=store,
        clock=Clock(datetime(2026, 7, 8, 8, 0, tzinfo=UTC)),
    )
    demo.load(app)
    with store.read() as conn:
        staff = conn.execute(select(MEMBER.c.person_id, MEMBER.c.organisation_id, MEMBER.c.role)).all()
        manager, org = next((p, o) for p, o, role in staff if role == "manager")
        officer = next(p for p, o, role in staff if role == "officer" and o == org)
        cases = conn.execute(
            select(CASE.c.ref, CASE.c.id, PROJECT.c.owner_id)
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .where(CASE.c.organisation_id == org)
            .order_by(CASE.c.id)
        ).all()
        projects = list(conn.scalars(select(PROJECT.c.id).where(PROJECT.c.organisation_id == org)))
        people = sorted({p for p, o, _ in staff if o == org})
        case_id, owner = next((c.id, c.owner_id) for c in cases if c.owner_id)
        link = ownerlinks.current_link(conn, app, case_id, owner)
    with write(app) as tx:
        for person in (officer, manager):
            accounts.add_user(tx, person=person, password=PASSWORD, language="fr")
    yield Demo(app, [c.ref for c in cases], projects, people, officer, manager, link)
    store.dispose()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _paths(loaded: Demo, everything: bool) -> list[str]:
    values: dict[str, Sequence[object]] = {
        "ref": loaded.refs if everything else loaded.refs[:: max(1, len(loaded.refs) // SAMPLE)],
        "pathway": sorted(spec.id for spec in loaded.app.catalog.latest()),
        "project": loaded.projects if everything else loaded.projects[:SAMPLE],
        "person": loaded.people,
        "chart": list(CHARTS),
    }
    paths = []
    for page in PAGES:
        names = re.findall(r"\{(\w+)\}", page)
        if not names:
            paths.append(page)
            continue
        (name,) = names
        paths += [page.replace(f"{{{name}}}", str(v)) for v in values[name]]
    return paths


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ["officer", "manager"])
def test_no_page_of_the_demo_shows_an_id_instead_of_words(loaded: Demo, role: str, lang: str) -> None:
    ids = ids_of(loaded.app.catalog)
    person = loaded.officer if role == "officer" else loaded.manager
    with loaded.app.store.read() as conn:
        login = conn.scalar(select(PERSON.c.email).where(PERSON.c.id == person))
    found: dict[str, list[str]] = {}
    with TestClient(create_app(loaded.app)) as client:
        csrf = _csrf(client.get("/login").text)
        form = {"login": login, "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        csrf = _csrf(client.get("/cases").text)
        assert (
            client.post("/language", data={"lang": lang, "next": "/cases", "csrf_token": csrf}).status_code
            == 200
        )
        for path in _paths(loaded, everything=(role, lang) == ("manager", "fr")):
            if role == "officer" and path.startswith(MANAGER_ONLY):
                continue
            response = client.get(path)
            assert response.status_code == 200, f"{path}: {response.status_code}"
            if response.headers["content-type"].startswith("text/html"):
                assert f'lang="{lang}"' in response.text, path
            if said := problems(visible(response.text), ids, lang):
                found[path] = said
    assert found == {}, "\n".join(f"{path}: {said}" for path, said in found.items())


@pytest.mark.parametrize("lang", LANGS)
def test_the_owner_page_shows_no_id_either(loaded: Demo, lang: str) -> None:
    ids = ids_of(loaded.app.catalog)
    with TestClient(create_app(loaded.app)) as client:
        path = loaded.owner_link.split("/o/", 1)[1]
        response = client.get(f"/o/{path}?lang={lang}")
        assert response.status_code == 200
        assert problems(visible(response.text), ids, lang) == []


def test_the_walker_sees_ids_and_key_values_when_a_page_shows_them() -> None:
    ids = ids_of(load_pathway_dir(Path("config") / "pathways"))
    html = (
        "<p>Étape : shared_diagnosis</p><td>intake</td><p>intake → relevant</p>"
        "<small>person=93, role=owner</small><dd>True</dd><script>var x = 'shared_diagnosis'</script>"
    )
    said = problems(visible(html), ids, "fr")
    assert len(said) == 6, said
    assert problems(visible("<p>Accueil et orientation → Demande pertinente</p>"), ids, "fr") == []
