"""What the fuzz tests share: how many examples to try, and where to record what was tried.

``PATHWAYS_RELIABILITY=quick`` (the default, what ``make test`` runs) tries a few
dozen examples per property; ``full`` (``make reliability``) several hundred. Every
run is derandomised in quick mode, so a failure in ``make test`` replays the same
way; the full run draws new examples each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings

from reliability.ledger import full as full_mode
from reliability.ledger import record

__all__ = ["FULL", "examples", "fuzz_settings", "record"]

FULL = full_mode()  # PATHWAYS_RELIABILITY: quick (default) or full; anything else is refused there

F = TypeVar("F", bound=Callable[..., Any])


def examples(quick: int, full: int) -> int:
    """The number of examples of a property for this run."""
    return full if FULL else quick


def fuzz_settings(quick: int, full: int) -> Callable[[F], F]:
    """Hypothesis settings for a fuzz property: bounded, no deadline (the machine is shared), no database."""
    return settings(
        max_examples=examples(quick, full),
        deadline=None,
        derandomize=not FULL,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )
