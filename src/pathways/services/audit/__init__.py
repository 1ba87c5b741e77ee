"""Audit: verify the audit chain and anchor its head outside the database."""
