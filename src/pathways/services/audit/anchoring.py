"""Anchoring audit heads outside the database, and checking the chains against them.

``pathways audit head --json`` prints each chain's head as a JSON list::

    [{"org": "dla-alpha", "org_id": 2, "seq": 8, "digest": "<64 hex digits>"}, ...]

Kept elsewhere (a file on another machine, the managers' daily digest, a ticket), it is
what ``pathways audit verify --against FILE`` checks: each saved organisation must still
exist with its chain, and the event at the saved seq must still carry the saved digest.
The file is read as hostile input: anything malformed is an :class:`InvalidInput` that
names the file and the entry, never a traceback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pathways.errors import InvalidInput
from pathways.store import anchor
from pathways.store.anchor import AnchorCheck, Head

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["AnchorCheck", "Head", "check", "dump", "heads", "load"]

STDIN: Final = "-"
# Far above any real anchor (about 150 bytes an organisation), low enough to refuse a stray dump.
MAX_BYTES: Final = 8 * 1024 * 1024
_INT_MAX: Final = 2**31 - 1  # the id and seq columns are 32-bit on PostgreSQL
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_SLUG_MAX: Final = 80
_HINT: Final = "give a file written by `pathways audit head --json`"


def heads(app: App) -> list[Head]:
    """The head of every organisation's chain, in organisation id order."""
    with app.store.read() as conn:
        return anchor.read_heads(conn)


def dump(found: list[Head]) -> list[dict[str, Any]]:
    """Heads as the JSON entries `load` reads back."""
    return [
        {"org": h.organisation, "org_id": h.organisation_id, "seq": h.seq, "digest": h.digest} for h in found
    ]


def check(app: App, saved: list[Head], *, organisation_id: int | None = None) -> list[AnchorCheck]:
    """Check the saved heads (only `organisation_id`'s when given) against the database."""
    chosen = [h for h in saved if organisation_id is None or h.organisation_id == organisation_id]
    with app.store.read() as conn:
        return anchor.check_heads(conn, chosen)


def load(source: str) -> list[Head]:
    """The heads saved in the file `source` (``-``: standard input)."""
    try:
        if source == STDIN:
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with Path(source).open("rb") as file:
                data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise InvalidInput(
            f"{source}: cannot read the anchor file: {error.strerror or error}", hint=_HINT
        ) from None
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{source}: the anchor file is larger than {MAX_BYTES} bytes", hint=_HINT)
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise InvalidInput(f"{source}: the anchor file is not UTF-8 text", hint=_HINT) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise InvalidInput(f"{source}: not JSON ({error.msg} at {where})", hint=_HINT) from None
    except (ValueError, RecursionError):  # nested too deep, a number too long
        raise InvalidInput(f"{source}: not a JSON document pathways can read", hint=_HINT) from None
    return parse(document, source)


def parse(document: object, source: str) -> list[Head]:
    """The heads of a decoded anchor document; `source` names it in errors."""
    if not isinstance(document, list):
        raise InvalidInput(f"{source}: expected a JSON list of heads, not {_kind(document)}", hint=_HINT)
    return [_head(entry, f"{source}: entry {number}") for number, entry in enumerate(document, 1)]


def _head(entry: object, where: str) -> Head:
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where}: expected an object, not {_kind(entry)}", hint=_HINT)
    missing = [name for name in ("org", "org_id", "seq", "digest") if name not in entry]
    if missing:
        raise InvalidInput(f"{where}: missing {', '.join(repr(m) for m in missing)}", hint=_HINT)
    slug, org_id, seq, digest = entry["org"], entry["org_id"], entry["seq"], entry["digest"]
    if slug is not None and not (isinstance(slug, str) and 0 < len(slug) <= _SLUG_MAX):
        raise InvalidInput(f"{where}: 'org' must be an organisation slug or null", hint=_HINT)
    for name, value in (("org_id", org_id), ("seq", seq)):
        # bool is an int to Python, not to JSON: `true` is not a seq.
        if type(value) is not int or not 1 <= value <= _INT_MAX:
            raise InvalidInput(
                f"{where}: {name!r} must be a whole number from 1, not {_shown(value)}", hint=_HINT
            )
    if not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
        raise InvalidInput(f"{where}: 'digest' must be 64 lowercase hex digits", hint=_HINT)
    return Head(organisation_id=org_id, organisation=slug, seq=seq, digest=digest)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "a list"


def _shown(value: object) -> str:
    """A value in an error message, cut short (the file may hold anything)."""
    if isinstance(value, dict | list):
        return _kind(value)
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."
