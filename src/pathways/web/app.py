"""The FastAPI application: API, pages, static files and the mapping of errors to HTTP statuses.

=====================================  ====  =========================================
error                                  HTTP  page
=====================================  ====  =========================================
Unauthenticated                        401   redirect to /login
Forbidden, CSRF token missing          403   error page
NotFound                               404   error page
LinkExpired                            410   error page
TooManyAttempts                        429   login page with the message
Refused (Conflict, rule, transition)   409   error page (forms show it in place)
InvalidInput (FieldError: ``field``)   422   error page (forms show it beside the field)
Unavailable, database gone mid-request 503   error page, ``Retry-After``
=====================================  ====  =========================================
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError

from pathways import __version__
from pathways.bootstrap import App
from pathways.errors import (
    FieldError,
    Forbidden,
    InvalidInput,
    LinkExpired,
    NotFound,
    PathwaysError,
    Refused,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)
from pathways.web import owner, pages, upload
from pathways.web.api import casework as api_casework
from pathways.web.api import close as api_close
from pathways.web.api import collective as api_collective
from pathways.web.api import directory as api_directory
from pathways.web.api import holidays as api_holidays
from pathways.web.api import manager as api_manager
from pathways.web.api import org_options as api_org_options
from pathways.web.api import routes as api
from pathways.web.cases import caseclose, casepage, casework, cooperation
from pathways.web.deps import CsrfRefused, LoginRequired
from pathways.web.directory import people, projects
from pathways.web.headers import SecurityHeaders, api_docs
from pathways.web.limits import BodyLimit
from pathways.web.manager import auditpage, cohorts, failed, funder_reports, manager
from pathways.web.problems import api_language, problem_body
from pathways.web.redact import redact
from pathways.web.render import page, templates

STATIC_DIR = Path(__file__).resolve().parent / "static"
RETRY_AFTER_SECONDS = 5  # what a 503 asks clients to wait before trying again
# Routes are plain functions that talk to the database: FastAPI runs each (and each such
# dependency) in a thread pool, by default of 40 threads. Python runs one thread at a time, so
# 40 requests in progress in one process share it: each takes up to 40 times as long, the event
# loop waits for the interpreter lock behind them, and on SQLite up to 40 writers poll for the
# write lock. Two threads a process (run one process a core: `--workers`) serve requests nearly
# first come, first served, and still let one run while the other waits on the database or on a
# long report. bench/web.py, 50 clients without think time, 2 cores: decision p99 2.1-2.5 s with
# 40 threads, 0.4-0.6 s with 2 or 4; health p99 0.26-0.34 s, then 30-90 ms; 2 no worse than 4
# on either database.
THREADS = 2
OPENAPI_URL = "/api/v1/openapi.json"
log = logging.getLogger(__name__)


def status_of(error: PathwaysError) -> int:
    """The HTTP status of an error (see the module's table)."""
    for kind, code in (
        (Unauthenticated, 401),
        (Forbidden, 403),
        (TooManyAttempts, 429),
        (LinkExpired, 410),
        (NotFound, 404),
        (Refused, 409),
        (InvalidInput, 422),
        (Unavailable, 503),
    ):
        if isinstance(error, kind):
            return code
    return 500


def _lifespan(
    app: App, threads: int, *, freeze_heap: bool
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """What a process does once started, before its first request (see :func:`create_app`)."""

    @contextlib.asynccontextmanager
    async def lifespan(_web: FastAPI) -> AsyncIterator[None]:
        # The limiter belongs to the server's event loop: set it once that loop runs.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        try:
            app.check_pathways()  # load and check the published pathways now, not on a first request
        except Unavailable as exc:  # the database is down: they load with the first request reaching it
            log.warning("pathways not loaded at start: %s", exc)
        if freeze_heap:
            gc.collect()  # what is garbage already is not frozen with the rest
            gc.freeze()
        yield

    return lifespan


def create_app(app: App, *, threads: int = THREADS, freeze_heap: bool = False) -> FastAPI:
    """The web application for `app` (settings, database, pathways): build one per process.

    `threads`: how many requests of one process may run at once (see :data:`THREADS`).
    `freeze_heap`: once started, move every object made so far (modules, the pathways: about
    184,000) out of the garbage collector's reach (``gc.freeze()``), for a server process that
    serves this one application until it ends. Each full collection walked them all, every
    request of the process stopped meanwhile: 6 a worker in bench/web.py's 1,800 pages at
    100,000 cases, 170-220 ms of CPU each (``--timing``), several pages' p99 at once; 30 ms
    (median) once frozen. Never in a process that builds applications again and again
    (tests): frozen garbage is never freed.
    """
    web = FastAPI(
        lifespan=_lifespan(app, threads, freeze_heap=freeze_heap),
        title="pathways",
        version=__version__,
        description="Support pathways for social and solidarity economy projects: cases, stages, deadlines.",
        docs_url=None,  # served below, with the policy its page needs
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    # Oversized bodies: 413 before anything reads them (a form with a file: its limit and some room).
    web.add_middleware(
        BodyLimit,
        upload_paths=re.compile(f"{casework.UPLOAD_PATHS.pattern}|{owner.UPLOAD_PATHS.pattern}"),
        max_upload=app.settings.max_attachment_bytes + upload.FORM_ROOM,
    )
    # Added last, so outermost: its headers reach every answer, a 413 or a crash's 500 too.
    web.add_middleware(SecurityHeaders, https=app.settings.base_url.startswith("https://"))
    web.state.pathways = app
    web.state.templates = templates()
    web.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    web.include_router(api.router)
    web.include_router(api_holidays.router)
    web.include_router(api_directory.router)
    web.include_router(api_manager.router)
    web.include_router(pages.router)  # before the case pages: /cases/new is not a case
    web.include_router(projects.router)  # after the pages: /projects/new is not a project
    web.include_router(people.router)
    web.include_router(casepage.router)
    web.include_router(caseclose.router)
    web.include_router(casework.router)
    web.include_router(cooperation.routes)  # its pages and its API
    web.include_router(api_casework.router)
    web.include_router(api_close.router)
    web.include_router(api_collective.router)
    web.include_router(api_org_options.router)
    web.include_router(manager.router)
    web.include_router(cohorts.router)
    web.include_router(funder_reports.router)
    web.include_router(auditpage.router)
    web.include_router(failed.router)
    web.include_router(owner.router)

    @web.get("/api/docs", include_in_schema=False)
    def docs() -> Response:
        return api_docs(OPENAPI_URL, f"{web.title} - Swagger UI")

    @web.exception_handler(PathwaysError)
    def pathways_error(request: Request, exc: PathwaysError) -> Response:
        code = status_of(exc)
        if request.url.path.startswith("/api/"):
            return _api_problem(request, exc, code)
        if code == 401:
            return _to_login(request)
        field = exc.field if isinstance(exc, FieldError) else None
        response = page(
            request,
            "error.html",
            {"code": code, "message": exc.message, "hint": exc.hint, "field": field},
            status_code=code,
            user=getattr(request.state, "principal", None),
        )
        response.headers.update(_headers(code) or {})
        return response

    @web.exception_handler(DataError)
    def data_error(request: Request, exc: DataError) -> Response:
        # A value the database cannot store (out of range): the input is wrong, not the server.
        reason = str(exc.orig).splitlines()[0] if exc.orig else "a value is out of range"
        return pathways_error(request, InvalidInput(f"the database refused a value: {reason}"))

    @web.exception_handler(OperationalError)
    @web.exception_handler(InterfaceError)
    def database_down(request: Request, exc: DBAPIError) -> Response:
        # The database went away mid-request (a restart, a dropped connection): nothing was
        # committed by this request; the client can retry. Logged once, without a traceback.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        log.warning("database unavailable during %s %s: %s", request.method, redact(request.url.path), reason)
        return pathways_error(
            request,
            Unavailable(
                f"the database is unavailable: {reason}", hint="nothing was saved; try again in a moment"
            ),
        )

    @web.exception_handler(LoginRequired)
    def login_required(request: Request, _exc: LoginRequired) -> Response:
        return _to_login(request)

    @web.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
        return pathways_error(
            request, Forbidden("the form has expired or did not come from this site", hint="reload the page")
        )

    return web


def _api_problem(request: Request, error: PathwaysError, code: int) -> JSONResponse:
    """An API error as JSON, in the request's Accept-Language (see web/problems.py)."""
    lang = api_language(request.headers.get("accept-language"))
    headers = {**(_headers(code) or {}), "Content-Language": lang}
    return JSONResponse(problem_body(error, lang), status_code=code, headers=headers)


def _headers(code: int) -> dict[str, str] | None:
    if code == 401:
        return {"WWW-Authenticate": "Bearer"}
    if code == 503:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return None


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": f"/login?next={quote(target)}"})
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
