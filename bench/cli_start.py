"""How fast the `pathways` command starts, against a bare interpreter started in the same run.

    PYTHONPATH=src python bench/cli_start.py [--rounds 20] [--quick] [--json PATH] [--no-record]

A SQLite home is seeded first (``pathways init --demo`` in a temporary folder, the shipped
pathway files). Then, in rounds, one after the other and in turn, each command in a fresh
interpreter: ``python -c pass`` (**the baseline**), ``pathways --help``, ``pathways case show REF``
(a demo case: the application built, the case's pathway version parsed, one case read and printed),
and two floors that say what any command reading the database pays: ``import sqlalchemy`` and
the application's tables (``import pathways.store.tables``). Every start finds the modules'
bytecode compiled (in a cache of the run's own, ``PYTHONPYCACHEPREFIX``, filled by the warm-up
rounds), as an installed package has it. Wall time of each start
(perf_counter around the child process) and its CPU (user + system, the child's rusage); after
two warm-up rounds, medians [min–max] over the rounds; the ratio is a command's median over the
bare interpreter's of the same run. Aim (issue 20): ``pathways --help`` and ``pathways case show``
within 15× the bare start.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, exclusive_run, figure, fmt_number, median, publish, run_context

BASELINE = "python -c pass"
AIM = 15.0
WARM_UP = 2


@dataclass
class Timings:
    """The wall and CPU milliseconds of each start of one command."""

    label: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def start(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> tuple[float, float]:
    """One start of `argv` in a fresh process: (wall ms, CPU ms); its output is discarded."""
    cpu_before = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, text=True, check=False)
    wall = (time.perf_counter() - began) * 1000
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"{' '.join(argv)}: exit status {done.returncode}: {last}")
    return wall, (_children_cpu() - cpu_before) * 1000


def seeded_home(folder: Path, env: dict[str, str]) -> tuple[str, int]:
    """A demo home in `folder`: the reference of one of its cases, and how many it has."""
    pathways = [sys.executable, "-m", "pathways"]
    for args in (["init", "--demo"], ["case", "list", "--json"]):
        done = subprocess.run(
            [*pathways, *args], env=env, cwd=folder, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise SystemExit(f"pathways {' '.join(args)}: exit status {done.returncode}: {last}")
    cases = json.loads(done.stdout)
    if not cases:
        raise SystemExit("the demo home has no case to show")
    return str(cases[0]["ref"]), len(cases)


def measure(rounds: int) -> tuple[list[Timings], str, int]:
    with tempfile.TemporaryDirectory(prefix="pathways-bench-cli-") as tmp:
        home = Path(tmp)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
        env.update(PATHWAYS_HOME=str(home / "var"), PATHWAYS_CONFIG_DIR=str(ROOT / "config"))
        env.pop("PATHWAYS_DATABASE_URL", None)
        # Compiled bytecode kept, as an installed package has it, in a cache of the run's own
        # (this environment may set PYTHONDONTWRITEBYTECODE: every start would compile every module).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
        ref, size = seeded_home(home, env)
        python = sys.executable
        commands = [
            Timings(BASELINE, [python, "-c", "pass"]),
            Timings("pathways --help", [python, "-m", "pathways", "--help"]),
            Timings("pathways case show REF", [python, "-m", "pathways", "case", "show", ref]),
            Timings("import sqlalchemy", [python, "-c", "import sqlalchemy"]),
            Timings("import pathways.store.tables", [python, "-c", "import pathways.store.tables"]),
        ]
        for i in range(WARM_UP + rounds):
            for command in commands:
                wall, cpu = start(command.argv, env, home)
                if i >= WARM_UP:
                    command.wall.append(wall)
                    command.cpu.append(cpu)
    return commands, ref, size


def figures(commands: list[Timings], size: int) -> list[dict[str, object]]:
    """Wall ms of each command (ratio to the bare start's), then its CPU ms (ratio likewise);
    N: the cases of the home."""
    base = commands[0]
    out = [figure("cli_start", base.label, "sqlite", size, "ms", base.wall)]
    out += [
        figure("cli_start", c.label, "sqlite", size, "ms", c.wall, baseline=(base.label, median(base.wall)))
        for c in commands[1:]
    ]
    out.append(figure("cli_start", f"CPU of {base.label}", "sqlite", size, "ms", base.cpu))
    out += [
        figure(
            "cli_start",
            f"CPU of {c.label}",
            "sqlite",
            size,
            "ms",
            c.cpu,
            baseline=(f"CPU of {base.label}", median(base.cpu)),
        )
        for c in commands[1:]
    ]
    return out


def report(commands: list[Timings], ref: str, size: int, rounds: int, load: tuple[float, float]) -> str:
    ctx = run_context()
    base_wall, base_cpu = median(commands[0].wall), median(commands[0].cpu)
    lines = [
        "## Command start (`bench/cli_start.py`)",
        "",
        f"- machine: {ctx['machine']}; load (1 min) {load[0]:.1f} → {load[1]:.1f}",
        f"- date: {ctx['date']}; commit {ctx['commit']}; {ctx['python']}",
        f"- command: `{ctx['command']}`; the case shown: {ref} (demo home, SQLite, {size} cases)",
        "",
        "| command | wall ms median [min–max] | × bare | CPU ms median [min–max] | × bare | aim ≤ 15× |",
        "|---|---|---:|---|---:|---|",
    ]
    for i, c in enumerate(commands):
        wall, cpu = median(c.wall), median(c.cpu)
        ratio = wall / base_wall
        aim = "–"
        if c.label.startswith("pathways"):
            aim = "met" if ratio <= AIM else f"**missed** (×{ratio / AIM:.2f} the aim)"
        lines.append(
            f"| `{c.label}` | **{fmt_number(wall)}** [{fmt_number(min(c.wall))}–{fmt_number(max(c.wall))}] "
            f"| {'' if i == 0 else f'{ratio:.1f}×'} "
            f"| {fmt_number(cpu)} [{fmt_number(min(c.cpu))}–{fmt_number(max(c.cpu))}] "
            f"| {'' if i == 0 else f'{cpu / base_cpu:.1f}×'} | {aim} |"
        )
    lines += [
        "",
        f"{rounds} rounds after {WARM_UP} warm-up rounds, the commands in turn within each round.",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=None, help="measured rounds (default 20; 10 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="10 rounds: well under a minute")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (10 if args.quick else 20)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with exclusive_run():
        load_before = os.getloadavg()[0]
        commands, ref, size = measure(args.rounds)
        load = (load_before, os.getloadavg()[0])
        publish(
            "cli_start",
            report(commands, ref, size, args.rounds, load),
            figures=figures(commands, size),
            json_path=args.json,
            no_record=args.no_record,
            quick=args.quick,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
