"""Finding 12: every response carries the security headers, and no page needs more than the policy allows.

Content-Security-Policy (the site's own scripts and styles only, no framing),
X-Frame-Options, X-Content-Type-Options and Referrer-Policy on pages, the API,
static files and errors (404, 413, a crash's 500); ``no-referrer`` on an owner's
link; HSTS only when the site is served over https. The templates hold no inline
script, style or event handler that the policy would block.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.people import ownerlinks
from pathways.settings import load_settings
from pathways.store.db import Store
from pathways.web import create_app
from pathways.web.limits import MAX_BODY
from security.attack import attacked

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "pathways" / "web" / "templates"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


SANDBOX = "sandbox; default-src 'none'"


def _app(store: Store, base_url: str) -> App:
    settings = load_settings(config_dir=Path("config"), environment="test", base_url=base_url)
    return App(settings=settings, store=store, clock=Clock(datetime(2026, 7, 8, 8, 0, tzinfo=UTC)))


def _with_crash(web: FastAPI) -> FastAPI:
    def crash() -> None:
        raise RuntimeError("a bug")

    def sandboxed() -> Response:
        return Response("<p>x</p>", media_type="text/html", headers={"Content-Security-Policy": SANDBOX})

    web.add_api_route("/crash", crash)
    web.add_api_route("/sandboxed", sandboxed)
    return web


@pytest.fixture
def client(sqlite_store: Store) -> Iterator[TestClient]:
    with TestClient(
        _with_crash(create_app(_app(sqlite_store, "http://127.0.0.1:8000"))), raise_server_exceptions=False
    ) as web:
        yield web


ANSWERS = {
    "login page": ("GET", "/login", 200),
    "API": ("GET", "/api/v1/health", 200),
    "API without token": ("GET", "/api/v1/cases", 401),
    "static style": ("GET", "/static/app.css", 200),
    "static script": ("GET", "/static/app.js", 200),
    "unknown page": ("GET", "/no/such/page", 404),
    "page needing a login": ("GET", "/cases", 303),
    "damaged owner link": ("GET", "/o/not-a-valid-token-at-all", 404),
    "crash": ("GET", "/crash", 500),
}


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_every_answer_carries_the_security_headers(client: TestClient, answer: str) -> None:
    method, url, status = ANSWERS[answer]
    response = client.request(method, url, follow_redirects=False)
    assert response.status_code == status, response.text
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    expected_referrer = "no-referrer" if url.startswith("/o/") else "same-origin"
    assert response.headers["referrer-policy"] == expected_referrer
    assert "strict-transport-security" not in response.headers  # served over http
    attacked(
        f"missing security headers: {answer}", tried=1, detail=f"{status} with CSP, XFO, nosniff, referrer"
    )


def test_an_oversized_body_is_refused_with_the_headers(client: TestClient) -> None:
    response = client.post(
        "/api/v1/people", content=b"x" * (MAX_BODY + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    attacked("missing security headers: 413", tried=1, detail="413 with CSP and XFO")


def test_an_owner_page_is_not_passed_on_in_a_referer(sqlite_store: Store) -> None:
    app = _app(sqlite_store, "http://127.0.0.1:8000")
    org = make_org(app)
    owner = make_person(app, org, role="owner")
    case = open_diagnosis(app, make_project(app, org, owner=owner), make_person(app, org))
    token = ownerlinks.owner_token(app, int(case.id), owner)
    with TestClient(create_app(app)) as client:
        page = client.get(f"/o/{token}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        posted = client.post(
            f"/o/{token}/documents_sent", data={"csrf_token": csrf.group(1)}, follow_redirects=False
        )
    for response in (page, posted):
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"] == CSP
    attacked(
        "owner link leaked through a Referer", tried=2, detail="no-referrer on the page and its redirect"
    )


def test_hsts_only_when_the_site_is_https(sqlite_store: Store) -> None:
    with TestClient(create_app(_app(sqlite_store, "https://pathways.example.org"))) as client:
        response = client.get("/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["content-security-policy"] == CSP
    attacked("no HSTS on an https site", tried=1, detail="Strict-Transport-Security: a year")


def test_the_api_documentation_allows_only_its_own_inline_script(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    [script] = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert response.headers["x-frame-options"] == "DENY"


def test_a_route_with_its_own_stricter_policy_keeps_it(client: TestClient) -> None:
    # Charts and case documents are served with a sandboxed policy: added to, never replaced.
    response = client.get("/sandboxed")
    assert response.headers["content-security-policy"] == SANDBOX
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_template_needs_what_the_policy_forbids(template: str) -> None:
    text = (TEMPLATES / template).read_text()
    found = {what: pattern.findall(text) for what, pattern in INLINE.items() if pattern.search(text)}
    assert found == {}, f"{template}: move these into /static files: {found}"
