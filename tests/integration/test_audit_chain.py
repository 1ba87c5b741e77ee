"""The audit chain detects edits, deletions, reorderings and insertions, on both backends."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlmodel import col

from pathways.store import audit, audit_verify
from pathways.store.audit import GENESIS, append_event
from pathways.store.audit_verify import VerifyReport, verify_chain
from pathways.store.core import AUDIT as EVENTS
from pathways.store.db import Store
from pathways.store.tables import AuditHead, Organisation
from threads import on_threads

KEY = b"audit-test-key-0123456789abcdef"
T0 = datetime(2026, 2, 2, 8, 30, tzinfo=UTC)


def add_organisation(store: Store, slug: str) -> int:
    values = {"slug": slug, "name": slug, "territory": "FR-75", "created_at": T0}
    with store.write() as conn:
        new_id = conn.execute(insert(Organisation).values(values)).inserted_primary_key
    assert new_id is not None
    return int(new_id[0])


def record(store: Store, organisation_id: int, count: int, **payload: Any) -> list[int]:
    """Append `count` events, each in its own transaction (as decisions do)."""
    ids = []
    for number in range(count):
        with store.write() as conn:
            ids.append(
                append_event(
                    conn,
                    key=KEY,
                    organisation_id=organisation_id,
                    kind="stage.decided",
                    effective_at=T0 + timedelta(days=number),
                    recorded_at=T0 + timedelta(days=number, seconds=1),
                    payload={"number": number, **payload},
                    case_id=100 + number,
                    actor_id=7,
                )
            )
    return ids


def verify(store: Store, organisation_id: int | None = None) -> list[VerifyReport]:
    with store.read() as conn:
        return verify_chain(conn, key=KEY, organisation_id=organisation_id)


def only(reports: list[VerifyReport]) -> VerifyReport:
    assert len(reports) == 1, reports
    return reports[0]


def move_seqs(conn: Connection, organisation_id: int, *, at_least: int, by: int) -> None:
    """Shift seqs >= at_least by `by`, through negative values so the unique constraint holds."""
    where = (EVENTS.c.organisation_id == organisation_id) & (EVENTS.c.seq >= at_least)
    conn.execute(update(EVENTS).where(where).values(seq=-(EVENTS.c.seq + by)))
    negative = (EVENTS.c.organisation_id == organisation_id) & (EVENTS.c.seq < 0)
    conn.execute(update(EVENTS).where(negative).values(seq=-EVENTS.c.seq))


def digest_at(conn: Connection, organisation_id: int, seq: int) -> str:
    where = (EVENTS.c.organisation_id == organisation_id) & (EVENTS.c.seq == seq)
    return str(conn.execute(select(EVENTS.c.digest).where(where)).scalar_one())


def forge(conn: Connection, organisation_id: int, *, seq: int, prev_digest: str) -> None:
    """What someone with write access but without the key can add."""
    conn.execute(
        insert(EVENTS).values(
            organisation_id=organisation_id,
            seq=seq,
            kind="stage.decided",
            effective_at=T0,
            recorded_at=T0,
            payload={"outcome": "favourable"},
            prev_digest=prev_digest,
            digest=secrets.token_hex(32),
        )
    )


@pytest.fixture
def organisation(store: Store) -> int:
    return add_organisation(store, "dla-75")


def test_untouched_chain_verifies(store: Store, organisation: int) -> None:
    record(store, organisation, 5, note="Coopérative « Les Tisserands »", ratio=0.1, amount=1.0, big=1e20)
    report = only(verify(store))
    assert report == VerifyReport(True, 5, organisation, None, None, "5 events verified")


def test_events_are_chained_from_the_genesis_digest(store: Store, organisation: int) -> None:
    record(store, organisation, 3)
    with store.read() as conn:
        rows = conn.execute(select(EVENTS).order_by(EVENTS.c.seq)).all()
        head = conn.execute(select(col(AuditHead.seq), col(AuditHead.digest))).one()
    assert [row.seq for row in rows] == [1, 2, 3]
    assert [row.prev_digest for row in rows] == [GENESIS, rows[0].digest, rows[1].digest]
    assert tuple(head) == (3, rows[2].digest)


def test_organisation_without_events_is_reported_as_deleted(store: Store, organisation: int) -> None:
    # Its creation is its first event: no chain at all means the chain was deleted with its head.
    detail = "no audit events, though every organisation's chain starts at seq 1"
    assert only(verify(store, organisation)) == VerifyReport(False, 0, organisation, 1, "deleted", detail)
    assert only(verify(store)) == VerifyReport(False, 0, organisation, 1, "deleted", detail)


def test_raw_sql_edit_is_reported_as_edited(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        conn.execute(
            text("UPDATE auditevent SET kind = 'stage.reopened' WHERE organisation_id = :o AND seq = 3"),
            {"o": organisation},
        )
    report = only(verify(store))
    assert (report.ok, report.problem, report.seq, report.checked) == (False, "edited", 3, 2)


def test_payload_edit_is_reported_as_edited(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        where = (EVENTS.c.organisation_id == organisation) & (EVENTS.c.seq == 5)
        conn.execute(update(EVENTS).where(where).values(payload={"number": 4, "extra": "x"}))
    report = only(verify(store))
    assert (report.problem, report.seq) == ("edited", 5)


def test_deleted_event_is_reported_as_deleted(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        conn.execute(delete(EVENTS).where((EVENTS.c.organisation_id == organisation) & (EVENTS.c.seq == 3)))
    report = only(verify(store))
    assert (report.problem, report.seq, report.checked) == ("deleted", 3, 2)


def test_deletion_hidden_by_renumbering_is_reported_as_deleted(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        conn.execute(delete(EVENTS).where((EVENTS.c.organisation_id == organisation) & (EVENTS.c.seq == 2)))
        move_seqs(conn, organisation, at_least=3, by=-1)
        conn.execute(update(AuditHead).values(seq=4))
    report = only(verify(store))
    assert (report.problem, report.seq) == ("deleted", 2)


def test_last_events_cut_off_are_reported_as_head_mismatch(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        conn.execute(delete(EVENTS).where((EVENTS.c.organisation_id == organisation) & (EVENTS.c.seq >= 4)))
    report = only(verify(store))
    assert (report.problem, report.seq, report.checked) == ("head_mismatch", 4, 3)


def test_swapped_events_are_reported_as_reordered(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        seq = EVENTS.c.seq
        mine = EVENTS.c.organisation_id == organisation
        conn.execute(update(EVENTS).where(mine & (seq == 2)).values(seq=-1))
        conn.execute(update(EVENTS).where(mine & (seq == 3)).values(seq=2))
        conn.execute(update(EVENTS).where(mine & (seq == -1)).values(seq=3))
    report = only(verify(store))
    assert (report.problem, report.seq, report.checked) == ("reordered", 2, 1)


def test_forged_event_inserted_in_the_chain_is_reported_as_inserted(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        move_seqs(conn, organisation, at_least=3, by=1)
        forge(conn, organisation, seq=3, prev_digest=digest_at(conn, organisation, 2))
        conn.execute(update(AuditHead).values(seq=6))
    report = only(verify(store))
    assert (report.problem, report.seq, report.checked) == ("inserted", 3, 2)


def test_forged_event_appended_past_the_head_is_reported_as_inserted(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    with store.write() as conn:
        forge(conn, organisation, seq=6, prev_digest=digest_at(conn, organisation, 5))
    report = only(verify(store))
    assert (report.problem, report.seq, report.checked) == ("inserted", 6, 5)


def test_chains_of_two_organisations_are_independent(store: Store) -> None:
    first, second = add_organisation(store, "dla-75"), add_organisation(store, "incubator-bxl")
    for _ in range(3):
        record(store, first, 1)
        record(store, second, 2)
    with store.read() as conn:
        seqs = conn.execute(
            select(EVENTS.c.organisation_id, EVENTS.c.seq).order_by(EVENTS.c.organisation_id, EVENTS.c.seq)
        ).all()
    assert [tuple(row) for row in seqs] == [(first, n) for n in range(1, 4)] + [
        (second, n) for n in range(1, 7)
    ]

    with store.write() as conn:
        conn.execute(delete(EVENTS).where((EVENTS.c.organisation_id == second) & (EVENTS.c.seq == 4)))
    reports = verify(store)
    assert [(r.organisation_id, r.ok, r.problem, r.seq) for r in reports] == [
        (first, True, None, None),
        (second, False, "deleted", 4),
    ]
    assert only(verify(store, first)).ok


def test_another_key_fails_at_the_first_event(store: Store, organisation: int) -> None:
    record(store, organisation, 3)
    with store.read() as conn:
        report = only(verify_chain(conn, key=b"some-other-key-entirely", organisation_id=organisation))
    assert (report.ok, report.seq, report.checked) == (False, 1, 0)


def test_naive_instants_are_refused(store: Store, organisation: int) -> None:
    naive = datetime(2026, 2, 2, 9, 0)
    with pytest.raises(ValueError, match="naive datetime"), store.write() as conn:
        append_event(
            conn,
            key=KEY,
            organisation_id=organisation,
            kind="x",
            effective_at=naive,
            recorded_at=T0,
            payload={},
        )


def test_concurrent_appends_make_one_gapless_valid_chain(store: Store, organisation: int) -> None:
    """Two writers racing from the very first event (the head row does not exist yet)."""
    per_thread = 40
    barrier = threading.Barrier(2)

    def writer(name: str) -> None:
        barrier.wait()
        record(store, organisation, per_thread, writer=name)

    errors = on_threads(writer, [("left",), ("right",)])
    assert errors == []
    with store.read() as conn:
        seqs = conn.execute(select(EVENTS.c.seq).order_by(EVENTS.c.seq)).scalars().all()
    assert seqs == list(range(1, 2 * per_thread + 1))
    assert only(verify(store)) == VerifyReport(
        True, 2 * per_thread, organisation, None, None, "80 events verified"
    )


def test_payload_edited_into_a_non_object_is_reported_as_edited(store: Store, organisation: int) -> None:
    record(store, organisation, 3)
    with store.write() as conn:
        conn.execute(text("UPDATE auditevent SET payload = '[1, 2]' WHERE seq = 2"))
    report = only(verify(store))
    assert (report.problem, report.seq) == ("edited", 2)


def test_instant_edited_into_garbage_is_reported_as_edited(sqlite_store: Store) -> None:
    organisation = add_organisation(sqlite_store, "dla-75")
    record(sqlite_store, organisation, 3)
    with sqlite_store.write() as conn:
        conn.execute(text("UPDATE auditevent SET effective_at = 'yesterday' WHERE seq = 3"))
    report = only(verify(sqlite_store))
    assert (report.problem, report.seq, report.checked) == ("edited", 3, 2)


def test_reordering_across_stream_batches_is_found(
    store: Store, organisation: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        audit_verify, "_SELECT_EVENTS", audit_verify._SELECT_EVENTS.execution_options(yield_per=2)
    )
    record(store, organisation, 7)
    assert only(verify(store)).ok
    with store.write() as conn:
        mine = EVENTS.c.organisation_id == organisation
        conn.execute(update(EVENTS).where(mine & (EVENTS.c.seq == 2)).values(seq=-1))
        conn.execute(update(EVENTS).where(mine & (EVENTS.c.seq == 6)).values(seq=2))
        conn.execute(update(EVENTS).where(mine & (EVENTS.c.seq == -1)).values(seq=6))
    report = only(verify(store))
    assert (report.problem, report.seq) == ("reordered", 2)


def test_verifying_while_events_are_appended_finds_no_problem(store: Store, organisation: int) -> None:
    record(store, organisation, 5)
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            record(store, organisation, 60)
        except BaseException as error:  # noqa: BLE001  reported below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reports = []
    while not done.is_set():
        reports.append(only(verify(store)))
    thread.join()
    assert errors == []
    assert [report for report in reports if not report.ok] == []
    assert only(verify(store)).checked == 65


def head_of(store: Store, organisation_id: int) -> tuple[int, str]:
    with store.read() as conn:
        query = select(col(AuditHead.seq), col(AuditHead.digest))
        row = conn.execute(query.where(col(AuditHead.organisation_id) == organisation_id)).one()
    return int(row.seq), str(row.digest)


def append_with_head(store: Store, organisation_id: int, head: tuple[int, str], number: int) -> int:
    with store.write() as conn:
        return append_event(
            conn,
            key=KEY,
            organisation_id=organisation_id,
            kind="stage.decided",
            effective_at=T0,
            recorded_at=T0,
            payload={"number": number},
            head=head,
        )


def test_an_append_with_the_head_read_beforehand_chains_like_any_other(store: Store) -> None:
    org = add_organisation(store, "dla-75")
    record(store, org, 2)
    event_id = append_with_head(store, org, head_of(store, org), 2)
    with store.read() as conn:
        seq = conn.execute(select(EVENTS.c.seq).where(EVENTS.c.id == event_id)).scalar_one()
    assert seq == 3
    assert head_of(store, org)[0] == 3
    assert only(verify(store, org)).ok


def test_an_append_with_a_head_that_moved_meanwhile_reads_it_again_under_the_lock(store: Store) -> None:
    org = add_organisation(store, "dla-75")
    record(store, org, 2)
    stale = head_of(store, org)
    record(store, org, 1)  # another decision appended since the head was read
    event_id = append_with_head(store, org, stale, 3)
    with store.read() as conn:
        seqs = conn.execute(select(EVENTS.c.seq).order_by(EVENTS.c.seq)).scalars().all()
        seq = conn.execute(select(EVENTS.c.seq).where(EVENTS.c.id == event_id)).scalar_one()
    assert seqs == [1, 2, 3, 4]
    assert seq == 4
    assert only(verify(store, org)).ok


def test_the_first_append_with_no_head_yet_creates_it(store: Store) -> None:
    org = add_organisation(store, "dla-75")
    with store.write() as conn:
        audit.append_event(
            conn,
            key=KEY,
            organisation_id=org,
            kind="case_opened",
            effective_at=T0,
            recorded_at=T0,
            payload={},
            head=None,
        )
    assert head_of(store, org)[0] == 1
    assert only(verify(store, org)).ok
