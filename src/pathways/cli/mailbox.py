"""`pathways mailbox`: a local mail catcher, to try reminders without sending them to anyone."""

from __future__ import annotations

from typing import Annotated

import typer

from pathways.cli.output import console, styled
from pathways.errors import InvalidInput

LOOPBACK = ("127.0.0.1", "::1", "localhost")
PORT = 65535


def mailbox(
    smtp_port: Annotated[
        int, typer.Option(help="SMTP port the dispatcher sends to.", min=1, max=65535)
    ] = 1025,
    web_port: Annotated[
        int, typer.Option(help="Port of the page listing what arrived.", min=1, max=65535)
    ] = 8025,
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback unless you really mean otherwise).")
    ] = "127.0.0.1",
    to: Annotated[
        str, typer.Option(help="The address shown in the example channel URL.")
    ] = "someone@example.org",
) -> None:
    """Catch every e-mail sent to a local SMTP server and show it on a web page; deliver nothing.

    Give a person the printed channel URL (`person add --channel` or `person update --channel`),
    allow the dispatcher to reach the catcher with the printed PATHWAYS_CHANNEL_ALLOW, then
    `pathways dispatch`: each e-mail appears on the page. Stop with Ctrl-C; what arrived is forgotten.
    """
    import errno

    import uvicorn

    from pathways.notify.mailbox import Catcher, channel_url, smtp_catcher, web_view

    if smtp_port == web_port:
        raise InvalidInput("--smtp-port and --web-port must differ", hint=f"both are {smtp_port}")
    for port in (smtp_port, web_port):
        _check_free(host, port)
    catcher = Catcher()
    try:
        with smtp_catcher(catcher, host, smtp_port):
            shown = f"[{host}]" if ":" in host else host
            console.print(
                f"mailbox: SMTP on {shown}:{smtp_port}, e-mails shown on http://{shown}:{web_port}/"
            )
            url = channel_url(smtp_port, to, host=shown)
            console.print(styled(f"channel URL: {url}"), soft_wrap=True)
            allow = f"export PATHWAYS_CHANNEL_ALLOW={shown}:{smtp_port}"
            console.print(styled(f"let the dispatcher reach it: {allow}"), soft_wrap=True)
            if host not in LOOPBACK:
                console.print(f"warning: listening on {host}: anyone who reaches it can read the e-mails")
            uvicorn.run(web_view(catcher), host=host, port=web_port, log_level="warning")
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise InvalidInput(
                f"cannot listen on {host}: {exc.strerror}",
                hint="choose other ports with --smtp-port and --web-port",
            ) from None
        raise


def _check_free(host: str, port: int) -> None:
    """Refuse, clearly, a port something else listens on (uvicorn would log and exit on its own)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInput(
            f"--host {host}: {exc.strerror}", hint="give an address such as 127.0.0.1"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InvalidInput(
                f"cannot listen on {host}:{port}: {exc.strerror}",
                hint="another program uses it: choose other ports with --smtp-port and --web-port",
            ) from None
