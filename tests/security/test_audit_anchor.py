"""Finding 3: audit history could vanish and still verify.

Someone with write access to the database (but, except where said, without the audit
key) deletes an organisation's whole chain with its head row, or cuts its last events
and moves the head back, or (with the key) rewrites an event and recomputes the chain.
`pathways audit verify` must fail on the first (an organisation with data has no chain);
the chain alone cannot see the other two, so `pathways audit verify --against FILE`, with
heads saved earlier by `pathways audit head --json`, must. The commands run as real
`pathways` processes on the test's database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.errors import InvalidInput
from pathways.services.audit import anchoring, auditing
from pathways.store.audit import append_event
from pathways.store.core import AUDIT as EVENTS
from security.attack import attacked

pytestmark = pytest.mark.e2e  # starts real `pathways` processes

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class History:
    alpha: int  # the organisation tampered with
    beta: int
    case: str
    officer: int
    alpha_seq: int  # alpha's last seq


def history(app: App) -> History:
    """Beta (untouched) and Alpha: organisation, officer, project, case opened, two decisions."""
    beta = make_org(app, name="Réseau Beta", territory="BE-BRU")
    make_person(app, beta, name="Lieve Peeters")
    alpha = make_org(app, name="DLA Alpha")
    officer = make_person(app, alpha, name="Camille Martin")
    case = open_diagnosis(app, make_project(app, alpha), officer)
    now = app.clock.now()
    decide(app, case.ref, "relevant", INTAKE_RELEVANT, by=officer, at=now + timedelta(days=1))
    decide(app, case.ref, "accepted", DIAGNOSIS_ACCEPTED, by=officer, at=now + timedelta(days=20))
    return History(alpha, beta, case.ref, officer, head_seq(app, alpha))


def pathways(app: App, home: Path, *args: str) -> Result:
    """Run `pathways ARGS...` as a process on the app's database, with its audit key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_AUDIT_KEY": app.audit_key.decode(),
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "250",
        "NO_COLOR": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pathways", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in result.out + result.err, f"{args} crashed:\n{result.err}"
    return result


def save_heads(app: App, home: Path) -> Path:
    """`pathways audit head --json > heads.json`, as the operator's cron line does."""
    result = pathways(app, home, "audit", "head", "--json")
    assert result.code == 0, result.err
    saved = home / "heads.json"
    saved.write_text(result.out)
    return saved


def raw(app: App, *statements: str, **params: Any) -> None:
    with app.store.write() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def head_seq(app: App, org: int) -> int:
    with app.store.read() as conn:
        query = text("SELECT seq FROM audithead WHERE organisation_id = :o")
        seq = conn.execute(query, {"o": org}).scalar_one()
    return int(seq)


def cut(app: App, org: int, *, keep: int) -> None:
    """Delete the events after seq `keep` and move the head back onto it: the chain still links."""
    raw(
        app,
        "DELETE FROM auditevent WHERE organisation_id = :o AND seq > :k",
        """UPDATE audithead SET seq = :k,
               digest = (SELECT digest FROM auditevent WHERE organisation_id = :o AND seq = :k)
           WHERE organisation_id = :o""",
        o=org,
        k=keep,
    )


def test_an_organisations_chain_deleted_with_its_head_fails_verify(app: App, tmp_path: Path) -> None:
    made = history(app)
    raw(
        app,
        "DELETE FROM auditevent WHERE organisation_id = :o",
        "DELETE FROM audithead WHERE organisation_id = :o",
        o=made.alpha,
    )

    checks = {c.organisation: c for c in auditing.verify(app)}
    assert checks["reseau-beta"].ok
    alpha = checks["dla-alpha"]
    assert (alpha.ok, alpha.problem, alpha.seq, alpha.checked) == (False, "deleted", 1, 0)
    assert not auditing.verify(app, organisation="dla-alpha")[0].ok

    result = pathways(app, tmp_path, "audit", "verify")
    assert result.code == 4, result.out + result.err
    assert "the audit chain of dla-alpha is broken at seq 1: deleted" in result.err
    attacked(
        "an organisation's audit events deleted with its head row",
        tried=1,
        detail="audit verify exit 4 naming the organisation at seq 1 (was: ok, 0 events)",
    )


