"""Per-organisation isolation, in one place: every lookup a route makes goes through a :class:`Scope`.

Something of an organisation the account has no role in does not exist for it: the
404 is the very one a wrong reference gets (same message, same hint: see
:mod:`pathways.web.visible`), so references, names and e-mail addresses cannot be
probed. Something it can read but not change with its role is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from pathways.errors import NotFound
from pathways.services.casework import lookup
from pathways.services.casework.views import CaseView
from pathways.services.people import among, permits
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.directory import roles_of
from pathways.services.people.views import OrgDocument, OrgView, PersonView, ProjectView
from pathways.web.visible import absent, find_within

READ = Permission.READ
STAFF_FOR_CASES = frozenset({"officer", "manager"})


@dataclass(frozen=True, slots=True)
class Scope:
    """What one principal may see and change, with the connection to look things up on."""

    principal: Principal
    conn: Connection

    def orgs(self, permission: Permission = READ) -> frozenset[int]:
        """The organisations where the principal has `permission` (403 when there is none)."""
        return permits.orgs_allowing(self.principal, permission)

    def check(self, org_id: int, permission: Permission, what: str) -> None:
        """404 when the organisation is not visible at all, 403 when the role does not allow it."""
        permits.require(self.principal, org_id, permission, what)

    def _allow(self, org_id: int, permission: Permission, kind: str, ref: object) -> None:
        if not self.principal.can(READ, org_id):
            raise absent(kind, ref)  # as if it did not exist
        self.check(org_id, permission, f"{kind} '{str(ref).strip()}'")

    def case(self, ref: str | int, permission: Permission = READ) -> CaseView:
        """A case of one of the principal's organisations."""
        try:
            row = lookup.find_case(self.conn, ref)
        except NotFound:
            raise absent("case", ref) from None
        self._allow(row.organisation_id, permission, "case", ref)
        return row

    def org(self, ref: str | int, permission: Permission = READ) -> OrgView:
        """One of the principal's organisations, by id, slug or name."""
        row = find_within(among.org_among, self.conn, ref, self.principal.orgs(READ), "organisation")
        self._allow(row.id, permission, "organisation", ref)
        return row

    def project(self, ref: str | int, permission: Permission = READ) -> ProjectView:
        """A project of one of the principal's organisations, by id (or name)."""
        row = find_within(among.project_among, self.conn, ref, self.principal.orgs(READ), "project")
        self._allow(row.organisation_id, permission, "project", ref)
        return row

    def person(self, ref: str | int, *, org_id: int, roles: frozenset[str] | None = None) -> PersonView:
        """A person who belongs to `org_id` (with one of `roles`, when given)."""
        row = self.person_visible(ref)
        held = {role for org, role in roles_of(self.conn, row.id) if org == org_id}
        if not held or (roles is not None and not held & roles):
            # Only said of a person the principal may see (in another of its organisations).
            wanted = f" as {' or '.join(sorted(roles))}" if roles else ""
            raise NotFound(f"no person '{str(ref).strip()}' in this organisation{wanted}")
        return row

    def person_visible(self, ref: str | int) -> PersonView:
        """A person with a role in one of the principal's organisations."""
        return find_within(among.person_among, self.conn, ref, self.principal.orgs(READ), "person")

    def person_id_visible(self, ref: str | int) -> int:
        """The id of a person with a role in one of the principal's organisations.

        The principal themself (by id or handle: "my cases") needs no lookup: the account
        was loaded with its roles for this request.
        """
        text = str(ref).strip()
        mine = str(self.principal.person_id) if text.isdigit() else self.principal.handle  # as find_person
        if text == mine and self.principal.orgs(READ):
            return self.principal.person_id
        return self.person_visible(ref).id

    def document(self, doc_id: int) -> OrgDocument:
        """A document of a case of one of the principal's organisations."""
        row = among.document_of(self.conn, doc_id)
        if row is None:
            raise absent("document", doc_id)
        self._allow(row.organisation_id, READ, "document", doc_id)
        return row
