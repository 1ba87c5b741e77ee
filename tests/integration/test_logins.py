"""Logins, roles and tokens as use cases (services.people.logins): the operator's, each in a
transaction of its own; a logged-in account only changes the language of its own pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from builders import make_org, make_person
from pathways.bootstrap import App
from pathways.errors import FieldError, Forbidden, NotFound
from pathways.services.people import accounts, logins
from pathways.store.core import ACCOUNT, AUDIT

PASSWORD = "correct horse battery staple"


def test_the_operator_gives_a_login_a_token_and_takes_them_back(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, email="camille@example.org")

    created = logins.add_user(app, logins.AddUser(officer, PASSWORD, "nl"), by=None)
    issued = logins.create_token(app, logins.CreateToken(officer, "tests"), by=None)
    with app.store.read() as conn:
        principal = accounts.principal_for_token(conn, issued.token)
        kinds = list(conn.scalars(select(AUDIT.c.kind).order_by(AUDIT.c.id)))
    assert created.created
    assert created.person_id == officer
    assert principal is not None
    assert principal.person_id == officer
    assert principal.language == "nl"
    assert "account_added" in kinds

    assert logins.revoke_token(app, logins.RevokeToken(issued.prefix), by=None) == issued.prefix
    changed = logins.disable_user(app, logins.DisableUser(officer), by=None)
    with app.store.read() as conn:
        assert accounts.principal_for_token(conn, issued.token) is None
        assert conn.scalar(select(ACCOUNT.c.active).where(ACCOUNT.c.person_id == officer)) is False
    assert changed.person_id == officer
    with pytest.raises(NotFound):
        logins.revoke_token(app, logins.RevokeToken(issued.prefix), by=None)


def test_an_account_changes_its_own_language_and_nothing_of_the_operators(app: App) -> None:
    org = make_org(app)
    manager = make_person(app, org, role="manager")
    logins.add_users(app, logins.AddUsers((manager,), PASSWORD), by=None)
    with app.store.read() as conn:
        account_id = conn.scalar(select(ACCOUNT.c.id).where(ACCOUNT.c.person_id == manager))
        assert account_id is not None
        me = accounts.load_principal(conn, account_id)
    assert me is not None

    assert logins.set_language(app, logins.SetLanguage("en"), by=me) == "en"
    with app.store.read() as conn:
        again = accounts.load_principal(conn, account_id)
    assert again is not None
    assert again.language == "en"
    with pytest.raises(FieldError):
        logins.set_language(app, logins.SetLanguage("xx"), by=me)

    for refused in (
        lambda: logins.add_user(app, logins.AddUser(manager, PASSWORD), by=me),
        lambda: logins.change_role(app, logins.ChangeRole(manager, org, "admin"), by=me),
        lambda: logins.create_token(app, logins.CreateToken(manager), by=me),
        lambda: logins.disable_user(app, logins.DisableUser(manager), by=me),
    ):
        with pytest.raises(Forbidden):
            refused()
    with app.store.read() as conn:
        assert accounts.load_principal(conn, account_id) == again  # nothing changed
