"""Legal identifiers of a founded structure: SIREN / SIRET (France) and BCE / KBO number (Belgium).

The check-digit arithmetic is python-stdnum's (``stdnum.fr.siren``, ``stdnum.fr.siret`` with
La Poste's rule, ``stdnum.be.vat``); this module keeps what pathways adds around it: its own
separators, its messages (length, characters or check digits, with a hint) raised as
InvalidIdentifier, and the BCE check-digit range stdnum leaves open.
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.be import vat as be_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from pathways.errors import InvalidIdentifier

__all__ = ["check_bce", "check_siren", "check_siret", "format_bce", "luhn_valid", "normalise", "siren_of"]

_SEPARATORS = re.compile(r"[\s.\-]")  # \s also covers the (narrow) no-break spaces of French typography
_WRONG_DIGIT_HINT = "check for a mistyped digit"


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()  # str.isdigit alone accepts "²" and Arabic-Indic digits


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` (ASCII digits only, at least one) passes the Luhn check."""
    return _is_digits(digits) and luhn.is_valid(digits)


def normalise(value: str) -> str:
    """Remove spaces, dots and dashes."""
    return _SEPARATORS.sub("", value)


def _require_digits(kind: str, value: str, number: str, length: int) -> None:
    # Checked here, before stdnum: its messages name no value, and stdnum.be.vat would
    # silently pad a 9-digit number with a leading 0.
    if number and not _is_digits(number):
        raise InvalidIdentifier(
            f"{kind} {value!r} must contain only digits",
            hint=f"{length} digits expected",
            code="identifier_digits",
            params={"kind": kind, "value": value, "length": length},
        )
    if len(number) != length:
        raise InvalidIdentifier(
            f"{kind} {value!r} has {len(number)} digits, {length} expected",
            code="identifier_length",
            params={"kind": kind, "value": value, "count": len(number), "length": length},
        )


def check_siren(value: str) -> str:
    """Validate a SIREN (9 digits, Luhn) and return it normalised."""
    number = normalise(value)
    _require_digits("SIREN", value, number, 9)
    if not fr_siren.is_valid(number):
        raise InvalidIdentifier(
            f"SIREN {value!r} has a wrong check digit",
            hint=_WRONG_DIGIT_HINT,
            code="identifier_check",
            params={"kind": "SIREN", "value": value},
        )
    return number


def check_siret(value: str) -> str:
    """Validate a SIRET (a valid SIREN + 5 establishment digits) and return it normalised."""
    number = normalise(value)
    _require_digits("SIRET", value, number, 14)
    if fr_siret.is_valid(number):
        return number
    # stdnum gives one verdict for the SIRET's own check and its SIREN's. The SIREN is to
    # blame only when the SIRET's own check passed: Luhn over the 14 digits, since La Poste's
    # SIREN (whose SIRETs follow a digit-sum rule instead) is itself valid.
    if luhn.is_valid(number) and not fr_siren.is_valid(number[:9]):
        hint = f"SIREN {number[:9]!r} has a wrong check digit"
        raise InvalidIdentifier(
            f"SIRET {value!r} starts with an invalid SIREN",
            hint=hint,
            code="siret_siren",
            params={"value": value, "siren": number[:9]},
        )
    raise InvalidIdentifier(
        f"SIRET {value!r} has a wrong check digit",
        hint=_WRONG_DIGIT_HINT,
        code="identifier_check",
        params={"kind": "SIRET", "value": value},
    )


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
        raise InvalidIdentifier(
            f"BCE number {value!r} must start with 0 or 1", code="bce_start", params={"value": value}
        )
    # The check digits are 97 - (first eight mod 97), so 01 to 97; stdnum.be.vat only asks
    # for the ten digits to be a multiple of 97, which also lets 00, 98 and 99 through.
    if not 1 <= int(number[8:]) <= 97 or not be_vat.is_valid(number):
        raise InvalidIdentifier(
            f"BCE number {value!r} has wrong check digits",
            hint="the last two digits must be 97 minus the first eight modulo 97",
            code="bce_check",
            params={"value": value},
        )
    return number


def format_bce(value: str) -> str:
    """A valid BCE number in its usual written form, ``0123.456.749``."""
    number = check_bce(value)
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"
