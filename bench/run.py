"""The whole performance suite, one script after the other, and its summary in bench/RESULTS.md.

    PYTHONPATH=src python bench/run.py [--quick] [--only decide,spiff] [--no-record]

`make bench` runs it with --quick (minutes); `make bench-full` without (the 1M-case runs,
10M audit events: hours on a small machine).

Each script runs in its own process with ``--json PATH`` (and ``--quick`` in quick mode),
one after the other; each takes the machine-wide benchmark lock itself and records its figures, compact, in
its own section of bench/RESULTS.md. A script whose ``--help`` does not offer ``--json`` is
reported as "not run"; one that fails or writes no valid figures as "failed"; the others
go on. The summary (machine, date, commit, each script's status, each aim met or missed and
by how much, and how a figure stated at a size grew from the smallest measured) replaces the
section between ``<!-- bench:summary:start -->`` and ``<!-- bench:summary:end -->`` at the
top of the file (quick mode), or ``bench:summary-full`` right under it (full mode): the
file keeps the latest run of each mode, and stays under 400 lines
(``tests/unit/test_bench_results.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, ROOT, exclusive_run, place_section_first, record, run_context

BENCH = ROOT / "bench"
SECTION = "summary"  # quick mode; full mode: SECTION_FULL, right under it
SECTION_FULL = "summary-full"
MAX_LINES = 400  # of bench/RESULTS.md: a reader's document, not a diary
# (script, what it measures); every script gets --quick in quick mode and nothing in full mode.
SUITE: tuple[tuple[str, str], ...] = (
    ("decide", "decisions per second against the raw insert rate"),
    ("spiff", "the four-stage process against SpiffWorkflow"),
    ("sweep", "deadline sweep and message dispatch"),
    ("history", "history of one case among millions of audit events"),
    ("orchestration", "decision to delivered message through the orchestrator"),
    ("web", "pages and API under concurrent clients"),
    ("cli_start", "the command's start against a bare interpreter"),
)
KEYS = {"bench", "name", "backend", "cases", "unit", "median", "spread", "runs", "baseline", "ratio"}
NOMINAL_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
LAST_RUN = Path(tempfile.gettempdir()) / "pathways-bench-last-run.json"


# --- running the scripts --------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one script: its status, duration and figures."""

    script: str
    about: str
    status: str = "not run"
    detail: str = ""
    seconds: float = 0.0
    figures: list[dict[str, Any]] = field(default_factory=list)


