"""Pathway definitions: publication of versions and migration of running cases."""
