"""What a principal may do in an organisation, checked by the use cases before they read or change.

Something of an organisation the account has no role in does not exist for it: the answer is
the "not found" a wrong id gets, so ids cannot be probed. Something it can see but its role
does not allow is refused. The web's :class:`pathways.web.scope.Scope` answers the same way
for what a route looks up; the use cases here (the dashboard, failed messages) check with these.
"""

from __future__ import annotations

from typing import Final

from pathways.errors import Forbidden, NotFound
from pathways.services.people.accounts import Permission, Principal

NOT_YOURS_HINT: Final = "only what belongs to your organisations can be found"
# The one hint, per kind, of "not found" where a row of another organisation is not found as an
# unknown one (web/visible.py, the adds, edits and case opening).
NOT_FOUND_HINTS: Final = {
    "case": "case references look like DIAG-2026-0001; only cases of your organisations can be found",
    "organisation": "use its id or slug; only your organisations can be found",
    "project": "use its id; only projects of your organisations can be found",
    "person": "use their id, handle or e-mail; only people of your organisations can be found",
    "document": "only documents of your organisations' cases can be found",
}


def absent(kind: str, ref: object) -> NotFound:
    """The one answer for a `kind` of :data:`NOT_FOUND_HINTS` that does not exist or is not the
    caller's: the same text, hint and code either way."""
    shown = str(ref).strip()
    return NotFound(
        f"no {kind} '{shown}'",
        hint=NOT_FOUND_HINTS[kind],
        code=f"{kind}_not_found_here",
        params={"ref": shown},
    )


def orgs_allowing(principal: Principal, permission: Permission) -> frozenset[int]:
    """The organisations where the principal has `permission`; Forbidden when there is none."""
    found = principal.orgs(permission)
    if not found:
        raise Forbidden(
            f"your roles do not allow this ({permission.value})",
            code="roles_forbid",
            params={"permission": permission.value},
        )
    return found


def require(principal: Principal, org_id: int, permission: Permission, what: str) -> None:
    """NotFound when the principal has no role in the organisation, Forbidden when the role does not allow."""
    if not principal.can(Permission.READ, org_id):
        raise NotFound(f"no {what}", hint=NOT_YOURS_HINT, code="not_yours")
    if not principal.can(permission, org_id):
        raise Forbidden(
            f"your role does not allow this on {what} ({permission.value})",
            code="role_forbids",
            params={"permission": permission.value},
        )


def chosen_org(principal: Principal, wanted: int | None, permission: Permission) -> int:
    """The organisation asked for, checked; without one, the first where the principal has `permission`."""
    if wanted is None:
        return min(orgs_allowing(principal, permission))
    require(principal, wanted, permission, f"organisation {wanted}")
    return wanted
