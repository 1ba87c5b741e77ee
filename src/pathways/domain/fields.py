"""Stage field values: parse what a person typed, validate it, store it as JSON.

Values arrive as text (CLI, web forms) or as JSON values (REST). They are
stored JSON-ready (dates ISO, decimals as strings) and handed to programme
checks typed (``date``, ``Decimal``, ``bool``...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pathways.domain import identifiers
from pathways.domain.spec import INT32_MAX, INT32_MIN, NUMBER_LIMIT, FieldSpec, FieldType, StageSpec
from pathways.errors import FieldError, FieldErrors, FieldProblem, InvalidIdentifier

_TRUE = {"true", "yes", "y", "1", "oui", "ja", "on"}
_FALSE = {"false", "no", "n", "0", "non", "nee", "off"}


def _scalar(name: str, kind: FieldType, spec: FieldSpec, raw: Any) -> Any:  # noqa: PLR0911, PLR0912
    """Parse one scalar value of type `kind` into its typed form."""
    text = raw.strip() if isinstance(raw, str) else raw
    if kind is FieldType.PERSON:
        return _person(name, text, raw)
    if kind is FieldType.TEXT:
        if isinstance(text, bool) or not isinstance(text, str | int):
            raise FieldError(name, f"expected text, got {raw!r}", code="text")
        value = str(text)
        if spec.max_length is not None and len(value) > spec.max_length:
            raise FieldError(
                name,
                f"{len(value)} characters, at most {spec.max_length} allowed",
                code="too_long",
                params={"length": str(len(value)), "max": str(spec.max_length)},
            )
        return value
    if kind is FieldType.INTEGER:
        return _integer(name, spec, text, raw)
    if kind in (FieldType.DECIMAL, FieldType.MONEY):
        try:
            if isinstance(text, bool):
                raise InvalidOperation
            dec = Decimal(str(text).replace(",", ".").replace(" ", ""))
            if not dec.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            raise FieldError(name, f"expected a number such as 12.50, got {raw!r}", code="number") from None
        if abs(dec) >= NUMBER_LIMIT:  # before quantize, which cannot hold 1e999
            raise FieldError(
                name,
                f"{raw!r} is out of range",
                hint=f"a number below {NUMBER_LIMIT:,}",
                code="out_of_range",
                params={"value": str(raw)},
            )
        if kind is FieldType.MONEY:
            dec = dec.quantize(Decimal("0.01"))
        _bounds(name, spec, dec)
        return dec
    if kind is FieldType.DATE:
        if isinstance(text, date):
            return text
        try:
            return date.fromisoformat(str(text))
        except ValueError:
            raise FieldError(name, f"expected a date as YYYY-MM-DD, got {raw!r}", code="date") from None
    if kind is FieldType.BOOLEAN:
        if isinstance(text, bool):
            return text
        lowered = str(text).lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise FieldError(name, f"expected yes or no, got {raw!r}", code="yes_no")
    if kind in (FieldType.SIREN, FieldType.SIRET, FieldType.BCE):
        checker = {
            FieldType.SIREN: identifiers.check_siren,
            FieldType.SIRET: identifiers.check_siret,
            FieldType.BCE: identifiers.check_bce,
        }[kind]
        try:
            return checker(str(text))
        except InvalidIdentifier as exc:
            raise FieldError(name, exc.message, code="identifier", params={"kind": kind.name}) from None
    raise FieldError(name, f"type {kind} cannot hold a single value")  # pragma: no cover - spec forbids


def _person(name: str, text: Any, raw: Any) -> int:
    # People are referred to by id, so erasing a person's data leaves no name in case records.
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= len(str(INT32_MAX)):
        text = int(text)
    if isinstance(text, int) and not isinstance(text, bool) and 1 <= text <= INT32_MAX:
        return text  # a larger one is no person's id (and no id column could hold it)
    raise FieldError(
        name,
        f"unknown person {raw!r}",
        hint="give the person's id, handle or email",
        code="person",
        params={"value": str(raw)},
    )


def _integer(name: str, spec: FieldSpec, text: Any, raw: Any) -> int:
    try:
        if isinstance(text, bool | float):
            raise ValueError  # noqa: TRY004  turned into a FieldError below
        number = int(text)
    except (TypeError, ValueError):
        raise FieldError(name, f"expected a whole number, got {raw!r}", code="whole_number") from None
    if not INT32_MIN <= number <= INT32_MAX:  # what an INTEGER column, and the spec's min and max, hold
        raise FieldError(
            name,
            f"{number} is out of range",
            hint=f"a whole number up to {INT32_MAX:,}",
            code="out_of_range",
            params={"value": str(number)},
        )
    _bounds(name, spec, Decimal(number))
    return number


def _bounds(name: str, spec: FieldSpec, value: Decimal) -> None:
    if spec.min is not None and value < spec.min:
        raise FieldError(
            name, f"{value} is below the minimum {spec.min}", code="below_min", params={"min": str(spec.min)}
        )
    if spec.max is not None and value > spec.max:
        raise FieldError(
            name, f"{value} is above the maximum {spec.max}", code="above_max", params={"max": str(spec.max)}
        )


def parse_list(raw: Any) -> list[Any]:
    """A list value: a JSON array, or text split into lines (one item a line, as the forms ask),
    else on ';', else on ','."""
    if isinstance(raw, list | tuple):
        return list(raw)
    text = str(raw).strip()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, list):
            return loaded
    if "\n" in text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    sep = ";" if ";" in text else ","
    return [part.strip() for part in text.split(sep) if part.strip()]


def parse_value(name: str, spec: FieldSpec, raw: Any) -> Any:
    """The typed value of field `name` from text or JSON input; FieldError when invalid."""
    if spec.type is FieldType.CHOICE:
        assert spec.choices is not None
        picked = parse_list(raw) if spec.multiple else [str(raw).strip()]
        for key in picked:
            if key not in spec.choices:
                raise FieldError(
                    name,
                    f"{key!r} is not one of: {', '.join(spec.choices)}",
                    code="choice",
                    params={"value": key},
                )
        return picked if spec.multiple else picked[0]
    if spec.type is FieldType.LIST:
        assert spec.items is not None
        values = [_scalar(f"{name}[{i}]", spec.items, spec, item) for i, item in enumerate(parse_list(raw))]
        if spec.required and not values:
            raise FieldError(name, "needs at least one item", code="required")
        return values
    return _scalar(name, spec.type, spec, raw)


def to_json(value: Any) -> Any:
    """A typed value in its stored, JSON-ready form."""
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(spec: FieldSpec, stored: Any) -> Any:
    """A stored value back in its typed form (for checks and documents)."""
    if stored is None:
        return None
    kind = spec.items if spec.type is FieldType.LIST else spec.type
    if isinstance(stored, list) and spec.type is FieldType.LIST:
        return [_typed(kind, v) for v in stored]
    return _typed(kind, stored)


def _typed(kind: FieldType | None, stored: Any) -> Any:
    if kind is FieldType.DATE and isinstance(stored, str):
        return date.fromisoformat(stored)
    if kind in (FieldType.DECIMAL, FieldType.MONEY) and isinstance(stored, str | int | float):
        return Decimal(str(stored))
    return stored


def _condition_holds(condition: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    for other, expected in condition.items():
        actual = to_json(values.get(other))
        allowed = expected if isinstance(expected, list) else [expected]
        if actual not in [to_json(a) for a in allowed]:
            return False
    return True


def validate_values(stage: StageSpec, outcome: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of a decision at `stage` with `outcome`.

    Every field is checked: one refused field is a FieldError, several are one FieldErrors
    naming each (:func:`refusal`), so a form shows all its mistakes at once.
    """
    specs = stage.fields_for(outcome)
    errors: list[FieldError] = []
    for name in raw:
        if name not in specs:
            known = ", ".join(specs) or "none"
            errors.append(
                FieldError(
                    name,
                    f"not a field of stage '{stage.id}' with outcome '{outcome}'",
                    hint=f"fields: {known}",
                    code="unknown_field",
                )
            )
    typed: dict[str, Any] = {}
    for name, spec in specs.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            typed[name] = parse_value(name, spec, value)
        except FieldError as exc:
            errors.append(exc)
    refused = {e.problem.field for e in errors}
    for name, spec in specs.items():
        if name in typed or name in refused:
            continue
        needed = spec.required or (spec.required_if is not None and _condition_holds(spec.required_if, typed))
        if needed:
            errors.append(
                FieldError(
                    name, "is required", hint=f"add --set {name}=... ({spec.type.value})", code="required"
                )
            )
    if errors:
        order = {name: i for i, name in enumerate(specs)}  # the form's order; unknown fields first
        ordered: list[FieldError] = sorted(errors, key=lambda e: order.get(e.problem.field, -1))
        raise refusal(ordered)
    return typed


def refusal(errors: Sequence[FieldError | FieldProblem]) -> FieldError | FieldErrors:
    """The error of refused fields: the FieldError itself for one, FieldErrors naming each for more."""
    if len(errors) == 1:
        only = errors[0]
        if isinstance(only, FieldError):
            return only
        return FieldError(only.field, only.message, hint=only.hint, code=only.code, params=only.params)
    return FieldErrors([e.problem if isinstance(e, FieldError) else e for e in errors])


def problems_of(error: FieldError | FieldErrors) -> tuple[FieldProblem, ...]:
    """Each field an error refuses, in the order of the form."""
    return error.problems if isinstance(error, FieldErrors) else (error.problem,)
