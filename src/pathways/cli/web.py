"""`pathways serve`, `pathways user add` and `pathways token create`: the web side."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json
from pathways.errors import InvalidInput

user_app = typer.Typer(
    help="Web accounts of staff (officers, managers, admins, auditors).", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the web pages and the REST API (/api/v1, documented at /api/docs)."""
    import uvicorn

    from pathways.services.people import signin
    from pathways.web import create_app
    from pathways.web.redact import log_config

    app = app_of(ctx)
    # X-Forwarded-For/-Proto are believed only from PATHWAYS_TRUSTED_PROXIES, given explicitly:
    # uvicorn's default would trust 127.0.0.1 (or $FORWARDED_ALLOW_IPS), so a local reverse
    # proxy's clients could give themselves any address. Empty: no proxy headers at all.
    trusted = [str(net) for net in signin.trusted_networks(app.settings.trusted_proxies)]
    console.print(f"pathways on http://{host}:{port} — database {app.store.safe_url}")
    if workers == 1:
        uvicorn.run(
            create_app(app, freeze_heap=True),
            host=host,
            port=port,
            log_level="info",
            log_config=log_config(),  # owners' link tokens redacted from the access log
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted,
        )
        return
    # Each worker process builds its own application from the environment.
    uvicorn.run(
        "pathways.web.factory:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted,
    )


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person (id, handle or email); needs a staff role.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    lang: Annotated[str | None, typer.Option(help="fr, nl or en; default: the person's.")] = None,
    json: Json = False,
) -> None:
    """Give a staff person a login (or reset their password, which ends their sessions)."""
    from pathways.services.people import logins

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise InvalidInput(
            "no password given",
            hint="use --password-stdin, or run in a terminal to be asked",
            code="no_password",
        )
    created = logins.add_user(app_of(ctx), logins.AddUser(person, password, lang), by=None)
    if json:
        emit_json(asdict(created))
        return
    what = "account added" if created.created else "password reset"
    console.print(f"{what} for [bold]{created.handle}[/] (account {created.account_id})")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person (id, handle or email).")],
    json: Json = False,
) -> None:
    """Stop an account from logging in and end its sessions (`user add` enables it with a new password)."""
    from pathways.services.people import logins

    changed = logins.disable_user(app_of(ctx), logins.DisableUser(person), by=None)
    if json:
        emit_json(asdict(changed))
        return
    console.print(f"account of [bold]{changed.handle}[/] disabled, {changed.sessions_ended} session(s) ended")


@user_app.command("role")
def user_role(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person (id, handle or email).")],
    role: Annotated[str, typer.Argument(help="officer, manager, owner, resource, admin, auditor.")],
    org: Annotated[str, typer.Option(help="The organisation (id, slug or name).")],
    json: Json = False,
) -> None:
    """Make ROLE the person's only role in the organisation; their sessions end."""
    from pathways.services.people import logins

    changed = logins.change_role(app_of(ctx), logins.ChangeRole(person, org, role), by=None)
    if json:
        emit_json(asdict(changed))
        return
    console.print(f"[bold]{changed.handle}[/] is now {role} there, {changed.sessions_ended} session(s) ended")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person whose account the token acts for.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "integration",
    json: Json = False,
) -> None:
    """Create an API token; it is shown once, only its hash is kept."""
    from pathways.services.people import logins

    issued = logins.create_token(app_of(ctx), logins.CreateToken(person, name), by=None)
    if json:
        emit_json(asdict(issued))
        return
    console.print(f"token [bold]{issued.prefix}[/] ({issued.name}) — copy it now, it is not shown again:")
    print(issued.token)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context, prefix: Annotated[str, typer.Argument(help="The token's prefix (pw_xxxxxxxx).")]
) -> None:
    """Revoke a token."""
    from pathways.services.people import logins

    logins.revoke_token(app_of(ctx), logins.RevokeToken(prefix), by=None)
    console.print(f"token {prefix} revoked")
