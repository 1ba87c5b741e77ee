"""bench/web.py's officers at work on the web pages: the case list, its search, the due list, a case
and a project.

What the load adds for them: a project owner for each project (a person with a generated,
accented name: about 100 people share a surname at 100,000 owners, as in a real directory),
project names of a dozen kinds in some forty places, SIRET numbers, and one case in fifty past
its deadline. The pages are asked for with the session cookie of the benchmarked officer, as a
browser does; each answer is the whole HTML page.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

KINDS = (
    "Recyclerie", "Épicerie solidaire", "Atelier vélo", "Ressourcerie", "Café associatif", "Garage solidaire",
    "Coopérative", "Jardin partagé", "Tiers-lieu", "Régie de quartier", "Crèche parentale", "Friperie",
)  # fmt: skip
PLACES = (
    "du Canal", "des Lilas", "de la Gare", "du Marché", "des Tanneurs", "Bellevue", "du Moulin", "des Écoles",
    "Saint-Roch", "du Port", "des Vignes", "de l'Abbaye", "du Château", "des Forges", "la Source", "Pasteur",
    "des Prés", "du Lac", "Montplaisir", "des Remparts", "du Parc", "Belleville", "des Chênes", "du Pont",
    "de Liège", "van Gent", "de Namur", "Sainte-Anne", "du Val", "des Cèdres", "Jean-Jaurès", "du Faubourg",
    "la Fontaine", "des Halles", "Léon-Blum", "du Centre", "des Mines", "du Quai", "des Tilleuls", "Vauban",
)  # fmt: skip
FIRST = (
    "Camille", "Léa", "Hugo", "Inès", "Noé", "Chloé", "Jules", "Zoé", "Théo", "Anaïs", "Rémi", "Maëlle",
    "Yanis", "Élise", "Bastien", "Océane", "Lotte", "Wout", "Sien", "Jef",
)  # fmt: skip
SYLLABLES = (
    "Ber", "Dur", "Lef", "Gar", "Mor", "Fon", "Che", "Rou", "Mar", "Bon", "Fau", "Lam", "Pee", "Jan", "Cla",
    "Mer", "Gir", "Hé", "Bé", "Lé", "Ro", "Dé", "Pé", "Vi", "Mé", "Sé", "Tre", "Gu", "Ca", "Bo",
)  # fmt: skip
ENDINGS = (
    "nard", "and", "èvre", "nier", "eau", "taine", "valier", "ssel", "tin", "net", "ré", "bert", "ters",
    "ssens", "es", "cier", "ard", "ault", "ot", "in", "ier", "on", "el", "ois", "y", "ac", "et", "ès", "ou",
)  # fmt: skip
SECRET_PASSWORD = "bench-officer-password-0123456789"

# The pages, in the order of the report; each label names what is measured.
PAGES = {
    "mine": "my open cases (GET /cases)",
    "all_due": "every open case, by deadline (?officer=&sort=due)",
    "overdue": "overdue cases of the organisation (?officer=&overdue=1)",
    "by_project": "every open case by project name, 100,000 (?officer=&sort=project)",
    "mine_by_project": "my open cases, by project name (?sort=project)",
    "page_20": "my open cases, page 20 (?page=20)",
    "q_owner": "search: an owner's surname, unaccented (?q=)",
    "q_project": "search: a project's whole name (?q=)",
    "q_ref": "search: a case reference (?q=)",
    "q_siret": "search: a SIRET with spaces (?q=)",
    "q_broad": "search: a word of 1 project in 12 (?q=)",
    "due": "due this week (GET /due)",
    "case": "a case page (GET /cases/{ref})",
    "project": "a project page (GET /projects/{id})",
}


def owner_name(i: int) -> str:
    """A generated name, the same for the same number."""
    rng = random.Random(i)
    return f"{rng.choice(FIRST)} {rng.choice(SYLLABLES)}{rng.choice(ENDINGS)}"


def project_name(i: int) -> str:
    return f"{KINDS[i % len(KINDS)]} {PLACES[(i // len(KINDS)) % len(PLACES)]} {i}"


def siret(i: int) -> str:
    return f"{700_000_000 + i:09d}00017"


def owner_rows(start: int, ids: Sequence[int], now: datetime) -> list[dict[str, object]]:
    """The `person` rows of the owners of projects `ids` (person id = `start` + project id)."""
    return [
        {
            "id": start + i, "handle": f"owner-{i}", "name": owner_name(i), "email": None,
            "phone": None, "language": "fr", "channels": [], "digest": True, "topics": [],
            "created_at": now, "erased_at": None,
        }
        for i in ids
    ]  # fmt: skip


def due_of(i: int, due: datetime, now: datetime) -> datetime:
    """One case in fifty is past its deadline (an officer's due list: a hundred overdue)."""
    return now - timedelta(hours=1 + i % 500) if i % 50 == 0 else due - timedelta(minutes=i % 5000)


def login_cookie(base_url: str, login: str, password: str) -> str:
    """The session cookie of a login through the login form, as ``name=value``."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        if csrf is None:
            raise SystemExit("no CSRF token on the login page")
        answer = client.post(
            "/login", data={"login": login, "password": password, "csrf_token": csrf.group(1)}
        )
        if answer.status_code != 303:
            raise SystemExit(f"login refused: {answer.status_code} {answer.text[:200]}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def page_paths(cases: int, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """`n` (kind, path) page requests, each kind in turn, searches for random cases."""
    rng = random.Random(seed)
    fixed = {
        "mine": "/cases",
        "all_due": "/cases?officer=&sort=due",
        "overdue": "/cases?officer=&overdue=1",
        "by_project": "/cases?officer=&sort=project",
        "mine_by_project": "/cases?sort=project",
        "page_20": "/cases?page=20",
        "due": "/due",
    }
    out = []
    kinds = list(PAGES)
    for k in range(n):
        kind = kinds[k % len(kinds)]
        i = rng.randint(1, cases)
        typed = {
            "q_owner": _plain(owner_name(i).split()[-1]),
            "q_project": project_name(i),
            "q_ref": f"DIAG-2026-{i:06d}",
            "q_siret": " ".join((siret(i)[:3], siret(i)[3:6], siret(i)[6:9], siret(i)[9:])),
            "q_broad": _plain(KINDS[i % len(KINDS)].split()[0]),
        }.get(kind)
        if kind == "case":
            out.append((kind, f"/cases/DIAG-2026-{i:06d}"))
        elif kind == "project":
            out.append((kind, f"/projects/{i}"))
        else:
            out.append((kind, fixed[kind] if typed is None else "/cases?" + urlencode({"q": typed})))
    return out
