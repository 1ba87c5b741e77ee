"""pathways: support pathways for social and solidarity economy projects (France, Belgium).

The public surface for code that embeds pathways: load definitions, build the
application, and catch its errors. Everything else is reached through the
``pathways`` command, the REST API or the services.
"""

from pathways.bootstrap import App, Clock, build
from pathways.domain.loader import PathwayCatalog, load_pathway_dir, load_pathway_file
from pathways.domain.spec import PathwaySpec, Phase, StageSpec
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

__version__ = "0.1.0"

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
