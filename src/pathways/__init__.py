"""pathways: support pathways for social and solidarity economy projects (France, Belgium).

The public surface for code that embeds pathways: load definitions, build the
application, and catch its errors. Everything else is reached through the
``pathways`` command, the REST API or the services.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pathways.errors import (
    Conflict,
    DefinitionError,
    FieldError,
    InvalidInput,
    NotFound,
    PathwaysError,
    Refused,
    RuleViolation,
    TransitionNotAllowed,
)

if TYPE_CHECKING:
    from pathways.bootstrap import App, Clock, build
    from pathways.domain.loader import PathwayCatalog, load_pathway_dir, load_pathway_file
    from pathways.domain.spec import PathwaySpec, Phase, StageSpec

__version__ = "0.1.0"

# Imported on first use (PEP 562): `import pathways.cli` (every `pathways` command) must not
# pay for SQLAlchemy, pydantic and the loader before it knows the command needs them.
_LAZY = {
    "App": "pathways.bootstrap",
    "Clock": "pathways.bootstrap",
    "build": "pathways.bootstrap",
    "PathwayCatalog": "pathways.domain.loader",
    "load_pathway_dir": "pathways.domain.loader",
    "load_pathway_file": "pathways.domain.loader",
    "PathwaySpec": "pathways.domain.spec",
    "Phase": "pathways.domain.spec",
    "StageSpec": "pathways.domain.spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pathways' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "App",
    "Clock",
    "Conflict",
    "DefinitionError",
    "FieldError",
    "InvalidInput",
    "NotFound",
    "PathwayCatalog",
    "PathwaySpec",
    "PathwaysError",
    "Phase",
    "Refused",
    "RuleViolation",
    "StageSpec",
    "TransitionNotAllowed",
    "__version__",
    "build",
    "load_pathway_dir",
    "load_pathway_file",
]
