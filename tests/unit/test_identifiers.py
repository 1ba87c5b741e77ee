"""SIREN / SIRET / BCE checks (pathways.domain.identifiers)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pathways.domain.identifiers import (
    check_bce,
    check_siren,
    check_siret,
    format_bce,
    luhn_valid,
    normalise,
    siren_of,
)
from pathways.errors import InvalidIdentifier

# Public identifiers of real organisations.
LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE_SIRET = "35600000000048"
DANONE_SIREN = "552032534"
STDNUM_EXAMPLE_SIRET = "73282932000074"  # python-stdnum's documented example
ELECTRABEL_BCE = "0403170701"
PROXIMUS_BCE = "0202239951"


def luhn_check_digit(base: str) -> str:
    """The digit that makes ``base`` + digit Luhn-valid, computed independently of the code under test."""
    total = 0
    for position, char in enumerate(reversed(base)):
        doubled = int(char) * 2 if position % 2 == 0 else int(char)  # the check digit will sit at position 0
        total += doubled - 9 if doubled > 9 else doubled
    return str((10 - total % 10) % 10)


def with_mod97_check(base: str) -> str:
    return f"{base}{97 - int(base) % 97:02d}"


def change_one_digit(number: str, index: int, offset: int) -> str:
    """``number`` with the digit at ``index`` replaced by a different digit."""
    index %= len(number)
    return f"{number[:index]}{(int(number[index]) + offset) % 10}{number[index + 1 :]}"


digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=20)
indexes = st.integers(min_value=0, max_value=50)
offsets = st.integers(min_value=1, max_value=9)


# Luhn and normalisation


@pytest.mark.parametrize(
    "number", [LA_POSTE_SIREN, DANONE_SIREN, LA_POSTE_HEAD_OFFICE_SIRET, STDNUM_EXAMPLE_SIRET, "0", "18"]
)
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["356000001", "552032535", "73282932000079", "1", "", "35600000a", "²"])
def test_luhn_rejects_wrong_check_digits_and_non_digits(number: str) -> None:
    assert not luhn_valid(number)


@given(digit_strings)
def test_luhn_accepts_any_base_with_its_computed_check_digit(base: str) -> None:
    assert luhn_valid(base + luhn_check_digit(base))


@given(digit_strings, indexes, offsets)
def test_luhn_detects_any_single_digit_change(base: str, index: int, offset: int) -> None:
    valid = base + luhn_check_digit(base)
    assert not luhn_valid(change_one_digit(valid, index, offset))


@pytest.mark.parametrize(
    "raw", ["356 000 000", "356.000.000", "356-000-000", " 356\u202f000\u00a0000\t", "356000000"]
)
def test_normalise_removes_spaces_dots_and_dashes(raw: str) -> None:
    assert normalise(raw) == "356000000"


# SIREN


@pytest.mark.parametrize(
    ("raw", "expected"), [("356 000 000", LA_POSTE_SIREN), ("552.032.534", DANONE_SIREN)]
)
def test_check_siren_returns_the_normalised_number(raw: str, expected: str) -> None:
    assert check_siren(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("356 000 001", "check digit"),
        ("35600000", "has 8 digits, 9 expected"),
        ("3560000000", "has 10 digits, 9 expected"),
        ("35600000O", "only digits"),
        ("", "has 0 digits"),
    ],
)
def test_check_siren_names_the_value_and_what_is_wrong(raw: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        check_siren(raw)
    assert repr(raw) in str(caught.value)
    assert problem in str(caught.value)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), indexes, offsets)
def test_siren_with_computed_check_digit_is_valid_and_any_single_digit_change_is_not(
    base: str, index: int, offset: int
) -> None:
    siren = base + luhn_check_digit(base)
    assert check_siren(siren) == siren
    with pytest.raises(InvalidIdentifier, match="check digit"):
        check_siren(change_one_digit(siren, index, offset))


# SIRET


def test_check_siret_accepts_a_luhn_valid_siret_and_returns_it_normalised() -> None:
    assert check_siret("732 829 320 00074") == STDNUM_EXAMPLE_SIRET


def test_la_poste_head_office_is_valid_by_luhn_though_its_digit_sum_is_not_a_multiple_of_5() -> None:
    assert sum(map(int, LA_POSTE_HEAD_OFFICE_SIRET)) % 5 != 0
    assert check_siret(LA_POSTE_HEAD_OFFICE_SIRET) == LA_POSTE_HEAD_OFFICE_SIRET


def test_la_poste_establishments_are_valid_when_their_digit_sum_is_a_multiple_of_5() -> None:
    establishment = "35600000049837"
    assert not luhn_valid(establishment)  # only La Poste's own rule can accept it
    assert sum(map(int, establishment)) % 5 == 0
    assert check_siret(establishment) == establishment
    with pytest.raises(InvalidIdentifier, match="check digit"):
        check_siret("35600000049838")


def test_the_digit_sum_rule_belongs_to_la_poste_only() -> None:
    other = "73282932000072"
    assert sum(map(int, other)) % 5 == 0
    assert not luhn_valid(other)
    with pytest.raises(InvalidIdentifier, match="check digit"):
        check_siret(other)


def test_la_poste_sirets_must_follow_the_digit_sum_rule_even_when_luhn_valid() -> None:
    base = LA_POSTE_SIREN + "0001"
    luhn_only = base + luhn_check_digit(base)
    assert sum(map(int, luhn_only)) % 5 != 0
    with pytest.raises(InvalidIdentifier, match="check digit"):
        check_siret(luhn_only)


def test_a_luhn_valid_siret_with_an_invalid_siren_is_refused() -> None:
    base = "356000001" + "0001"  # 356000001 fails Luhn, and is not La Poste
    siret = base + luhn_check_digit(base)
    assert luhn_valid(siret)
    with pytest.raises(InvalidIdentifier, match="invalid SIREN"):
        check_siret(siret)


@pytest.mark.parametrize(
    ("raw", "problem"), [("7328293200007", "13 digits"), ("73282932000O74", "only digits")]
)
def test_check_siret_names_the_length_or_character_problem(raw: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier, match=problem):
        check_siret(raw)


@given(
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    indexes,
    offsets,
)
def test_siret_with_computed_check_digits_is_valid_and_any_single_digit_change_is_not(
    siren_base: str, establishment: str, index: int, offset: int
) -> None:
    siren = siren_base + luhn_check_digit(siren_base)
    assume(siren != LA_POSTE_SIREN)
    base = siren + establishment
    siret = base + luhn_check_digit(base)
    assert check_siret(siret) == siret
    assert siren_of(siret) == siren
    changed = change_one_digit(siret, index, offset)
    assume(not changed.startswith(LA_POSTE_SIREN))  # La Poste's digit-sum rule would apply instead
    with pytest.raises(InvalidIdentifier):
        check_siret(changed)


def test_siren_of_returns_the_first_nine_digits_of_a_valid_siret() -> None:
    assert siren_of("356 000 000 00048") == LA_POSTE_SIREN
    with pytest.raises(InvalidIdentifier):
        siren_of("73282932000079")


# BCE / KBO


@pytest.mark.parametrize(
    "raw", ["0403.170.701", "0403170701", "BE0403170701", "be 0403.170.701", "BE-0403-170-701"]
)
def test_check_bce_accepts_the_usual_spellings(raw: str) -> None:
    assert check_bce(raw) == ELECTRABEL_BCE


def test_check_bce_accepts_numbers_starting_with_1() -> None:
    number = with_mod97_check("10000000")
    assert number.startswith("1")
    assert check_bce(number) == number


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("0403.170.702", "check digits"),
        ("403.170.701", "has 9 digits, 10 expected"),
        ("BE 0403.170.7O1", "only digits"),
        (with_mod97_check("20000000"), "start with 0 or 1"),
    ],
)
def test_check_bce_names_the_value_and_what_is_wrong(raw: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        check_bce(raw)
    assert repr(raw) in str(caught.value)
    assert problem in str(caught.value)


def test_format_bce_writes_dotted_groups() -> None:
    assert format_bce("BE0202239951") == "0202.239.951"
    assert format_bce(PROXIMUS_BCE) == "0202.239.951"
    with pytest.raises(InvalidIdentifier):
        format_bce("0202.239.952")


@given(st.sampled_from("01"), st.text(alphabet="0123456789", min_size=7, max_size=7), indexes, offsets)
def test_bce_with_computed_mod97_check_is_valid_and_any_single_digit_change_is_not(
    first: str, rest: str, index: int, offset: int
) -> None:
    number = with_mod97_check(first + rest)
    assert check_bce(number) == number
    assert format_bce(number).replace(".", "") == number
    with pytest.raises(InvalidIdentifier):
        check_bce(change_one_digit(number, index, offset))
