"""Reporting: the manager reports, the funnel from idea to founded activity, impact evaluations."""
