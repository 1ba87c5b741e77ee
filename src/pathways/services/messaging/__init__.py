"""Messaging: render and deliver queued messages, and report their delivery status."""
