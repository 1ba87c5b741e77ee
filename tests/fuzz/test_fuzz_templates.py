"""Template injection: organisation-edited templates run sandboxed, field values are never template code.

- A template that reaches for Python internals (``''.__class__.__mro__``,
  ``cycler.__init__.__globals__``...) is refused with a RenderError naming the
  template file; nothing of the process leaks into a message.
- Values (project, person and organisation names, case data) holding Jinja syntax
  or HTML are printed as they are in the plain-text part, escaped in the HTML part,
  and never evaluated; the same in the case documents.
"""

from __future__ import annotations

import shutil
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fuzzing import fuzz_settings, record
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.domain.spec import LANGS
from pathways.errors import RenderError
from pathways.notify.render import Renderer
from pathways.services.casework import documents, work

TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"
MESSAGES = sorted({p.name.removesuffix(".txt.j2") for p in (TEMPLATES / "en").glob("*.txt.j2")} - {"digest"})
DUE = datetime(2026, 7, 30, 21, 59, 59, tzinfo=UTC)

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ case.__class__.__base__.__subclasses__() }}",
    "{{ project.name.__class__.__mro__ }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{{ person.format.__globals__ }}",
    "{{ '{0.__class__.__mro__}'.format(person) }}",
    "{{ person|attr('__class__') }}",
    "{{ self._TemplateReference__context }}",
    "{% set x = case.__class__ %}{{ x.__subclasses__() }}",
    "{{ case.items.__self__.__class__ }}",
    "{{ case.due_at.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__()[0].__init__.__globals__['sys'].modules }}",
]
PROBES = ["<class", "subclasses", "__builtins__", "<module", "uid=", "os.popen", "TemplateReference"]


def context(lang: str, name: str, person: str, org: str) -> dict[str, Any]:
    return {
        "kind": "reminder",
        "days": 3,
        "person": person,
        "organisation": {"name": org},
        "owner_url": "https://pathways.example.org/o/token.sig",
        "case": {
            "ref": "DIAG-2026-0042",
            "pathway_title": "Diagnostic",
            "stage_title": "Accueil",
            "due_at": DUE,
            "url": "https://pathways.example.org/cases/DIAG-2026-0042",
        },
        "project": {"name": name},
    }


