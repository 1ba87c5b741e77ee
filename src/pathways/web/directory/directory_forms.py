"""What the project and person pages share: the list (a page or a file), the posted text, and the
refused fields said in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from pathways.errors import FieldProblem
from pathways.services.people.accounts import Principal
from pathways.web import export
from pathways.web.forms import FieldMessage, problem_text
from pathways.web.i18n import texts
from pathways.web.render import page

Row = TypeVar("Row")
PAGE_SIZE: Final = 50


@dataclass(frozen=True, slots=True)
class ListAsked:
    """What a directory list's URL asks: a file (`fmt`) or a page (`page_no`), of what `q` finds."""

    fmt: export.Format | None
    q: str
    page_no: int


def list_asked(
    fmt: export.FormatParam = None,
    q: Annotated[str, Query(max_length=200)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> ListAsked:
    """``?q=…&page=…`` or ``?q=…&format=csv|xlsx``, checked."""
    return ListAsked(fmt, q, page_no)


ListParam = Annotated[ListAsked, Depends(list_asked)]


def list_page(
    request: Request,
    user: Principal,
    asked: ListAsked,
    *,
    name: str,
    fetch: Callable[[int, int], list[Row]],
    columns: Callable[[str], Sequence[export.Column[Row]]],
) -> Response:
    """The page asked of a directory list (template ``<name>.html``), or every page of it as a file;
    `fetch(limit, offset)` reads the rows, one more than shown to tell if there are more."""
    if asked.fmt is not None:
        rows = fetch(export.MAX_ROWS + 1, 0)
        return export.respond(asked.fmt, name, columns(user.language), rows, lang=user.language)
    rows = fetch(PAGE_SIZE + 1, (asked.page_no - 1) * PAGE_SIZE)
    context = {
        "rows": rows[:PAGE_SIZE],
        "more": len(rows) > PAGE_SIZE,
        "page_no": asked.page_no,
        "q": asked.q,
        "exports": export.links(request),
    }
    return page(request, f"{name}.html", context, user=user)


def text_of(form: FormData, name: str, limit: int) -> str:
    """What the form sent for `name` (a file or nothing: ""), cut at `limit` characters."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def texts_of(form: FormData, name: str, limit: int) -> list[str]:
    """Every value the form sent for `name` (checkboxes), each cut at `limit` characters."""
    return [v[:limit] for v in form.getlist(name) if isinstance(v, str)]


def said_of(
    problems: Sequence[FieldProblem], lang: str, labels: Mapping[str, str] | None = None
) -> list[FieldMessage]:
    """Each problem as the page says it, in the order given; the field by its label on the form
    (`labels`), else in group ``dir_field``."""
    t = texts(lang)
    shown = labels or {}
    return [
        FieldMessage(
            p.field, shown.get(p.field) or t.label("dir_field", p.field) or p.field, problem_text(p, lang)
        )
        for p in problems
    ]


def beside_of(said: Sequence[FieldMessage]) -> dict[str, str]:
    """What to write beside each refused field (several problems of one field, one after the other)."""
    beside: dict[str, str] = {}
    for message in said:
        beside[message.field] = (
            f"{beside[message.field]} {message.text}" if message.field in beside else message.text
        )
    return beside
