"""The fast CA setting documented in :mod:`pathways.notify.deliver` keeps TLS verification.

Apprise builds an SSL context for every e-mail; an operator may point ``SSL_CERT_FILE`` at an
empty file and ``SSL_CERT_DIR`` at a hashed CA directory so OpenSSL reads a CA only when a
handshake needs it. These tests send through :func:`deliver` over STARTTLS to aiosmtpd on
loopback with that setting: a server certificate from a CA in the directory is accepted, and
one from a CA that is not there is refused before anything is sent.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pathways.notify.allowlist import parse_allow
from pathways.notify.deliver import deliver
from pathways.notify.render import Rendered

pytestmark = pytest.mark.e2e

if shutil.which("openssl") is None:  # Debian's openssl makes the test CA; CI must not pass without it
    if os.environ.get("CI") == "true":
        pytest.fail("the openssl command is missing: apt-get install openssl", pytrace=False)
    pytest.skip("the openssl command is missing (apt-get install openssl)", allow_module_level=True)

MESSAGE = Rendered(lang="en", subject="Your case", body="Your next stage is due.")
LOOPBACK = parse_allow("127.0.0.1")


@dataclass(frozen=True)
class Pki:
    """A test CA in its own hashed directory, a server certificate it signed, and an empty file."""

    ca_dir: Path
    other_dir: Path  # hashed too, holding a CA that signed nothing here
    cert: Path
    key: Path
    empty: Path


def _openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True)


def _ca(name: str, folder: Path) -> tuple[Path, Path]:
    folder.mkdir()
    key, cert = folder.parent / f"{name}.key", folder / f"{name}.pem"
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder.parent,
    )  # fmt: skip
    _openssl("rehash", folder, cwd=folder.parent)  # the <subject hash>.0 links OpenSSL looks up
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    ca_cert, ca_key = _ca("test-ca", root / "ca")
    _ca("other-ca", root / "other")
    (root / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=root,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext", cwd=root,
    )  # fmt: skip
    (root / "empty.pem").write_text("")
    return Pki(root / "ca", root / "other", root / "server.pem", root / "server.key", root / "empty.pem")


class Inbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # aiosmtpd: this name
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def starttls(pki: Pki) -> Iterator[tuple[str, Inbox]]:
    """An SMTP server on loopback that requires STARTTLS, and the channel URL that reaches it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.cert, pki.key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        url = f"mailtos://127.0.0.1:{port}?mode=starttls&from=pathways@example.org&to=owner@example.org"
        yield url, inbox
    finally:
        controller.stop()


def test_on_demand_ca_lookup_verifies_a_server_signed_by_a_ca_in_the_directory(
    pki: Pki, starttls: tuple[str, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, inbox = starttls
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(pki.ca_dir))

    delivery = deliver(url, MESSAGE, allow=LOOPBACK)

    assert delivery.ok, delivery.reason
    assert len(inbox.received) == 1


def test_on_demand_ca_lookup_refuses_a_server_whose_ca_is_not_in_the_directory(
    pki: Pki, starttls: tuple[str, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, inbox = starttls
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(pki.other_dir))

    delivery = deliver(url, MESSAGE, allow=LOOPBACK)

    assert not delivery.ok
    assert "CERTIFICATE_VERIFY_FAILED" in (delivery.reason or "")
    assert inbox.received == []