@pytest.fixture(scope="module")
def organisation_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped templates, copied where an organisation would edit them."""
    folder = tmp_path_factory.mktemp("templates")
    shutil.copytree(TEMPLATES, folder, dirs_exist_ok=True)
    return folder


@pytest.mark.parametrize("part", ["txt", "html"])
def test_a_template_reaching_for_python_internals_is_refused_naming_it(
    organisation_templates: Path, part: str
) -> None:
    failures: list[str] = []
    refused = 0
    for number, payload in enumerate(ESCAPES):
        name = f"evil_{part}_{number}"
        for lang in LANGS:
            (organisation_templates / lang / f"{name}.txt.j2").write_text(
                f"Subject: hello\n\n{payload if part == 'txt' else 'plain'}\n", encoding="utf-8"
            )
            if part == "html":
                (organisation_templates / lang / f"{name}.html.j2").write_text(
                    f"<p>{payload}</p>\n", encoding="utf-8"
                )
        renderer = Renderer(organisation_templates)
        for lang in LANGS:
            file = organisation_templates / lang / f"{name}.{part}.j2"
            try:
                rendered = renderer.render(name, lang, context(lang, "P", "Fien", "DLA"), zone="Europe/Paris")
            except RenderError as exc:
                refused += 1
                if str(file) not in exc.message:
                    failures.append(f"{payload}: the template is not named: {exc.message}")
                if "__" in payload and "refused by the template sandbox" not in exc.message:
                    failures.append(f"{payload}: not said to be refused: {exc.message}")
            except Exception as exc:  # noqa: BLE001  anything else is a failure
                failures.append(f"{payload}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            else:
                shown = rendered.body + (rendered.html or "")
                failures.append(f"{payload} rendered: {shown[:300]!r}")
                if any(probe in shown for probe in PROBES):
                    failures.append(f"{payload} leaked internals: {shown[:300]!r}")
    record(
        "injection",
        f"template sandbox: escapes in organisation-edited {part} templates",
        len(ESCAPES) * len(LANGS),
        len(failures),
        f"{refused} refused with a RenderError naming the template",
    )
    assert failures == [], "\n".join(failures[:5])
    assert refused == len(ESCAPES) * len(LANGS)


FRAGMENTS = st.sampled_from(
    [
        "{{ 7*7 }}",
        "{{7*'7'}}",
        "{% for i in range(3) %}x{% endfor %}",
        "{% raw %}",
        "{# hidden #}",
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '"><b>bold</b>',
        "' onmouseover='x",
        "&amp;",
        "${7*7}",
        "#{7*7}",
        "%s%n",
        "Recyclerie du Canal",
    ]
)
VALUE = st.lists(FRAGMENTS | st.text(max_size=12), min_size=1, max_size=4).map("".join).filter(str.strip)


def test_field_values_holding_template_syntax_are_printed_never_evaluated() -> None:
    renderer = Renderer(TEMPLATES)
    failures: list[str] = []
    tried = 0

    @fuzz_settings(60, 600)
    @given(
        name=VALUE, person=VALUE, org=VALUE, lang=st.sampled_from(LANGS), template=st.sampled_from(MESSAGES)
    )
    def run(name: str, person: str, org: str, lang: str, template: str) -> None:
        nonlocal tried
        tried += 1
        try:
            rendered = renderer.render(template, lang, context(lang, name, person, org), zone="Europe/Paris")
        except Exception as exc:  # noqa: BLE001  any exception is a failure here
            failures.append(f"{template}/{lang} with {name!r}: {type(exc).__name__}: {exc}")
            return
        if name not in rendered.subject + rendered.body:
            failures.append(f"{template}/{lang}: the project name {name!r} is not printed as it is")
        if rendered.html is not None:
            if str(escape(name)) not in rendered.html:
                failures.append(f"{template}/{lang}: {name!r} not escaped in the HTML part")
            raws = [raw for raw in ("<script>", "<img ", "<b>bold") if raw in rendered.html]
            failures.extend(f"{template}/{lang}: raw {raw!r} in the HTML part" for raw in raws)

    run()
    record("injection", "message templates: field values holding Jinja syntax and HTML", tried, len(failures))
    assert failures == [], "\n".join(failures[:5])


HOSTILE_NAME = "{{ 7*7 }}{% raw %}<script>alert(1)</script>{{ cycler.__init__.__globals__ }}"


@pytest.mark.parametrize("lang", LANGS)
def test_a_project_named_like_template_code_is_printed_escaped_in_its_documents(app: App, lang: str) -> None:
    org = make_org(app, name="DLA <b>Paris</b> {{ 6*7 }}")
    officer = make_person(app, org, name="{% for x in y %}Camille")
    owner = make_person(app, org, name="Awa {{ 6*7 }}", role="owner", language=lang)
    project = make_project(app, org, owner=owner, name=HOSTILE_NAME)
    ref = open_diagnosis(app, project, officer).ref
    work.run_pending(app)
    with app.store.read() as conn:
        found = documents.list_documents(conn, ref)
        assert found, "the intake sheet was rendered"
        html = documents.get_document(conn, ref, found[0].id).content
    failures = []
    if str(escape(HOSTILE_NAME)) not in html:
        failures.append("the project name is not printed escaped")
    raws = [raw for raw in ("<script>", "<b>Paris</b>", "42", "<class") if raw in html]
    failures.extend(f"{raw!r} in the document: evaluated or not escaped" for raw in raws)
    backend = app.store.engine.dialect.name
    what = f"case documents ({lang}, {backend}): names holding Jinja syntax and HTML"
    record("injection", what, 1, len(failures))
    assert failures == []
