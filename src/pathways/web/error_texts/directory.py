"""The words of the errors about the directory: organisations, people, projects, accounts, links, numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pathways.web.error_texts.words import Said, Words
from pathways.web.i18n import Texts


def _role(t: Texts, p: Mapping[str, str]) -> str:
    """The role's name in `t`'s language (its id for a role without a label)."""
    return t.label("role", p["role"]) or p["role"]


def _kind(t: Texts, p: Mapping[str, str]) -> str:
    """The kind of number (SIREN, SIRET, BCE) in `t`'s language."""
    return {"SIREN": t("SIREN"), "SIRET": t("SIRET"), "BCE number": t("BCE number")}.get(p["kind"], p["kind"])


def _ambiguous(t: Texts, p: Mapping[str, str]) -> Said:
    return Said(
        t("“%(ref)s” names several of them.", ref=p["ref"]), t("Use the id: one of %(ids)s.", ids=p["ids"])
    )


WORDS: Final[Mapping[str, Words]] = {
    "org_not_found": lambda t, p: Said(
        t("There is no organisation “%(ref)s”.", ref=p["ref"]),
        t("`pathways org list` lists the organisations."),
    ),
    "person_not_found": lambda t, p: Said(
        t("There is no person “%(ref)s”.", ref=p["ref"]), t("`pathways person list` lists the people.")
    ),
    "project_not_found": lambda t, p: Said(
        t("There is no project “%(ref)s”.", ref=p["ref"]), t("`pathways project list` lists the projects.")
    ),
    "organisation_not_found_here": lambda t, p: Said(
        t("There is no organisation “%(ref)s”.", ref=p["ref"]),
        t("Use its id or slug; only your organisations can be found."),
    ),
    "person_not_found_here": lambda t, p: Said(
        t("There is no person “%(ref)s”.", ref=p["ref"]),
        t("Use their id, handle or e-mail; only people of your organisations can be found."),
    ),
    "project_not_found_here": lambda t, p: Said(
        t("There is no project “%(ref)s”.", ref=p["ref"]),
        t("Use its id; only projects of your organisations can be found."),
    ),
    "org_ambiguous": _ambiguous,
    "person_ambiguous": _ambiguous,
    "project_ambiguous": _ambiguous,
    "not_yours": lambda t, _: Said(
        t("Not found, or in an organisation you have no role in."),
        t("Only what belongs to your organisations can be found."),
    ),
    "role_forbids": lambda t, p: Said(
        t("Your role in this organisation does not allow this (%(permission)s).", permission=p["permission"])
    ),
    "roles_forbid": lambda t, p: Said(
        t("None of your roles allows this (%(permission)s).", permission=p["permission"])
    ),
    "change_forbidden": lambda t, _: Said(t("Your role in this organisation does not allow changing this.")),
    "person_change_forbidden": lambda t, p: Said(
        t("Your role does not allow changing person “%(ref)s”.", ref=p["ref"])
    ),
    "role_details_forbidden": lambda t, p: Said(
        t(
            "Your role does not allow changing the details of a person with the role “%(role)s” here.",
            role=_role(t, p),
        )
    ),
    "person_role_forbidden": lambda t, p: Said(
        t("Your role does not allow adding a person with the role “%(role)s”.", role=_role(t, p))
    ),
    "person_erased": lambda t, p: Said(
        t("Person “%(ref)s” was erased: their details cannot be set again.", ref=p["ref"])
    ),
    "person_already_erased": lambda t, p: Said(
        t("Person %(ref)s was already erased on %(on)s.", ref=p["ref"], on=p["on"])
    ),
    "erasure_reason": lambda t, p: Said(
        t("“%(reason)s” is not a reason for erasure.", reason=p["reason"]),
        t("Give request or retention."),
    ),
    "no_staff_role": lambda t, p: Said(
        t("“%(ref)s” has no staff role (%(roles)s).", ref=p["ref"], roles=p["roles"]),
        t(
            "Project leads use the personal link in their messages; "
            "add a staff role with `pathways person add`."
        ),
    ),
    "no_active_account": lambda t, p: Said(
        t("“%(ref)s” has no active account.", ref=p["ref"]), t("Add one with `pathways user add`.")
    ),
    "no_account": lambda t, p: Said(t("“%(ref)s” has no account.", ref=p["ref"]), t("Nothing to disable.")),
    "token_not_found": lambda t, p: Said(t("There is no active token “%(prefix)s”.", prefix=p["prefix"])),
    "wrong_login": lambda t, _: Said(t("Wrong login or password.")),
    "link_invalid": lambda t, _: Said(
        t("This link is not valid."), t("Open the link of the latest message you received, whole.")
    ),
    "link_invalid_ask": lambda t, _: Said(
        t("This link is not valid."), t("Ask your support officer for a new one.")
    ),
    "link_expired": lambda t, _: Said(
        t("This link has expired."), t("Ask your support officer for a new one.")
    ),
    "link_replaced": lambda t, _: Said(
        t("This link was replaced by a newer one."), t("Use the link of your latest message.")
    ),
    "jobs_negative": lambda t, _: Said(t("Job counts cannot be negative.")),
    "identifier_digits": lambda t, p: Said(
        t("%(kind)s “%(value)s” must contain only digits.", kind=_kind(t, p), value=p["value"]),
        t("%(length)s digits expected.", length=p["length"]),
    ),
    "identifier_length": lambda t, p: Said(
        t(
            "%(kind)s “%(value)s” has %(count)s digits, %(length)s expected.",
            kind=_kind(t, p),
            value=p["value"],
            count=p["count"],
            length=p["length"],
        )
    ),
    "identifier_check": lambda t, p: Said(
        t("%(kind)s “%(value)s” has a wrong check digit.", kind=_kind(t, p), value=p["value"]),
        t("Check for a mistyped digit."),
    ),
    "siret_siren": lambda t, p: Said(
        t("SIRET “%(value)s” starts with an invalid SIREN.", value=p["value"]),
        t("SIREN “%(siren)s” has a wrong check digit.", siren=p["siren"]),
    ),
    "bce_start": lambda t, p: Said(t("BCE number “%(value)s” must start with 0 or 1.", value=p["value"])),
    "bce_check": lambda t, p: Said(
        t("BCE number “%(value)s” has wrong check digits.", value=p["value"]),
        t("The last two digits must be 97 minus the first eight modulo 97."),
    ),
    "territory_unknown": lambda t, p: Said(
        t("Unknown territory “%(territory)s”.", territory=p["territory"]),
        t("Use FR, a département such as FR-75, FR-2A or FR-971, BE, BE-VLG, BE-WAL, BE-BRU or BE-DG."),
    ),
    "no_holidays": lambda t, p: Said(
        t("No public-holiday data for %(country)s in %(year)s.", country=p["country"], year=p["year"]),
        t("Dates must fall between %(first)s and %(last)s.", first=p["first"], last=p["last"]),
    ),
}
"""The codes of the errors about the directory, and their words."""
