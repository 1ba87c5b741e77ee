"""What the case page adds around a case: the collective actions it is linked in, and the values
just recorded outside their usual range (a warning after the decision, never a refusal)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from pathways.bootstrap import App
from pathways.domain.spec import FieldSpec, PathwaySpec
from pathways.services.casework.views import CaseDetails
from pathways.services.collaboration import collective

MAX_WARNINGS = 20  # names read from the address, at most


def collectives_shown(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    """Each collective the case is linked in, with the other structures' cases (names, not ids)."""
    return [
        {
            "id": c.id,
            "kind": c.kind,
            "label": c.label,
            "others": [
                {"ref": o.ref, "project": o.project, "status": o.status}
                for o in c.cases
                if o.case_id != case_id
            ],
        }
        for c in collective.collectives_of_case(conn, case_id)
    ]


def _field(spec: PathwaySpec, name: str) -> tuple[str, FieldSpec] | None:
    """The stage id and spec of a field named `name`, in any stage or outcome of the pathway."""
    for stage in spec.stages:
        for outcome in stage.outcomes:
            found = stage.fields_for(outcome).get(name)
            if found is not None:
                return stage.id, found
    return None


def _bound(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def warnings_shown(app: App, info: CaseDetails, names: Sequence[str], lang: str) -> list[dict[str, str]]:
    """The fields named in the address (``?warn=``) whose recorded value is outside the usual range:
    their label, value and usual range; a name the pathway does not know, or a value inside its
    range, shows nothing (the address is the officer's own redirect, but anyone may type one)."""
    spec = app.catalog.get(info.pathway, info.pathway_version)
    shown = []
    for name in dict.fromkeys(names[:MAX_WARNINGS]):
        found = _field(spec, name)
        if found is None:
            continue
        stage_id, field = found
        raw = (info.data or {}).get(stage_id, {}).get(name)
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            continue
        low, high = field.usual_min, field.usual_max
        if not ((low is not None and value < low) or (high is not None and value > high)):
            continue
        usual = f"{_bound(low)}–{_bound(high)}" if low is not None and high is not None else None
        usual = usual or (f"≥ {_bound(low)}" if low is not None else f"≤ {_bound(high)}")
        shown.append({"field": name, "label": field.label.get(lang), "value": _bound(value), "usual": usual})
    return shown
