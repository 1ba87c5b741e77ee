"""The reliability ledger: what each fault, load or fuzz test tried, and how often it failed.

Every reliability or fuzz test calls :func:`record` once per fault or attack it tried::

    record("fault", "SIGKILL of pathways serve under API load", tried=40, failures=0,
           detail="1,234 acknowledged decisions, all present; audit verify passed")

When the environment variable ``PATHWAYS_RELIABILITY_LEDGER`` names a file, one JSON
line is appended to it (``make reliability`` sets it, then ``tests/reliability/report.py``
turns the file into ``docs/RELIABILITY.md``); otherwise :func:`record` does nothing.

Appending is safe across pytest-xdist workers and processes: each line is written with
a single ``write`` on a file opened in append mode, under an exclusive ``flock``.

This module imports nothing from the project, so any test can load it as pytest puts
``tests/`` on the path (its rootdir ``conftest.py``)::

    from reliability.ledger import record

(the same name everywhere, ``tests/reliability`` included: mypy gives a file one name).
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ENV_VAR = "PATHWAYS_RELIABILITY_LEDGER"
MODE_VAR = "PATHWAYS_RELIABILITY"


def mode() -> str:
    """``quick`` (the default, inside ``make test``) or ``full`` (``make reliability``)."""
    value = os.environ.get(MODE_VAR, "quick").strip().lower() or "quick"
    if value not in {"quick", "full"}:
        raise ValueError(f"{MODE_VAR} must be 'quick' or 'full', not {value!r}")
    return value


def full() -> bool:
    """True in ``full`` mode."""
    return mode() == "full"


def record(area: str, what: str, tried: int, failures: int, detail: str = "") -> None:
    """Append one line ``{area, what, tried, failures, detail, mode, at, pid}`` to the ledger.

    ``area`` groups the table rows (e.g. ``fault``, ``load``, ``fuzz``, ``injection``);
    ``what`` names the fault or attack; ``tried`` counts the attempts (kills, requests,
    generated inputs); ``failures`` counts the attempts whose outcome broke a guarantee
    (a test that passes records 0); ``detail`` says what was checked or observed.
    """
    if tried < 0 or failures < 0:
        raise ValueError(f"tried and failures must be >= 0 (got tried={tried}, failures={failures})")
    target = os.environ.get(ENV_VAR, "").strip()
    if not target:
        return
    entry: dict[str, Any] = {
        "area": area,
        "what": what,
        "tried": int(tried),
        "failures": int(failures),
        "detail": detail,
        "mode": mode(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pid": os.getpid(),
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(line)
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read(path: Path) -> list[dict[str, Any]]:
    """Every entry of a ledger file, in the order written (blank lines skipped)."""
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not a JSON line ({error.msg})") from error
        if not isinstance(entry, dict) or not {"area", "what", "tried", "failures"} <= entry.keys():
            raise ValueError(f"{path}:{number}: a ledger line needs area, what, tried and failures")
        entries.append(entry)
    return entries