def test_an_organisation_row_deleted_with_its_chain_is_still_named_by_its_cases(
    app: App, tmp_path: Path
) -> None:
    """SQLite's own shell does not enforce foreign keys: the row can go while its cases stay."""
    if app.store.dialect != "sqlite":
        pytest.skip("PostgreSQL enforces the foreign keys: the organisation row cannot go first")
    made = history(app)
    database = app.store.engine.url.database
    assert database is not None
    with closing(sqlite3.connect(database)) as conn, conn:
        for table in ("auditevent", "audithead", "membership"):
            conn.execute(f"DELETE FROM {table} WHERE organisation_id = ?", (made.alpha,))
        conn.execute("DELETE FROM organisation WHERE id = ?", (made.alpha,))

    result = pathways(app, tmp_path, "audit", "verify", "--json")
    assert result.code == 4, result.out + result.err
    shown = {c["organisation_id"]: c for c in json.loads(result.out)}
    assert (shown[made.alpha]["ok"], shown[made.alpha]["seq"]) == (False, 1)
    assert f"organisation #{made.alpha} is broken at seq 1" in result.err
    attacked(
        "an organisation row deleted with its chain, its cases left (no foreign keys)",
        tried=1,
        detail="audit verify exit 4 naming the organisation's id at seq 1",
    )


def test_events_cut_off_the_end_with_the_head_moved_back_fail_against_a_saved_head(
    app: App, tmp_path: Path
) -> None:
    made = history(app)
    saved = save_heads(app, tmp_path)
    cut(app, made.alpha, keep=made.alpha_seq - 2)

    # The chain alone cannot see it: what is left links up and ends at the head.
    assert all(c.ok for c in auditing.verify(app))
    assert pathways(app, tmp_path, "audit", "verify").code == 0

    result = pathways(app, tmp_path, "audit", "verify", "--against", str(saved), "--json")
    assert result.code == 4, result.out + result.err
    assert (
        f"dla-alpha no longer holds the head saved in {saved} at seq {made.alpha_seq}: cut_off" in result.err
    )
    anchors = {a["organisation"]: a for a in json.loads(result.out)["anchors"]}
    assert anchors["reseau-beta"]["ok"]
    alpha = anchors["dla-alpha"]
    assert (alpha["ok"], alpha["problem"], alpha["seq"]) == (False, "cut_off", made.alpha_seq)
    assert f"ends at seq {made.alpha_seq - 2}" in alpha["detail"]
    attacked(
        "the last audit events deleted and the head moved back",
        tried=1,
        detail="audit verify --against a saved head: exit 4 naming the organisation and seq",
    )


def test_a_history_rewritten_with_the_key_fails_against_a_saved_head(app: App, tmp_path: Path) -> None:
    made = history(app)
    saved = save_heads(app, tmp_path)
    # With the key: the last two events are replayed, the first decision's outcome changed.
    start = made.alpha_seq - 1
    columns = [EVENTS.c[name] for name in ("case_id", "actor_id", "kind", "effective_at", "recorded_at")]
    with app.store.read() as conn:
        rows = conn.execute(
            select(*columns, EVENTS.c.payload)
            .where(EVENTS.c.organisation_id == made.alpha, EVENTS.c.seq >= start)
            .order_by(EVENTS.c.seq)
        )
        replayed = [{**row._asdict(), "payload": dict(row.payload)} for row in rows]
    cut(app, made.alpha, keep=start - 1)
    replayed[0]["payload"] = {**replayed[0]["payload"], "outcome": "declined"}
    with app.store.write() as conn:
        for event in replayed:
            append_event(conn, key=app.audit_key, organisation_id=made.alpha, **event)

    assert head_seq(app, made.alpha) == made.alpha_seq
    assert all(c.ok for c in auditing.verify(app))  # a chain recomputed with the key links up
    result = pathways(app, tmp_path, "audit", "verify", "--against", str(saved))
    assert result.code == 4, result.out + result.err
    assert f"dla-alpha no longer holds the head saved in {saved} at seq {made.alpha_seq}: rewritten" in (
        result.err
    )
    attacked(
        "an audit event rewritten and the chain recomputed with the key",
        tried=1,
        detail="audit verify --against a saved head: exit 4, digest differs at the saved seq",
    )