def json_support(path: Path, env: Mapping[str, str]) -> str | None:
    """Why the script cannot be run with --json (None when it can): asked through its own --help."""
    try:
        shown = subprocess.run(
            [sys.executable, str(path), "--help"],
            capture_output=True,
            text=True,
            timeout=300,
            env=dict(env),
            cwd=ROOT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"--help did not answer ({exc.__class__.__name__})"
    if shown.returncode != 0:
        last = (shown.stderr.strip().splitlines() or ["no message"])[-1]
        return f"--help failed: {last[:120]}"
    return None if "--json" in shown.stdout else "no --json option yet"


def valid_figure(item: object) -> str | None:
    """Why `item` is not a figure of the --json contract (None when it is one)."""
    if not isinstance(item, dict):
        return f"not an object: {item!r:.60}"
    missing = KEYS - item.keys()
    if missing:
        return f"{item.get('name', '?')}: missing {', '.join(sorted(missing))}"
    spread = item["spread"]
    numbers_ok = isinstance(item["median"], (int, float)) and isinstance(item["cases"], int)
    spread_ok = (
        isinstance(spread, list) and len(spread) == 2 and all(isinstance(v, (int, float)) for v in spread)
    )
    baseline = item["baseline"]
    baseline_ok = baseline is None or (isinstance(baseline, dict) and {"name", "median"} <= baseline.keys())
    if not (numbers_ok and spread_ok and baseline_ok):
        return f"{item['name']}: median, cases, spread or baseline of the wrong type"
    return None


def run_script(script: str, about: str, *, quick: bool, env: Mapping[str, str]) -> Outcome:
    outcome = Outcome(script, about)
    path = BENCH / f"{script}.py"
    if not path.exists():
        outcome.detail = "no such script"
        return outcome
    why_not = json_support(path, env)
    if why_not:
        outcome.detail = why_not
        return outcome
    with tempfile.TemporaryDirectory(prefix="pathways-bench-run-") as tmp:
        out = Path(tmp) / f"{script}.json"
        command = [sys.executable, str(path), *(["--quick"] if quick else []), "--json", str(out)]
        print(f"\n=== {script}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        try:
            done = subprocess.run(command, env=dict(env), cwd=ROOT, check=False)
        except OSError as exc:
            outcome.status, outcome.detail = "failed", str(exc)
            return outcome
        outcome.seconds = time.perf_counter() - started
        if done.returncode != 0:
            outcome.status, outcome.detail = "failed", f"exit status {done.returncode}"
            return outcome
        try:
            figures = json.loads(out.read_text())
        except (OSError, ValueError) as exc:
            outcome.status, outcome.detail = "failed", f"no valid JSON figures ({exc.__class__.__name__})"
            return outcome
    problems = (
        [p for p in map(valid_figure, figures) if p] if isinstance(figures, list) else ["not a JSON list"]
    )
    if problems:
        outcome.status, outcome.detail = "failed", "; ".join(problems[:3])
        return outcome
    outcome.status, outcome.figures = "ran", figures
    return outcome


# --- aims -----------------------------------------------------------------------------------

_TO_BASE = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "MB": 1.0, "MiB": 1.048576, "GB": 1000.0}


@dataclass(frozen=True)
class Aim:
    """One aim (issues 8 and 20) and which figures it applies to."""

    text: str
    matches: Callable[[Mapping[str, Any]], bool]
    op: str  # ">=" or "<="
    value: float
    unit: str  # of `value`; "×" when the aim is about the ratio
    at: int | None = None  # the size the aim is stated at (the largest measured is used)


def _n(f: Mapping[str, Any]) -> str:
    return f"{str(f['name']).lower()} {str(f['unit']).lower()}"


AIMS: tuple[Aim, ...] = (
    Aim(
        "≥ 1,000 decisions/s on SQLite, one process",
        lambda f: f["bench"] == "decide" and f["backend"] == "sqlite" and f["unit"] == "decisions/s",
        ">=",
        1000,
        "/s",
    ),
    Aim(
        "≥ 500 decisions/s on PostgreSQL, one process",
        lambda f: f["bench"] == "decide" and f["backend"] == "postgres" and f["unit"] == "decisions/s",
        ">=",
        500,
        "/s",
    ),
    Aim(
        "≥ 25% of the raw insert rate",
        lambda f: (
            f["bench"] == "decide" and f["ratio"] is not None and "raw" in str(f["baseline"]["name"]).lower()
        ),
        ">=",
        0.25,
        "×",
    ),
    Aim(
        "≥ 10× SpiffWorkflow on the same process",
        lambda f: f["bench"] == "spiff" and f["ratio"] is not None,
        ">=",
        10,
        "×",
    ),
    Aim(
        "sweep of 1M open cases (10k due) < 2 s",
        lambda f: f["bench"] == "sweep" and f["unit"] in {"s", "ms"} and "sweep" in _n(f),
        "<=",
        2,
        "s",
        1_000_000,
    ),
    Aim(
        "sweep of 1M open cases (10k due) < 300 MB",
        lambda f: f["bench"] == "sweep" and f["unit"] in {"MB", "MiB"},
        "<=",
        300,
        "MB",
        1_000_000,
    ),
    Aim(
        "case history p99 < 10 ms at 10M audit events",
        lambda f: f["bench"] == "history" and "p99" in _n(f),
        "<=",
        10,
        "ms",
        10_000_000,
    ),
    # Two readings of "50 concurrent clients" (bench/web.py): officers at work (each pauses
    # between requests, 1 s on average: busier than any real officer) and saturation (each
    # sends its next request the moment the last one is answered: latency is then queueing,
    # clients / capacity). The verdict is given for both.
    Aim(
        "page p99 < 100 ms, 50 concurrent officers at work (1 s think time)",
        lambda f: (
            f["bench"] == "web" and "p99" in _n(f) and "think time" in _n(f) and f["unit"] in {"ms", "s"}
        ),
        "<=",
        100,
        "ms",
    ),
    Aim(
        "page p99 < 100 ms, 50 concurrent clients saturating the server (no think time)",
        lambda f: (
            f["bench"] == "web"
            and "p99" in _n(f)
            and "health" not in _n(f)
            and "think time" not in _n(f)
            and f["unit"] in {"ms", "s"}
        ),
        "<=",
        100,
        "ms",
    ),
    Aim(
        "command start ≤ 15× a bare `python -c pass`, same run",
        lambda f: (
            f["bench"] == "cli_start" and f["ratio"] is not None and str(f["name"]).startswith("pathways")
        ),
        "<=",
        15,
        "×",
    ),
    Aim(
        "dispatch through Apprise (pool of 4) ≥ 0.5× raw smtplib to the same server, same run",
        lambda f: f["bench"] == "dispatch" and f["ratio"] is not None and "4 threads" in str(f["name"]),
        ">=",
        0.5,
        "×",
    ),
)


def _in_unit(f: Mapping[str, Any], unit: str) -> float:
    """The figure's median in `unit` (s/ms, MB/MiB conversions; the ratio for "×")."""
    if unit == "×":
        return float(f["ratio"])
    value = float(f["median"])
    if f["unit"] != unit and f["unit"] in _TO_BASE and unit in _TO_BASE:
        value = value * _TO_BASE[f["unit"]] / _TO_BASE[unit]
    return value


def _fmt(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×" if value < 10 else f"{value:.1f}×"
    digits = 0 if abs(value) >= 100 else 2 if abs(value) < 10 else 1
    return f"{value:,.{digits}f} {unit}".replace(" /s", "/s")


def verdict(aim: Aim, value: float) -> str:
    """met/missed and by how much."""
    if aim.op == ">=":
        if value >= aim.value:
            return f"met, ×{value / aim.value:.2f} the aim"
        short = 1 - value / aim.value if aim.value else 1.0
        gap = _fmt(aim.value - value, aim.unit)
        return f"**missed** by {gap} ({short:.0%} short; needs ×{aim.value / value:.2f})"
    if value <= aim.value:
        return f"met, {1 - value / aim.value:.0%} under the aim"
    return f"**missed** by {_fmt(value - aim.value, aim.unit)} (×{value / aim.value:.2f} the aim)"


def aim_rows(figures: list[dict[str, Any]], *, quick: bool = False) -> list[str]:
    """One row per aim and figure it applies to (quick mode: not the aims stated at a full-mode size)."""
    rows = ["| aim | figure | backend | size | measured | verdict |", "|---|---|---|---:|---:|---|"]
    for aim in AIMS:
        if quick and aim.at is not None:
            continue
        matched = [f for f in figures if _safe(aim.matches, f)]
        if not matched:
            rows.append(f"| {aim.text} | – | – | – | – | not measured in this run |")
            continue
        for backend in dict.fromkeys(f["backend"] for f in matched):
            mine = [f for f in matched if f["backend"] == backend]
            sizes: list[int] = sorted({_nominal(int(f["cases"])) for f in mine})
            size = aim.at if aim.at is not None and aim.at in sizes else sizes[-1]
            for f in (f for f in mine if _nominal(int(f["cases"])) == size):
                value = _in_unit(f, aim.unit)
                note = "" if aim.at is None or size >= aim.at else f" (aim stated at {aim.at:,}: full mode)"
                note += _growth(f, mine) if aim.at is not None else ""
                rows.append(
                    f"| {aim.text} | {f['bench']}: {f['name']} | {backend} | {size:,} "
                    f"| {_fmt(value, aim.unit)} | {verdict(aim, value)}{note} |"
                )
    return rows


def _growth(f: Mapping[str, Any], measured: list[dict[str, Any]]) -> str:
    """How `f` grew from the smallest size its figure was measured at in the run (the cost curve)."""
    same = [g for g in measured if g["name"] == f["name"] and g["unit"] == f["unit"]]
    first = min(same, key=lambda g: int(g["cases"]))
    if first is f or not float(first["median"]):
        return ""
    times = float(f["median"]) / float(first["median"])
    return f"; ×{times:.2f} from {_size(_nominal(int(first['cases'])))}"


def _safe(test: Callable[[Mapping[str, Any]], bool], f: Mapping[str, Any]) -> bool:
    try:
        return bool(test(f))
    except (KeyError, TypeError, AttributeError):
        return False


# --- the summary ----------------------------------------------------------------------------


def _size(n: int) -> str:
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{suffix}"
    return f"{n:,}"


def _nominal(n: int) -> int:
    """A size within 1% of 10k, 100k, 1M or 10M counts as that size (e.g. 999,990 audit events)."""
    return next((size for size in NOMINAL_SIZES if abs(n - size) <= size / 100), n)


def _status(o: Outcome) -> str:
    """`bench/decide.py` ran (14 s, 11 figures); **failed** and **not run** stand out."""
    status = o.status if o.status == "ran" else f"**{o.status}**"
    detail = f": {o.detail}" if o.detail else ""
    took = f" ({o.seconds:,.0f} s, {len(o.figures)} figures)" if o.seconds else ""
    return f"`bench/{o.script}.py` {status}{detail}{took}"


def summary(
    outcomes: list[Outcome],
    *,
    quick: bool,
    load: tuple[float, float],
    started: str,
    context: Mapping[str, str] | None = None,
) -> str:
    """The summary of a run (`context`: the run's machine, end date, commit…; by default now's)."""
    ctx = context or run_context()
    figures = [f for o in outcomes for f in o.figures]
    mode = "quick (`make bench`)" if quick else "full (`make bench-full`)"
    versions = f"{ctx['python']}, SQLite {ctx['sqlite']}"
    lines = [
        f"## Summary: the whole suite, {mode}",
        "",
        f"- {started} → {ctx['date']}, commit {ctx['commit']}; {ctx['machine']}; {versions}",
        f"- command: `{ctx['command']}`"
        + (
            ""
            if "--from" not in ctx["command"]
            else f" (the saved run of `bench/run.py{' --quick' * quick}`)"
        ),
        f"- load (1-minute average) before → after: {load[0]:.1f} → {load[1]:.1f} on {os.cpu_count()} cores"
        + (
            ": **the machine was loaded** (other work shared CPU and PostgreSQL): compare ratios"
            if max(load) > (os.cpu_count() or 1) * 0.5
            else ""
        ),
        "- scripts: " + "; ".join(map(_status, outcomes)),
    ]
    lines += [
        "",
        "Aims: a ratio is a figure's median over its baseline's, both measured in the same run.",
        "",
    ]
    lines += aim_rows(figures, quick=quick)
    if quick:
        stated = ", ".join(a.text for a in AIMS if a.at is not None)
        lines += ["", f"Stated at sizes only full mode measures: {stated}."]
    lines += ["", "Every figure with its spread, method and command: each script's section below."]
    return "\n".join(lines)


def place_summaries(path: Path = RESULTS) -> None:
    """Both summaries' markers at the top of the results file: quick mode's, then full mode's."""
    place_section_first(SECTION, path=path)
    text = path.read_text()
    if f"<!-- bench:{SECTION_FULL}:start -->" not in text:
        end = f"<!-- bench:{SECTION}:end -->"
        full = f"<!-- bench:{SECTION_FULL}:start -->\n<!-- bench:{SECTION_FULL}:end -->"
        path.write_text(text.replace(end, f"{end}\n\n{full}", 1))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every script's quick mode (minutes)")
    parser.add_argument(
        "--only", default=None, help=f"comma-separated scripts (default all: {','.join(s for s, _ in SUITE)})"
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print the summary; leave bench/RESULTS.md alone"
    )
    parser.add_argument(
        "--from",
        dest="saved",
        metavar="PATH",
        default=None,
        help=f"summarise a saved run again (every run is saved to {LAST_RUN}); "
        "with --only, run those scripts again (in the saved run's mode) and replace their results",
    )
    args = parser.parse_args(argv)
    known = [s for s, _ in SUITE]
    args.scripts = known if args.only is None else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.scripts if s not in known]
    if unknown or not args.scripts:
        parser.error(
            f"--only: unknown script {', '.join(unknown) or '(none)'}; choose from {', '.join(known)}"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    about = dict(SUITE)
    if args.saved:
        try:
            saved = json.loads(Path(args.saved).read_text())
            outcomes = [Outcome(**o) for o in saved["outcomes"]]
            quick, load, started = bool(saved["quick"]), tuple(saved["load"]), str(saved["started"])
            context: dict[str, str] = dict(saved.get("context") or run_context())  # older runs: none saved
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"error: {args.saved}: not a saved run ({exc})", file=sys.stderr)
            return 2
        if args.only is not None:  # run these again, in the saved run's mode, and replace their results
            again = {s: run_script(s, about[s], quick=quick, env=env) for s in args.scripts}
            outcomes = [again.pop(o.script, o) for o in outcomes] + list(again.values())
            context = run_context()
    else:
        started, quick = run_context()["date"], args.quick
        load_before = os.getloadavg()[0]
        outcomes = [run_script(s, about[s], quick=quick, env=env) for s in args.scripts]
        load = (load_before, os.getloadavg()[0])
        context = run_context()
    if not args.saved or args.only is not None:
        LAST_RUN.write_text(
            json.dumps(
                {
                    "quick": quick,
                    "load": load,
                    "started": started,
                    "context": context,
                    "outcomes": [o.__dict__ for o in outcomes],
                },
                indent=1,
            )
        )
    text = summary(
        outcomes, quick=quick, load=(float(load[0]), float(load[1])), started=started, context=context
    )
    print("\n" + text)
    if not args.no_record:
        with exclusive_run():  # the scripts write the same file; wait for any other run
            place_summaries()
            record(SECTION if quick else SECTION_FULL, text)
        print("\nsummary recorded at the top of bench/RESULTS.md")
        length = len(RESULTS.read_text().splitlines())
        if length > MAX_LINES:
            print(
                f"warning: bench/RESULTS.md has {length} lines, over {MAX_LINES} "
                "(tests/unit/test_bench_results.py): shorten its notes",
                file=sys.stderr,
            )
    failed = [o.script for o in outcomes if o.status == "failed"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
