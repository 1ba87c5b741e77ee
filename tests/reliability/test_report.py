"""The ledger and the generator of docs/RELIABILITY.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability import report
from reliability.ledger import record


def test_the_ledger_is_a_no_op_without_its_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PATHWAYS_RELIABILITY_LEDGER", raising=False)
    monkeypatch.chdir(tmp_path)
    record("fault", "nothing", tried=1, failures=0)
    assert list(tmp_path.iterdir()) == []


def test_the_report_sums_each_fault_and_names_broken_guarantees(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("PATHWAYS_RELIABILITY_LEDGER", str(ledger))
    monkeypatch.setenv("PATHWAYS_RELIABILITY", "full")
    record("fault", "SIGKILL of X", tried=3, failures=0, detail="first")
    record("fault", "SIGKILL of X", tried=4, failures=0, detail="second | piped")
    record("load", "Officers", tried=1000, failures=0)
    out = tmp_path / "RELIABILITY.md"

    assert report.main([str(ledger), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "| SIGKILL of X | 2 | 7 | 0 | second \\| piped |" in text
    assert "| Officers | 1 | 1,000 | 0 |" in text
    assert "No guarantee broken in 2 faults and attacks" in text
    assert "`PATHWAYS_RELIABILITY=full`" in text

    record("fault", "Known bug: API answers 500", tried=5, failures=5)
    assert report.main([str(ledger), "--out", str(out)]) == 0  # known and reported: listed, not failing
    assert "Known bugs" in out.read_text(encoding="utf-8")
    record("fuzz", "CSV import", tried=200, failures=1)
    assert report.main([str(ledger), "--out", str(out)]) == 1
    assert "**1 of 4 faults or attacks broke a guarantee:**" in out.read_text(encoding="utf-8")

    with ledger.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    assert report.main([str(ledger), "--out", str(out)]) == 2
    assert f"{ledger}:6: not a JSON line" in capsys.readouterr().err
