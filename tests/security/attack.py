"""What the security tests share: where each attack tried is recorded.

Every test in ``tests/security`` reproduces one finding of a hostile user on a shared
installation and, after checking the outcome, records it in the reliability ledger::

    attacked("another organisation's person named in a decision", tried=3,
             detail="CLI exit 2, API 422, nothing written or queued")

``make reliability`` turns the ledger into the "Hostile users" rows of docs/RELIABILITY.md.
"""

from __future__ import annotations

from reliability.ledger import record


def attacked(what: str, *, tried: int, detail: str) -> None:
    """Record one attack that was tried `tried` times and failed every time (the test passed)."""
    record("security", what, tried=tried, failures=0, detail=detail)
