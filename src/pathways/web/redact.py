"""Owners' links out of the logs: the token in ``/o/<token>`` is the owner's key to their case.

Uvicorn's access log prints each request's path; an owner's path would put a valid
key in every log file and log collector. :func:`log_config` is uvicorn's own default
logging configuration with one more filter, :class:`RedactOwnerLinks`, on each of its
handlers (and the root logger's, so the application's own warnings are covered too):
``GET /o/<redacted>/documents_sent``. Pass it as ``uvicorn.run(..., log_config=log_config())``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, Final

from uvicorn.config import LOGGING_CONFIG

__all__ = ["REDACTED", "RedactOwnerLinks", "log_config", "redact"]

REDACTED: Final = "/o/<redacted>"
_OWNER_TOKEN: Final = re.compile(r"/o/[^/?#\s\"']+")


def redact(text: str) -> str:
    """`text` with the token of every owner link path replaced."""
    return _OWNER_TOKEN.sub(REDACTED, text) if "/o/" in text else text


class RedactOwnerLinks(logging.Filter):
    """Rewrites a record's message and string arguments without owner tokens; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's default logging configuration, every handler filtering owner tokens out."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["owner_links"] = {"()": RedactOwnerLinks}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "owner_links"]
    # The application's loggers (pathways.*) reach the root logger: give it the same handler.
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
