"""The web side of pathways: a JSON API under /api/v1 and server-rendered pages, one FastAPI app.

Build it with :func:`create_app` from an :class:`~pathways.bootstrap.App`; nothing is
created at import time.
"""

from pathways.web.app import create_app

__all__ = ["create_app"]
