"""pathways.domain.identifiers on python-stdnum gives the verdicts of the hand-written checks it replaced.

The oracle below is the arithmetic identifiers.py had before (Luhn, La Poste's digit-sum rule,
BCE's mod 97 with its first-digit rule), kept small: it answers which check fails, if any, for
a number that already has the right length and only digits (the length and character checks
did not change).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest
from stdnum.be import vat as be_vat

from pathways.domain.identifiers import check_bce, check_siren, check_siret
from pathways.errors import InvalidIdentifier

OK, WRONG_CHECK, INVALID_SIREN, FIRST_DIGIT = "ok", "check digit", "invalid SIREN", "start with 0 or 1"
RANDOM_NUMBERS = 60_000  # a kind; uniform ones, then as many built valid and changed at random
SEED = 20261123


# --- the oracle: the checks as they were written by hand ---------------------------------


def old_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        tens, units = divmod(int(char) * (2 if position % 2 else 1), 10)
        total += tens + units
    return total % 10 == 0


def old_siren(number: str) -> str:
    return OK if old_luhn(number) else WRONG_CHECK


def old_siret(number: str) -> str:
    if number.startswith("356000000") and number != "35600000000048":
        valid = sum(map(int, number)) % 5 == 0
    else:
        valid = old_luhn(number)
    if not valid:
        return WRONG_CHECK
    return OK if old_luhn(number[:9]) else INVALID_SIREN


def old_bce(number: str) -> str:
    if number[0] not in "01":
        return FIRST_DIGIT
    return OK if int(number[8:]) == 97 - int(number[:8]) % 97 else WRONG_CHECK


# --- the new code's verdict, read from its error -------------------------------------------


def verdict(check: Callable[[str], str], number: str) -> str:
    try:
        assert check(number) == number
    except InvalidIdentifier as error:
        message = str(error)
        for problem in (INVALID_SIREN, FIRST_DIGIT, WRONG_CHECK):
            if problem in message:
                return problem
        raise AssertionError(f"unexpected message for {number}: {message}") from None
    return OK


# --- numbers to compare on -------------------------------------------------------------------


def luhn_completed(base: str) -> str:
    return next(base + d for d in "0123456789" if old_luhn(base + d))


def built_siren(rng: random.Random) -> str:
    return luhn_completed(f"{rng.randrange(10**8):08d}")


def built_siret(rng: random.Random) -> str:
    return luhn_completed(built_siren(rng) + f"{rng.randrange(10**4):04d}")


def built_bce(rng: random.Random) -> str:
    base = f"{rng.choice('01')}{rng.randrange(10**7):07d}"
    return f"{base}{97 - int(base) % 97:02d}"


def maybe_changed(rng: random.Random, number: str) -> str:
    """``number``, or (two times in three) with one digit replaced by a random one."""
    if rng.randrange(3) == 0:
        return number
    index = rng.randrange(len(number))
    return f"{number[:index]}{rng.randrange(10)}{number[index + 1 :]}"


def sample(rng: random.Random, length: int, build: Callable[[random.Random], str]) -> list[str]:
    uniform = [f"{rng.randrange(10**length):0{length}d}" for _ in range(RANDOM_NUMBERS)]
    return uniform + [maybe_changed(rng, build(rng)) for _ in range(RANDOM_NUMBERS)]


KINDS: dict[str, tuple[int, Callable[[random.Random], str], Callable[[str], str], Callable[[str], str]]] = {
    "siren": (9, built_siren, check_siren, old_siren),
    "siret": (14, built_siret, check_siret, old_siret),
    "bce": (10, built_bce, check_bce, old_bce),
}


def compare(numbers: list[str], check: Callable[[str], str], oracle: Callable[[str], str]) -> Counter[str]:
    """How many numbers got each verdict; fails on the first number where the two disagree."""
    verdicts: Counter[str] = Counter()
    for number in numbers:
        expected = oracle(number)
        assert verdict(check, number) == expected, number
        verdicts[expected] += 1
    return verdicts


@pytest.mark.parametrize("kind", KINDS)
def test_stdnum_wrapper_agrees_with_the_hand_written_checks_on_random_numbers(kind: str) -> None:
    length, build, check, oracle = KINDS[kind]
    numbers = sample(random.Random(f"{SEED}-{kind}"), length, build)
    verdicts = compare(numbers, check, oracle)
    assert verdicts.total() == 2 * RANDOM_NUMBERS
    # Both ways exercised: many accepted (the built numbers left unchanged), many refused.
    assert verdicts[OK] > RANDOM_NUMBERS // 4
    assert verdicts[WRONG_CHECK] > RANDOM_NUMBERS // 2
    if kind == "siret":
        assert verdicts[INVALID_SIREN] > 100
    if kind == "bce":
        assert verdicts[FIRST_DIGIT] > RANDOM_NUMBERS // 2


def test_every_la_poste_siret_gets_the_verdict_of_its_own_rule() -> None:
    numbers = [f"356000000{establishment:05d}" for establishment in range(10**5)]
    verdicts = compare(numbers, check_siret, old_siret)
    # One in five by the digit sum, plus the head office (Luhn-valid, digit sum 31).
    assert verdicts == Counter({OK: 20_001, WRONG_CHECK: 79_999})
    assert check_siret("35600000000048") == "35600000000048"
    assert check_siret("35600000049837") == "35600000049837"


def bce_base(remainder: int) -> str:
    """The first BCE base (0 and 7 digits, not all zeros) whose remainder mod 97 is ``remainder``."""
    return next(f"0{n:07d}" for n in range(1, 10**7) if n % 97 == remainder)


@pytest.mark.parametrize(
    ("remainder", "stdnum_also_accepts"),
    [(0, "00"), (96, "98"), (95, "99")],  # 97 - 0 = 97, 97 - 96 = 01, 97 - 95 = 02
)
def test_bce_check_digits_00_98_99_are_refused_though_stdnum_accepts_them(
    remainder: int, stdnum_also_accepts: str
) -> None:
    base = bce_base(remainder)
    right = f"{base}{97 - remainder:02d}"
    wrong = f"{base}{stdnum_also_accepts}"
    assert be_vat.is_valid(wrong)  # the gap the wrapper closes
    assert old_bce(wrong) == WRONG_CHECK
    with pytest.raises(InvalidIdentifier, match="wrong check digits"):
        check_bce(wrong)
    assert check_bce(right) == right


def test_bce_check_digits_outside_01_to_97_are_the_only_gap_between_stdnum_and_the_old_rule() -> None:
    rng = random.Random(f"{SEED}-bce-gap")
    gap = Counter[str]()
    for _ in range(RANDOM_NUMBERS):
        number = f"{rng.choice('01')}{rng.randrange(10**7):07d}{rng.randrange(100):02d}"
        if be_vat.is_valid(number) != (old_bce(number) == OK):
            gap[number[8:]] += 1
            assert verdict(check_bce, number) == WRONG_CHECK
    assert gap
    assert set(gap) <= {"00", "98", "99"}


def test_all_zero_bce_is_refused_for_its_check_digits() -> None:
    with pytest.raises(InvalidIdentifier, match="wrong check digits"):
        check_bce("0000000000")


def test_nine_digit_bce_is_refused_not_padded_as_stdnum_does() -> None:
    assert be_vat.compact("403170701") == "0403170701"
    with pytest.raises(InvalidIdentifier, match="has 9 digits, 10 expected"):
        check_bce("403170701")
