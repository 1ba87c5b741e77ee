"""docs/tutorial/first-pathway.{en,fr}.md: its pathway validates, and its commands run as written.

The YAML blocks of each tutorial, put together, are the pathway of docs/tutorial/idea_intake.yaml
(same meaning); the `sh` blocks run through bash with the real `pathways`, in a folder holding a
copy of the shipped configuration plus that file, after `pathways init`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_file, load_pathway_text
from pathways.services.catalogue.definitions import digest_of

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial"
ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)=\$\((.*)\)")


def _blocks(text: str, kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)\n```", text, re.DOTALL)


def _commands(block: str) -> list[str]:
    return [line.strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_tutorial_builds_the_shipped_example_and_its_commands_run(lang: str, tmp_path: Path) -> None:
    text = (TUTORIAL / f"first-pathway.{lang}.md").read_text(encoding="utf-8")
    pathway = "\n".join(_blocks(text, "yaml")) + "\n"
    written = load_pathway_text(pathway, file=f"first-pathway.{lang}.md")
    assert digest_of(written) == digest_of(load_pathway_file(TUTORIAL / "idea_intake.yaml"))

    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "config" / "pathways" / "idea_intake.yaml").write_text(pathway, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")} | {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": str(ROOT / "src"),
        "NO_COLOR": "1",
    }
    bash = shutil.which("bash")
    assert bash is not None

    def run(command: str) -> str:
        assigned = ASSIGNMENT.fullmatch(command)
        script = f'{command}\nprintf %s "${assigned.group(1)}"' if assigned else command
        done = subprocess.run(
            [bash, "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        output = f"$ {command}\n{done.stdout}\n{done.stderr}"
        assert done.returncode == 0, f"exited {done.returncode}:\n{output}"
        assert "Traceback" not in done.stdout + done.stderr, output
        if assigned:
            env[assigned.group(1)] = done.stdout.strip()
        return done.stdout

    run("pathways init")
    shell = _blocks(text, "sh")
    assert len(shell) == 2
    for command in [*_commands(shell[0]), *_commands(shell[1])]:
        run(command)
    shown = run('pathways case show "$ref" --json')
    assert '"status": "closed"' in shown
    assert '"result": "referred"' in shown

    # The misspelt `next:` of section 4 gives the message the tutorial shows.
    (example,) = _blocks(text, "text")
    target = tmp_path / "config" / "pathways" / "idea_intake.yaml"
    target.write_text(pathway.replace("next: interview", "next: interveiw"), encoding="utf-8")
    refused = subprocess.run(
        [bash, "-c", "pathways pathway validate config/pathways/idea_intake.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert refused.returncode == 2
    assert example.splitlines() == refused.stderr.splitlines()[: len(example.splitlines())]
