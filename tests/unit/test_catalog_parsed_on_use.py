"""A catalogue of published versions parses each version when first read, once, and checks it then.

A command that shows one case parses that case's version only; a server's start parses them
all (:meth:`PathwayCatalog.checked`), so that a broken published version is said at start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.domain.spec import PathwaySpec
from pathways.errors import DefinitionError, NotFound

PATHWAYS = Path(__file__).resolve().parents[2] / "config" / "pathways"


@pytest.fixture(scope="module")
def shipped() -> PathwayCatalog:
    return load_pathway_dir(PATHWAYS)


def counted(
    specs: PathwayCatalog,
) -> tuple[dict[tuple[str, int], Callable[[], PathwaySpec]], Counter[tuple[str, int]]]:
    """A parser for each shipped version that counts its calls."""
    calls: Counter[tuple[str, int]] = Counter()

    def parser(spec: PathwaySpec) -> Callable[[], PathwaySpec]:
        def parse() -> PathwaySpec:
            calls[spec.key] += 1
            return spec

        return parse

    return {spec.key: parser(spec) for spec in specs}, calls


def test_reading_one_version_parses_that_version_only_and_once(shipped: PathwayCatalog) -> None:
    parsers, calls = counted(shipped)
    catalog = PathwayCatalog.parsed_on_use(parsers)

    assert catalog.ids() == shipped.ids()  # the keys alone: nothing parsed
    assert catalog.versions("diagnosis") == shipped.versions("diagnosis")
    assert "diagnosis" in catalog
    assert len(catalog) == len(shipped)
    assert not calls

    first = catalog.get("diagnosis", 1)
    again = catalog.get("diagnosis", 1)

    assert first is again is shipped.get("diagnosis", 1)
    assert calls == Counter({("diagnosis", 1): 1})


def test_the_latest_and_an_unknown_version_read_as_from_a_loaded_catalogue(shipped: PathwayCatalog) -> None:
    parsers, calls = counted(shipped)
    catalog = PathwayCatalog.parsed_on_use(parsers)

    assert catalog.get("diagnosis") is shipped.get("diagnosis")
    assert [spec.key for spec in catalog.latest()] == [spec.key for spec in shipped.latest()]
    with pytest.raises(NotFound, match="pathway 'diagnosis' has no version 99"):
        catalog.get("diagnosis", 99)
    with pytest.raises(NotFound, match="no pathway 'nothing'"):
        catalog.get("nothing")
    assert set(calls) == {spec.key for spec in shipped.latest()}


def test_checked_parses_every_version_and_iterating_yields_them_in_key_order(shipped: PathwayCatalog) -> None:
    parsers, calls = counted(shipped)
    catalog = PathwayCatalog.parsed_on_use(dict(reversed(list(parsers.items()))))

    assert catalog.checked() is catalog
    assert set(calls) == set(shipped.specs)
    assert set(calls.values()) == {1}
    assert [spec.key for spec in catalog] == [spec.key for spec in shipped]


def test_a_broken_version_is_refused_when_read_or_checked_not_before(shipped: PathwayCatalog) -> None:
    parsers, _ = counted(shipped)

    def broken() -> PathwaySpec:
        raise DefinitionError("not valid YAML", file="diagnosis.yaml (published v1)")

    catalog = PathwayCatalog.parsed_on_use({**parsers, ("diagnosis", 1): broken})

    assert catalog.get("ongoing_support").id == "ongoing_support"
    with pytest.raises(DefinitionError, match="published v1"):
        catalog.get("diagnosis", 1)
    with pytest.raises(DefinitionError, match="published v1"):
        catalog.checked()


def test_a_version_stored_under_another_key_is_refused(shipped: PathwayCatalog) -> None:
    spec = shipped.get("diagnosis", 1)
    catalog = PathwayCatalog.parsed_on_use({("diagnosis", 7): lambda: spec})

    with pytest.raises(ValueError, match=r"catalog key \('diagnosis', 7\) holds pathway \('diagnosis', 1\)"):
        catalog.get("diagnosis", 7)
