"""`pathways serve`, `pathways user add` and `pathways token create`: the web side."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json
from pathways.errors import InvalidInput
from pathways.services import accounts
from pathways.services.tx import write

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

    from pathways.web import create_app

    app = app_of(ctx)
    console.print(f"pathways on http://{host}:{port} — database {app.store.safe_url}")
    if workers == 1:
        uvicorn.run(create_app(app), host=host, port=port, log_level="info", proxy_headers=True)
        return
    # Each worker process builds its own application from the environment.
    uvicorn.run(
        "pathways.web.factory:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise InvalidInput("no password given", hint="use --password-stdin, or run in a terminal to be asked")
    with write(app_of(ctx)) as tx:
        created = accounts.add_user(tx, person=person, password=password, language=lang)
    if json:
        emit_json(asdict(created))
        return
    what = "account added" if created.created else "password reset"
    console.print(f"{what} for [bold]{created.handle}[/] (account {created.account_id})")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="The person whose account the token acts for.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "integration",
    json: Json = False,
) -> None:
    """Create an API token; it is shown once, only its hash is kept."""
    with write(app_of(ctx)) as tx:
        issued = accounts.create_token(tx, person=person, name=name)
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
    with write(app_of(ctx)) as tx:
        accounts.revoke_token(tx, prefix=prefix)
    console.print(f"token {prefix} revoked")
