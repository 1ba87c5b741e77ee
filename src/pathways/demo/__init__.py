"""Demonstration data: a fictional territory whose projects replay their pathways."""
