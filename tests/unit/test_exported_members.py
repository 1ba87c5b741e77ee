"""The curated public surface of `pathways` does not drift by accident."""

import pathways

EXPECTED = {
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
}


def test_public_names_are_exactly_the_curated_set() -> None:
    assert set(pathways.__all__) == EXPECTED


def test_every_public_name_resolves() -> None:
    missing = [name for name in pathways.__all__ if not hasattr(pathways, name)]
    assert missing == []


def test_errors_map_to_documented_exit_codes() -> None:
    assert (pathways.InvalidInput.exit_code, pathways.NotFound.exit_code, pathways.Refused.exit_code) == (
        2,
        3,
        4,
    )
    assert issubclass(pathways.Conflict, pathways.Refused)
    assert issubclass(pathways.FieldError, pathways.InvalidInput)