def test_an_untouched_database_verifies_against_its_saved_heads(app: App, tmp_path: Path) -> None:
    made = history(app)
    saved = save_heads(app, tmp_path)
    heads = json.loads(saved.read_text())
    assert [(h["org"], h["org_id"], h["seq"]) for h in heads] == [
        ("reseau-beta", made.beta, 2),
        ("dla-alpha", made.alpha, made.alpha_seq),
    ]
    assert all(len(h["digest"]) == 64 for h in heads)

    result = pathways(app, tmp_path, "audit", "verify", "--against", str(saved))
    assert result.code == 0, result.out + result.err
    assert "2 chains verified" in result.out
    assert "2 saved heads held" in result.out


def test_organisations_and_events_added_after_the_heads_were_saved_still_verify(
    app: App, tmp_path: Path
) -> None:
    made = history(app)
    saved = save_heads(app, tmp_path)
    gamma = make_org(app, name="Incubateur Gamma")
    make_person(app, gamma, name="Inès Laurent")
    make_project(app, made.beta)  # beta's chain grows past its saved head

    result = pathways(app, tmp_path, "audit", "verify", "--against", str(saved), "--json")
    assert result.code == 0, result.out + result.err
    shown = json.loads(result.out)
    assert [(c["organisation"], c["ok"]) for c in shown["chains"]] == [
        ("reseau-beta", True),
        ("dla-alpha", True),
        ("incubateur-gamma", True),
    ]
    assert [(a["organisation"], a["ok"]) for a in shown["anchors"]] == [
        ("reseau-beta", True),
        ("dla-alpha", True),
    ]


DIGEST = "a" * 64
MALFORMED: dict[str, tuple[bytes, str]] = {
    # name: (file content, what the message says)
    "not JSON": (b"seq 8, digest ab12", "not JSON"),
    "not UTF-8": (b'[{"org": "\xff"}]', "not UTF-8"),
    "an object, not a list": (b'{"org": "dla-alpha"}', "expected a JSON list of heads, not an object"),
    "an entry not an object": (b"[1]", "entry 1: expected an object, not a number"),
    "a field missing": (b'[{"org": "a", "org_id": 1, "seq": 2}]', "entry 1: missing 'digest'"),
    "seq true": (
        b'[{"org": "a", "org_id": 1, "seq": true, "digest": "' + DIGEST.encode() + b'"}]',
        "entry 1: 'seq' must be a whole number from 1, not true",
    ),
    "seq negative": (
        b'[{"org": "a", "org_id": 1, "seq": -3, "digest": "' + DIGEST.encode() + b'"}]',
        "'seq' must be a whole number from 1, not -3",
    ),
    "org_id too large": (
        b'[{"org": "a", "org_id": 99999999999999999999, "seq": 1, "digest": "' + DIGEST.encode() + b'"}]',
        "'org_id' must be a whole number from 1",
    ),
    "digest not hex": (
        b'[{"org": "a", "org_id": 1, "seq": 1, "digest": "zz"}]',
        "entry 1: 'digest' must be 64 lowercase hex digits",
    ),
    "nested too deep": (b"[" * 100_000 + b"]" * 100_000, "not"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_anchor_file_is_refused_naming_the_file(name: str, tmp_path: Path) -> None:
    content, message = MALFORMED[name]
    path = tmp_path / "heads.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as raised:
        anchoring.load(str(path))
    assert raised.value.exit_code == 2
    assert raised.value.message.startswith(f"{path}: ")
    assert message in raised.value.message


def test_a_malformed_or_missing_anchor_file_exits_2_through_the_command(app: App, tmp_path: Path) -> None:
    history(app)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"org": "dla-alpha", "org_id": 2, "seq": "8"}]')
    missing = tmp_path / "missing.json"
    for path, message in ((broken, "entry 1: missing 'digest'"), (missing, "cannot read the anchor file")):
        result = pathways(app, tmp_path, "audit", "verify", "--against", str(path))
        assert result.code == 2, result.out + result.err
        assert f"{path}: {message}" in result.err
        assert result.out == ""  # refused before anything is verified
    attacked(
        "a malformed or missing anchor file given to audit verify --against",
        tried=len(MALFORMED) + 2,
        detail="exit 2 naming the file and the entry, no traceback",
    )
