"""Whole numbers beyond what a column holds are refused where they are read, with the file, line or field.

``version: 99999999999999999999`` passed ``pathway validate``, then every ``case open``
crashed with an OverflowError traceback; ``--set salaried_jobs=99999999999999999999`` was
stored; ``project add --jobs 99999999999999999999`` and other integer options crashed
(OverflowError on SQLite, DataError on PostgreSQL). Every integer of a pathway file is
bounded at validation, every integer a person gives is checked, and the CLI turns a value
no column holds into exit 2.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.domain.fields import parse_value
from pathways.domain.spec import FieldSpec, FieldType, Label
from pathways.errors import FieldError
from pathways.store.core import CASE, PROJECT
from security.attack import attacked
from security.inprocess_cli import CONFIG, environment, run

BIG = "99999999999999999999"
DIAGNOSIS = (CONFIG / "pathways" / "diagnosis.yaml").read_text(encoding="utf-8")

# (what, the line of diagnosis.yaml changed, the same line with a number too large)
OVERSIZED = [
    ("version", "version: 3\n", f"version: {BIG}\n"),
    (
        "a deadline",
        "    deadline: {business_days: 15}  # assumed\n",
        f"    deadline: {{business_days: {BIG}}}\n",
    ),
    (
        "a reminder",
        "      - {before: {business_days: 10}, to: owner, template: intake_documents}\n",
        f"      - {{before: {{weeks: {BIG}}}, to: owner, template: intake_documents}}\n",
    ),
    ("an integer field's min", "        min: 0\n", f"        min: {BIG}\n"),
    ("a text field's max_length", "        max_length: 2000\n", f"        max_length: {BIG}\n"),
]


def oversized(what: str, old: str, new: str) -> tuple[str, int]:
    """diagnosis.yaml with one number too large; and the line it is on."""
    assert DIAGNOSIS.count(old) == 1, what
    line = DIAGNOSIS[: DIAGNOSIS.index(old)].count("\n") + 1
    return DIAGNOSIS.replace(old, new), line


@pytest.mark.parametrize(("what", "old", "new"), OVERSIZED, ids=[o[0] for o in OVERSIZED])
def test_a_pathway_file_number_too_large_is_refused_with_its_file_and_line(
    app: App, tmp_path: Path, what: str, old: str, new: str
) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    path = config / "pathways" / "diagnosis.yaml"
    text, line = oversized(what, old, new)
    path.write_text(text, encoding="utf-8")
    env = environment(app, tmp_path, PATHWAYS_CONFIG_DIR=str(config))
    org = make_org(app, name="DLA Bornes")
    project = make_project(app, org)
    officer = make_person(app, org, email="bornes@example.org")

    checked = run(env, "pathway", "validate", str(path), "--templates", str(config / "templates"))
    opened = run(env, "case", "open", str(project), "diagnosis", "--officer", str(officer))

    for ran in (checked, opened):
        assert (ran.code, ran.crash) == (2, None), ran.output
        assert f"{path}:{line}:" in " ".join(ran.output.split()), ran.output
    with app.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(CASE)).scalar_one() == 0
    attacked(
        f"pathway file with {what} of {BIG}",
        tried=2,
        detail=f"pathway validate and case open: exit 2 naming diagnosis.yaml:{line}; no case opened",
    )


def test_a_decision_with_a_whole_number_too_large_names_the_field(app: App, tmp_path: Path) -> None:
    org = make_org(app, name="DLA Bornes")
    officer = make_person(app, org, email="bornes@example.org")
    ref = open_diagnosis(app, make_project(app, org), officer).ref
    env = environment(app, tmp_path)
    tried = [BIG, "2147483648", "-2147483649", "9" * 4000]
    for value in tried:
        values = INTAKE_RELEVANT | {"salaried_jobs": value}
        sets = [arg for name, v in values.items() for arg in ("--set", f"{name}={v}")]
        ran = run(env, "case", "decide", ref, "relevant", *sets)
        assert (ran.code, ran.crash) == (2, None), ran.output
        assert "field 'salaried_jobs'" in ran.output
    with app.store.read() as conn:
        assert conn.execute(select(CASE.c.stage, CASE.c.version)).one() == ("intake", 1)
    attacked(
        "decision with an integer field beyond 32 bits (--set salaried_jobs=99999999999999999999)",
        tried=len(tried),
        detail="exit 2 naming the field; the case did not move",
    )


def test_person_money_and_decimal_values_too_large_are_field_errors() -> None:
    label = Label(fr="x", nl="x", en="x")
    tried = [
        (FieldSpec(type=FieldType.INTEGER, label=label), 2**31),
        (FieldSpec(type=FieldType.INTEGER, label=label), BIG),
        (FieldSpec(type=FieldType.PERSON, label=label), BIG),
        (FieldSpec(type=FieldType.PERSON, label=label), 2**31),
        (FieldSpec(type=FieldType.LIST, items=FieldType.PERSON, label=label), f"1;{BIG}"),
        (FieldSpec(type=FieldType.MONEY, label=label), "1e999"),  # quantize raised InvalidOperation
        (FieldSpec(type=FieldType.DECIMAL, label=label), "1e999"),
    ]
    for spec, value in tried:
        with pytest.raises(FieldError, match="field 'f"):
            parse_value("f", spec, value)
    assert parse_value("f", FieldSpec(type=FieldType.INTEGER, label=label), "-2147483648") == -(2**31)
    assert parse_value("f", FieldSpec(type=FieldType.MONEY, label=label), "999999999999.5") == Decimal(
        "999999999999.50"
    )
    attacked(
        "integer, person, list-of-person, money and decimal values beyond their columns' range",
        tried=len(tried),
        detail="FieldError naming the field; bounds themselves still accepted",
    )


def test_integer_options_too_large_exit_2_not_a_traceback(app: App, tmp_path: Path) -> None:
    org = make_org(app, name="DLA Bornes")
    officer = make_person(app, org, email="bornes@example.org")
    ref = open_diagnosis(app, make_project(app, org), officer).ref
    env = environment(app, tmp_path)
    attempts = [
        ("project", "add", "Projet trop grand", "--org", "dla-bornes", "--jobs", BIG),
        ("audit", "search", "--limit", BIG),
        ("dispatch", "--batch", BIG),
        ("messages", "--limit", BIG),
        ("messages", "retry", BIG),
        ("case", "documents", ref, "--print", BIG),
    ]
    for args in attempts:
        ran = run(env, *args)
        assert (ran.code, ran.crash) == (2, None), f"{args}: {ran.crash!r} {ran.output}"
        assert "error" in ran.output.lower()
    with app.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(PROJECT)).scalar_one() == 1
    attacked(
        "CLI integer option of 99999999999999999999 (--jobs, --limit, --batch, --print, message id)",
        tried=len(attempts),
        detail="exit 2 with a message on SQLite and PostgreSQL; nothing written",
    )
