"""The use cases' permission checks, on principals alone: not found when not yours, refused if not allowed."""

from __future__ import annotations

import pytest

from pathways.errors import Forbidden, NotFound
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import NOT_YOURS_HINT, chosen_org, orgs_allowing, require


def principal(**roles: str) -> Principal:
    """An account whose roles are given as org_<id>=role."""
    by_org = {int(org.removeprefix("org_")): frozenset({role}) for org, role in roles.items()}
    return Principal(1, 1, "Nadia", "nadia", "fr", "key", by_org)


def test_an_organisation_without_a_role_is_not_found_as_one_that_does_not_exist() -> None:
    officer = principal(org_3="officer")

    with pytest.raises(NotFound) as theirs:
        require(officer, 4, Permission.READ, "organisation 4")
    with pytest.raises(NotFound) as nobodys:
        require(officer, 999, Permission.READ, "organisation 4")

    assert theirs.value.message == nobodys.value.message == "no organisation 4"
    assert theirs.value.hint == nobodys.value.hint == NOT_YOURS_HINT


def test_a_role_that_does_not_allow_is_refused_and_one_that_does_passes() -> None:
    someone = principal(org_3="officer", org_5="manager")

    with pytest.raises(Forbidden, match=r"organisation 3 \(audit\)"):
        require(someone, 3, Permission.AUDIT, "organisation 3")
    require(someone, 5, Permission.AUDIT, "organisation 5")
    require(someone, 3, Permission.WRITE, "organisation 3")


def test_without_a_choice_the_first_organisation_allowing_is_taken() -> None:
    someone = principal(org_2="officer", org_7="auditor", org_5="manager")

    assert orgs_allowing(someone, Permission.AUDIT) == {5, 7}
    assert chosen_org(someone, None, Permission.AUDIT) == 5
    assert chosen_org(someone, 7, Permission.AUDIT) == 7
    with pytest.raises(Forbidden):
        chosen_org(someone, 2, Permission.AUDIT)
    with pytest.raises(Forbidden, match=r"your roles do not allow this \(manage\)"):
        orgs_allowing(principal(org_2="officer"), Permission.MANAGE)
