"""Casework: open a case, decide, run its queued work, sweep deadlines, migrate, read cases."""
