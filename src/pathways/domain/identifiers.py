"""Legal identifiers of a founded structure: SIREN / SIRET (France) and BCE / KBO number (Belgium).

Each ``check_*`` returns the normalised number or raises InvalidIdentifier saying whether
the length, the characters or the check digits are wrong.
"""

from __future__ import annotations

import re

from pathways.errors import InvalidIdentifier

__all__ = ["check_bce", "check_siren", "check_siret", "format_bce", "luhn_valid", "normalise", "siren_of"]

_SEPARATORS = re.compile(r"[\s.\-]")  # \s also covers the (narrow) no-break spaces of French typography
_LA_POSTE = "356000000"
# La Poste numbers its many establishments with a digit-sum rule instead of Luhn (INSEE);
# its head office predates that rule and keeps a Luhn-valid SIRET.
_LA_POSTE_HEAD_OFFICE = "35600000000048"


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()  # str.isdigit alone accepts "²" and Arabic-Indic digits


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` (ASCII digits only, at least one) passes the Luhn check."""
    if not _is_digits(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        tens, units = divmod(int(char) * (2 if position % 2 else 1), 10)
        total += tens + units
    return total % 10 == 0


def normalise(value: str) -> str:
    """Remove spaces, dots and dashes."""
    return _SEPARATORS.sub("", value)


def _require_digits(kind: str, value: str, number: str, length: int) -> None:
    if number and not _is_digits(number):
        raise InvalidIdentifier(
            f"{kind} {value!r} must contain only digits", hint=f"{length} digits expected"
        )
    if len(number) != length:
        raise InvalidIdentifier(f"{kind} {value!r} has {len(number)} digits, {length} expected")


def check_siren(value: str) -> str:
    """Validate a SIREN (9 digits, Luhn) and return it normalised."""
    number = normalise(value)
    _require_digits("SIREN", value, number, 9)
    if not luhn_valid(number):
        raise InvalidIdentifier(f"SIREN {value!r} has a wrong check digit", hint="check for a mistyped digit")
    return number


def check_siret(value: str) -> str:
    """Validate a SIRET (a valid SIREN + 5 establishment digits) and return it normalised."""
    number = normalise(value)
    _require_digits("SIRET", value, number, 14)
    if number.startswith(_LA_POSTE) and number != _LA_POSTE_HEAD_OFFICE:
        valid = sum(map(int, number)) % 5 == 0
    else:
        valid = luhn_valid(number)
    if not valid:
        raise InvalidIdentifier(f"SIRET {value!r} has a wrong check digit", hint="check for a mistyped digit")
    try:
        check_siren(number[:9])
    except InvalidIdentifier as error:
        raise InvalidIdentifier(f"SIRET {value!r} starts with an invalid SIREN", hint=error.message) from None
    return number


def siren_of(siret: str) -> str:
    """The SIREN (first 9 digits) of a valid SIRET."""
    return check_siret(siret)[:9]


def check_bce(value: str) -> str:
    """Validate a Belgian enterprise number (BCE/KBO, optional ``BE`` prefix) and return its 10 digits."""
    number = normalise(value)
    if number[:2].upper() == "BE":
        number = number[2:]
    _require_digits("BCE number", value, number, 10)
    if number[0] not in "01":
        raise InvalidIdentifier(f"BCE number {value!r} must start with 0 or 1")
    if int(number[8:]) != 97 - int(number[:8]) % 97:
        raise InvalidIdentifier(
            f"BCE number {value!r} has wrong check digits",
            hint="the last two digits must be 97 minus the first eight modulo 97",
        )
    return number


def format_bce(value: str) -> str:
    """A valid BCE number in its usual written form, ``0123.456.749``."""
    number = check_bce(value)
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"
