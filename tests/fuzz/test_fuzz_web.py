"""Hostile requests to the web app: path traversal, oversized and malformed payloads get a 4xx, never a 5xx.

Documents live in the database (a case's document is fetched by its integer id
through the organisation's scope), so no request names a file; the only files
served are the static ones, from a mount that does not follow symbolic links. The
traversal attempts (``../``, URL-encoded, doubly encoded, backslashes, absolute
paths, NUL) go to every route that takes a path segment; none may answer with a
5xx nor with the content of a file outside the static folder.

Oversized bodies get a 413 from :class:`pathways.web.limits.BodyLimit` (with the
message in the client's language); malformed ones (deep nesting, invalid UTF-8,
wrong content types, huge form fields) a 4xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from fuzzing import FULL, fuzz_settings, record
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import Mount

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.casework import work
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.db import Store
from pathways.web import create_app
from pathways.web.limits import MAX_BODY, BodyLimit

PASSWORD = "correct horse battery staple"
# What would show that a file outside the static folder was served.
LEAKS = ["root:x:0:0", "[build-system]", "from __future__ import", "PATHWAYS_", "BEGIN PRIVATE KEY", "#!/"]
TARGETS = [
    "../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fpyproject.toml",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%5c..%5c..%5capp.py",
    "..\\..\\..\\app.py",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "....//....//....//etc/passwd",
    "..;/..;/etc/passwd",
    "%00../../etc/passwd",
    "..%00/etc/passwd",
    "..%c0%af..%c0%afetc/passwd",
    "%ef%bc%8e%ef%bc%8e/etc/passwd",
    "1/../../../pyproject.toml",
    "1%2f..%2f..%2fsrc%2fpathways%2fsettings.py",
    "../../src/pathways/web/app.py",
    "app.py",
    "../app.py",
    "..",
    ".",
    "%2e%2e",
    "-1",
    "0",
    "99999999999999999999999",
    "1e3",
]
PREFIXES = [
    "/documents/",
    "/static/",
    "/static/../",
    "/cases/",
    "/api/v1/cases/",
    "/api/v1/orgs/",
    "/api/v1/projects/",
    "/api/v1/pathways/",
    "/pathways/",
    "/dashboard/charts/",
    "/o/",
]


@dataclass
class Site:
    app: App
    web: FastAPI
    client: TestClient
    token: str
    document: int


@pytest.fixture
def site(sqlite_store: object, app: App) -> Iterator[Site]:
    """The web app on a database with a case and its document; a manager logged in, and their API token."""
    org = make_org(app, name="DLA Paris")
    manager = make_person(app, org, role="manager", email="manager@example.org")
    case = open_diagnosis(app, make_project(app, org), manager)
    work.run_pending(app)  # the intake sheet
    with write(app) as tx:
        accounts.add_user(tx, person=manager, password=PASSWORD)
        token = accounts.create_token(tx, person=manager, name="fuzz").token
    web = create_app(app)
    middleware: list[object] = [m.cls for m in web.user_middleware]
    assert BodyLimit in middleware  # create_app puts it in front
    with TestClient(web, raise_server_exceptions=False) as client:
        login = client.get("/login")
        csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"login": "manager@example.org", "password": PASSWORD, "csrf_token": csrf})
        assert client.get("/cases").status_code == 200, "logged in"
        with app.store.read() as conn:
            from pathways.services.casework import documents

            doc = documents.list_documents(conn, case.ref)[0].id
        yield Site(app, web, client, token, int(doc))


@pytest.fixture
def app(sqlite_store: Store, fixed_now: object) -> App:
    """The application on SQLite only (the web layer is the subject here, not the database)."""
    from pathways.bootstrap import Clock
    from pathways.settings import load_settings

    return App(
        settings=load_settings(config_dir=Path("config"), environment="test"),
        store=sqlite_store,
        clock=Clock(),
    )


def test_the_static_files_do_not_follow_symbolic_links(site: Site) -> None:
    statics = [r.app for r in site.web.routes if isinstance(r, Mount) and isinstance(r.app, StaticFiles)]
    assert statics, "the static mount"
    assert all(not static.follow_symlink for static in statics)


def test_the_own_document_is_served_sandboxed(site: Site) -> None:
    response = site.client.get(f"/documents/{site.document}")
    assert response.status_code == 200
    assert "sandbox" in response.headers["content-security-policy"]


def test_path_traversal_on_every_route_with_a_path_segment_gets_no_file_and_no_server_error(
    site: Site,
) -> None:
    failures: list[str] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {site.token}"}
    for prefix in PREFIXES:
        for target in TARGETS:
            for suffix in ("", ".svg", "/graph.svg", "/history") if FULL else ("",):
                url = prefix + target + suffix
                response = site.client.get(url, headers=headers if url.startswith("/api/") else None)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                text = response.text
                if response.status_code >= 500:
                    failures.append(f"GET {url}: {response.status_code}")
                elif response.status_code < 300 and any(leak in text for leak in LEAKS):
                    failures.append(f"GET {url}: {response.status_code} served a file: {text[:120]!r}")
    tried = sum(statuses.values())
    detail = "statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    record(
        "injection", "path traversal on document, static and other path routes", tried, len(failures), detail
    )
    assert failures == [], "\n".join(failures[:10])


def _post(site: Site, url: str, **kwargs: object) -> int:
    headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
    if url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {site.token}"
    return site.client.post(url, headers=headers, **kwargs).status_code  # type: ignore[arg-type]


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


MALFORMED: dict[str, tuple[str, dict[str, object]]] = {
    "JSON nested 100,000 deep": ("/api/v1/people", {"content": b"[" * 100_000 + b"]" * 100_000}),
    "objects nested 50,000 deep": ("/api/v1/cases", {"content": deep(50_000)}),
    "invalid UTF-8 in JSON": ("/api/v1/projects", {"content": b'{"name": "\xff\xfe\xfa", "org": "1"}'}),
    "JSON with a lone surrogate": ("/api/v1/projects", {"content": b'{"name": "\\ud800", "org": "1"}'}),
    "a number of 100,000 digits": ("/api/v1/people", {"content": b'{"name": ' + b"9" * 100_000 + b"}"}),
    "JSON sent as text/plain": (
        "/api/v1/people",
        {"content": b'{"name": "x"}', "headers": {"content-type": "text/plain"}},
    ),
    "XML body": ("/api/v1/people", {"content": b"<person/>", "headers": {"content-type": "application/xml"}}),
    "multipart to the JSON API": ("/api/v1/people", {"files": {"name": ("x.txt", b"x")}}),
    "JSON to a form": ("/login", {"json": {"login": "x", "password": "y"}}),
    "form field of 500 kB": (
        "/login",
        {"data": {"login": "x" * 500_000, "password": "y", "csrf_token": "z"}},
    ),
    "form with 5,000 fields": ("/login", {"data": {f"f{i}": "v" for i in range(5_000)}}),
    "invalid UTF-8 in a form": (
        "/login",
        {
            "content": b"login=\xff\xfe&password=x",
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
    ),
    "broken multipart": (
        "/login",
        {"content": b"--xx\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=xx"}},
    ),
    "multipart without a boundary": (
        "/login",
        {"content": b"--\r\n", "headers": {"content-type": "multipart/form-data"}},
    ),
    "decision with a 900 kB note": (
        "/api/v1/cases/DIAG-2026-0001/decisions",
        {"json": {"outcome": "relevant", "values": {}, "note": "n" * 900_000}},
    ),
    "decision values nested 10,000 deep": (
        "/api/v1/cases/DIAG-2026-0001/decisions",
        {"content": b'{"outcome": "relevant", "values": ' + deep(10_000) + b"}"},
    ),
}


def test_a_malformed_payload_gets_a_client_error(site: Site) -> None:
    failures = []
    for case, (url, kwargs) in MALFORMED.items():
        status = _post(site, url, **kwargs)
        record("injection", f"malformed payload: {case}", 1, int(not 400 <= status < 500), f"status {status}")
        if not 400 <= status < 500:
            failures.append(f"{case}: {status}")
    assert failures == []


@pytest.mark.parametrize("url", ["/api/v1/people", "/api/v1/cases/DIAG-2026-0001/decisions", "/login"])
@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_cap_gets_413_with_a_message_in_the_language(
    site: Site, url: str, chunked: bool
) -> None:
    body = b'{"name": "' + b"x" * (MAX_BODY + 10) + b'"}'
    content: bytes | Iterator[bytes] = (
        iter([body[i : i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    )
    response = site.client.post(
        url,
        content=content,
        headers={
            "Authorization": f"Bearer {site.token}",
            "content-type": "application/json",
            "accept-language": "nl-BE,nl;q=0.9",
        },
    )
    record(
        "injection",
        f"body over {MAX_BODY:,} bytes to {url} ({'chunked' if chunked else 'declared'})",
        1,
        int(response.status_code != 413),
    )
    assert response.status_code == 413
    assert "Het verzoek is te groot" in response.text


def test_the_413_message_exists_in_each_language(site: Site) -> None:
    expected = {
        "fr": "La requête est trop volumineuse",
        "nl": "Het verzoek is te groot",
        "en": "The request is too large",
    }
    for lang, start in expected.items():
        response = site.client.post(
            "/api/v1/people",
            content=b"x" * (MAX_BODY + 1),
            headers={"Authorization": f"Bearer {site.token}", "accept-language": lang},
        )
        assert response.status_code == 413
        assert response.json()["detail"].startswith(start)
    page = site.client.post("/login", content=b"x" * (MAX_BODY + 1), headers={"accept-language": "fr"})
    assert page.status_code == 413
    assert page.text.startswith("La requête est trop volumineuse")


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)
API_WRITES = ["/api/v1/people", "/api/v1/projects", "/api/v1/cases", "/api/v1/cases/DIAG-2026-0001/decisions"]


def test_random_json_bodies_on_the_api_writes_get_no_server_error(site: Site) -> None:
    failures: list[str] = []
    statuses: dict[int, int] = {}

    @fuzz_settings(60, 600)
    @given(url=st.sampled_from(API_WRITES), body=JSONISH, raw=st.binary(max_size=200), use_raw=st.booleans())
    def run(url: str, body: object, raw: bytes, use_raw: bool) -> None:
        kwargs: dict[str, object] = (
            {"content": raw, "headers": {"content-type": "application/json"}} if use_raw else {"json": body}
        )
        status = _post(site, url, **kwargs)
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append(f"POST {url} {kwargs!r:.200}: {status}")

    run()
    detail = "statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    record(
        "injection",
        "random JSON and bytes on the API's writes",
        sum(statuses.values()),
        len(failures),
        detail,
    )
    assert failures == [], "\n".join(failures[:5])
