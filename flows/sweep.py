"""The deadline sweep: reminders and escalations due and not yet sent become queued messages."""

from datetime import datetime

from prefect import flow

from pathways.orchestration.tasks import sweep_due


@flow(name="sweep", description="Queue every reminder and escalation that is due and not yet sent.")
def sweep(now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Sweep at `now` (default: the current time); a late or missed run catches up."""
    return sweep_due(now, limit)
