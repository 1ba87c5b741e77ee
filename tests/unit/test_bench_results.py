"""bench/RESULTS.md stays a document a reader can use (issue 20).

At most 400 lines; one section per bench script; each run records its figures compactly in
place, so that the file does not grow run after run; the summary's aims table carries the
command-start and dispatch ratios. The scripts themselves are not run here (bench/ measures).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"
RESULTS = BENCH / "RESULTS.md"
CONTEXT = {
    "machine": "a test machine",
    "date": "2026-12-06 12:00 UTC",
    "commit": "abc1234",
    "python": "CPython 3.11.7",
    "sqlite": "3.40.1",
    "command": "python /somewhere/bench/x.py --quick --json /tmp/x.json",
}


def _bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    path = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:  # the scripts put bench/ first on the path for their siblings: not for other tests
        sys.path[:] = path
    return module


def _markers(section: str) -> tuple[str, str]:
    return f"<!-- bench:{section}:start -->", f"<!-- bench:{section}:end -->"


def test_the_results_file_has_at_most_400_lines() -> None:
    assert _bench_module("run").MAX_LINES == 400
    assert len(RESULTS.read_text().splitlines()) <= 400


def test_every_bench_script_has_its_section() -> None:
    headings = [line for line in RESULTS.read_text().splitlines() if line.startswith("## ")]
    scripts = sorted(p.name for p in BENCH.glob("*.py") if p.name not in {"common.py", "run.py"})
    assert scripts, "no bench script found"
    assert [s for s in scripts if not any(f"`bench/{s}`" in h for h in headings)] == []


def test_each_recorded_section_has_its_markers_once() -> None:
    run = _bench_module("run")
    text = RESULTS.read_text()
    sections = [run.SECTION, run.SECTION_FULL, "web_pages", "import", *(s for s, _ in run.SUITE)]
    for section in sections:
        start, end = _markers(section)
        assert text.count(start) == 1, section
        assert text.count(end) == 1, section
        assert text.index(start) < text.index(end), section
    assert text.index(_markers(run.SECTION)[1]) < text.index(_markers(run.SECTION_FULL)[0])


def _figures(common: ModuleType) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for backend in ("sqlite", "postgres"):
        out.append(common.figure("x", "raw", backend, 300, "tx/s", [100.0, 110.0, 90.0]))
        rates = [40.0, 50.0]
        out.append(
            common.figure("x", "decisions", backend, 300, "decisions/s", rates, baseline=("raw", 100.0))
        )
        for stat, values in (("p50", [1.0, 2.0, 3.0]), ("p99", [5.0, 5.0, 5.0])):
            out.append(common.figure("x", f"history {stat}", backend, 300, "ms", values))
    out.append(common.figure("x", "tail p99", "sqlite", 300, "ms", [7.0]))
    return out


def test_a_run_records_its_figures_compactly_in_place(tmp_path: Path) -> None:
    common = _bench_module("common")
    path = tmp_path / "RESULTS.md"
    start, end = _markers("x")
    path.write_text(f"# Benchmark results\n\n## `bench/x.py`\n\n{start}\n{end}\n\nNotes.\n")
    common.record_run("x", _figures(common), quick=True, context=CONTEXT, path=path)
    quick = path.read_text()
    common.record_run("x", _figures(common), quick=False, context=CONTEXT, path=path)
    full = path.read_text()

    assert len(full.splitlines()) == len(quick.splitlines())
    assert full.endswith(f"{end}\n\nNotes.\n")
    assert full.count(start) == 1
    assert "Latest run (quick)" in quick
    assert "Latest run (full)" in full
    assert "`python bench/x.py --quick`" in quick  # as a reader types it: no --json, no absolute path
    rows = [line for line in full.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0] == "| figure (÷ baseline, same run) | N ×runs | unit | sqlite | postgres |"
    assert "| decisions ÷ raw | 300 ×2 | decisions/s | **45.0** [40.0–50.0] · **0.45×** |" in full
    # p50 and p99 share a row; an unvarying figure shows no spread
    assert "| history p50 / p99 | 300 ×3 | ms | **2.00** [1.00–3.00] / **5.00** |" in full
    assert "| tail p99 | 300 ×1 | ms | **7.00** | – |" in full  # no p50 to pair with
    assert len(rows) == 5


def test_the_summary_of_each_mode_goes_to_its_own_section(tmp_path: Path) -> None:
    run = _bench_module("run")
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nHow to read this file.\n")
    run.place_summaries(path)
    once = path.read_text()
    run.place_summaries(path)
    assert path.read_text() == once
    quick_end, full_start = _markers(run.SECTION)[1], _markers(run.SECTION_FULL)[0]
    assert once.index(quick_end) < once.index(full_start) < once.index("How to read")


def test_the_aims_table_gives_the_command_start_and_dispatch_ratios() -> None:
    run = _bench_module("run")
    common = _bench_module("common")

    def fig(bench: str, name: str, unit: str, value: float, base: float | None) -> dict[str, Any]:
        baseline = ("baseline", base) if base else None
        return dict(common.figure(bench, name, "sqlite", 10, unit, [value], baseline=baseline))

    figures = [
        fig("cli_start", "python -c pass", "ms", 10.0, None),
        fig("cli_start", "pathways --help", "ms", 90.0, 10.0),
        fig("cli_start", "pathways case show REF", "ms", 600.0, 10.0),
        fig("cli_start", "CPU of pathways --help", "ms", 80.0, 10.0),
        fig("dispatch", "dispatch, 4 threads", "msg/s", 60.0, 600.0),
        fig("dispatch", "dispatch, 1 thread", "msg/s", 40.0, 600.0),
    ]
    outcome = run.Outcome("cli_start", "start", status="ran", figures=figures)
    started = "2026-12-06 12:00 UTC"
    text = run.summary([outcome], quick=True, load=(0.1, 0.1), started=started, context=CONTEXT)
    aims = [line for line in text.splitlines() if line.startswith("| command start") or "Apprise" in line]
    assert len(aims) == 3  # --help, case show (not the CPU figure); the pool of 4
    assert re.search(r"pathways --help \| sqlite \| 10 \| 9\.00× \| met", aims[0])
    assert re.search(r"pathways case show REF \| sqlite \| 10 \| 60\.0× \| \*\*missed\*\*", aims[1])
    assert re.search(r"dispatch, 4 threads \| sqlite \| 10 \| 0\.10× \| \*\*missed\*\*", aims[2])


def test_an_aim_stated_at_a_size_says_how_its_figure_grew() -> None:
    run = _bench_module("run")
    common = _bench_module("common")
    figures = [
        dict(common.figure("sweep", "sweep time", "sqlite", size, "s", [seconds]))
        for size, seconds in ((10_000, 0.1), (100_000, 0.2), (1_000_000, 0.5))
    ]
    aim = "| sweep of 1M open cases (10k due) < 2 s "
    rows = [row for row in run.aim_rows(figures) if row.startswith(aim)]
    measured = "| sweep: sweep time | sqlite | 1,000,000 | 0.50 s "
    assert rows == [aim + measured + "| met, 75% under the aim; ×5.00 from 10k |"]
    assert not [row for row in run.aim_rows(figures, quick=True) if "sweep" in row]
