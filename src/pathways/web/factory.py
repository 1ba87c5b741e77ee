"""The application built from the environment, for servers that import a factory (uvicorn --workers)."""

from __future__ import annotations

from fastapi import FastAPI

from pathways.bootstrap import build
from pathways.web.app import create_app


def app_from_environment() -> FastAPI:
    """`uvicorn --factory pathways.web.factory:app_from_environment`: settings read now, not at import;
    a server process, its heap frozen once started (:func:`~pathways.web.app.create_app`)."""
    return create_app(build(), freeze_heap=True)
