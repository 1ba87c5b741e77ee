"""Managers' pages: dashboard, audit journal, failed messages, funders' reports, cohorts."""
