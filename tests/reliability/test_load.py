"""Load: 50 officers deciding on cases through the REST API of a real `pathways serve` (PostgreSQL).

Every officer reads a case, then decides its next step with `expected_version`. Half of
the picks go to a small hot set of cases, so officers really collide. Afterwards:

- no lost update: every 201 is in the audit log, and each case holds exactly one
  decision per stage it left (two officers never both moved it from the same version);
- a 409 only where two really collided: another officer's decision from that same
  version was acknowledged, and the 409 says so ("changed since you read it");
- no 5xx, no traceback in the server's log; the audit chain verifies.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from pathways.store.db import Store
from reliability.ledger import record
from reliability.relsupport import (
    Tally,
    audit_verify,
    decisions_in_db,
    environment,
    make_app,
    run_officers,
    scaled,
    seed,
)
from reliability.relsupport import serving as serve

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

OFFICERS = 50


def test_fifty_officers_deciding_at_once_lose_no_update_and_conflict_only_on_real_collisions(
    postgres_store: Store, tmp_path: Path
) -> None:
    cases_count = scaled(100, 1000)
    seconds = scaled(8, 60)
    app = make_app(postgres_store, tmp_path)
    world = seed(app, officers=OFFICERS, cases_count=cases_count)
    env = environment(app.settings.effective_database_url, tmp_path)
    tally = Tally()
    stop = threading.Event()

    with serve(env, world.tokens[0], tmp_path / "serve.log") as server:
        threads = run_officers(
            server.url, world.tokens, world.refs, tally, stop, hot=max(5, cases_count // 50)
        )
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "an officer did not stop within 60 s"
        server_tracebacks = server.server_errors()

    stored = decisions_in_db(app)
    acked = {(ref, left, outcome) for ref, left, outcome, _ in tally.acked}
    lost = acked - stored
    duplicates = [key for key, n in Counter((r, v) for r, _, _, v in tally.acked).items() if n > 1]
    acked_from = {(ref, version) for ref, _, _, version in tally.acked}
    unexplained = [c for c in tally.conflicts if (c[0], c[1]) not in acked_from]
    unclear = [c for c in tally.conflicts if f"case {c[0]} " not in c[2] or "changed" not in c[2]]
    record(
        "load",
        f"{OFFICERS} officers deciding concurrently through the REST API ({cases_count} cases, {seconds} s)",
        tried=tally.requests,
        failures=len(lost) + len(duplicates) + len(unexplained) + len(tally.server_errors),
        detail=(
            f"{len(tally.acked)} decisions acknowledged, {len(lost)} lost; {len(tally.conflicts)} conflicts "
            f"(409), {len(unexplained)} without a real collision; {len(tally.server_errors)} server errors"
        ),
    )
    assert tally.server_errors == [], tally.server_errors[:5]
    assert server_tracebacks == [], server_tracebacks[:2]
    assert tally.refused == [], tally.refused[:5]
    log_tail = server.log.read_text(errors="replace")[-1500:]
    assert tally.transport_errors == 0, (tally.transport_seen[:5], log_tail)
    assert tally.acked, "no decision was acknowledged"
    assert lost == set(), sorted(lost)[:10]
    assert duplicates == [], duplicates[:10]  # one move per case version
    assert stored == acked  # nothing stored that no officer was told about (the server never died)
    assert unexplained == [], unexplained[:10]
    assert unclear == [], unclear[:5]
    audit_verify(env)
